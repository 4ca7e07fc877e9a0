/*
 * The racing rule of `vmbench tune` (report/race.c) on fixed numbers:
 * which cells leave the race and why, that the best never does, and
 * that the same numbers always give the same decision.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/race.h"
#include "results/tune.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct vmb_race_cand
cand(const char *id, const double *x, size_t n)
{
    return (struct vmb_race_cand){.id = id, .x = x, .n = n, .racing = true};
}

Test(tune, clearly_worse_cells_leave_by_interval_never_the_best)
{
    double slow[] = {1000, 1010, 990}, mid[] = {3000, 2990, 3020},
           fast[] = {6000, 5950, 6050};
    struct vmb_race_cand c[] = {cand("a", slow, 3), cand("b", mid, 3),
                                cand("c", fast, 3)};
    struct vmb_race_rule r = vmb_race_rule_default(true, 42);
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 2);
    cr_assert(c[2].racing);
    cr_assert_eq(c[2].why, VMB_RACE_BEST);
    for (int i = 0; i < 2; i++) {
        cr_assert(!c[i].racing, "cell %d still racing", i);
        cr_assert_eq(c[i].why, VMB_RACE_INTERVAL);
        cr_assert(c[i].hi < c[2].lo);
    }
    cr_assert_eq(c[2].median, 6000);
    cr_assert_eq(c[2].p_best, 1.0);
    cr_assert_eq(vmb_race_racing(c, N(c)), 1);
}

Test(tune, a_latency_objective_is_won_by_the_lowest)
{
    double low[] = {200, 210, 190}, high[] = {900, 950, 1000};
    struct vmb_race_cand c[] = {cand("a", high, 3), cand("b", low, 3)};
    struct vmb_race_rule r = vmb_race_rule_default(false, 42);
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
    cr_assert(!c[0].racing);
    cr_assert_eq(c[0].why, VMB_RACE_INTERVAL);
}

Test(tune, overlapping_cells_keep_racing)
{
    double a[] = {1000, 1100, 950}, b[] = {1050, 980, 1120};
    struct vmb_race_cand c[] = {cand("a", a, 3), cand("b", b, 3)};
    struct vmb_race_rule r = vmb_race_rule_default(true, 7);
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
    cr_assert(c[0].racing && c[1].racing);
    cr_assert_eq(c[0].why, VMB_RACE_ALIVE);
    cr_assert(c[0].p_best >= 0.05 && c[1].p_best >= 0.05);
    cr_assert_float_eq(c[0].p_best + c[1].p_best, 1.0, 1e-12);
}

/*
 * Intervals that touch, so the interval rule keeps the cell, while the
 * worse cell wins fewer than 5% of the joint resamples.
 */
Test(tune, a_small_probability_of_being_best_drops_a_cell)
{
    /* best = worse + 5: intervals [98, 104] and [103, 109]. */
    double worse[] = {100, 103, 99, 104, 98, 105, 97, 106, 96, 101};
    double best[] = {105, 108, 104, 109, 103, 110, 102, 111, 101, 106};
    struct vmb_race_cand c[] = {cand("w", worse, N(worse)),
                                cand("b", best, N(best))};
    struct vmb_race_rule r = vmb_race_rule_default(true, 1);
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
    cr_assert(c[0].hi >= c[1].lo, "intervals [%g, %g] and [%g, %g] apart",
              c[0].lo, c[0].hi, c[1].lo, c[1].hi);
    cr_assert(!c[0].racing);
    cr_assert_eq(c[0].why, VMB_RACE_PROBABILITY, "why %s, p %g",
                 vmb_race_why_name(c[0].why), c[0].p_best);
    cr_assert(c[0].p_best < 0.05);
}

Test(tune, the_limit_excludes_a_faster_cell_over_it)
{
    /* The fastest cell's p99 is entirely over 2 ms: it cannot win. */
    double rate_fast[] = {9000, 9100, 8900}, p99_fast[] = {5000, 5200, 4800};
    double rate_ok[] = {6000, 6100, 5900}, p99_ok[] = {1500, 1600, 1400};
    double rate_slow[] = {1000, 1100, 900}, p99_slow[] = {500, 600, 400};
    struct vmb_race_cand c[] = {cand("f", rate_fast, 3), cand("o", rate_ok, 3),
                                cand("s", rate_slow, 3)};
    c[0].lx = p99_fast;
    c[1].lx = p99_ok;
    c[2].lx = p99_slow;
    struct vmb_race_rule r = vmb_race_rule_default(true, 3);
    r.has_limit = true;
    r.limit = 2000;
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
    cr_assert_eq(c[0].why, VMB_RACE_LIMIT);
    cr_assert(!c[0].racing);
    cr_assert_eq(c[2].why, VMB_RACE_INTERVAL);
    cr_assert(c[1].racing);
}

