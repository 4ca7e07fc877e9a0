/*
 * The command line as a user meets it: every subcommand's getopt_long
 * parser (options before or after positional words, unknown options and
 * missing values as exit 2 in our words), the help texts, and what
 * `vmbench report` says it wrote.
 */
#include "results_fixture.h"

#include "cli.h"

#define PLAN_DIR VMB_TEST_DATA "/golden/plan"

static struct cmd_result
vmbench(const char *a0, const char *a1, const char *a2, const char *a3)
{
    const char *args[] = {a0, a1, a2, a3, NULL};
    return run_vmbench("/", args);
}

/* A value-taking option at the end of the line lacks its value; it is
 * not unknown (it used to be reported so). */
Test(cli, run_out_without_value_needs_a_value, .timeout = 30)
{
    struct cmd_result r = vmbench("run", "x.yaml", "--out", NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "option \"--out\" needs a value"), "%s",
                       r.err);
    cr_assert_null(strstr(r.err, "unknown"), "%s", r.err);
    cmd_result_free(&r);
}

/* The same for the other commands' value-taking options, long and short. */
Test(cli, missing_values_are_named, .timeout = 60)
{
    static const char *const cases[][4] = {
        {"stress", "redis://127.0.0.1:1", "--json", "\"--json\""},
        {"doctor", "--connect", NULL, "\"--connect\""},
        {"kata-config", "dir", "-o", "\"-o\""},
        {"kata-config", "dir", "--best", "\"--best\""},
        {"image", "build", "--cache", "\"--cache\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cmd_result r =
            vmbench(cases[i][0], cases[i][1], cases[i][2], NULL);
        cr_expect_eq(r.status, 2, "%s: %s", cases[i][0], r.err);
        char *want = vmb_xasprintf("option %s needs a value", cases[i][3]);
        cr_expect_not_null(strstr(r.err, want), "%s: %s", cases[i][0], r.err);
        free(want);
        cmd_result_free(&r);
    }
}

/*
 * Every command in the table rejects an unknown option, long or short,
 * with exit 2, naming the option as typed and the command's help.
 */
Test(cli, unknown_options_every_command, .timeout = 120)
{
    for (size_t i = 0; i < vmb_ncommands; i++) {
        const char *name = vmb_commands[i].name;
        const char *const words[] = {"--frobnicate", "-Z"};
        for (size_t w = 0; w < 2; w++) {
            struct cmd_result r = vmbench(name, words[w], NULL, NULL);
            cr_expect_eq(r.status, 2, "%s %s: %s", name, words[w], r.err);
            char *want = vmb_xasprintf("vmbench %s: unknown option \"%s\"; "
                                       "see `vmbench %s --help`\n",
                                       name, words[w], name);
            cr_expect_str_eq(r.err, want, "%s %s", name, words[w]);
            cr_expect_str_eq(r.out, "", "%s %s", name, words[w]);
            free(want);
            cmd_result_free(&r);
        }
    }
}

/* Unknown options after positional words are caught too. */
Test(cli, unknown_option_after_positionals, .timeout = 30)
{
    struct cmd_result r =
        vmbench("stress", "redis://127.0.0.1:1", "write", "--frob");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "unknown option \"--frob\""), "%s", r.err);
    cmd_result_free(&r);
    r = vmbench("run", "x.yaml", "--out=d", "--dry-run=yes");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "option \"--dry-run\" takes no value"),
                       "%s", r.err);
    cmd_result_free(&r);
}

/* Options go before or after the positional words, and "--" ends them. */
Test(cli, options_before_or_after_positionals, .timeout = 30)
{
    const char *after[] = {"plan", "expand.yaml", "--json", NULL};
    const char *before[] = {"plan", "--json", "expand.yaml", NULL};
    struct cmd_result a = run_vmbench(PLAN_DIR, after);
    struct cmd_result b = run_vmbench(PLAN_DIR, before);
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert(vmb_str_has_prefix(a.out, "{"), "%s", a.out);
    cr_assert_str_eq(a.out, b.out);
    cmd_result_free(&a);
    cmd_result_free(&b);
    const char *dashes[] = {"plan", "--", "--json", NULL};
    struct cmd_result d = run_vmbench(PLAN_DIR, dashes);
    cr_assert_eq(d.status, 2, "%s", d.err);
    cr_assert_not_null(strstr(d.err, "\"--json\""), "%s", d.err);
    cr_assert_null(strstr(d.err, "unknown option"), "%s", d.err);
    cmd_result_free(&d);
}

