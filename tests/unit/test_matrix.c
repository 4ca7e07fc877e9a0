#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "config/hosts.h"
#include "config/matrix.h"
#include "config/plan.h"

#define GOLDEN VMB_TEST_DATA "/golden/matrix"

static struct vmb_matrix *
load(const char *name, const char *text)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    int r = vmb_matrix_load_buffer(name, text, strlen(text), &m, &err);
    cr_assert_eq(r, 0, "%s: %s", name, err ? err->msg : "?");
    return m;
}

static char *
load_error(const char *name, const char *text)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    int r = vmb_matrix_load_buffer(name, text, strlen(text), &m, &err);
    cr_assert_eq(r, -1, "%s should not load", name);
    cr_assert_null(m);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    char *msg = vmb_xstrdup(err->msg);
    vmb_error_free(err);
    return msg;
}

/*
 * Golden error messages: every tests/golden/matrix/<case>.yaml is a
 * malformed file (its first line says what it proves) and <case>.expected
 * holds the exact message a user sees.
 */
Test(matrix, golden_error_messages)
{
    DIR *d = opendir(GOLDEN);
    cr_assert_not_null(d);
    struct dirent *de;
    int cases = 0;
    while ((de = readdir(d)) != NULL) {
        if (!vmb_str_has_suffix(de->d_name, ".yaml"))
            continue;
        char *path = vmb_xasprintf("%s/%s", GOLDEN, de->d_name);
        char *exp_path =
            vmb_xasprintf("%.*s.expected", (int)(strlen(path) - 5), path);
        char *text = NULL, *expected = NULL;
        cr_assert_eq(vmb_read_file(path, &text, NULL, NULL), 0);
        cr_assert_eq(vmb_read_file(exp_path, &expected, NULL, NULL), 0,
                     "missing %s", exp_path);
        expected[strcspn(expected, "\n")] = '\0';
        char *msg = load_error(de->d_name, text);
        cr_expect_str_eq(msg, expected, "%s", de->d_name);
        free(msg);
        free(text);
        free(expected);
        free(path);
        free(exp_path);
        cases++;
    }
    closedir(d);
    cr_assert_geq(cases, 15, "golden cases found: %d", cases);
}

Test(matrix, missing_file_is_input_error)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_matrix_load("/nonexistent/m.yaml", &m, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert(strstr(err->msg, "/nonexistent/m.yaml") != NULL, "%s", err->msg);
    vmb_error_free(err);
}

Test(matrix, cartesian_product_and_exclude)
{
    struct vmb_matrix *m =
        load("x.yaml", "matrix:\n"
                       "  vcpus: [1, 4]\n"
                       "  iothreads: [false, true]\n"
                       "  storage: [9p, local]\n"
                       "exclude:\n"
                       "  - { storage: 9p, iothreads: true }\n");
    cr_assert_eq(m->ncells, 6);
    cr_assert_str_eq(m->cells[0].label, "vcpus=1 iothreads=off storage=9p");
    cr_assert_str_eq(m->cells[1].label, "vcpus=1 iothreads=off storage=local");
    cr_assert_str_eq(m->cells[2].label, "vcpus=1 iothreads=on storage=local");
    for (size_t i = 0; i < m->ncells; i++)
        cr_assert(!(m->cells[i].cfg.guest.storage == VMB_STORAGE_9P &&
                    m->cells[i].cfg.guest.iothreads),
                  "excluded combination present: %s", m->cells[i].label);
    /* One control per vCPU count: storage and iothreads are VM-only. */
    cr_assert_eq(m->ncontrols, 2);
    cr_assert_eq(m->cells[0].control, m->cells[2].control);
    cr_assert_neq(m->cells[0].control, m->cells[5].control);
    cr_assert_eq(m->nwarnings, 0);
    vmb_matrix_free(m);
}

Test(matrix, exclude_matching_nothing_warns)
{
    struct vmb_matrix *m = load("w.yaml", "matrix:\n"
                                          "  vcpus: [1, 2]\n"
                                          "exclude:\n"
                                          "  - { vcpus: 3 }\n");
    cr_assert_eq(m->ncells, 2);
    cr_assert_eq(m->nwarnings, 1);
    cr_assert_str_eq(m->warnings[0], "w.yaml:4:5: warning: exclude entry "
                                     "matches no combination of the axes");
    vmb_matrix_free(m);
}

Test(matrix, kata_aliases_and_dotted_paths)
{
    struct vmb_matrix *m =
        load("a.yaml", "matrix:\n"
                       "  default_vcpus: [2]\n"
                       "  default_memory: [3G]\n"
                       "  enable_iothreads: [on]\n"
                       "  shared_fs: [virtio-9p]\n"
                       "  block_device_driver: [virtio-blk]\n"
                       "  load.connections: [50, 200]\n"
                       "  database.appendfsync: [always]\n");
    cr_assert_eq(m->ncells, 2);
    const struct vmb_config *c = &m->cells[1].cfg;
    cr_assert_eq(c->guest.vcpus, 2);
    cr_assert_eq(c->guest.memory_mib, 3072);
    cr_assert(c->guest.iothreads);
    cr_assert_eq(c->guest.shared_fs, VMB_SHAREDFS_9P);
    cr_assert_eq(c->guest.blk_driver, VMB_BLKDRV_VIRTIO_BLK);
    /* Kata's default storage: local data on the shared root filesystem. */
    cr_assert_eq(vmb_config_placement(c), VMB_STORAGE_9P);
    cr_assert_eq(c->load.connections, 200);
    cr_assert_eq(c->database.appendfsync, VMB_FSYNC_ALWAYS);
    cr_assert_str_eq(m->cells[1].label,
                     "vcpus=2 memory=3072 iothreads=on shared_fs=virtio-9p "
                     "blk_driver=virtio-blk load.connections=200 "
                     "database.appendfsync=always");
    /* Load options are not VM-only: each connection count has a control. */
    cr_assert_eq(m->ncontrols, 2);
    vmb_matrix_free(m);
}

