/* The axes and exclude entries of a matrix -> its cells and controls,
 * and freeing them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/fio_phase.h"
#include "config/hosts.h"
#include "config/matrix_priv.h"
#include "config/virtiofsd_args.h"

/*
 * Whether the matrix's cells can run fio (its engine, or an engine axis):
 * then guest.data_size is not VM-only, since it sizes fio's jobs (its
 * files, the bound of a job file's sizes), and the control runs the same
 * job as the VM only with the same data_size.
 */
static bool
may_run_fio(const struct vmb_expand *x)
{
    if (x->base->database.engine == VMB_ENGINE_FIO)
        return true;
    for (size_t i = 0; i < x->naxes; i++)
        if (strcmp(x->axes[i].sec->name, "database") == 0 &&
            strcmp(x->axes[i].opt->name, "engine") == 0)
            return true;
    return false;
}

/* The control of a cell: its config with every VM-only setting at default
 * (data_size kept where fio may run: may_run_fio). */
static void
control_config(const struct vmb_config *cell, const struct vmb_config *def,
               bool fio, struct vmb_config *out)
{
    vmb_config_copy(out, cell);
    for (size_t i = 0; i < vmb_nsections; i++) {
        const struct vmb_section *s = &vmb_sections[i];
        if (strcmp(s->name, "hypervisor") != 0 &&
            strcmp(s->name, "guest") != 0 && strcmp(s->name, "network") != 0)
            continue;
        vmb_options_copy(s->options, s->noptions, (char *)out + s->offset,
                         (const char *)def + s->offset);
    }
    /* hosts.vm_node2 places a VM; the control's node 2 has its own. */
    const struct vmb_section *h = vmb_section_find("hosts");
    vmb_options_copy(vmb_option_find(h->options, h->noptions, "vm_node2"), 1,
                     (char *)out + h->offset, (const char *)def + h->offset);
    vmb_options_copy(
        vmb_option_find(h->options, h->noptions, "vm_node2_subnet"), 1,
        (char *)out + h->offset, (const char *)def + h->offset);
    out->guest.vcpus = cell->guest.vcpus;
    out->guest.memory_mib = cell->guest.memory_mib;
    if (fio)
        out->guest.data_size_bytes = cell->guest.data_size_bytes;
}

static bool
is_vm_only(const struct vmb_expand *x, const struct vmb_axis *a)
{
    return strcmp(a->sec->name, "hypervisor") == 0 ||
           strcmp(a->sec->name, "network") == 0 ||
           (strcmp(a->sec->name, "hosts") == 0 &&
            vmb_str_has_prefix(a->opt->name, "vm_node2")) ||
           (strcmp(a->sec->name, "guest") == 0 &&
            strcmp(a->opt->name, "vcpus") != 0 &&
            strcmp(a->opt->name, "memory") != 0 &&
            (strcmp(a->opt->name, "data_size") != 0 || !may_run_fio(x)));
}

/*
 * Marks in bits the combinations some exclude entry removes; returns how
 * many. For each axis value, a bitset of the entries that allow it (they
 * do not name the axis, or name it with this value); a combination is
 * excluded when the AND of its values' sets is not empty. Walking the
 * combinations in order, only the axes that changed are AND-ed again, so
 * a combination costs about entries / 64 word operations, not entries x
 * axes string comparisons.
 */
