/*
 * Cell ids across a new option (docs/results-format.md, "Cell ids"): a
 * copy of vmbench's sections gains a dummy option in an existing section
 * and a dummy section, each with a default and a .since. Cells that keep
 * the defaults keep the ids of the golden plan; a cell that sets another
 * value gets another id.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"
#include "config/matrix.h"

#define PLAN VMB_TEST_DATA "/golden/plan"

/* A config with room for the dummy options' fields after it. */
struct wide_config {
    struct vmb_config cfg;
    int64_t later;   /* guest.later_knob */
    int64_t tenants; /* tenants.count */
};

static const struct vmb_option tenant_options[] = {
    {.name = "count",
     .type = VMB_OPT_INT,
     .offset = 0,
     .def = "1",
     .min = 1,
     .max = 64,
     .help = "a section added after the baseline",
     .since = "test"},
};

static struct vmb_option guest_options[256];
static struct vmb_section wide[32];
static size_t nwide;

static void
wide_init(void)
{
    cr_assert_lt(vmb_nsections + 1, VMB_NELEMS(wide));
    nwide = 0;
    for (size_t i = 0; i < vmb_nsections; i++) {
        struct vmb_section s = vmb_sections[i];
        if (strcmp(s.name, "guest") == 0) {
            cr_assert_lt(s.noptions + 1, VMB_NELEMS(guest_options));
            memcpy(guest_options, s.options, s.noptions * sizeof(*s.options));
            guest_options[s.noptions] = (struct vmb_option){
                .name = "later_knob",
                .type = VMB_OPT_INT,
                .offset = offsetof(struct wide_config, later) - s.offset,
                .def = "7",
                .help = "an option added after the baseline",
                .since = "test",
            };
            s.options = guest_options;
            s.noptions++;
        }
        wide[nwide++] = s;
    }
    wide[nwide++] = (struct vmb_section){"tenants", tenant_options,
                                         VMB_NELEMS(tenant_options),
                                         offsetof(struct wide_config, tenants)};
}

static void
wide_id(const struct vmb_cell *c, int64_t later, int64_t tenants, char out[13])
{
    struct wide_config w;
    memcpy(&w.cfg, &c->cfg, sizeof(w.cfg));
    w.later = later;
    w.tenants = tenants;
    vmb_cell_id_in(wide, nwide, &w.cfg, c->kind, out);
}

static struct vmb_matrix *
golden(char **expected)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_matrix_load(PLAN "/expand.yaml", &m, &err), 0, "%s",
                 err ? err->msg : "?");
    cr_assert_eq(vmb_read_file(PLAN "/expand.txt", expected, NULL, NULL), 0);
    cr_assert_gt(m->ncells, 0);
    cr_assert_gt(m->ncontrols, 0);
    return m;
}

static void
each_cell(struct vmb_matrix *m, void (*fn)(const struct vmb_cell *, void *),
          void *arg)
{
    for (size_t i = 0; i < m->ncells; i++)
        fn(&m->cells[i], arg);
    for (size_t i = 0; i < m->ncontrols; i++)
        fn(&m->controls[i], arg);
}

static void
check_kept(const struct vmb_cell *c, void *arg)
{
    const char *expected = arg;
    char id[13];
    /* The golden plan's own id, by the expansion and by vmb_cell_id. */
    cr_assert_not_null(strstr(expected, c->id), "%s: id %s not in expand.txt",
                       c->label, c->id);
    vmb_cell_id(&c->cfg, c->kind, id);
    cr_assert_str_eq(id, c->id, "%s", c->label);
    /* With the new options at their defaults: the same. */
    wide_id(c, 7, 1, id);
    cr_assert_str_eq(id, c->id, "%s", c->label);
}

Test(cell_id, new_option_at_default_keeps_golden_ids)
{
    wide_init();
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    each_cell(m, check_kept, expected);
    vmb_matrix_free(m);
    free(expected);
}

static void
check_changed(const struct vmb_cell *c, void *arg)
{
    (void)arg;
    char a[13], b[13], t[13], both[13];
    wide_id(c, 8, 1, a);
    wide_id(c, 9, 1, b);
    wide_id(c, 7, 2, t);
    wide_id(c, 8, 2, both);
    cr_assert_str_neq(a, c->id, "%s: guest.later_knob=8", c->label);
    cr_assert_str_neq(b, c->id, "%s: guest.later_knob=9", c->label);
    cr_assert_str_neq(a, b, "%s: 8 and 9", c->label);
    cr_assert_str_neq(t, c->id, "%s: tenants.count=2", c->label);
    cr_assert_str_neq(t, a, "%s: tenants vs later_knob", c->label);
    cr_assert_str_neq(both, a, "%s: both", c->label);
    cr_assert_str_neq(both, t, "%s: both", c->label);
    /* The same settings, the same id. */
    wide_id(c, 8, 1, b);
    cr_assert_str_eq(a, b, "%s", c->label);
}

