/*
 * Helpers for tests that read tests/data/results-fixture: a private copy
 * in a temporary directory (reports write into the directory they read),
 * file checks, and running the vmbench binary.
 */
#ifndef VMB_TEST_RESULTS_FIXTURE_H
#define VMB_TEST_RESULTS_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

#define FIXTURE_DIR VMB_TEST_DATA "/data/results-fixture"

/* Ids and labels of the fixture (tests/data/make-results-fixture.py). */
#define CELL_9P "b8b8545289cd"
#define CELL_VIRTIOFS "62acc8f3010e"
#define CELL_VIRTIOBLK "1804f8d5bafb"
#define CONTROL_ID "d9f3062dce9a"

/* A fresh copy of the fixture; the caller frees the path and removes it. */
static inline char *
fixture_copy(void)
{
    char tmpl[] = "/tmp/vmb-fixture-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *cmd = vmb_xasprintf("cp -r '%s' '%s/run'", FIXTURE_DIR, tmpl);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    free(cmd);
    return vmb_xasprintf("%s/run", tmpl);
}

static inline void
fixture_remove(char *dir)
{
    char *slash = strrchr(dir, '/');
    *slash = '\0'; /* the mkdtemp directory above the copy */
    vmb_rm_rf(dir, NULL);
    free(dir);
}

static inline char *
slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_read_file(path, &data, &len, &err), 0, "read %s: %s", path,
                 err ? err->msg : "");
    return data;
}

/* Reads dir/name, or dir/plots/name.svg for slurp_svg. */
static inline char *
slurp_in(const char *dir, const char *name)
{
    char *p = vmb_xasprintf("%s/%s", dir, name);
    char *d = slurp(p);
    free(p);
    return d;
}

static inline char *
slurp_svg(const char *dir, const char *chart)
{
    char *p = vmb_xasprintf("%s/plots/%s.svg", dir, chart);
    char *d = slurp(p);
    free(p);
    return d;
}

static inline bool
file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static inline size_t
count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Replaces every occurrence of from with to in the file at path. */
static inline void
file_replace(const char *path, const char *from, const char *to)
{
    char *data = slurp(path);
    struct vmb_buf b = {0};
    size_t n = strlen(from);
    for (const char *p = data;;) {
        const char *q = strstr(p, from);
        if (q == NULL) {
            vmb_buf_puts(&b, p);
            break;
        }
        vmb_buf_append(&b, p, (size_t)(q - p));
        vmb_buf_puts(&b, to);
        p = q + n;
    }
    cr_assert_eq(vmb_write_file_atomic(path, b.data, b.len, NULL), 0);
    vmb_buf_free(&b);
    free(data);
}

/* Writes text to path (atomically), replacing what was there. */
static inline void
file_write(const char *path, const char *text)
{
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), NULL), 0,
                 "write %s", path);
}

/* dir/rel, for the caller to free. */
static inline char *
path_in(const char *dir, const char *rel)
{
    return vmb_xasprintf("%s/%s", dir, rel);
}

/* Removes dir/rel (a file or a tree). */
static inline void
remove_in(const char *dir, const char *rel)
{
    char *p = path_in(dir, rel);
    cr_assert_eq(vmb_rm_rf(p, NULL), 0, "remove %s", p);
    free(p);
}

/*
 * Turns the fixture copy into the results of a one-cell matrix with one
 * repetition: the plan lists the 9p cell and the control, each with its
 * first run; the cell's run is kept when cell_ran, else it is as
 * `vmbench run --only baremetal` leaves it (never run).
 */
static inline void
fixture_one_cell(const char *dir, bool cell_ran)
{
    char *plan = path_in(dir, "plan.json");
    file_write(plan,
               "{\"schema\": 1, \"name\": \"run-baremetal\", "
               "\"repetitions\": 1, \"order\": \"interleaved\", "
               "\"seed\": 7, \"axes\": [\"guest.vcpus\"],\n"
               "\"cells\": [{\"id\": \"" CELL_9P "\", \"kind\": \"vm\", "
               "\"label\": \"vcpus=1\", \"control\": \"" CONTROL_ID "\"}],\n"
               "\"controls\": [{\"id\": \"" CONTROL_ID "\", "
               "\"kind\": \"baremetal\", \"label\": \"baremetal\"}],\n"
               "\"runs\": [{\"kind\": \"baremetal\", \"id\": \"" CONTROL_ID
               "\", \"rep\": 1}, {\"kind\": \"vm\", \"id\": \"" CELL_9P
               "\", \"rep\": 1}]}\n");
    free(plan);
    remove_in(dir, "cells/" CELL_VIRTIOFS);
    remove_in(dir, "cells/" CELL_VIRTIOBLK);
    for (int k = cell_ran ? 2 : 1; k <= 3; k++) {
        char *rel = vmb_xasprintf("cells/" CELL_9P "/rep%d", k);
        remove_in(dir, rel);
        free(rel);
    }
    remove_in(dir, "control/" CONTROL_ID "/rep2");
    remove_in(dir, "control/" CONTROL_ID "/rep3");
}

struct cmd_result {
    int status; /* exit status, or -1 */
    char *out, *err;
};

/*
 * Runs the program bin with argv (NULL-terminated, without argv[0]) in
 * directory cwd; stdout and stderr captured whole.
 */
static inline struct cmd_result
run_binary(const char *bin, const char *cwd, const char *const *args)
{
    char outp[] = "/tmp/vmb-out-XXXXXX", errp[] = "/tmp/vmb-err-XXXXXX";
    int of = mkstemp(outp), ef = mkstemp(errp);
    cr_assert(of >= 0 && ef >= 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[32] = {bin};
        size_t n = 1;
        for (; args[n - 1] != NULL && n < 31; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        if (dup2(of, 1) < 0 || dup2(ef, 2) < 0 || chdir(cwd) < 0)
            _exit(126);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    close(of);
    close(ef);
    struct cmd_result r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(outp),
                           slurp(errp)};
    unlink(outp);
    unlink(errp);
    return r;
}

/* run_binary of the vmbench binary. */
static inline struct cmd_result
run_vmbench(const char *cwd, const char *const *args)
{
    return run_binary(VMB_BINARY, cwd, args);
}

static inline void
cmd_result_free(struct cmd_result *r)
{
    free(r->out);
    free(r->err);
}

#endif