Test(tune, a_cell_without_values_leaves_and_nothing_else_decides_alone)
{
    double x[] = {5, 6, 7};
    struct vmb_race_cand c[] = {cand("a", NULL, 0), cand("b", x, 3)};
    struct vmb_race_rule r = vmb_race_rule_default(true, 3);
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
    cr_assert_eq(c[0].why, VMB_RACE_NO_DATA);
    cr_assert(!c[0].racing && c[1].racing);

    struct vmb_race_cand none[] = {cand("a", NULL, 0)};
    cr_assert_eq(vmb_race_decide(&r, none, 1), -1);
}

/*
 * One run a cell has a zero-width interval and two a range that 1 in 6
 * identical pairs would separate: no drop before VMB_RACE_MIN_RUNS, on
 * either side of the comparison, however far apart the values are.
 */
Test(tune, no_cell_leaves_before_the_minimum_runs)
{
    double slow[] = {1000, 1010, 990}, fast[] = {6000, 5950, 6050};
    struct vmb_race_rule r = vmb_race_rule_default(true, 42);
    for (size_t n = 1; n < VMB_RACE_MIN_RUNS; n++) {
        struct vmb_race_cand c[] = {cand("a", slow, n), cand("b", fast, n)};
        cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
        cr_assert(c[0].racing, "n %zu: dropped by %s", n,
                  vmb_race_why_name(c[0].why));
        cr_assert_eq(c[0].why, VMB_RACE_ALIVE);
        cr_assert_eq(vmb_race_racing(c, N(c)), 2);
    }
    /* A best with one run drops nobody, however many the others have. */
    struct vmb_race_cand c[] = {cand("a", slow, 3), cand("b", fast, 1)};
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
    cr_assert(c[0].racing, "dropped by %s", vmb_race_why_name(c[0].why));
    /* From the minimum on, the same numbers separate. */
    struct vmb_race_cand d[] = {cand("a", slow, 3), cand("b", fast, 3)};
    cr_assert_eq(vmb_race_decide(&r, d, N(d)), 1);
    cr_assert(!d[0].racing);
    cr_assert_eq(d[0].why, VMB_RACE_INTERVAL);
}

Test(tune, one_run_over_the_limit_does_not_drop_a_cell)
{
    double rate[] = {9000}, p99[] = {5000};
    double rate_ok[] = {6000}, p99_ok[] = {1500};
    struct vmb_race_cand c[] = {cand("f", rate, 1), cand("o", rate_ok, 1)};
    c[0].lx = p99;
    c[1].lx = p99_ok;
    struct vmb_race_rule r = vmb_race_rule_default(true, 3);
    r.has_limit = true;
    r.limit = 2000;
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 1);
    cr_assert(c[0].racing, "dropped by %s", vmb_race_why_name(c[0].why));
}

Test(tune, first_below_the_minimum_is_refused, .timeout = 30)
{
    char m[] = VMB_TEST_DATA "/data/results-fixture/matrix.yaml";
    char *cmd = NULL;
    cr_assert(asprintf(&cmd,
                       "'%s' tune '%s' --objective write.op_rate --first 2 "
                       "--dry-run --out /nonexistent-vmb/t 2>&1",
                       VMB_BINARY, m) > 0);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char out[512] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d: %s", st, out);
    cr_assert_not_null(strstr(out, "--first 2 is below 3, the fewest runs"),
                       "%s", out);
    free(cmd);
}

Test(tune, dropped_cells_stay_as_they_were)
{
    double a[] = {1, 2, 3}, b[] = {100, 101, 102};
    struct vmb_race_cand c[] = {cand("a", a, 3), cand("b", b, 3)};
    c[1].racing = false;
    c[1].why = VMB_RACE_INTERVAL;
    struct vmb_race_rule r = vmb_race_rule_default(true, 3);
    /* b is far better but out of the race: a is the best of those left. */
    cr_assert_eq(vmb_race_decide(&r, c, N(c)), 0);
    cr_assert(c[0].racing);
    cr_assert(!c[1].racing);
    cr_assert_eq(c[1].why, VMB_RACE_INTERVAL);
}

Test(tune, the_same_numbers_give_the_same_decision)
{
    double a[] = {1000, 1100, 950, 1020}, b[] = {1050, 980, 1120, 1010},
           d[] = {900, 1000, 1080, 1005};
    struct vmb_race_cand c1[] = {cand("a", a, 4), cand("b", b, 4),
                                 cand("d", d, 4)};
    struct vmb_race_cand c2[] = {cand("a", a, 4), cand("b", b, 4),
                                 cand("d", d, 4)};
    struct vmb_race_rule r = vmb_race_rule_default(true, 99);
    cr_assert_eq(vmb_race_decide(&r, c1, 3), vmb_race_decide(&r, c2, 3));
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(c1[i].racing, c2[i].racing);
        cr_assert_eq(c1[i].p_best, c2[i].p_best);
        cr_assert_eq(c1[i].lo, c2[i].lo);
        cr_assert_eq(c1[i].hi, c2[i].hi);
    }
}

static char *
tune_dir(const char *json)
{
    char tmpl[] = "/tmp/vmb-test-tune.XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/tune.json", tmpl) > 0);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(json, f);
    fclose(f);
    free(path);
    return strdup(tmpl);
}