/* POSIXLY_CORRECT does not stop the parse at the first positional word. */
Test(cli, posixly_correct_keeps_options_after_positionals, .timeout = 30)
{
    setenv("POSIXLY_CORRECT", "1", 1);
    struct cmd_result r = vmbench("run", "x.yaml", "--out", NULL);
    unsetenv("POSIXLY_CORRECT");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "option \"--out\" needs a value"), "%s",
                       r.err);
    cmd_result_free(&r);
}

/* Each parse starts afresh: one process may run several commands. */
Test(cli, parses_twice_in_one_process)
{
    for (int i = 0; i < 2; i++) {
        char a0[] = "run", a1[] = "x.yaml", a2[] = "--out";
        char *argv[] = {a0, a1, a2, NULL};
        struct vmb_error *err = NULL;
        cr_assert_eq(vmb_cmd_run(3, argv, &err), -1);
        cr_assert_eq(err->kind, VMB_ERR_INPUT);
        cr_assert_str_eq(err->msg, "option \"--out\" needs a value", "parse %d",
                         i + 1);
        vmb_error_free(err);
    }
}

/*
 * `vmbench report` of a directory that is not a results directory fails
 * before writing anything, so it lists no file.
 */
Test(cli, report_failing_early_lists_nothing, .timeout = 30)
{
    char tmpl[] = "/tmp/vmb-cli-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct cmd_result r = vmbench("report", tmpl, NULL, NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    cr_assert_not_null(strstr(r.err, "is not a vmbench results directory"),
                       "%s", r.err);
    cmd_result_free(&r);
    vmb_rm_rf(tmpl, NULL);
}

/*
 * ... and when it writes, it lists what it wrote, also over the files of
 * an earlier report; -q lists nothing.
 */
Test(cli, report_lists_what_it_wrote, .timeout = 120)
{
    char *dir = fixture_copy();
    char *want = vmb_xasprintf("%s/summary.csv\n%s/report.md\n"
                               "%s/report.html\n",
                               dir, dir, dir);
    for (int i = 0; i < 2; i++) {
        struct cmd_result r = vmbench("report", dir, "--no-charts", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_str_eq(r.out, want, "report %d", i + 1);
        cmd_result_free(&r);
    }
    free(want);
    struct cmd_result r = vmbench("report", "-q", dir, "--no-charts");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    cmd_result_free(&r);
    fixture_remove(dir);
}

static char *
help_of(const char *name)
{
    struct cmd_result r = vmbench(name, "--help", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    free(r.err);
    return r.out;
}

/* The options the parsers accept are in the help texts. */
Test(cli, help_documents_what_is_accepted, .timeout = 30)
{
    char *report = help_of("report");
    cr_expect_not_null(strstr(report, "-q, --quiet"), "%s", report);
    cr_expect_not_null(strstr(report, "--no-charts"), "%s", report);
    free(report);
    char *run = help_of("run");
    cr_expect_not_null(strstr(run, "--only vm|baremetal|control"), "%s", run);
    cr_expect_not_null(strstr(run, "--no-report"), "%s", run);
    free(run);
    char *kata = help_of("kata-config");
    cr_expect_not_null(strstr(kata, "-o, --output FILE"), "%s", kata);
    free(kata);
    char *stress = help_of("stress");
    cr_expect_not_null(strstr(stress, "-q, --quiet"), "%s", stress);
    free(stress);
}

/* `vmbench --help` lists every command; each one's --help is its own. */
Test(cli, help_lists_every_command, .timeout = 60)
{
    struct cmd_result r = vmbench("--help", NULL, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_geq(vmb_ncommands, 8);
    for (size_t i = 0; i < vmb_ncommands; i++) {
        const struct vmb_command *c = &vmb_commands[i];
        char *line = vmb_xasprintf("\n  %-12s %s\n", c->name, c->summary);
        cr_expect_not_null(strstr(r.out, line), "%s missing from\n%s", c->name,
                           r.out);
        free(line);
        char *usage = help_of(c->name);
        char *start = vmb_xasprintf("usage: vmbench %s ", c->name);
        cr_expect(vmb_str_has_prefix(usage, start), "%s", usage);
        free(start);
        free(usage);
    }
    cmd_result_free(&r);
}

/* An empty directory is a usage error, not the current directory. */
Test(cli, run_out_empty_is_a_usage_error, .timeout = 30)
{
    struct cmd_result r = vmbench("run",
                                  PLAN_DIR "/../../../configs/"
                                           "quickstart.yaml",
                                  "--out", "");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "needs a directory"), "%s", r.err);
    cmd_result_free(&r);
}

/* A trailing slash names the same directory: a dry run shows it without. */
Test(cli, run_out_trailing_slash, .timeout = 30)
{
    const char *args[] = {
        "run",       VMB_TEST_DATA "/../configs/quickstart.yaml",
        "--out",     "/tmp/vmb-cli-out///",
        "--dry-run", NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "/tmp/vmb-cli-out\n"), "%s", r.out);
    cmd_result_free(&r);
}