static size_t
mark_excluded(const struct vmb_expand *x, size_t total, uint64_t *bits)
{
    size_t nr = x->nrules, na = x->naxes;
    if (nr == 0 || na == 0)
        return 0;
    size_t words = (nr + 63) / 64;
    uint64_t **mask = vmb_xcalloc(na, sizeof(*mask));
    uint64_t *prefix = vmb_xcalloc(na * words, sizeof(*prefix));
    uint64_t *allow = vmb_xcalloc(words, sizeof(*allow));
    size_t *idx = vmb_xcalloc(na, sizeof(*idx));
    for (size_t a = 0; a < na; a++) {
        for (size_t r = 0; r < nr; r++)
            allow[r / 64] |= 1ull << (r % 64);
        for (size_t r = 0; r < nr; r++)
            for (size_t j = 0; j < x->rules[r].naxes; j++)
                if (x->rules[r].axis[j] == a)
                    allow[r / 64] &= ~(1ull << (r % 64));
        size_t nv = x->axes[a].nvalues;
        mask[a] = vmb_xcalloc(nv * words, sizeof(**mask));
        for (size_t v = 0; v < nv; v++)
            memcpy(mask[a] + v * words, allow, words * sizeof(*allow));
        memset(allow, 0, words * sizeof(*allow));
    }
    for (size_t r = 0; r < nr; r++)
        for (size_t j = 0; j < x->rules[r].naxes; j++) {
            size_t v = x->rules[r].value[j];
            if (v != SIZE_MAX)
                mask[x->rules[r].axis[j]][v * words + r / 64] |= 1ull
                                                                 << (r % 64);
        }
    size_t count = 0;
    size_t from = 0; /* the first axis whose prefix is stale */
    for (size_t c = 0; c < total; c++) {
        for (size_t a = from; a < na; a++) {
            const uint64_t *mv = mask[a] + idx[a] * words;
            uint64_t *p = prefix + a * words;
            for (size_t w = 0; w < words; w++)
                p[w] = a ? (p - words)[w] & mv[w] : mv[w];
        }
        const uint64_t *last = prefix + (na - 1) * words;
        for (size_t w = 0; w < words; w++)
            if (last[w] != 0) {
                bits[c / 64] |= 1ull << (c % 64);
                count++;
                break;
            }
        /* Next combination: the last axis fastest. */
        size_t a = na;
        while (a-- > 0) {
            if (++idx[a] < x->axes[a].nvalues)
                break;
            idx[a] = 0;
        }
        from = a == SIZE_MAX ? 0 : a;
    }
    for (size_t a = 0; a < na; a++)
        free(mask[a]);
    free(mask);
    free(prefix);
    free(allow);
    free(idx);
    return count;
}

static int
check_limits(const struct vmb_expand *x, size_t ncells)
{
    uint64_t reps = (uint64_t)x->base->top.repetitions;
    uint64_t runs = (uint64_t)ncells * reps;
    if (runs > VMB_MATRIX_MAX_RUNS)
        return vmb_matrix_fail(x->err, x->file, x->pos, "matrix",
                               "%zu cells x %" PRIu64 " repetitions are "
                               "%" PRIu64 " runs, more than the limit of %d",
                               ncells, reps, runs, VMB_MATRIX_MAX_RUNS);
    uint64_t phases = (uint64_t)ncells * x->base->nphases;
    if (phases > VMB_MATRIX_MAX_PHASES)
        return vmb_matrix_fail(x->err, x->file, x->pos, "matrix",
                               "%zu cells of %zu phases each are %" PRIu64
                               " phases, more than the limit of %d",
                               ncells, x->base->nphases, phases,
                               VMB_MATRIX_MAX_PHASES);
    return 0;
}

/* Shared by the cells of one expansion. */
struct expansion {
    const struct vmb_expand *x;
    struct vmb_id_template vm_ids, control_ids;
    size_t *control_of; /* by the values of the axes a control keeps */
    struct vmb_buf scratch;
    struct vmb_buf label; /* reused: a label is copied out at its size */
    struct vmb_implied *implied;
};

/* Whether list ("postgres,mariadb") names the engine called name. */
static bool
engine_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        if (*p == '\0')
            return false;
    }
}

/*
 * A database setting of another engine than the cell's, set off its
 * default: the cell's server would never see it, and the cell would be
 * labelled with a setting that did not apply.
 */