/* The same cells whatever the key order, spacing, quoting or units. */
Test(matrix, ids_stable_under_reformatting)
{
    struct vmb_matrix *a =
        load("a.yaml", "name: one\n"
                       "guest: {memory: 1024, vcpus: 2}\n"
                       "load:\n  warmup: 5s\n  connections: 50\n"
                       "matrix:\n  storage: [9p, local]\n");
    struct vmb_matrix *b =
        load("b.yaml", "# a comment\n"
                       "load:   {connections: \"50\", warmup: 5000ms}\n"
                       "matrix:\n"
                       "  guest.storage:\n    - '9p'\n    - local\n"
                       "guest:\n  vcpus: 2\n  memory: 1G\n"
                       "name: renamed\n");
    cr_assert_eq(a->ncells, 2);
    cr_assert_eq(b->ncells, 2);
    for (size_t i = 0; i < 2; i++)
        cr_assert_str_eq(a->cells[i].id, b->cells[i].id);
    cr_assert_str_eq(a->controls[0].id, b->controls[0].id);
    cr_assert_eq(strlen(a->cells[0].id), 12);
    cr_assert_str_neq(a->cells[0].id, a->cells[1].id);
    cr_assert_str_neq(a->cells[0].id, a->controls[0].id);
    vmb_matrix_free(a);
    vmb_matrix_free(b);
}

Test(matrix, ids_change_with_any_option)
{
    const char *variants[] = {
        "guest: {vcpus: 2}\n",
        "guest: {vcpus: 3}\n",
        "guest: {vcpus: 2, msize_9p: 256k}\n",
        "guest: {vcpus: 2}\nload: {value_size: 512}\n",
        "guest: {vcpus: 2}\ndatabase: {appendonly: false}\n",
        "guest: {vcpus: 2}\nload: {phases: [{op: write, n: 10}]}\n",
        "guest: {vcpus: 2}\nload: {phases: [{op: write, n: 11}]}\n",
    };
    size_t n = sizeof(variants) / sizeof(variants[0]);
    char ids[16][13];
    for (size_t i = 0; i < n; i++) {
        struct vmb_matrix *m = load("v.yaml", variants[i]);
        cr_assert_eq(m->ncells, 1);
        memcpy(ids[i], m->cells[0].id, 13);
        vmb_matrix_free(m);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            cr_assert_str_neq(ids[i], ids[j], "variants %zu and %zu", i, j);
}

Test(matrix, defaults_and_name)
{
    struct vmb_matrix *m = load("configs/my-test.yaml", "guest: {vcpus: 1}\n");
    cr_assert_str_eq(m->name, "my-test");
    cr_assert_eq(m->base.top.repetitions, 3);
    cr_assert_eq(m->base.load.connections, 50);
    cr_assert_eq(m->base.load.warmup_us, 0);
    cr_assert_str_eq(m->base.network.subnet, "10.213.0.0/24");
    cr_assert_eq(m->base.nphases, 2);
    cr_assert_eq(m->ncontrols, 1);
    vmb_matrix_free(m);
}

Test(matrix, no_control_when_baremetal_off)
{
    struct vmb_matrix *m = load("n.yaml", "control: {baremetal: no}\n"
                                          "matrix: {vcpus: [1, 2]}\n");
    cr_assert_eq(m->ncontrols, 0);
    cr_assert_eq(m->cells[0].control, SIZE_MAX);
    vmb_matrix_free(m);
}

Test(plan, interleaved_sequential_random)
{
    struct vmb_matrix *m = load("p.yaml", "repetitions: 2\n"
                                          "matrix: {storage: [9p, local]}\n");
    struct vmb_plan *p = NULL;
    cr_assert_eq(vmb_plan_build(m, &p, NULL), 0);
    cr_assert_eq(p->nruns, 6);
    /* interleaved: every cell and control at rep 1 before any rep 2 */
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(p->runs[i].rep, 1);
    for (size_t i = 3; i < 6; i++)
        cr_assert_eq(p->runs[i].rep, 2);
    cr_assert_eq(p->runs[0].cell->kind, VMB_CELL_CONTROL);
    char *dir = vmb_plan_run_dir(&p->runs[1]);
    char *exp = vmb_xasprintf("cells/%s/rep1", m->cells[0].id);
    cr_assert_str_eq(dir, exp);
    free(dir);
    free(exp);
    vmb_plan_free(p);
    vmb_matrix_free(m);

    m = load("s.yaml", "repetitions: 2\norder: sequential\n"
                       "matrix: {storage: [9p, local]}\n");
    cr_assert_eq(vmb_plan_build(m, &p, NULL), 0);
    cr_assert_eq(p->runs[0].rep, 1);
    cr_assert_eq(p->runs[1].rep, 2);
    cr_assert_eq(p->runs[0].cell, p->runs[1].cell);
    vmb_plan_free(p);
    vmb_matrix_free(m);

    /* random: the same seed gives the same order; the seed is recorded */
    const char *r = "repetitions: 5\norder: random\nseed: 42\n"
                    "matrix: {storage: [9p, local, tmpfs]}\n";
    struct vmb_matrix *m1 = load("r.yaml", r), *m2 = load("r.yaml", r);
    struct vmb_plan *p1 = NULL, *p2 = NULL;
    cr_assert_eq(vmb_plan_build(m1, &p1, NULL), 0);
    cr_assert_eq(vmb_plan_build(m2, &p2, NULL), 0);
    cr_assert_eq(p1->seed, 42);
    bool moved = false;
    for (size_t i = 0; i < p1->nruns; i++) {
        cr_assert_str_eq(p1->runs[i].cell->id, p2->runs[i].cell->id);
        cr_assert_eq(p1->runs[i].rep, p2->runs[i].rep);
        /* rounds stay in order: repetition k before k+1 */
        cr_assert_eq(p1->runs[i].rep, (int)(i / 4) + 1);
        size_t k = i % 4;
        const struct vmb_cell *in_order =
            k == 0 ? &m1->controls[0] : &m1->cells[k - 1];
        if (p1->runs[i].cell != in_order)
            moved = true;
    }
    cr_assert(moved, "random order equals interleaved order");
    vmb_plan_free(p1);
    vmb_plan_free(p2);
    vmb_matrix_free(m1);
    vmb_matrix_free(m2);
}

Test(config, effective_config_json_names_every_option)
{
    struct vmb_config c;
    vmb_config_defaults(&c);
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_config_to_json(&w, &c);
    char *s = vmb_jw_steal(&w);
    cr_assert(strstr(s, "\"guest\":{\"kernel\":\"auto\",\"vcpus\":\"1\"") !=
                  NULL,
              "%s", s);
    cr_assert(strstr(s, "\"warmup\":\"0s\"") != NULL, "%s", s);
    /* Kata's template defaults. */
    cr_assert(strstr(s, "\"msize_9p\":\"8k\"") != NULL, "%s", s);
    cr_assert(strstr(s, "\"blk_driver\":\"virtio-scsi\"") != NULL, "%s", s);
    cr_assert(strstr(s, "\"blk_aio\":\"io_uring\"") != NULL, "%s", s);
    cr_assert(strstr(s, "\"cpu_features\":\"pmu=off\"") != NULL, "%s", s);
    cr_assert(strstr(s, "\"virtio_fs_queue_size\":\"1024\"") != NULL, "%s", s);
    cr_assert(strstr(s, "\"phases\":[{\"op\":\"write\"") != NULL, "%s", s);
    for (size_t i = 0; i < vmb_nsections; i++)
        for (size_t j = 0; j < vmb_sections[i].noptions; j++) {
            char *key =
                vmb_xasprintf("\"%s\":", vmb_sections[i].options[j].name);
            cr_assert(strstr(s, key) != NULL, "missing %s", key);
            free(key);
        }
    free(s);
    vmb_config_free(&c);
}

Test(config, suggestions)
{
    const struct vmb_section *load_sec = vmb_section_find("load");
    cr_assert_str_eq(
        vmb_option_suggest(load_sec->options, load_sec->noptions, "conections"),
        "connections");
    cr_assert_str_eq(
        vmb_option_suggest(load_sec->options, load_sec->noptions, "pipline"),
        "pipeline");
    cr_assert_null(vmb_option_suggest(load_sec->options, load_sec->noptions,
                                      "zzzzzzzzzz"));
}

/* The exact `vmbench plan` output of a golden matrix (see its comment). */
Test(plan, golden_plan_output)
{
    char *cmd = vmb_xasprintf("cd %s/golden/plan && %s plan expand.yaml",
                              VMB_TEST_DATA, VMB_BINARY);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    struct vmb_buf out = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        vmb_buf_append(&out, chunk, n);
    cr_assert_eq(pclose(f), 0);
    char *expected = NULL;
    cr_assert_eq(vmb_read_file(VMB_TEST_DATA "/golden/plan/expand.txt",
                               &expected, NULL, NULL),
                 0);
    cr_assert_str_eq(out.data, expected);
    free(expected);
    vmb_buf_free(&out);
    free(cmd);
}

/* ---- hardening: what run would refuse, limits, linear time ---- */

static double
seconds_since(uint64_t t0)
{
    return (double)(vmb_now_ns() - t0) / 1e9;
}

/* "[1, 2, ..., n]" */
static void
put_list(struct vmb_buf *b, long first, long n)
{
    vmb_buf_puts(b, "[");
    for (long i = 0; i < n; i++)
        vmb_buf_printf(b, "%s%ld", i ? ", " : "", first + i);
    vmb_buf_puts(b, "]");
}

static char *
load_error_buf(const char *name, const struct vmb_buf *b)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    int r = vmb_matrix_load_buffer(name, b->data, b->len, &m, &err);
    cr_assert_eq(r, -1, "%s should not load", name);
    cr_assert_null(m);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    char *msg = vmb_xstrdup(err->msg);
    vmb_error_free(err);
    return msg;
}