Test(cell_id, new_option_off_default_changes_ids)
{
    wide_init();
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    each_cell(m, check_changed, NULL);
    /* Cells that differed still differ with the option set. */
    for (size_t i = 0; i < m->ncells; i++)
        for (size_t j = i + 1; j < m->ncells; j++) {
            char a[13], b[13];
            wide_id(&m->cells[i], 8, 1, a);
            wide_id(&m->cells[j], 8, 1, b);
            cr_assert_str_neq(a, b, "%s and %s", m->cells[i].label,
                              m->cells[j].label);
        }
    vmb_matrix_free(m);
    free(expected);
}

/* The rule's other half: any baseline setting still changes the id. */
Test(cell_id, baseline_change_changes_id)
{
    wide_init();
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    struct vmb_cell c = m->cells[0];
    char before[13], after[13];
    wide_id(&c, 7, 1, before);
    c.cfg.load.connections++;
    wide_id(&c, 7, 1, after);
    cr_assert_str_neq(before, after);
    vmb_matrix_free(m);
    free(expected);
}

/* The fio: section and a phase's fio: are later options (.since): at
 * their defaults the golden ids stand (the test above, with the real
 * tables); set, they change the id. */
Test(cell_id, fio_options_change_ids_when_set)
{
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    const struct vmb_cell *c = &m->cells[0];
    struct vmb_config cfg;
    vmb_config_copy(&cfg, &c->cfg);
    char id[13];
    vmb_cell_id(&cfg, c->kind, id);
    cr_assert_str_eq(id, c->id);
    free(cfg.fio.bs);
    cfg.fio.bs = vmb_xstrdup("64k");
    vmb_cell_id(&cfg, c->kind, id);
    cr_assert_str_neq(id, c->id, "fio.bs=64k");
    free(cfg.fio.bs);
    cfg.fio.bs = vmb_xstrdup("");
    free(cfg.phases[0].fio);
    cfg.phases[0].fio = vmb_xstrdup("jobs/mine.fio");
    vmb_cell_id(&cfg, c->kind, id);
    cr_assert_str_neq(id, c->id, "phases[0].fio");
    vmb_config_free(&cfg);
    vmb_matrix_free(m);
    free(expected);
}

/* entropy_source came after the baseline (.since): at its default a cell
 * keeps the golden id, set off it the id changes. */
Test(cell_id, entropy_source_is_a_later_option)
{
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    struct vmb_cell c = m->cells[0];
    char id[13];
    vmb_cell_id(&c.cfg, c.kind, id);
    cr_assert_str_eq(id, c.id);
    cr_assert_eq(c.cfg.guest.entropy_source, VMB_ENTROPY_URANDOM);
    c.cfg.guest.entropy_source = VMB_ENTROPY_RANDOM;
    vmb_cell_id(&c.cfg, c.kind, id);
    cr_assert_str_neq(id, c.id);
    vmb_matrix_free(m);
    free(expected);
}

/* virtio_fs_daemon (a later option): the golden ids above hold with it
 * empty, and naming a binary gives the cell another id. */
Test(cell_id, virtio_fs_daemon_since)
{
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    struct vmb_cell c = m->cells[0];
    cr_assert_str_eq(c.cfg.guest.virtio_fs_daemon, "");
    char before[13], after[13];
    vmb_cell_id(&c.cfg, c.kind, before);
    cr_assert_str_eq(before, c.id);
    char *old = c.cfg.guest.virtio_fs_daemon;
    c.cfg.guest.virtio_fs_daemon = "/usr/libexec/virtiofsd";
    vmb_cell_id(&c.cfg, c.kind, after);
    cr_assert_str_neq(before, after);
    c.cfg.guest.virtio_fs_daemon = old;
    vmb_matrix_free(m);
    free(expected);
}

/* The options of 0.2 (sysbench's tables, MariaDB's settings) carry
 * .since: the golden plan's cells, which leave them at their defaults,
 * keep their ids (test_matrix's golden plan), and a cell that sets one
 * gets another id. */