static int
check_engine_settings(const struct vmb_expand *x, const struct vmb_cell *cell)
{
    const struct vmb_section *sec = vmb_section_find("database");
    const struct vmb_config *c = &cell->cfg;
    const char *engine = vmb_engine_name(c->database.engine);
    for (size_t i = 0; i < sec->noptions; i++) {
        const struct vmb_option *o = &sec->options[i];
        if (o->engines == NULL || engine_listed(o->engines, engine) ||
            vmb_option_at_default(o, &c->database))
            continue;
        autofree char *path = vmb_xasprintf("database.%s", o->name);
        return vmb_matrix_fail(x->err, x->file, x->pos, path,
                               "a setting of database.engine %s; cell \"%s\" "
                               "runs %s",
                               o->engines, cell->label, engine);
    }
    return 0;
}

/* The cell of combination idx: config, axis values, label, id. */
/*
 * What the run would refuse only once servers are up: a setting of
 * another engine, pgbench's transactions on Redis, and a max_connections
 * below what the load generator opens (plus the server's own reserved
 * connections and vmbench's control connections).
 */
/*
 * Whether a fio phase opens its files O_DIRECT: the cell's fio.direct
 * when set (laid over every job section), else any section of the job file with
 * direct (bare or =1) or buffered=0. Built-in jobs are buffered.
 */
static bool
fio_direct(const struct vmb_config *c, const struct vmb_fio_job *job)
{
    if (c->fio.direct != NULL && c->fio.direct[0] != '\0')
        return strcmp(c->fio.direct, "1") == 0;
    for (size_t i = 0; job != NULL && i < job->nopts; i++) {
        const struct vmb_fio_job_opt *o = &job->opts[i];
        const char *v = o->value;
        if ((strcmp(o->key, "direct") == 0 && (v == NULL || *v == '1')) ||
            (strcmp(o->key, "buffered") == 0 && v != NULL && *v == '0'))
            return true;
    }
    return false;
}

/*
 * A fio cell's phases: fio's jobs only, the user's job files read and
 * checked (against this cell's data volume), the cell's fio: options and
 * the phases' times against the files' own; and fio's jobs nowhere else.
 */
static int
check_fio(const struct vmb_expand *x, const struct vmb_cell *cell)
{
    const struct vmb_config *c = &cell->cfg;
    bool fio = c->database.engine == VMB_ENGINE_FIO;
    if (fio && c->top.tenants > 1)
        return vmb_matrix_fail(x->err, x->file, x->pos, "tenants",
                               "database.engine fio runs one tenant; cell "
                               "\"%s\" asks for %" PRId64,
                               cell->label, c->top.tenants);
    for (size_t i = 0; i < c->nphases; i++) {
        const struct vmb_phase *ph = &c->phases[i];
        autofree char *path = vmb_xasprintf("load.phases[%zu]", i);
        if (!fio && vmb_op_is_fio(ph->op))
            return vmb_matrix_fail(x->err, x->file, x->pos, path,
                                   "%s is one of fio's jobs, for "
                                   "database.engine: fio; cell \"%s\" runs "
                                   "%s",
                                   vmb_op_name(ph->op), cell->label,
                                   vmb_engine_name(c->database.engine));
        if (!fio)
            continue;
        struct vmb_error *e = NULL;
        struct vmb_fio_job *job = NULL;
        int rc = 0;
        if (ph->op == VMB_OP_FIO_JOB) {
            autofree char *file = vmb_fio_phase_path(x->file, ph->fio);
            rc = vmb_fio_job_load(file, c->guest.data_size_bytes, &job, &e);
        }
        if (rc == 0)
            rc = vmb_fio_phase_check(c, i, job, &e);
        /* fio cannot open a file O_DIRECT in guest memory; it would fail
         * the run once the VM is up. */
        bool direct = rc == 0 && fio_direct(c, job);
        vmb_fio_job_free(job);
        if (direct && cell->kind == VMB_CELL_VM &&
            vmb_config_placement(c) == VMB_STORAGE_TMPFS)
            return vmb_matrix_fail(x->err, x->file, x->pos, path,
                                   "fio's direct I/O (direct=1) does not run "
                                   "on storage tmpfs, which has no O_DIRECT, "
                                   "in cell \"%s\"; exclude the pair or "
                                   "set fio.direct \"0\"",
                                   cell->label);
        if (rc == 0)
            continue;
        rc = vmb_matrix_fail(x->err, x->file, x->pos, path, "%s (cell \"%s\")",
                             e->msg, cell->label);
        vmb_error_free(e);
        return rc;
    }
    return 0;
}

