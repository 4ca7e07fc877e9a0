#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "base/util.h"

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
        char *exp_path = vmb_xasprintf("%.*s.expected", (int)(strlen(path) - 5),
                                       path);
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
    struct vmb_matrix *m = load("x.yaml",
                                "matrix:\n"
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
    struct vmb_matrix *m = load("w.yaml",
                                "matrix:\n"
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
    struct vmb_matrix *m = load("a.yaml",
                                "matrix:\n"
                                "  default_vcpus: [2]\n"
                                "  default_memory: [3G]\n"
                                "  enable_iothreads: [on]\n"
                                "  shared_fs: [virtio-fs]\n"
                                "  load.connections: [50, 200]\n"
                                "  database.appendfsync: [always]\n");
    cr_assert_eq(m->ncells, 2);
    const struct vmb_config *c = &m->cells[1].cfg;
    cr_assert_eq(c->guest.vcpus, 2);
    cr_assert_eq(c->guest.memory_mib, 3072);
    cr_assert(c->guest.iothreads);
    cr_assert_eq(c->guest.storage, VMB_STORAGE_VIRTIOFS);
    cr_assert_eq(c->load.connections, 200);
    cr_assert_eq(c->database.appendfsync, VMB_FSYNC_ALWAYS);
    cr_assert_str_eq(m->cells[1].label,
                     "vcpus=2 memory=3072 iothreads=on storage=virtio-fs "
                     "load.connections=200 database.appendfsync=always");
    /* Load options are not VM-only: each connection count has a control. */
    cr_assert_eq(m->ncontrols, 2);
    vmb_matrix_free(m);
}

/* The same cells whatever the key order, spacing, quoting or units. */
Test(matrix, ids_stable_under_reformatting)
{
    struct vmb_matrix *a = load("a.yaml",
                                "name: one\n"
                                "guest: {memory: 1024, vcpus: 2}\n"
                                "load:\n  warmup: 5s\n  connections: 50\n"
                                "matrix:\n  storage: [9p, local]\n");
    struct vmb_matrix *b = load("b.yaml",
                                "# a comment\n"
                                "load:   {connections: \"50\", warmup: 5000ms}\n"
                                "matrix:\n"
                                "  shared_fs:\n    - '9p'\n    - local\n"
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
    cr_assert(strstr(s, "\"guest\":{\"kernel\":\"auto\",\"vcpus\":\"1\"") != NULL,
              "%s", s);
    cr_assert(strstr(s, "\"warmup\":\"0s\"") != NULL, "%s", s);
    cr_assert(strstr(s, "\"msize_9p\":\"512k\"") != NULL, "%s", s);
    cr_assert(strstr(s, "\"phases\":[{\"op\":\"write\"") != NULL, "%s", s);
    for (size_t i = 0; i < vmb_nsections; i++)
        for (size_t j = 0; j < vmb_sections[i].noptions; j++) {
            char *key = vmb_xasprintf("\"%s\":", vmb_sections[i].options[j].name);
            cr_assert(strstr(s, key) != NULL, "missing %s", key);
            free(key);
        }
    free(s);
    vmb_config_free(&c);
}

Test(config, suggestions)
{
    const struct vmb_section *load_sec = vmb_section_find("load");
    cr_assert_str_eq(vmb_option_suggest(load_sec->options, load_sec->noptions,
                                        "conections"),
                     "connections");
    cr_assert_str_eq(vmb_option_suggest(load_sec->options, load_sec->noptions,
                                        "pipline"),
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
                               &expected, NULL, NULL), 0);
    cr_assert_str_eq(out.data, expected);
    free(expected);
    vmb_buf_free(&out);
    free(cmd);
}