/* The run name becomes a directory name: a label, never a path. */
Test(matrix, name_is_a_label)
{
    static const char *const bad[] = {
        "\"\"", "a/b", "\"a b\"", ".hidden", "..", "\"x;y\"", "\"\\u00e9\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *text = vmb_xasprintf("name: %s\n", bad[i]);
        char *msg = load_error("n.yaml", text);
        cr_expect(vmb_str_has_prefix(msg, "n.yaml:1:7: name: expected a name "
                                          "of 1 to 100 letters"),
                  "%s: %s", bad[i], msg);
        free(msg);
        free(text);
    }
    struct vmb_matrix *m = load("n.yaml", "name: Kata_tuning-2.1\n");
    cr_assert_str_eq(m->name, "Kata_tuning-2.1");
    vmb_matrix_free(m);
    /* Without name:, a safe name is made from the file name. */
    m = load("some dir/my run;1.yaml", "guest: {vcpus: 1}\n");
    cr_assert_str_eq(m->name, "my_run_1");
    vmb_matrix_free(m);
    m = load(".yaml", "guest: {vcpus: 1}\n");
    cr_assert_str_eq(m->name, "yaml");
    vmb_matrix_free(m);
}

/* Control characters never reach a string option, from YAML or k=v. */
Test(option, strings_refuse_control_characters)
{
    const struct vmb_section *hv = vmb_section_find("hypervisor");
    const struct vmb_option *machine =
        vmb_option_find(hv->options, hv->noptions, "machine");
    struct vmb_hypervisor_opts h = {0};
    static const char *const bad[] = {"q35\n", "a\rb", "\x1b[31mred", "t\tab",
                                      "del\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vmb_error *err = NULL;
        cr_assert_eq(vmb_option_parse(machine, bad[i], &h, &err), -1, "%zu", i);
        cr_assert(vmb_str_has_prefix(err->msg, "expected a string without "
                                               "control characters"),
                  "%s", err->msg);
        /* The value is shown with the control character made visible. */
        for (const char *p = err->msg; *p; p++)
            cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f, "%s", err->msg);
        vmb_error_free(err);
    }
    cr_assert_null(h.machine);
    cr_assert_eq(vmb_option_parse(machine, "pc-q35-8.2 \xc3\xa9", &h, NULL), 0);
    free(h.machine);
}