static int
check_engine(const struct vmb_expand *x, const struct vmb_cell *cell)
{
    const struct vmb_config *c = &cell->cfg;
    if (check_fio(x, cell) < 0)
        return -1;
    if (check_engine_settings(x, cell) < 0)
        return -1;
    if (c->database.engine != VMB_ENGINE_POSTGRES)
        for (size_t i = 0; i < c->nphases; i++) {
            int op = c->phases[i].op;
            if (!vmb_op_is_pgbench(op))
                continue;
            autofree char *path = vmb_xasprintf("load.phases[%zu].op", i);
            return vmb_matrix_fail(x->err, x->file, x->pos, path,
                                   "%s is one of pgbench's transactions, for "
                                   "database.engine: postgres; cell \"%s\" "
                                   "runs %s",
                                   vmb_op_name(op), cell->label,
                                   vmb_engine_name(c->database.engine));
        }
    if (c->database.engine != VMB_ENGINE_MARIADB)
        for (size_t i = 0; i < c->nphases; i++) {
            int op = c->phases[i].op;
            if (!vmb_op_is_sysbench(op))
                continue;
            autofree char *path = vmb_xasprintf("load.phases[%zu].op", i);
            return vmb_matrix_fail(x->err, x->file, x->pos, path,
                                   "%s is one of sysbench's OLTP workloads, "
                                   "for database.engine: mariadb; cell \"%s\" "
                                   "runs %s",
                                   vmb_op_name(op), cell->label,
                                   vmb_engine_name(c->database.engine));
        }
    /* The control's tenants listen on port .. port + 2 x tenants - 1. */
    if (c->database.port + 2 * c->top.tenants - 1 > 65535)
        return vmb_matrix_fail(
            x->err, x->file, x->pos, "tenants",
            "%" PRId64 " tenants need ports %" PRId64 " to %" PRId64
            " on bare metal, past 65535, in cell \"%s\"; "
            "set a lower database.port",
            c->top.tenants, c->database.port,
            c->database.port + 2 * c->top.tenants - 1, cell->label);
    if (c->database.engine == VMB_ENGINE_REDIS ||
        c->database.engine == VMB_ENGINE_FIO ||
        c->database.max_connections == NULL)
        return 0;
    char *end = NULL;
    long long maxc = strtoll(c->database.max_connections, &end, 10);
    if (end == c->database.max_connections || *end != '\0')
        return 0; /* PostgreSQL's own check names what is wrong */
    if (maxc < c->load.connections + 10)
        return vmb_matrix_fail(x->err, x->file, x->pos,
                               "database.max_connections",
                               "%lld is below load.connections (%" PRId64
                               ") + 10 in cell \"%s\"; the last "
                               "connections would be refused",
                               maxc, c->load.connections, cell->label);
    return 0;
}

/* Where the file gives option name (its key there); else where the cells
 * are made, under path. */
static struct vmb_mpos
where_given(const struct vmb_expand *x, const char *name, const char **path)
{
    struct vmb_mpos pos = x->pos;
    for (size_t i = 0; i < x->ngiven; i++)
        if (strcmp(x->given[i].opt->name, name) == 0) {
            pos = x->given[i].pos;
            *path = x->given[i].key;
        }
    return pos;
}