/*
 * `vmbench stress` refuses before connecting what it could only fail
 * after the phase: reads from a replica it was not given, n with
 * duration, an output file in a directory that does not exist.
 */
Test(cli, stress_refuses_before_the_run, .timeout = 30)
{
    static const char *const cases[][6] = {
        {"read", "n=10", "read_from=replica", NULL, NULL, "--replica"},
        {"read", "n=10", "read_from=both", NULL, NULL, "--replica"},
        {"write", "n=10", "duration=5s", NULL, NULL, "not both"},
        {"write", "n=10", "--json", "/nonexistent-dir/x.json", NULL,
         "does not exist"},
        {"write", "n=10", "--csv", "/tmp", NULL, "is a directory"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {"stress",    "redis://127.0.0.1:1", cases[i][0],
                              cases[i][1], cases[i][2],           cases[i][3],
                              NULL};
        struct cmd_result r = run_vmbench("/", args);
        cr_expect_eq(r.status, 2, "case %zu: %s", i, r.err);
        cr_expect_not_null(strstr(r.err, cases[i][5]), "case %zu: %s", i,
                           r.err);
        cr_expect_null(strstr(r.err, "refused"), "case %zu connected: %s", i,
                       r.err);
        cmd_result_free(&r);
    }
}

/* Escape sequences in what a user typed come back visible, not raw. */
Test(cli, errors_reach_the_terminal_escaped, .timeout = 30)
{
    struct cmd_result r =
        vmbench("plan", "/nonexistent/\x1b[31mred", NULL, NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_null(strchr(r.err, '\x1b'), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "\\x1b[31mred"), "%s", r.err);
    cmd_result_free(&r);
}

/* A base file that never ends is refused at its size limit, not read. */
Test(cli, kata_config_base_size_limited, .timeout = 30)
{
    const char *args[] = {"kata-config", VMB_TEST_DATA "/data/results-fixture",
                          "--best",      "write.op_rate",
                          "--base",      "/dev/zero",
                          NULL};
    struct cmd_result r = run_vmbench("/", args);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "the limit"), "%s", r.err);
    cmd_result_free(&r);
}

/*
 * Bad input is exit 2 whatever the protocol or the step that finds it: a
 * port out of range in a postgres:// URL as in a redis:// one, a prepare
 * step the protocol does not have, a results directory that cannot be
 * made. None of them connects or starts anything.
 */