/* A positive rate that would round to 0 would silently mean closed loop. */
Test(option, rate_rounding_to_zero_is_refused)
{
    const struct vmb_option *rate =
        vmb_option_find(vmb_load_options, vmb_nload_options, "rate");
    struct vmb_load_opts o = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_option_parse(rate, "0.4", &o, &err), -1);
    cr_assert_str_eq(err->msg, "rate \"0.4\" rounds to 0 per second, which "
                               "means closed loop; give 0 for closed loop or "
                               "at least 1");
    vmb_error_free(err);
    cr_assert_eq(vmb_option_parse(rate, "0.5", &o, NULL), 0);
    cr_assert_eq(o.rate_per_s, 1);
    cr_assert_eq(vmb_option_parse(rate, "0", &o, NULL), 0);
    cr_assert_eq(o.rate_per_s, 0);
}

Test(matrix, usable_subnets_pass)
{
    static const char *const good[] = {"10.213.0.0/24", "10.0.0.0/8",
                                       "192.168.7.8/29", "172.16.0.0/12"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *text = vmb_xasprintf("network: {subnet: %s}\n", good[i]);
        struct vmb_matrix *m = load("s.yaml", text);
        cr_assert_str_eq(m->base.network.subnet, good[i]);
        vmb_matrix_free(m);
        free(text);
    }
    static const char *const bad[] = {
        "010.0.0.0/24", "10.0.0.0/024", "10.0.0.0/7", "0.1.0.0/16",
        "240.0.0.0/8",  "10.0.0.0/24 ", "126.0.0.0/7"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *text = vmb_xasprintf("network: {subnet: \"%s\"}\n", bad[i]);
        char *msg = load_error("s.yaml", text);
        cr_expect(vmb_str_has_prefix(msg, "s.yaml:1:19: network.subnet: "),
                  "%s", msg);
        free(msg);
        free(text);
    }
}

/* hosts.control_node2 is handed to ssh: only ssh://[user@]host[:port]
 * with plain names, nothing ssh could take for an option. */
Test(matrix, control_node2_is_an_ssh_destination)
{
    static const char *const good[] = {"", "ssh://replica",
                                       "ssh://bench@10.0.0.2",
                                       "ssh://bench@replica.lan:2222"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *text = vmb_xasprintf("hosts: {control_node2: \"%s\"}\n", good[i]);
        struct vmb_matrix *m = load("h.yaml", text);
        cr_assert_str_eq(m->base.hosts.control_node2, good[i]);
        vmb_matrix_free(m);
        free(text);
    }
    static const char *const bad[] = {
        "replica",          "ssh://-oProxyCommand=x", "ssh://a b@host",
        "ssh://user@",      "ssh://host:0",           "ssh://host:22x",
        "qemu+ssh://host/", "ssh://u@-host",          "ssh://host;reboot"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *text = vmb_xasprintf("hosts: {control_node2: \"%s\"}\n", bad[i]);
        char *msg = load_error("h.yaml", text);
        cr_expect(vmb_str_has_prefix(msg, "h.yaml:1:24: hosts.control_node2: "
                                          "expected \"\" (this host) or an "
                                          "ssh destination"),
                  "%s", msg);
        free(msg);
        free(text);
    }
}

/* hosts.vm_node2 is handed to libvirt, whose ssh transport runs ssh: a
 * qemu+ssh:// or qemu+tcp:// URI of another host with plain names. */
Test(matrix, vm_node2_is_a_libvirt_uri_of_another_host)
{
    static const char *const good[] = {"", "qemu+ssh://bench@replica/system",
                                       "qemu+tcp://10.0.0.2:16509/system"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *text = vmb_xasprintf("guest: {storage: block}\n"
                                   "hosts: {vm_node2: \"%s\"}\n",
                                   good[i]);
        struct vmb_matrix *m = load("h.yaml", text);
        cr_assert_str_eq(m->base.hosts.vm_node2, good[i]);
        cr_assert_str_eq(m->controls[0].cfg.hosts.vm_node2, "");
        vmb_matrix_free(m);
        free(text);
    }
    static const char *const bad[] = {"replica",
                                      "qemu:///system",
                                      "qemu+ssh:///system",
                                      "ssh://bench@host",
                                      "qemu+ssh://-oProxyCommand=x/system",
                                      "qemu+ext://h/system",
                                      "qemu+ssh://h;reboot/system"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *text = vmb_xasprintf("hosts: {vm_node2: \"%s\"}\n", bad[i]);
        char *msg = load_error("h.yaml", text);
        cr_expect(vmb_str_has_prefix(msg, "h.yaml:1:19: hosts.vm_node2: "
                                          "expected a libvirt URI"),
                  "%s", msg);
        free(msg);
        free(text);
    }
}

/* A remote node 2 gets disk volumes there, and a virtio-fs share made
 * there over ssh: a 9p share, a virtio-fs share over qemu+tcp://, a
 * daemon word libvirt's <binary> cannot say, or no node 2 is refused
 * with the key and the cell. */