static int
fs_args_fail(const struct vmb_expand *x, const struct vmb_cell *cell,
             const struct vmb_error *e)
{
    const char *msg = e->msg;
    const char *key = "virtio_fs_extra_args: ";
    if (strncmp(msg, key, strlen(key)) == 0)
        msg += strlen(key);
    const char *path = "guest.virtio_fs_extra_args";
    struct vmb_mpos pos = where_given(x, "virtio_fs_extra_args", &path);
    return vmb_matrix_fail(x->err, x->file, pos, path, "%s (cell \"%s\")", msg,
                           cell->label);
}

/*
 * The words of virtio_fs_extra_args that no virtiofsd takes, or that
 * vmbench sets itself, whatever daemon the host has; what the cell's
 * daemon lacks is the host check's (runtime/preflight.c).
 */
static int
check_fs_args(const struct vmb_expand *x, const struct vmb_cell *cell)
{
    const char *words = cell->cfg.guest.virtio_fs_extra_args;
    /* Cells share the base's string unless an axis sets it. */
    if (cell != x->m->cells && words == x->base->guest.virtio_fs_extra_args)
        return 0;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_virtiofsd_args_check(words, &e) == 0)
        return 0;
    return fs_args_fail(x, cell, e);
}

/*
 * A VM node 2 on another host (hosts.vm_node2) takes its files there as
 * disk volumes, and a virtio-fs share as a directory vmbench makes there
 * over ssh (so a qemu+ssh:// URI), served by a virtiofsd libvirt starts;
 * a one-node engine has no node 2 to place.
 */
static int
check_vm_node2(const struct vmb_expand *x, const struct vmb_cell *cell)
{
    const struct vmb_config *c = &cell->cfg;
    if (cell->kind != VMB_CELL_VM || !vmb_hosts_vm_remote(c))
        return 0;
    if (vmb_config_nodes(c) < 2)
        return vmb_matrix_fail(x->err, x->file, x->pos, "hosts.vm_node2",
                               "database.engine %s has no node 2 to run on "
                               "another host (cell \"%s\"); leave "
                               "hosts.vm_node2 at \"\"",
                               vmb_engine_name(c->database.engine),
                               cell->label);
    const char *key = "hosts.vm_node2";
    struct vmb_mpos pos = where_given(x, "vm_node2", &key);
    int share = vmb_config_share(c);
    if (share == VMB_STORAGE_9P)
        return vmb_matrix_fail(
            x->err, x->file, pos, key,
            "cell \"%s\" shares a directory over 9p (its storage, or its "
            "container root with disable_block_device_use on), which QEMU's "
            "own user would have to own on node 2's host; a node 2 there "
            "shares over virtio-fs (shared_fs virtio-fs, Kata's default) or "
            "none (storage block)",
            cell->label);
    if (share == VMB_STORAGE_VIRTIOFS) {
        struct vmb_ssh_target t;
        autofree char *why = NULL;
        if (vmb_libvirt_uri_ssh(c->hosts.vm_node2, &t, &why) < 0)
            return vmb_matrix_fail(
                x->err, x->file, pos, key,
                "cell \"%s\" shares a directory over virtio-fs, which "
                "vmbench makes on node 2's host over ssh: %s; use a "
                "qemu+ssh:// URI, or storage block",
                cell->label, why);
        struct vmb_virtiofsd_libvirt lv;
        vmb_autoerr struct vmb_error *e = NULL;
        if (vmb_virtiofsd_libvirt(c, &lv, &e) < 0)
            return fs_args_fail(x, cell, e);
    }
    if (c->top.tenants > 1)
        return vmb_matrix_fail(x->err, x->file, x->pos, "hosts.vm_node2",
                               "a node 2 on another host runs one tenant; "
                               "cell \"%s\" asks for %" PRId64,
                               cell->label, c->top.tenants);
    char sub[32];
    if (vmb_hosts_vm_node2_subnet(c, sub, sizeof(sub)) < 0)
        return vmb_matrix_fail(x->err, x->file, x->pos, "hosts.vm_node2_subnet",
                               "\"%s\" overlaps network.subnet \"%s\" (cell "
                               "\"%s\"); node 2's network there needs a "
                               "subnet of its own",
                               sub, c->network.subnet, cell->label);
    return 0;
}

