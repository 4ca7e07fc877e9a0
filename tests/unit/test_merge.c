/*
 * `vmbench merge` on hostile shards: each refusal is exit 2 with its
 * reason, and OUT is not created. The shards are made here from `plan
 * --shard K/2 --json` (the plan a shard records), a run.json and each
 * listed cell's config.json: what a shard's directory holds before its
 * first run, which is all merge checks beside the files it copies.
 */
#include "results_fixture.h"

#include "results/results.h"

#include <stdarg.h>
#include <sys/stat.h>

static const char matrix_a[] = "name: m\n"
                               "repetitions: 1\n"
                               "control:\n"
                               "  baremetal: true\n"
                               "matrix:\n"
                               "  vcpus: [1, 2]\n";
static const char matrix_b[] = "name: m\n"
                               "repetitions: 1\n"
                               "control:\n"
                               "  baremetal: true\n"
                               "matrix:\n"
                               "  vcpus: [1, 3]\n";

static const char matrix_fio[] = "name: m\n"
                                 "repetitions: 1\n"
                                 "database:\n"
                                 "  engine: fio\n"
                                 "load:\n"
                                 "  phases:\n"
                                 "    - { fio: jobs/j.fio, duration: 1s }\n"
                                 "control:\n"
                                 "  baremetal: true\n"
                                 "matrix:\n"
                                 "  vcpus: [1, 2]\n";
static const char job[] = "[j]\nrw=randread\nbs=4k\n";

static char *root;

static void
put(const char *path, const char *text)
{
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), &err), 0,
                 "%s: %s", path, err ? err->msg : "");
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    free(cmd);
}

/* The ids of plan.json's cells or controls, in order ("id": "…"). */
static void
make_cells(const char *dir, const char *plan, const char *key, const char *sub)
{
    const char *p = strstr(plan, key);
    cr_assert_not_null(p);
    const char *end = strchr(p, ']');
    while ((p = strstr(p, "\"id\": \"")) != NULL && p < end) {
        p += 7;
        char *id = vmb_xstrndup(p, 12);
        char *cdir = vmb_xasprintf("%s/%s/%s/rep1", dir, sub, id);
        cr_assert_eq(vmb_mkdir_p(cdir, NULL), 0);
        char *cfg = vmb_xasprintf("%s/%s/%s/config.json", dir, sub, id);
        char *text = vmb_xasprintf("{\"schema\": 1, \"id\": \"%s\", "
                                   "\"config\": {}}\n",
                                   id);
        put(cfg, text);
        free(id);
        free(cdir);
        free(cfg);
        free(text);
    }
}

/* root/NAME: shard K of 2 of matrix text, run on host HOST. */
static char *
make_shard(const char *name, const char *text, int k, const char *host)
{
    char *dir = vmb_xasprintf("%s/%s", root, name);
    cr_assert_eq(vmb_mkdir_p(dir, NULL), 0);
    char *m = vmb_xasprintf("%s/matrix.yaml", dir);
    put(m, text);
    char shard[8];
    snprintf(shard, sizeof(shard), "%d/2", k);
    const char *args[] = {"plan", m, "--shard", shard, "--json", NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *p = vmb_xasprintf("%s/plan.json", dir);
    put(p, r.out);
    make_cells(dir, r.out, "\"cells\"", "cells");
    make_cells(dir, r.out, "\"controls\"", "control");
    char *run = vmb_xasprintf("%s/run.json", dir);
    char *rtext = vmb_xasprintf(
        "{\"schema\": 1, \"vmbench\": {\"version\": \"0.1.0\", \"git\": "
        "\"abc\"}, \"name\": \"m\", \"host\": {\"hostname\": \"%s\"}, "
        "\"shard\": {\"index\": %d, \"count\": 2}, \"runs\": {\"total\": 1}}\n",
        host, k);
    put(run, rtext);
    cmd_result_free(&r);
    free(m);
    free(p);
    free(run);
    free(rtext);
    return dir;
}

static void
setup(void)
{
    char tmpl[] = "/tmp/vmb-merge-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    root = vmb_xstrdup(tmpl);
}

static void
teardown(void)
{
    vmb_rm_rf(root, NULL);
    free(root);
}

/* Runs merge OUT DIRS...; asserts exit 2 naming says, and no OUT. */
static void
refused(const char *says, const char *const *dirs)
{
    char *out = vmb_xasprintf("%s/out", root);
    const char *args[12] = {"merge", out};
    size_t n = 2;
    for (; dirs[n - 2] != NULL && n < 11; n++)
        args[n] = dirs[n - 2];
    args[n] = NULL;
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 2, "expected a refusal naming \"%s\": %s", says,
                 r.err);
    cr_assert_not_null(strstr(r.err, says), "expected \"%s\": %s", says, r.err);
    struct stat st;
    cr_assert_neq(lstat(out, &st), 0, "%s was created", out);
    cmd_result_free(&r);
    free(out);
}

TestSuite(merge, .init = setup, .fini = teardown, .timeout = 60);