Test(matrix, vm_node2_refuses_shares_it_cannot_make_and_one_node_engines)
{
    char *msg = load_error("h.yaml", "hosts: {vm_node2: "
                                     "\"qemu+ssh://there/system\"}\n"
                                     "guest: {storage: 9p}\n");
    cr_expect(strstr(msg, "hosts.vm_node2: cell ") != NULL, "%s", msg);
    cr_expect(strstr(msg, "shares a directory over 9p") != NULL, "%s", msg);
    free(msg);
    msg = load_error("h.yaml", "hosts: {vm_node2: "
                               "\"qemu+tcp://there/system\"}\n"
                               "guest: {storage: shared}\n");
    cr_expect(strstr(msg, "h.yaml:1:9: hosts.vm_node2: cell ") != NULL, "%s",
              msg);
    cr_expect(strstr(msg, "makes on node 2's host over ssh") != NULL, "%s",
              msg);
    free(msg);
    msg = load_error("h.yaml", "hosts: {vm_node2: "
                               "\"qemu+ssh://there/system\"}\n"
                               "guest: {virtio_fs_extra_args: --writeback}\n");
    cr_expect(vmb_str_has_prefix(msg, "h.yaml:2:"), "%s", msg);
    cr_expect(strstr(msg, "guest.virtio_fs_extra_args: \"--writeback\": "
                          "libvirt starts") != NULL,
              "%s", msg);
    free(msg);
    /* Kata's default cell (its root and data over virtio-fs) runs there. */
    struct vmb_matrix *m = load("h.yaml", "hosts: {vm_node2: "
                                          "\"qemu+ssh://there/system\"}\n");
    cr_assert_eq(vmb_config_share(&m->cells[0].cfg), VMB_STORAGE_VIRTIOFS);
    vmb_matrix_free(m);
    msg = load_error("h.yaml", "hosts: {vm_node2: "
                               "\"qemu+tcp://there/system\"}\n"
                               "guest: {storage: block}\n"
                               "database: {engine: fio}\n"
                               "load: {phases: [{op: randread-4k, "
                               "duration: 1s}]}\n");
    cr_expect(strstr(msg, "hosts.vm_node2: database.engine fio has no node "
                          "2") != NULL,
              "%s", msg);
    free(msg);
}

/* Node 2's network there needs a subnet of its own: one that overlaps
 * network.subnet is refused with its key; a shapeless one too. */
Test(matrix, vm_node2_subnet_is_its_own)
{
    char *msg = load_error("h.yaml", "hosts: {vm_node2: "
                                     "\"qemu+tcp://there/system\", "
                                     "vm_node2_subnet: 10.213.0.128/25}\n"
                                     "guest: {storage: block}\n");
    cr_expect(strstr(msg, "hosts.vm_node2_subnet: \"10.213.0.128/25\" "
                          "overlaps network.subnet \"10.213.0.0/24\"") != NULL,
              "%s", msg);
    free(msg);
    msg = load_error("h.yaml", "hosts: {vm_node2_subnet: 10.213.1.1/24}\n");
    cr_expect(strstr(msg, "hosts.vm_node2_subnet: subnet \"10.213.1.1/24\" "
                          "has host bits set") != NULL,
              "%s", msg);
    free(msg);
    struct vmb_matrix *m = load("h.yaml", "hosts: {vm_node2: "
                                          "\"qemu+tcp://there/system\"}\n"
                                          "guest: {storage: block}\n"
                                          "network: {subnet: 10.9.0.0/16}\n");
    char sub[32];
    cr_assert_eq(vmb_hosts_vm_node2_subnet(&m->cells[0].cfg, sub, sizeof(sub)),
                 0);
    cr_assert_str_eq(sub, "10.10.0.0/16");
    vmb_matrix_free(m);
}

/* Two 100-value axes and 1000 repetitions: 661 bytes, 10^7 runs. */
Test(matrix, runs_over_the_limit_refused_at_once, .timeout = 60)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "repetitions: 1000\nmatrix:\n  load.connections: ");
    put_list(&b, 1, 100);
    vmb_buf_puts(&b, "\n  load.pipeline: ");
    put_list(&b, 1, 100);
    vmb_buf_puts(&b, "\n");
    uint64_t t0 = vmb_now_ns();
    char *msg = load_error_buf("r.yaml", &b);
    cr_assert_lt(seconds_since(t0), 2.0);
    cr_assert_str_eq(msg, "r.yaml:3:3: matrix: 10000 cells x 1000 "
                          "repetitions are 10000000 runs, more than the limit "
                          "of 1000000");
    free(msg);
    vmb_buf_free(&b);
}

static long
max_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 10^4 aliased phases in each of 1000 cells: refused before it is built. */
Test(matrix, phases_times_cells_refused_before_allocating, .timeout = 60)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "load:\n  phases:\n    - &p { op: write, n: 10 }\n");
    for (int i = 1; i < 10000; i++)
        vmb_buf_puts(&b, "    - *p\n");
    vmb_buf_puts(&b, "matrix:\n  load.connections: ");
    put_list(&b, 1, 1000);
    vmb_buf_puts(&b, "\n");
    long before = max_rss_kib();
    char *msg = load_error_buf("p.yaml", &b);
    cr_assert_str_eq(msg, "p.yaml:10004:3: matrix: 1000 cells of 10000 "
                          "phases each are 10000000 phases, more than the "
                          "limit of 1000000");
    /* 10^7 phases would take gigabytes. */
    cr_assert_lt(max_rss_kib() - before, 256 * 1024);
    free(msg);
    vmb_buf_free(&b);
}

/* The cell limit lets 10^5 cells through and refuses more, by count. */
Test(matrix, hundred_thousand_cells_plan, .timeout = 300)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "repetitions: 1\nmatrix:\n  load.connections: ");
    put_list(&b, 1, 1000);
    vmb_buf_puts(&b, "\n  load.pipeline: ");
    put_list(&b, 1, 100);
    vmb_buf_puts(&b, "\nexclude:\n");
    for (int i = 1; i <= 100; i++)
        vmb_buf_printf(&b, "  - { load.connections: %d, load.pipeline: %d }\n",
                       i, i);
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_matrix_load_buffer("h.yaml", b.data, b.len, &m, &err), 0,
                 "%s", err ? err->msg : "");
    cr_assert_eq(m->ncells, 100000 - 100);
    cr_assert_eq(m->ncontrols, m->ncells);
    struct vmb_plan *p = NULL;
    cr_assert_eq(vmb_plan_build(m, &p, NULL), 0);
    cr_assert_eq(p->nruns, 2 * m->ncells);
    vmb_plan_free(p);
    vmb_matrix_free(m);
    vmb_buf_free(&b);

    /* One more value on the last axis: refused before its values parse. */
    struct vmb_buf c = {0};
    vmb_buf_puts(&c, "matrix:\n  load.connections: ");
    put_list(&c, 1, 1000);
    vmb_buf_puts(&c, "\n  load.pipeline: ");
    put_list(&c, 1, 101);
    vmb_buf_puts(&c, "\n");
    char *msg = load_error_buf("c.yaml", &c);
    cr_assert_str_eq(msg, "c.yaml:3:18: matrix.load.pipeline: 101 values make "
                          "101000 combinations of the axes, more than the "
                          "limit of 100000 cells");
    free(msg);
    vmb_buf_free(&c);
}