/*
 * Sets a cell's value of axis a to v. A string is not copied: the cell
 * points at the axis's own value, as it shares the rest of its base.
 */
static int
set_axis(const struct vmb_axis *a, const char *v, struct vmb_config *cfg)
{
    char *sb = (char *)cfg + a->sec->offset;
    if (a->opt->type == VMB_OPT_STRING) {
        *(const char **)(sb + a->opt->offset) = v;
        return 0;
    }
    struct vmb_error *err = NULL;
    int rc = vmb_option_parse(a->opt, v, sb, &err);
    vmb_error_free(err);
    return rc;
}

static int
make_cell(struct expansion *e, const size_t *idx, struct vmb_cell *cell)
{
    const struct vmb_expand *x = e->x;
    cell->kind = VMB_CELL_VM;
    cell->control = SIZE_MAX;
    /* The base's strings and phases are shared, not copied: 10^5 cells
     * differ from it only in their axes. */
    memcpy(&cell->cfg, x->base, sizeof(cell->cfg));
    struct vmb_buf *label = &e->label;
    label->len = 0;
    cell->values = x->m->cell_values + (size_t)(cell - x->m->cells) * x->naxes;
    cell->naxes = x->naxes;
    for (size_t i = 0; i < x->naxes; i++) {
        const struct vmb_axis *a = &x->axes[i];
        const char *v = a->values[idx[i]];
        if (set_axis(a, v, &cell->cfg) < 0)
            return vmb_matrix_fail(x->err, x->file, x->pos, a->path,
                                   "internal error");
        cell->values[i] = v;
        /* Pieces, not printf: this runs for every cell. */
        if (i > 0)
            vmb_buf_puts(label, " ");
        vmb_buf_puts(label, a->label);
        vmb_buf_puts(label, "=");
        vmb_buf_puts(label, v);
    }
    if (x->naxes == 0)
        vmb_buf_printf(label, "vcpus=%" PRId64 " memory=%" PRIu64 " storage=%s",
                       cell->cfg.guest.vcpus, cell->cfg.guest.memory_mib,
                       vmb_storage_name(cell->cfg.guest.storage));
    cell->label = vmb_xstrdup(label->data);
    vmb_id_of(&e->vm_ids, &cell->cfg, &e->scratch, cell->id);
    if (vmb_implied_check(e->implied, x->file, cell, x->err) < 0)
        return -1;
    if (check_fs_args(x, cell) < 0 || check_vm_node2(x, cell) < 0)
        return -1;
    return check_engine(x, cell);
}

/*
 * The control of a cell: cells with the same values of the axes that
 * are not VM-only have the same control config, so the control is found
 * by those values (a mixed-radix index) instead of by comparing configs.
 */