Test(cell_id, options_since_0_2_change_ids_only_when_set)
{
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    struct vmb_cell c = m->cells[0];
    char id[13], tables[13], flush[13];
    vmb_cell_id(&c.cfg, c.kind, id);
    cr_assert_str_eq(id, c.id);
    c.cfg.load.tables = 4;
    vmb_cell_id(&c.cfg, c.kind, tables);
    c.cfg.load.tables = 1;
    c.cfg.database.innodb_flush_method = "fsync";
    vmb_cell_id(&c.cfg, c.kind, flush);
    cr_assert_str_neq(tables, id);
    cr_assert_str_neq(flush, id);
    cr_assert_str_neq(flush, tables);
    c.cfg.database.innodb_flush_method = "O_DIRECT";
    vmb_cell_id(&c.cfg, c.kind, flush);
    cr_assert_str_eq(flush, id);
    vmb_matrix_free(m);
    free(expected);
}

/* agent_transport came after the baseline (.since): at its default (auto)
 * a cell keeps the golden id, set off it the id changes. */
Test(cell_id, agent_transport_is_a_later_option)
{
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    struct vmb_cell c = m->cells[0];
    char id[13];
    cr_assert_eq(c.cfg.guest.agent_transport, VMB_AGENT_TRANSPORT_AUTO);
    vmb_cell_id(&c.cfg, c.kind, id);
    cr_assert_str_eq(id, c.id);
    c.cfg.guest.agent_transport = VMB_AGENT_TRANSPORT_VIRTIO_SERIAL;
    vmb_cell_id(&c.cfg, c.kind, id);
    cr_assert_str_neq(id, c.id);
    vmb_matrix_free(m);
    free(expected);
}

/* The host: section is later (.since): the golden cells, which leave it
 * at keep, keep their ids; a cell that changes KSM or THP gets another,
 * and ksm: on and off differ. */
Test(cell_id, host_options_change_ids_only_when_set)
{
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    struct vmb_cell c = m->cells[0];
    char id[13], on[13], off[13], thp[13];
    cr_assert_eq(c.cfg.host.ksm, VMB_HOST_KSM_KEEP);
    vmb_cell_id(&c.cfg, c.kind, id);
    cr_assert_str_eq(id, c.id);
    c.cfg.host.ksm = VMB_HOST_KSM_ON;
    vmb_cell_id(&c.cfg, c.kind, on);
    c.cfg.host.ksm = VMB_HOST_KSM_OFF;
    vmb_cell_id(&c.cfg, c.kind, off);
    c.cfg.host.ksm = VMB_HOST_KSM_KEEP;
    c.cfg.host.thp = VMB_HOST_THP_NEVER;
    vmb_cell_id(&c.cfg, c.kind, thp);
    cr_assert_str_neq(on, id);
    cr_assert_str_neq(off, id);
    cr_assert_str_neq(on, off);
    cr_assert_str_neq(thp, id);
    vmb_matrix_free(m);
    free(expected);
}

/* The hosts: section came after the baseline (.since): every golden cell
 * and control keeps its id with node 2 on this host; a control whose node
 * 2 runs on another host, or a changed connect deadline, gets another. */
Test(cell_id, hosts_options_are_later_options)
{
    char *expected = NULL;
    struct vmb_matrix *m = golden(&expected);
    struct vmb_cell c = m->controls[0];
    cr_assert_str_eq(c.cfg.hosts.control_node2, "");
    char id[13], remote[13], other[13];
    vmb_cell_id(&c.cfg, c.kind, id);
    cr_assert_str_eq(id, c.id);
    char *old = c.cfg.hosts.control_node2;
    c.cfg.hosts.control_node2 = "ssh://bench@replica";
    vmb_cell_id(&c.cfg, c.kind, remote);
    cr_assert_str_neq(remote, c.id);
    c.cfg.hosts.control_node2 = "ssh://bench@replica2";
    vmb_cell_id(&c.cfg, c.kind, other);
    cr_assert_str_neq(other, remote);
    c.cfg.hosts.control_node2 = old;
    /* A VM cell's node 2 elsewhere likewise: unset, the golden id. */
    struct vmb_cell vm = m->cells[0];
    char vm_id[13], vm_remote[13];
    cr_assert_str_eq(vm.cfg.hosts.vm_node2, "");
    vmb_cell_id(&vm.cfg, vm.kind, vm_id);
    cr_assert_str_eq(vm_id, vm.id);
    char *old_vm = vm.cfg.hosts.vm_node2;
    vm.cfg.hosts.vm_node2 = "qemu+tcp://replica/system";
    vmb_cell_id(&vm.cfg, vm.kind, vm_remote);
    cr_assert_str_neq(vm_remote, vm.id);
    vm.cfg.hosts.vm_node2 = old_vm;
    c.cfg.hosts.connect_timeout_us = 3000000;
    vmb_cell_id(&c.cfg, c.kind, other);
    cr_assert_str_neq(other, c.id);
    vmb_matrix_free(m);
    free(expected);
}