/* An axis of 2*10^5 values (in under 1 MiB) is refused by its count. */
Test(matrix, long_axis_refused_fast, .timeout = 60)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "matrix:\n  hypervisor.machine: [");
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (long i = 0; i < 200000; i++) {
        char v[4] = {digits[i / (62 * 62)], digits[i / 62 % 62], digits[i % 62],
                     0};
        vmb_buf_printf(&b, "%sm%s", i ? "," : "", v);
    }
    vmb_buf_puts(&b, "]\n");
    cr_assert_lt(b.len, 1024 * 1024);
    uint64_t t0 = vmb_now_ns();
    char *msg = load_error_buf("l.yaml", &b);
    cr_assert_lt(seconds_since(t0), 2.0);
    cr_assert_str_eq(msg, "l.yaml:2:23: matrix.hypervisor.machine: 200000 "
                          "values make 200000 combinations of the axes, more "
                          "than the limit of 100000 cells");
    free(msg);
    vmb_buf_free(&b);
}

/* Ids made from a template of the base equal those of vmb_cell_id. */
Test(matrix, cell_ids_equal_the_reference)
{
    struct vmb_matrix *m =
        load("i.yaml", "hypervisor: {machine: \"pc \\\"q35\\\"\"}\n"
                       "load: {phases: [{op: read, n: 5}]}\n"
                       "matrix:\n"
                       "  vcpus: [1, 2]\n"
                       "  hypervisor.emulator: [/usr/bin/qemu, \"a\\\\b\"]\n"
                       "  load.key_prefix: [\"k:\", \"\\\"q\\\"\"]\n"
                       "  storage: [9p, local]\n"
                       "  database.appendfsync: [always, no]\n");
    cr_assert_eq(m->ncells, 32);
    cr_assert_eq(m->ncontrols, 8);
    for (size_t i = 0; i < m->ncells; i++) {
        char id[13];
        vmb_cell_id(&m->cells[i].cfg, VMB_CELL_VM, id);
        cr_assert_str_eq(m->cells[i].id, id, "cell %zu", i);
    }
    for (size_t i = 0; i < m->ncontrols; i++) {
        char id[13];
        vmb_cell_id(&m->controls[i].cfg, VMB_CELL_CONTROL, id);
        cr_assert_str_eq(m->controls[i].id, id, "control %zu", i);
    }
    vmb_matrix_free(m);
}

/* Excluding with more than 64 entries (several words of bits) matches
 * what entry-by-entry comparison gives. */
Test(matrix, exclude_many_entries)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "matrix:\n  load.connections: ");
    put_list(&b, 1, 20);
    vmb_buf_puts(&b, "\n  load.pipeline: ");
    put_list(&b, 1, 10);
    vmb_buf_puts(&b, "\n  storage: [9p, local, tmpfs]\nexclude:\n");
    int rule[130][3]; /* connections, pipeline (0: any), storage (-1: any) */
    static const char *const st[] = {"9p", "local", "tmpfs"};
    for (int r = 0; r < 130; r++) {
        /* Each entry removes something the others do not. */
        rule[r][0] = 1 + r % 20;
        rule[r][1] = r % 7 == 0 ? 0 : 1 + r / 20;
        rule[r][2] = r % 2 == 0 ? -1 : r % 3;
        vmb_buf_printf(&b, "  - { load.connections: %d", rule[r][0]);
        if (rule[r][1])
            vmb_buf_printf(&b, ", load.pipeline: %d", rule[r][1]);
        if (rule[r][2] >= 0)
            vmb_buf_printf(&b, ", storage: %s", st[rule[r][2]]);
        vmb_buf_puts(&b, " }\n");
    }
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_matrix_load_buffer("e.yaml", b.data, b.len, &m, &err), 0,
                 "%s", err ? err->msg : "");
    size_t k = 0;
    for (int c = 1; c <= 20; c++)
        for (int p = 1; p <= 10; p++)
            for (int s = 0; s < 3; s++) {
                bool out = false;
                for (int r = 0; r < 130 && !out; r++)
                    out = rule[r][0] == c && (!rule[r][1] || rule[r][1] == p) &&
                          (rule[r][2] < 0 || rule[r][2] == s);
                if (out)
                    continue;
                cr_assert_lt(k, m->ncells);
                char *label = vmb_xasprintf("load.connections=%d "
                                            "load.pipeline=%d storage=%s",
                                            c, p, st[s]);
                cr_assert_str_eq(m->cells[k].label, label);
                free(label);
                k++;
            }
    cr_assert_eq(k, m->ncells);
    cr_assert_eq(m->nwarnings, 0);
    vmb_matrix_free(m);
    vmb_buf_free(&b);
}

Test(matrix, yaml_bombs_refused)
{
    /* Aliases of aliases: a few hundred bytes standing for 10^9 nodes. */
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++) {
        vmb_buf_printf(&b, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            vmb_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
        vmb_buf_puts(&b, "]\n");
    }
    char *msg = load_error_buf("b.yaml", &b);
    cr_assert(strstr(msg, "more than 1000000 YAML nodes once aliases are "
                          "expanded, the limit") != NULL,
              "%s", msg);
    free(msg);
    vmb_buf_free(&b);

    struct vmb_buf c = {0};
    for (int i = 0; i <= 256; i++)
        vmb_buf_printf(&c, "k%d: &a%d 1\n", i, i);
    msg = load_error_buf("c.yaml", &c);
    cr_assert_str_eq(msg, "c.yaml:257:7: more than 256 anchors (&name), the "
                          "limit");
    free(msg);
    vmb_buf_free(&c);

    /* Deep nesting fails at the limit, not after parsing all of it. */
    struct vmb_buf d = {0};
    vmb_buf_puts(&d, "name: ");
    for (int i = 0; i < 100000; i++)
        vmb_buf_puts(&d, "[");
    uint64_t t0 = vmb_now_ns();
    msg = load_error_buf("d.yaml", &d);
    cr_assert_lt(seconds_since(t0), 2.0);
    cr_assert_str_eq(msg, "d.yaml:1:70: lists and mappings nested deeper "
                          "than 64 levels, the limit");
    free(msg);
    vmb_buf_free(&d);
}