static void
attach_control(struct expansion *e, const size_t *idx, struct vmb_cell *cell)
{
    const struct vmb_expand *x = e->x;
    struct vmb_matrix *m = x->m;
    size_t key = 0;
    for (size_t i = 0; i < x->naxes; i++)
        if (!is_vm_only(x, &x->axes[i]))
            key = key * x->axes[i].nvalues + idx[i];
    if (e->control_of[key] != SIZE_MAX) {
        cell->control = e->control_of[key];
        return;
    }
    size_t k = m->ncontrols++;
    struct vmb_cell *ctl = &m->controls[k];
    ctl->kind = VMB_CELL_CONTROL;
    ctl->control = SIZE_MAX;
    /* control_config(cell) without copying the cell and then the
     * defaults over it: the control of the base, and the values of the
     * axes a control keeps. */
    memcpy(&ctl->cfg, &m->control_base, sizeof(ctl->cfg));
    for (size_t i = 0; i < x->naxes; i++) {
        const struct vmb_axis *a = &x->axes[i];
        if (!is_vm_only(x, a))
            set_axis(a, a->values[idx[i]], &ctl->cfg);
    }
    ctl->cfg.guest.vcpus = cell->cfg.guest.vcpus;
    ctl->cfg.guest.memory_mib = cell->cfg.guest.memory_mib;
    vmb_id_of(&e->control_ids, &ctl->cfg, &e->scratch, ctl->id);
    struct vmb_buf *label = &e->label;
    label->len = 0;
    vmb_buf_puts(label, "baremetal");
    bool vcpus = false, memory = false;
    for (size_t i = 0; i < x->naxes; i++) {
        const struct vmb_axis *a = &x->axes[i];
        if (is_vm_only(x, a))
            continue;
        vmb_buf_puts(label, " ");
        vmb_buf_puts(label, a->label);
        vmb_buf_puts(label, "=");
        vmb_buf_puts(label, a->values[idx[i]]);
        vcpus = vcpus || strcmp(a->label, "vcpus") == 0;
        memory = memory || strcmp(a->label, "memory") == 0;
    }
    if (!vcpus)
        vmb_buf_printf(label, " vcpus=%" PRId64, ctl->cfg.guest.vcpus);
    if (!memory)
        vmb_buf_printf(label, " memory=%" PRIu64, ctl->cfg.guest.memory_mib);
    ctl->label = vmb_xstrdup(label->data);
    e->control_of[key] = k;
    cell->control = k;
}

static void
expansion_init(struct expansion *e, const struct vmb_expand *x, size_t total)
{
    *e = (struct expansion){.x = x};
    e->implied = vmb_implied_new(x->given, x->ngiven);
    e->vm_ids.kind = VMB_CELL_VM;
    e->control_ids.kind = VMB_CELL_CONTROL;
    const struct vmb_section *guest = vmb_section_find("guest");
    for (size_t i = 0; i < x->naxes; i++) {
        const struct vmb_axis *a = &x->axes[i];
        vmb_id_template_hole(&e->vm_ids, a->sec, a->opt);
        if (!is_vm_only(x, a))
            vmb_id_template_hole(&e->control_ids, a->sec, a->opt);
    }
    vmb_id_template_hole(
        &e->control_ids, guest,
        vmb_option_find(guest->options, guest->noptions, "vcpus"));
    vmb_id_template_hole(
        &e->control_ids, guest,
        vmb_option_find(guest->options, guest->noptions, "memory"));
    struct vmb_config def;
    vmb_config_defaults(&def);
    control_config(x->base, &def, may_run_fio(x), &x->m->control_base);
    vmb_config_free(&def);
    vmb_id_template_init(&e->vm_ids, x->base);
    vmb_id_template_init(&e->control_ids, &x->m->control_base);
    e->control_of = vmb_xmalloc(total * sizeof(*e->control_of));
    for (size_t i = 0; i < total; i++)
        e->control_of[i] = SIZE_MAX;
}

static void
expansion_free(struct expansion *e)
{
    vmb_id_template_free(&e->vm_ids);
    vmb_id_template_free(&e->control_ids);
    free(e->control_of);
    vmb_buf_free(&e->scratch);
    vmb_buf_free(&e->label);
    vmb_implied_free(e->implied);
}