/* The shards as made merge: the checks below refuse what differs. */
Test(merge, good_shards_merge)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    char *out = vmb_xasprintf("%s/out", root);
    const char *args[] = {"merge", out, a, b, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "merged 2 of 2 shards"), "%s", r.out);
    char *runj = vmb_xasprintf("%s/run.json", out);
    char *text = slurp(runj);
    cr_assert_not_null(strstr(text, "\"hostname\": \"h0\""), "%s", text);
    cr_assert_not_null(strstr(text, "\"hostname\": \"h1\""), "%s", text);
    free(text);
    cmd_result_free(&r);
    free(runj);
    free(out);
    free(a);
    free(b);
}

Test(merge, different_matrices)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_b, 1, "h1");
    refused("are shards of different matrices", (const char *[]){a, b, NULL});
    free(a);
    free(b);
}

Test(merge, different_versions)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    sh("sed -i 's/\"0.1.0\"/\"0.2.0\"/' %s/run.json", b);
    refused("different vmbench versions", (const char *[]){a, b, NULL});
    free(a);
    free(b);
}

Test(merge, two_copies_of_one_shard)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    char *c = make_shard("c", matrix_a, 0, "h2");
    refused("two copies of shard 0 of 2", (const char *[]){a, b, c, NULL});
    free(a);
    free(b);
    free(c);
}

/* A cell of shard 1 copied into shard 0. */
Test(merge, overlapping_cells)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    sh("cp -r %s/cells/* %s/cells/", b, a);
    refused("the shards overlap", (const char *[]){a, b, NULL});
    free(a);
    free(b);
}

Test(merge, not_a_results_directory)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *e = vmb_xasprintf("%s/empty", root);
    cr_assert_eq(mkdir(e, 0755), 0);
    refused("is not a vmbench results directory", (const char *[]){a, e, NULL});
    char *f = vmb_xasprintf("%s/a/matrix.yaml", root);
    refused("is not a directory", (const char *[]){a, f, NULL});
    free(a);
    free(e);
    free(f);
}

/* A whole run is not a shard. */
Test(merge, whole_run_is_not_a_shard)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    sh("sed -i '/\"shard\": {/,/}/c\\  \"shard\": null,' %s/plan.json", b);
    refused("is not a shard", (const char *[]){a, b, NULL});
    free(a);
    free(b);
}

/* A symlink in a cell's tree, to a directory or a file out of the shard,
 * is never followed; nor is a symlinked run directory or file. */
Test(merge, symlinks_out_of_a_shard)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    sh("ln -s /etc %s/cells/$(ls %s/cells)/rep1/etc", b, b);
    refused("merge never follows one out of a shard",
            (const char *[]){a, b, NULL});
    sh("rm %s/cells/*/rep1/etc", b);
    sh("ln -s /etc/passwd %s/cells/$(ls %s/cells)/rep1/node1.db.log", b, b);
    refused("merge never follows one out of a shard",
            (const char *[]){a, b, NULL});
    sh("rm %s/cells/*/rep1/node1.db.log", b);
    sh("rm %s/run.json && ln -s /etc/hostname %s/run.json", b, b);
    refused("is not a vmbench results directory", (const char *[]){a, b, NULL});
    free(a);
    free(b);
}

/* A plan.json whose id is not its matrix's plan. */
Test(merge, plan_id_not_the_matrix)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    char *m = vmb_xasprintf("%s/matrix.yaml", b);
    put(m, matrix_b);
    free(m);
    refused("but its matrix.yaml plans", (const char *[]){a, b, NULL});
    free(a);
    free(b);
}

/* A missing shard is named; --partial merges the others. */
Test(merge, missing_shard_needs_partial)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    refused("shard 1 of 2 is missing", (const char *[]){a, NULL});
    char *out = vmb_xasprintf("%s/out", root);
    const char *args[] = {"merge", out, a, "--partial", NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "shards 1 of 2 are missing"), "%s", r.err);
    cmd_result_free(&r);
    /* A merged directory is not resumed: its runs are the shards'. */
    const char *resume[] = {"run", "--resume", out, "--dry-run", NULL};
    r = run_vmbench("/", resume);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "is not resumed"), "%s", r.err);
    cmd_result_free(&r);
    /* And OUT, now there, is never written into. */
    const char *again[] = {"merge", out, a, "--partial", NULL};
    r = run_vmbench("/", again);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "already exists"), "%s", r.err);
    cmd_result_free(&r);
    free(out);
    free(a);
}

/* The reader of a merged directory: a calibration that is not an id, or
 * reached through a symlinked hosts/, is a warning and is not read. */