Test(matrix, size_limited_and_endless_files_refused, .timeout = 30)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "name: x\n# ");
    while (b.len <= VMB_MATRIX_MAX_BYTES)
        vmb_buf_puts(&b, "0123456789abcdef");
    char *msg = load_error_buf("big.yaml", &b);
    cr_assert_str_eq(msg, "big.yaml: 1048586 bytes, larger than 1 MiB, the "
                          "limit of a matrix file");
    free(msg);

    char dir[] = "/tmp/vmb-matrix-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *path = vmb_xasprintf("%s/big.yaml", dir);
    cr_assert_eq(vmb_write_file_atomic(path, b.data, b.len, NULL), 0);
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_matrix_load(path, &m, &err), -1);
    char *want = vmb_xasprintf("read matrix file: \"%s\" is larger than 1 MiB, "
                               "the limit",
                               path);
    cr_assert_str_eq(err->msg, want);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    vmb_error_free(err);
    free(want);

    /* Endless inputs: /dev/zero, and a FIFO a writer never stops filling. */
    err = NULL;
    cr_assert_eq(vmb_matrix_load("/dev/zero", &m, &err), -1);
    cr_assert_str_eq(err->msg, "read matrix file: \"/dev/zero\" is larger than "
                               "1 MiB, the limit");
    vmb_error_free(err);
    char *fifo = vmb_xasprintf("%s/fifo.yaml", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(fifo, O_WRONLY);
        static const char line[] = "# comment\n";
        while (fd >= 0 && write(fd, line, sizeof(line) - 1) > 0)
            ;
        _exit(0);
    }
    err = NULL;
    cr_assert_eq(vmb_matrix_load(fifo, &m, &err), -1);
    cr_assert(strstr(err->msg, "is larger than 1 MiB, the limit") != NULL, "%s",
              err->msg);
    vmb_error_free(err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    vmb_rm_rf(dir, NULL);
    free(fifo);
    free(path);
    vmb_buf_free(&b);
}

Test(plan, refuses_more_runs_than_the_limit)
{
    struct vmb_matrix *m = load("p.yaml", "matrix: {vcpus: [1, 2]}\n");
    m->base.top.repetitions = 1000000;
    struct vmb_plan *p = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_plan_build(m, &p, &err), -1);
    cr_assert_null(p);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    vmb_error_free(err);
    vmb_matrix_free(m);
}

/* capacity: { p99: 1ms } and step become the phase's fields, and every
 * cell gets them (the copy goes through the phase option table). */
Test(matrix, capacity_phase)
{
    struct vmb_matrix *m =
        load("cap.yaml", "load:\n"
                         "  phases:\n"
                         "    - { op: write, n: 100 }\n"
                         "    - { op: read, capacity: { p99.9: 2ms }, step: "
                         "3s }\n"
                         "matrix:\n"
                         "  default_vcpus: [1, 2]\n");
    cr_assert_eq(m->ncells, 2);
    for (size_t c = 0; c < m->ncells; c++) {
        const struct vmb_phase *p = &m->cells[c].cfg.phases[1];
        cr_assert_float_eq(p->capacity_percentile, 99.9, 1e-9);
        cr_assert_eq(p->capacity_limit_us, 2000);
        cr_assert_eq(p->step_us, 3000000);
        cr_assert_eq(p->n, 0);
        cr_assert_eq(m->cells[c].cfg.phases[0].capacity_limit_us, 0);
    }
    vmb_matrix_free(m);
}

/* ---- kata: a user's configuration.toml as the base ---- */

Test(matrix, kata_file_is_the_base_below_sections_and_axes)
{
    char dir[] = "/tmp/vmb-test-kata-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    autofree char *toml = vmb_xasprintf("%s/configuration.toml", dir);
    const char *t = "[hypervisor.qemu]\n"
                    "default_memory = 1536\n"
                    "default_vcpus = 2\n"
                    "msize_9p = 65536\n"
                    "enable_debug = true\n"
                    "[runtime]\n"
                    "enable_vcpus_pinning = true\n";
    cr_assert_eq(vmb_write_file_atomic(toml, t, strlen(t), NULL), 0);
    autofree char *yaml = vmb_xasprintf("%s/m.yaml", dir);
    const char *y = "kata: configuration.toml\n"
                    "guest: {vcpus: 1}\n"
                    "matrix:\n  msize_9p: [8k, 512k]\n";
    cr_assert_eq(vmb_write_file_atomic(yaml, y, strlen(y), NULL), 0);
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_matrix_load(yaml, &m, &err), 0, "%s", err ? err->msg : "");
    cr_assert_str_eq(m->kata_path, toml);
    cr_assert_str_eq(m->kata_unmodelled, "enable_debug");
    /* The file's values where the matrix says nothing... */
    cr_assert_eq(m->cells[0].cfg.guest.memory_mib, 1536);
    cr_assert(m->cells[0].cfg.guest.vcpus_pinning);
    /* ...the matrix's sections and axes above them. */
    cr_assert_eq(m->cells[0].cfg.guest.vcpus, 1);
    cr_assert_eq(m->cells[0].cfg.guest.msize_9p_bytes, 8192);
    cr_assert_eq(m->cells[1].cfg.guest.msize_9p_bytes, 524288);
    vmb_matrix_free(m);

    /* --kata replaces the key; a bad value names the TOML file and line. */
    autofree char *bad = vmb_xasprintf("%s/bad.toml", dir);
    const char *b = "[hypervisor.qemu]\n\nblock_device_driver = \"nvdimm\"\n";
    cr_assert_eq(vmb_write_file_atomic(bad, b, strlen(b), NULL), 0);
    cr_assert_lt(vmb_matrix_load_kata(yaml, bad, &m, &err), 0);
    autofree char *want = vmb_xasprintf(
        "%s:3: [hypervisor.qemu] block_device_driver: expected one of "
        "virtio-scsi, virtio-blk, got \"nvdimm\"",
        bad);
    cr_assert_str_eq(err->msg, want);
    vmb_error_free(err);
    vmb_rm_rf(dir, NULL);
}