Test(cli, bad_input_is_exit_2_everywhere, .timeout = 60)
{
    static const char *const cases[][3] = {
        {"postgres://127.0.0.1:99999/x", "write", "bad port \"99999\""},
        {"postgres://127.0.0.1:12ab/x", "write", "bad port \"12ab\""},
        {"redis://127.0.0.1:99999", "write", "bad port \"99999\""},
        {"redis://127.0.0.1:1", "prepare", "no prepare step"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {"stress", cases[i][0], cases[i][1], "n=10", NULL};
        struct cmd_result r = run_vmbench("/", args);
        cr_expect_eq(r.status, 2, "case %zu: %s", i, r.err);
        cr_expect_not_null(strstr(r.err, cases[i][2]), "case %zu: %s", i,
                           r.err);
        cmd_result_free(&r);
    }
    /* /proc refuses new directories: the --out the user named is bad. */
    const char *run[] = {"run", VMB_TEST_DATA "/../configs/quickstart.yaml",
                         "--out", "/proc/vmb-cli-out", NULL};
    struct cmd_result r = run_vmbench("/", run);
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "/proc/vmb-cli-out"), "%s", r.err);
    cmd_result_free(&r);
}

/* A path in a hint the user may paste is one word for the shell. */
Test(cli, shell_quote)
{
    static const char *const cases[][2] = {
        {"results/run-1", "results/run-1"},
        {"my results", "'my results'"},
        {"it's", "'it'\\''s'"},
        {"", "''"},
        {"$(rm -rf ~)", "'$(rm -rf ~)'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *q = vmb_shell_quote(cases[i][0]);
        cr_expect_str_eq(q, cases[i][1]);
        free(q);
    }
}

/*
 * `run --resume` on a directory whose matrix.yaml was edited after the
 * plan was recorded: refused (exit 2) naming what changed, before any
 * run; the unedited directory resumes. (--dry-run stops after the check.)
 */
Test(cli, resume_refuses_an_edited_matrix, .timeout = 60)
{
    char dir[] = "/tmp/vmb-resume-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    autofree char *mpath = vmb_xasprintf("%s/matrix.yaml", dir);
    autofree char *ppath = vmb_xasprintf("%s/plan.json", dir);
    const char *m = "name: r\nseed: 7\nrepetitions: 2\n"
                    "matrix:\n  vcpus: [1, 2]\n";
    cr_assert_eq(vmb_write_file_atomic(mpath, m, strlen(m), NULL), 0);
    const char *plan[] = {"plan", "--json", mpath, NULL};
    struct cmd_result r = run_vmbench("/", plan);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(vmb_write_file_atomic(ppath, r.out, strlen(r.out), NULL), 0);
    cmd_result_free(&r);
    const char *resume[] = {"run", "--resume", dir, "--dry-run", NULL};
    r = run_vmbench("/", resume);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cmd_result_free(&r);

    struct {
        const char *matrix, *says;
    } edits[] = {
        {"name: r\nseed: 7\nrepetitions: 2\nmatrix:\n  vcpus: [1, 4]\n",
         "in the plan, \"b75e4892202c\" (vcpus=4) in the matrix"},
        {"name: r\nseed: 7\nrepetitions: 3\nmatrix:\n  vcpus: [1, 2]\n",
         "(repetitions 2 in the plan, 3 in the matrix)"},
        {"name: r\nseed: 7\nrepetitions: 2\nmatrix:\n  vcpus: [1, 2, 3]\n",
         "(2 cells in the plan, 3 in the matrix)"},
        {"name: r\nseed: 7\nrepetitions: 2\norder: sequential\n"
         "matrix:\n  vcpus: [1, 2]\n",
         "(order \"interleaved\" in the plan, \"sequential\" in the matrix)"},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        const char *e = edits[i].matrix;
        cr_assert_eq(vmb_write_file_atomic(mpath, e, strlen(e), NULL), 0);
        r = run_vmbench("/", resume);
        cr_assert_eq(r.status, 2, "%s", r.err);
        cr_assert_not_null(strstr(r.err, "no longer plans what"), "%s", r.err);
        cr_assert_not_null(strstr(r.err, edits[i].says), "%s", r.err);
        cmd_result_free(&r);
    }
    vmb_rm_rf(dir, NULL);
}

#define BM_MATRIX VMB_TEST_DATA "/data/run-baremetal.yaml"
#define KATA_BASE VMB_TEST_DATA "/golden/kata/configuration.toml"

/* The id of the VM cell a dry run lists ("cells/ID/rep1"), or "". */
static char *
dry_run_vm_cell(const char *out)
{
    const char *c = strstr(out, "cells/");
    if (c == NULL)
        return vmb_xstrdup("");
    c += strlen("cells/");
    return vmb_xstrndup(c, strcspn(c, "/"));
}

/*
 * `tune --kata` takes the Kata base as `run --kata` does: its cells are
 * the cells run makes from the same base (their ids hash the settings
 * the base gives them, so a base that did not reach them would show),
 * the keys vmbench does not model are named, and a bad base is refused
 * naming its file and line.
 */
Test(cli, tune_kata_is_the_base_of_every_cell, .timeout = 60)
{
    const char *tune[] = {"tune",   BM_MATRIX, "--objective", "write.op_rate",
                          "--kata", KATA_BASE, "--dry-run",   NULL};
    struct cmd_result t = run_vmbench("/", tune);
    cr_assert_eq(t.status, 0, "%s", t.err);
    cr_expect_not_null(strstr(t.err, KATA_BASE ": not modelled: kernel"), "%s",
                       t.err);
    const char *run[] = {"run",     BM_MATRIX,   "--kata",
                         KATA_BASE, "--dry-run", NULL};
    struct cmd_result r = run_vmbench("/", run);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *plain[] = {"tune",          BM_MATRIX,   "--objective",
                           "write.op_rate", "--dry-run", NULL};
    struct cmd_result p = run_vmbench("/", plain);
    cr_assert_eq(p.status, 0, "%s", p.err);
    autofree char *tid = dry_run_vm_cell(t.out);
    autofree char *rid = dry_run_vm_cell(r.out);
    autofree char *pid = dry_run_vm_cell(p.out);
    cr_expect_neq(strlen(tid), 0, "%s", t.out);
    cr_expect_str_eq(tid, rid, "tune:\n%s\nrun:\n%s", t.out, r.out);
    cr_expect_str_neq(tid, pid, "the base changed nothing:\n%s", t.out);
    cmd_result_free(&t);
    cmd_result_free(&r);
    cmd_result_free(&p);

    const char *bad[] = {
        "tune",        BM_MATRIX,
        "--objective", "write.op_rate",
        "--kata",      VMB_TEST_DATA "/golden/kata/bad-hypervisor-value.toml",
        "--dry-run",   NULL};
    struct cmd_result b = run_vmbench("/", bad);
    cr_expect_eq(b.status, 2, "%s", b.err);
    cr_expect_not_null(strstr(b.err, "bad-hypervisor-value.toml:2: key "
                                     "\"hypervisor\" is given a value here"),
                       "%s", b.err);
    cmd_result_free(&b);
}

/* A resumed tune keeps the base it started from, as a resumed run does:
 * --kata with --resume is refused by both, in the same words. */
Test(cli, tune_kata_with_resume_is_refused_as_run_does, .timeout = 30)
{
    const char *const cmds[] = {"run", "tune"};
    for (size_t i = 0; i < 2; i++) {
        const char *args[] = {cmds[i],  "--resume", "/nonexistent",
                              "--kata", KATA_BASE,  NULL};
        struct cmd_result r = run_vmbench("/", args);
        cr_expect_eq(r.status, 2, "%s: %s", cmds[i], r.err);
        autofree char *want = vmb_xasprintf(
            "vmbench %s: --kata and --resume cannot be used together\n",
            cmds[i]);
        cr_expect_str_eq(r.err, want, "%s", cmds[i]);
        cmd_result_free(&r);
    }
}

/* The help of tune lists --kata. */
Test(cli, tune_help_lists_kata, .timeout = 30)
{
    char *help = help_of("tune");
    cr_expect_not_null(strstr(help, "[--kata FILE]"), "%s", help);
    cr_expect_not_null(strstr(help, "  --kata FILE      a Kata "
                                    "configuration.toml as the base"),
                       "%s", help);
    free(help);
}