Test(merge, hostile_merged_directory)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    char *out = vmb_xasprintf("%s/out", root);
    const char *args[] = {"merge", out, a, b, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cmd_result_free(&r);
    struct vmb_results *res = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(out, &res, &err), 0);
    cr_assert_eq(res->merged_count, 2);
    cr_assert_eq(res->nhosts, 2);
    cr_assert_eq(res->nwarnings, 0, "%s", res->warnings[0]);
    size_t calib = 0;
    for (size_t i = 0; i < res->nhosts; i++)
        calib += res->hosts[i].calibration != NULL;
    cr_assert_eq(calib, 1);
    cr_assert_not_null(res->cells[0].host);
    cr_assert_str_eq(vmb_results_hostname_of(res, &res->cells[0]),
                     res->cells[0].host->hostname);
    cr_assert_eq(vmb_results_host_of(res, res->cells[0].id),
                 res->cells[0].host);
    vmb_results_free(res);

    sh("mv %s/hosts %s/hosts.real && ln -s /etc %s/hosts", out, out, out);
    cr_assert_eq(vmb_results_load(out, &res, &err), 0);
    cr_assert_eq(res->nwarnings, 1);
    cr_assert_not_null(strstr(res->warnings[0], "calibration is left out"),
                       "%s", res->warnings[0]);
    vmb_results_free(res);

    sh("sed -i 's/\"calibration\": \"[0-9a-f]*\"/\"calibration\": \"..\\/x\"/' "
       "%s/run.json",
       out);
    cr_assert_eq(vmb_results_load(out, &res, &err), 0);
    cr_assert_eq(res->nwarnings, 1);
    cr_assert_not_null(strstr(res->warnings[0], "calibration"), "%s",
                       res->warnings[0]);
    for (size_t i = 0; i < res->nhosts; i++)
        cr_assert_null(res->hosts[i].calibration);
    vmb_results_free(res);
    free(out);
    free(a);
    free(b);
}

/* A shard's run.json is written again, not copied: a member no run
 * writes refuses the merge, naming the file and the member. */
Test(merge, a_bad_run_json_member_is_refused)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    sh("sed -i 's/\"name\": \"m\"/\"name\": \"m\", \"host_cpus\": "
       "\"many\"/' %s/run.json",
       b);
    refused("run.json: host_cpus: expected an integer",
            (const char *[]){a, b, NULL});
    free(a);
    free(b);
}

/* OUT inside a shard would write into that shard (and leave it no longer
 * a shard's directory): refused, the shard untouched. */
Test(merge, out_inside_a_shard)
{
    char *a = make_shard("a", matrix_a, 0, "h0");
    char *b = make_shard("b", matrix_a, 1, "h1");
    char *ins[] = {
        vmb_xasprintf("%s/merged", a), vmb_xasprintf("%s/cells/merged", b),
        vmb_xasprintf("%s/../b/./merged", b), vmb_xasprintf("%s/merged//", a)};
    for (size_t i = 0; i < 4; i++) {
        const char *args[] = {"merge", ins[i], a, b, NULL};
        struct cmd_result r = run_vmbench("/", args);
        cr_assert_eq(r.status, 2, "%s: %s", ins[i], r.err);
        cr_assert_not_null(strstr(r.err, "is inside shard"), "%s", r.err);
        struct stat st;
        cr_assert_neq(lstat(ins[i], &st), 0, "%s was created", ins[i]);
        cmd_result_free(&r);
        free(ins[i]);
    }
    /* A name that only starts like a shard's is beside it, not in it;
     * the summary prints its control characters escaped. */
    char *beside = vmb_xasprintf("%s-merged\033[2J", a);
    const char *args[] = {"merge", beside, a, b, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_null(strchr(r.out, '\033'), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "-merged\\x1b[2J"), "%s", r.out);
    cmd_result_free(&r);
    free(beside);
    free(a);
    free(b);
}

/* root/NAME: shard K of matrix_fio, its job file jobs/j.fio holding text. */
static char *
make_fio_shard(const char *name, int k, const char *text)
{
    char *jobs = vmb_xasprintf("%s/%s/jobs", root, name);
    cr_assert_eq(vmb_mkdir_p(jobs, NULL), 0);
    char *j = vmb_xasprintf("%s/j.fio", jobs);
    put(j, text);
    free(j);
    free(jobs);
    return make_shard(name, matrix_fio, k, k ? "h1" : "h0");
}

/* The fio job file a shard's matrix names is read through no symlink,
 * must be the same in every shard (the plan id does not cover it), and
 * is kept in OUT beside the matrix, as a run keeps it. */
Test(merge, fio_job_files)
{
    char *a = make_fio_shard("a", 0, job);
    char *b = make_fio_shard("b", 1, job);
    char *out = vmb_xasprintf("%s/merged", root);
    const char *args[] = {"merge", out, a, b, NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cmd_result_free(&r);
    char *kept = vmb_xasprintf("%s/jobs/j.fio", out);
    char *text = NULL;
    cr_assert_eq(vmb_read_file(kept, &text, NULL, NULL), 0, "%s", kept);
    cr_assert_str_eq(text, job);
    free(text);
    free(kept);
    free(out);

    sh("echo iodepth=8 >>%s/jobs/j.fio", b);
    refused("the shards ran different fio jobs", (const char *[]){a, b, NULL});
    sh("rm %s/jobs/j.fio && ln -s %s/jobs/j.fio %s/jobs/j.fio", b, a, b);
    refused("merge never follows one out of a shard",
            (const char *[]){a, b, NULL});
    free(a);
    free(b);
}