/*
 * A shorthand's implied value beside the same option given: cells where
 * they agree, or that an exclude entry drops, plan; the effective values
 * are what the cell's Kata settings show. A Kata base file's value is
 * below the matrix, which overrides it.
 */
Test(matrix, shorthand_agrees_or_is_excluded)
{
    struct vmb_matrix *m = load(
        "s.yaml", "matrix:\n"
                  "  blk_driver: [virtio-blk, virtio-scsi]\n"
                  "  storage: [block, virtio-blk]\n"
                  "exclude:\n"
                  "  - { blk_driver: virtio-scsi, storage: virtio-blk }\n");
    cr_assert_eq(m->ncells, 3);
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_cell *c = &m->cells[i];
        bool scsi = strstr(c->label, "blk_driver=virtio-scsi") != NULL;
        cr_assert_eq(vmb_config_blk_driver(&c->cfg),
                     scsi ? VMB_BLKDRV_VIRTIO_SCSI : VMB_BLKDRV_VIRTIO_BLK,
                     "%s", c->label);
    }
    vmb_matrix_free(m);

    char dir[] = "/tmp/vmb-test-short-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    autofree char *toml = vmb_xasprintf("%s/configuration.toml", dir);
    const char *t = "[hypervisor.qemu]\n"
                    "block_device_driver = \"virtio-scsi\"\n"
                    "shared_fs = \"virtio-fs\"\n";
    cr_assert_eq(vmb_write_file_atomic(toml, t, strlen(t), NULL), 0);
    autofree char *yaml = vmb_xasprintf("%s/m.yaml", dir);
    const char *y = "kata: configuration.toml\n"
                    "matrix:\n  storage: [9p, virtio-blk]\n";
    cr_assert_eq(vmb_write_file_atomic(yaml, y, strlen(y), NULL), 0);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_matrix_load(yaml, &m, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(vmb_config_shared_fs(&m->cells[0].cfg), VMB_SHAREDFS_9P);
    cr_assert_eq(vmb_config_blk_driver(&m->cells[1].cfg),
                 VMB_BLKDRV_VIRTIO_BLK);
    vmb_matrix_free(m);
    vmb_rm_rf(dir, NULL);
}

/* `plan` and `options` say whose each engine setting is. */
Test(plan, engine_settings_show_their_engine)
{
    char dir[] = "/tmp/vmb-plan-engine-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *yaml = vmb_xasprintf("%s/m.yaml", dir);
    const char body[] = "name: e\ndatabase:\n  engine: postgres\n"
                        "matrix:\n  database.wal_sync_method: [fsync, "
                        "fdatasync]\n  load.connections: [1, 2]\n";
    cr_assert_eq(vmb_write_file_atomic(yaml, body, strlen(body), NULL), 0);
    char *cmd = vmb_xasprintf("%s plan %s 2>/dev/null; %s options", VMB_BINARY,
                              yaml, VMB_BINARY);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    struct vmb_buf out = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        vmb_buf_append(&out, chunk, n);
    pclose(f);
    cr_assert_not_null(strstr(out.data, "axes: database.wal_sync_method "
                                        "(postgres) load.connections\n"),
                       "%s", out.data);
    cr_assert_not_null(strstr(out.data, "default on, engine: postgres\n"), "%s",
                       out.data);
    cr_assert_not_null(strstr(out.data, "default true, engine: redis\n"), "%s",
                       out.data);
    vmb_buf_free(&out);
    free(cmd);
    unlink(yaml);
    free(yaml);
    rmdir(dir);
}

/* tenants is an axis; its cells and controls keep tenants, and the
 * tenants: 1 cell has the id of the same matrix without the axis. */
Test(matrix, tenants_axis)
{
    struct vmb_matrix *plain = load("p.yaml", "matrix:\n  vcpus: [1, 2]\n");
    struct vmb_matrix *m = load("t.yaml", "matrix:\n"
                                          "  vcpus: [1, 2]\n"
                                          "  tenants: [1, 3]\n");
    cr_assert_eq(m->ncells, 4);
    cr_assert_eq(m->ncontrols, 4);
    cr_assert_str_eq(m->cells[1].label, "vcpus=1 tenants=3");
    cr_assert_eq(m->cells[1].cfg.top.tenants, 3);
    cr_assert_eq(m->controls[m->cells[1].control].cfg.top.tenants, 3);
    cr_assert_str_eq(m->cells[0].id, plain->cells[0].id);
    cr_assert_str_eq(m->cells[2].id, plain->cells[1].id);
    cr_assert_str_eq(m->controls[m->cells[0].control].id,
                     plain->controls[plain->cells[0].control].id);
    cr_assert_str_neq(m->cells[1].id, m->cells[0].id);
    cr_assert_str_neq(m->controls[m->cells[1].control].id,
                      m->controls[m->cells[0].control].id);
    /* The expansion's ids are vmb_cell_id's. */
    for (size_t i = 0; i < m->ncells; i++) {
        char id[13];
        vmb_cell_id(&m->cells[i].cfg, VMB_CELL_VM, id);
        cr_assert_str_eq(id, m->cells[i].id, "%s", m->cells[i].label);
    }
    vmb_matrix_free(plain);
    vmb_matrix_free(m);
    char *msg = load_error("z.yaml", "tenants: 0\n");
    cr_assert_not_null(strstr(msg, "tenants"), "%s", msg);
    free(msg);
    msg = load_error("ports.yaml", "database:\n  port: 65530\ntenants: 4\n");
    cr_assert_not_null(strstr(msg, "65537"), "%s", msg);
    free(msg);
}