int
vmb_matrix_expand(const struct vmb_expand *x)
{
    struct vmb_matrix *m = x->m;
    if (x->naxes > VMB_MATRIX_MAX_AXES)
        return vmb_matrix_fail(x->err, x->file, x->pos, "matrix",
                               "%zu axes, more than the limit of %d", x->naxes,
                               VMB_MATRIX_MAX_AXES);
    size_t total = 1;
    for (size_t i = 0; i < x->naxes; i++) {
        if (x->axes[i].nvalues > VMB_MATRIX_MAX_CELLS / total)
            return vmb_matrix_fail(x->err, x->file, x->pos, "matrix",
                                   "the axes make more than %d "
                                   "combinations, the limit",
                                   VMB_MATRIX_MAX_CELLS);
        total *= x->axes[i].nvalues;
    }
    autofree uint64_t *excluded = vmb_xcalloc((total + 63) / 64, 8);
    size_t ncells = total - mark_excluded(x, total, excluded);
    for (size_t r = 0; r < x->nrules; r++)
        for (size_t j = 0; j < x->rules[r].naxes; j++)
            if (x->rules[r].value[j] == SIZE_MAX) {
                vmb_matrix_warn(m, x->file, x->rules[r].pos,
                                "exclude entry matches no combination of "
                                "the axes");
                break;
            }
    if (ncells == 0)
        return vmb_matrix_fail(x->err, x->file, x->pos, "exclude",
                               "every combination is excluded; the matrix "
                               "has zero cells");
    if (check_limits(x, ncells) < 0)
        return -1;

    m->cells = vmb_xcalloc(ncells, sizeof(*m->cells));
    m->cell_values = vmb_xcalloc(ncells * (x->naxes ? x->naxes : 1),
                                 sizeof(*m->cell_values));
    m->controls = vmb_xcalloc(ncells, sizeof(*m->controls));
    struct expansion e;
    expansion_init(&e, x, total);
    size_t idx[VMB_MATRIX_MAX_AXES] = {0};
    int rc = 0;
    for (size_t c = 0; c < total && rc == 0; c++) {
        if (excluded[c / 64] & (1ull << (c % 64)))
            continue;
        /* Last axis varies fastest, like nested loops in file order. */
        size_t rest = c;
        for (size_t i = x->naxes; i-- > 0;) {
            idx[i] = rest % x->axes[i].nvalues;
            rest /= x->axes[i].nvalues;
        }
        struct vmb_cell *cell = &m->cells[m->ncells++];
        rc = make_cell(&e, idx, cell);
        if (rc == 0 && cell->cfg.control.baremetal)
            attach_control(&e, idx, cell);
    }
    expansion_free(&e);
    if (rc < 0)
        return -1;
    uint64_t reps = (uint64_t)x->base->top.repetitions;
    uint64_t runs = (uint64_t)(m->ncells + m->ncontrols) * reps;
    if (runs > VMB_MATRIX_MAX_RUNS)
        return vmb_matrix_fail(x->err, x->file, x->pos, "matrix",
                               "(%zu cells + %zu controls) x %" PRIu64
                               " repetitions are %" PRIu64 " runs, more "
                               "than the limit of %d",
                               m->ncells, m->ncontrols, reps, runs,
                               VMB_MATRIX_MAX_RUNS);
    return 0;
}

void
vmb_axes_free(struct vmb_axis *axes, size_t n)
{
    if (axes == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(axes[i].path);
        free(axes[i].label);
        for (size_t j = 0; j < axes[i].nvalues; j++)
            free(axes[i].values[j]);
        free(axes[i].values);
        vmb_strmap_free(&axes[i].index);
    }
    free(axes);
}

void
vmb_excludes_free(struct vmb_exclude *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].value);
        free(r[i].axis);
    }
    free(r);
}

/* Frees what a cell owns: its label. */
static void
free_cell(struct vmb_cell *c)
{
    free(c->label);
}

void
vmb_matrix_free(struct vmb_matrix *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->ncells; i++)
        free_cell(&m->cells[i]);
    for (size_t i = 0; i < m->ncontrols; i++)
        free_cell(&m->controls[i]);
    free(m->cells);
    free(m->controls);
    free(m->kata_path);
    free(m->kata_unmodelled);
    vmb_axes_free(m->axes, m->naxes);
    free(m->cell_values);
    for (size_t i = 0; i < m->naxes; i++)
        free(m->axis_paths[i]);
    free(m->axis_paths);
    for (size_t i = 0; i < m->nwarnings; i++)
        free(m->warnings[i]);
    free(m->warnings);
    vmb_config_free(&m->control_base);
    vmb_config_free(&m->base);
    free(m->path);
    free(m->name);
    free(m);
}