static void
rm_tune_dir(char *dir)
{
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/tune.json", dir) > 0);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}

Test(tune, settings_are_read_back_for_resume)
{
    char *dir = tune_dir(
        "{\"schema\": 1, \"settings\": {\"objective\": \"write.op_rate\", "
        "\"limit\": \"write.p99=2ms\", \"first\": 3, \"budget\": 0, "
        "\"only\": \"baremetal\"}}");
    struct vmb_tune_settings s = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_tune_settings_read(dir, &s, &err), 0);
    cr_assert_str_eq(s.objective, "write.op_rate");
    cr_assert_str_eq(s.limit, "write.p99=2ms");
    cr_assert_str_eq(s.only, "baremetal");
    cr_assert_eq(s.first, 3);
    cr_assert_eq(s.budget, 0);
    vmb_tune_settings_clear(&s);
    rm_tune_dir(dir);
}

Test(tune, settings_no_tune_writes_are_refused_naming_the_field)
{
    char *dir = tune_dir("{\"schema\": 1, \"settings\": {\"objective\": "
                         "\"write.op_rate\", \"first\": -3, \"budget\": 0, "
                         "\"only\": \"all\"}}");
    struct vmb_tune_settings s = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_tune_settings_read(dir, &s, &err), -1);
    cr_assert_not_null(strstr(err->msg, "settings.first"), "%s", err->msg);
    vmb_error_free(err);
    rm_tune_dir(dir);

    err = NULL;
    cr_assert_eq(vmb_tune_settings_read("/nonexistent-vmb", &s, &err), -1);
    cr_assert_not_null(strstr(err->msg, "no tune.json"), "%s", err->msg);
    vmb_error_free(err);
}

/* What `vmbench tune` writes, the resume and the report read back. */
Test(tune, what_the_writer_writes_the_readers_read_back)
{
    char *dir = tune_dir("");
    struct vmb_tune_settings set = {.objective = "write.op_rate",
                                    .limit = "read.p99=2ms",
                                    .first = 3,
                                    .budget = 40,
                                    .only = "baremetal"};
    struct vmb_tune_cell cells[] = {
        {.id = "aaaaaaaaaaaa",
         .label = "rate=500",
         .status = "dropped",
         .why = "interval",
         .n = 3,
         .median = 500,
         .lo = 490,
         .hi = 510,
         .p_best = 0,
         .limit_median = 700,
         .limit_lo = 650},
        {.id = "bbbbbbbbbbbb",
         .label = "rate=8000",
         .status = "best",
         .n = 3,
         .median = 7900,
         .lo = 7800,
         .hi = 8000,
         .p_best = 1,
         .limit_median = 300,
         .limit_lo = 250},
    };
    struct vmb_tune_round round = {.round = 1,
                                   .repetitions = 3,
                                   .runs = 6,
                                   .best = "bbbbbbbbbbbb",
                                   .has_limit = true,
                                   .cells = cells,
                                   .ncells = N(cells)};
    struct vmb_buf rounds = {0};
    vmb_tune_round_append(&rounds, &round);
    round.round = 2;
    round.repetitions = 4;
    round.ncells = 1;
    round.cells = &cells[1];
    vmb_tune_round_append(&rounds, &round);
    struct vmb_tune_record rec = {.set = &set,
                                  .higher_better = true,
                                  .racing = "controls",
                                  .repetitions = 6,
                                  .rounds = rounds.data,
                                  .runs = 7,
                                  .factorial_runs = 12,
                                  .stopped = "separated",
                                  .winner_id = "bbbbbbbbbbbb",
                                  .winner_label = "rate=8000"};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_tune_json_write(dir, &rec, &err), 0);
    vmb_buf_free(&rounds);

    struct vmb_tune_settings s = {0};
    cr_assert_eq(vmb_tune_settings_read(dir, &s, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_str_eq(s.objective, "write.op_rate");
    cr_assert_str_eq(s.limit, "read.p99=2ms");
    cr_assert_str_eq(s.only, "baremetal");
    cr_assert_eq(s.first, 3);
    cr_assert_eq(s.budget, 40);
    vmb_tune_settings_clear(&s);

    struct vmb_tune_history h = {0};
    cr_assert_eq(vmb_tune_history_read(dir, &h, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_str_eq(h.stopped, "separated");
    cr_assert_str_eq(h.winner, "rate=8000");
    cr_assert_eq(h.runs, 7);
    cr_assert_eq(h.factorial_runs, 12);
    cr_assert_eq(h.nsteps, 3);
    cr_assert_eq(h.steps[0].round, 1);
    cr_assert_str_eq(h.steps[0].why, "interval");
    cr_assert_eq(h.steps[0].n, 3);
    cr_assert_eq(h.steps[0].hi, 510);
    cr_assert_eq(h.steps[2].round, 2);
    cr_assert_eq(h.steps[2].repetitions, 4);
    cr_assert_str_eq(h.steps[2].status, "best");
    cr_assert_null(h.steps[2].why);
    cr_assert_eq(h.steps[2].p_best, 1);
    vmb_tune_history_clear(&h);
    rm_tune_dir(dir);
}
