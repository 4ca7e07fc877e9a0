/*
 * Reading a results directory back (docs/results-format.md) from the
 * fixture and from damaged copies of it.
 */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load/load.h"
#include "report/report.h"
#include "results/metric.h"
#include "results/resources.h"
#include "results/results.h"
#include "results_fixture.h"

Test(results, loads_cells_controls_runs_and_provenance)
{
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(FIXTURE_DIR, &r, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_str_eq(r->name, "storage-small");
    cr_assert(r->has_seed);
    cr_assert_eq(r->seed, 20240611);
    cr_assert_eq(r->ncells, 3);
    cr_assert_eq(r->ncontrols, 1);
    /* Plan order. */
    cr_assert_str_eq(r->cells[0].id, CELL_9P);
    cr_assert_str_eq(r->cells[0].label, "storage=9p");
    cr_assert_str_eq(r->cells[2].id, CELL_VIRTIOBLK);
    cr_assert_eq(r->naxes, 1);
    cr_assert_str_eq(r->axes[0], "guest.storage");

    const struct vmb_res_cell *c = &r->cells[0];
    cr_assert(c->has_config);
    cr_assert_eq(c->cfg.guest.storage, VMB_STORAGE_9P);
    cr_assert_eq(c->cfg.guest.memory_mib, 1024);
    cr_assert_eq(c->cfg.guest.msize_9p_bytes, 512 * 1024);
    cr_assert_eq(c->cfg.nphases, 2);
    cr_assert_eq(c->cfg.phases[1].op, VMB_OP_READ);
    cr_assert_str_eq(vmb_res_cell_option(c, "guest.storage"), "9p");
    cr_assert_str_eq(vmb_res_cell_option(c, "phases[0].n"), "100000");

    cr_assert_eq(c->nreps, 3);
    const struct vmb_res_rep *rep = &c->reps[0];
    cr_assert_eq(rep->rep, 1);
    cr_assert(rep->ok);
    cr_assert_str_eq(rep->accel, "tcg");
    cr_assert_eq(rep->nphases, 2);
    const struct vmb_res_phase *p = vmb_res_rep_phase(rep, "0-write");
    cr_assert_not_null(p);
    cr_assert_float_eq(p->op_rate, 2582.0, 1e-9);
    cr_assert_float_eq(p->ops, 100000, 0);
    cr_assert(p->latency_us.p999 > p->latency_us.p99);
    cr_assert(p->npercentiles >= 8);
    cr_assert(rep->has_boot);
    cr_assert(rep->boot[1].db_ready_s > rep->boot[1].kernel_s);

    const struct vmb_res_cell *ctl = vmb_results_control_of(r, c);
    cr_assert_not_null(ctl);
    cr_assert_str_eq(ctl->id, CONTROL_ID);
    cr_assert(ctl->control);
    cr_assert(!ctl->reps[0].has_boot);

    cr_assert(r->run.present);
    cr_assert_str_eq(r->run.accel_used, "tcg");
    cr_assert_str_eq(r->run.accel_requested, "auto");
    cr_assert_str_eq(r->run.hostname, "bench-01");
    cr_assert_eq(r->run.ndoctor, 3);
    cr_assert_eq(r->nwarnings, 0);
    vmb_results_free(r);
}

Test(results, finds_cells_by_id_prefix_and_label)
{
    struct vmb_results *r = NULL;
    cr_assert_eq(vmb_results_load(FIXTURE_DIR, &r, NULL), 0);
    cr_assert_str_eq(vmb_results_find(r, CELL_VIRTIOFS, NULL)->label,
                     "storage=virtio-fs");
    cr_assert_str_eq(vmb_results_find(r, "62ac", NULL)->id, CELL_VIRTIOFS);
    cr_assert_str_eq(vmb_results_find(r, "storage=virtio-blk", NULL)->id,
                     CELL_VIRTIOBLK);
    cr_assert_str_eq(vmb_results_find(r, CONTROL_ID, NULL)->id, CONTROL_ID);
    bool amb = true;
    cr_assert_null(vmb_results_find(r, "storage=tmpfs", &amb));
    cr_assert(!amb);
    cr_assert_null(vmb_results_find(r, "62a", NULL)); /* too short */
    vmb_results_free(r);
}

/* The per-second series adds up to the phase, as the format promises. */
Test(results, timeseries_and_hgrm_agree_with_the_result)
{
    struct vmb_results *r = NULL;
    cr_assert_eq(vmb_results_load(FIXTURE_DIR, &r, NULL), 0);
    const struct vmb_res_rep *rep = &r->cells[1].reps[2];
    struct vmb_res_second *s = NULL;
    size_t n = 0;
    cr_assert_eq(vmb_results_read_timeseries(rep->dir, "1-read", &s, &n, NULL),
                 0);
    cr_assert_gt(n, 10);
    double ops = 0;
    for (size_t i = 0; i < n; i++) {
        ops += s[i].ops;
        cr_assert_eq(s[i].second, (double)(i + 1));
    }
    cr_assert_float_eq(ops, vmb_res_rep_phase(rep, "1-read")->ops, 0);
    free(s);

    struct vmb_res_hgrm_point *h = NULL;
    char *path = vmb_xasprintf("%s/latency-1-read.hgrm", rep->dir);
    cr_assert_eq(vmb_results_read_hgrm(path, &h, &n, NULL), 0);
    free(path);
    cr_assert_gt(n, 50);
    cr_assert_float_eq(h[n - 1].percentile, 1.0, 0);
    cr_assert_float_eq(h[n - 1].value_us,
                       vmb_res_rep_phase(rep, "1-read")->latency_us.max, 0);
    for (size_t i = 1; i < n; i++)
        cr_assert(h[i].percentile >= h[i - 1].percentile);
    free(h);
    vmb_results_free(r);
}

/* A killed run: a rep directory without result.json, a run never begun. */
Test(results, unfinished_runs_are_missing_not_errors)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep2/result.json", dir, CELL_9P);
    cr_assert_eq(unlink(p), 0);
    free(p);
    p = vmb_xasprintf("%s/cells/%s/rep3", dir, CELL_VIRTIOBLK);
    cr_assert_eq(vmb_rm_rf(p, NULL), 0);
    free(p);
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(r->cells[0].nreps, 3);
    cr_assert(!r->cells[0].reps[1].ok);
    cr_assert_str_eq(r->cells[0].reps[1].status, "missing");
    cr_assert_eq(r->cells[2].nreps, 3);
    cr_assert_eq(r->cells[2].reps[2].rep, 3);
    cr_assert_str_eq(r->cells[2].reps[2].status, "missing");
    vmb_results_free(r);
    fixture_remove(dir);
}

/* The warning of r that contains all of a and b, or NULL. */
static const char *
warning_with(const struct vmb_results *r, const char *a, const char *b)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        if (strstr(r->warnings[i], a) != NULL &&
            (b == NULL || strstr(r->warnings[i], b) != NULL))
            return r->warnings[i];
    return NULL;
}

static void
dump_warnings(const struct vmb_results *r)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        fprintf(stderr, "warning: %s\n", r->warnings[i]);
}

/*
 * One damaged result.json costs that run only: it is unreadable, a
 * warning names the file (and line), and every other run still loads.
 */
Test(results, malformed_json_makes_one_run_unreadable_and_names_the_file)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
    file_replace(p, "\"status\": \"ok\",", "\"status\": \"ok\" oops");
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    char *want = vmb_xasprintf("%s:7: malformed JSON", p);
    cr_assert_not_null(warning_with(r, want, NULL), "no warning %s", want);
    free(want);
    const struct vmb_res_rep *rep = &r->cells[0].reps[0];
    cr_assert(!rep->ok);
    cr_assert_str_eq(rep->status, "unreadable");
    cr_assert(r->cells[0].reps[1].ok);
    cr_assert(r->cells[1].reps[0].ok);
    vmb_results_free(r);
    free(p);
    fixture_remove(dir);
}

/* A result.json cut short, as by a full disk: the same. */
Test(results, truncated_result_is_one_unreadable_run)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/control/%s/rep2/result.json", dir, CONTROL_ID);
    char *text = slurp(p);
    cr_assert_eq(truncate(p, (off_t)(strlen(text) / 2)), 0);
    free(text);
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert_not_null(warning_with(r, p, "malformed JSON"));
    cr_assert_str_eq(r->controls[0].reps[1].status, "unreadable");
    cr_assert(r->controls[0].reps[0].ok && r->controls[0].reps[2].ok);
    vmb_results_free(r);
    free(p);
    fixture_remove(dir);
}

/* A field of result.json replaced by a value no run writes. */
struct bad_field {
    const char *from, *to; /* in cells/<9p>/rep2/result.json */
    const char *field;     /* named in the warning */
};

/*
 * Every number is checked before it is used: no negative rate, count or
 * duration, no index or repetition out of range (1e300 cast to int is
 * undefined), nothing but a number where a number belongs, no op the
 * load generator does not have (it names files). Each makes that run
 * unreadable, with a warning naming the file and the field.
 */
Test(results, a_bad_field_makes_its_run_unreadable_and_is_named)
{
    static const struct bad_field cases[] = {
        {"\"op_rate\": 2415.5,", "\"op_rate\": -2415.5,", "phases[0].op_rate"},
        {"\"index\": 0,", "\"index\": 1e300,", "phases[0].index"},
        {"\"index\": 1,", "\"index\": -1,", "phases[1].index"},
        {"\"index\": 0,", "\"index\": 0.5,", "phases[0].index"},
        {"\"ops\": 100000,", "\"ops\": \"lots\",", "phases[0].ops"},
        {"\"duration_s\": 41.4,", "\"duration_s\": -1,",
         "phases[0].duration_s"},
        {"\"errors\": 0,", "\"errors\": -3,", "phases[0].errors"},
        {"\"op_rate\": 2415.5,", "\"op_rate\": NaN,", "phases[0].op_rate"},
        {"\"op_rate\": 2415.5,", "\"op_rate\": 1e999,", "phases[0].op_rate"},
        {"\"op\": \"write\",", "\"op\": \"../../x\",", "phases[0].op"},
        {"\"op\": \"write\",", "\"op\": 7,", "phases[0].op"},
        {"\"p99\": 20900,", "\"p99\": -20900,", "phases[0].latency_us.p99"},
        {"\"rep\": 2,", "\"rep\": 1e300,", "rep"},
        {"\"status\": \"ok\",", "\"status\": [],", "status"},
        {"\"phases\": [", "\"phases\": 5, \"x\": [", "phases"},
        {"\"kernel_s\": ", "\"kernel_s\": -", "boot.node1.kernel_s"},
        {"[\n          50.0,", "[\n          500.0,",
         "phases[0].percentiles[0]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dir = fixture_copy();
        char *p = vmb_xasprintf("%s/cells/%s/rep2/result.json", dir, CELL_9P);
        char *before = slurp(p);
        cr_assert_not_null(strstr(before, cases[i].from), "case %zu: no %s", i,
                           cases[i].from);
        free(before);
        file_replace(p, cases[i].from, cases[i].to);
        struct vmb_results *r = NULL;
        struct vmb_error *err = NULL;
        cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "case %zu: %s", i,
                     err ? err->msg : "");
        const struct vmb_res_rep *rep = &r->cells[0].reps[1];
        if (rep->ok || warning_with(r, p, cases[i].field) == NULL)
            dump_warnings(r);
        cr_assert(!rep->ok, "case %zu (%s): the run still counts", i,
                  cases[i].to);
        cr_assert_not_null(warning_with(r, p, cases[i].field),
                           "case %zu: no warning naming %s", i, cases[i].field);
        cr_assert(r->cells[0].reps[0].ok && r->cells[0].reps[2].ok);
        vmb_results_free(r);
        free(p);
        fixture_remove(dir);
    }
}

/* For `run --resume`: one result.json read alone fails with the field. */
Test(results, read_result_fails_naming_the_field)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
    file_replace(p, "\"index\": 1,", "\"index\": 1e300,");
    struct vmb_res_rep rep = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_read_result(p, &rep, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert_not_null(strstr(err->msg, "phases[1].index"), "%s", err->msg);
    cr_assert_not_null(strstr(err->msg, p), "%s", err->msg);
    vmb_error_free(err);
    vmb_res_rep_clear(&rep);
    free(p);
    fixture_remove(dir);
}

/* Why a capacity step failed is read back; a reason it never writes is
 * a bad field. */
Test(results, capacity_steps_say_why_they_failed)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
    file_replace(p, "\"op\": \"write\",",
                 "\"op\": \"write\", \"capacity\": 1000, "
                 "\"capacity_percentile\": 99, \"capacity_limit_us\": 1000, "
                 "\"capacity_steps\": [{\"rate\": 1000, \"achieved\": 990, "
                 "\"latency_us\": 300, \"ok\": true, \"failed_by\": []}, "
                 "{\"rate\": 2000, \"achieved\": 1500, \"latency_us\": 400, "
                 "\"ok\": false, \"failed_by\": [\"rate\"]}, "
                 "{\"rate\": 1500, \"achieved\": 1200, \"latency_us\": 4000, "
                 "\"ok\": false, \"failed_by\": [\"latency\", \"rate\"]}, "
                 "{\"rate\": 1200, \"achieved\": 1190, \"latency_us\": 3000, "
                 "\"ok\": false}],");
    struct vmb_res_rep rep = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_read_result(p, &rep, &err), 0, "%s",
                 err ? err->msg : "");
    const struct vmb_res_phase *ph = &rep.phases[0];
    cr_assert_eq(ph->ncap_steps, 4);
    cr_assert_eq(ph->cap_steps[0].failed_by, 0);
    cr_assert_eq(ph->cap_steps[1].failed_by, VMB_LOAD_CAP_RATE);
    cr_assert_eq(ph->cap_steps[2].failed_by,
                 VMB_LOAD_CAP_RATE | VMB_LOAD_CAP_LATENCY);
    /* Results from before the field: failed, the reason unknown. */
    cr_assert_eq(ph->cap_steps[3].failed_by, 0);
    cr_assert(!ph->cap_steps[3].ok);
    vmb_res_rep_clear(&rep);
    file_replace(p, "[\"rate\"]", "[\"slow\"]");
    cr_assert_eq(vmb_results_read_result(p, &rep, &err), -1);
    cr_assert_not_null(strstr(err->msg, "capacity_steps[1].failed_by"), "%s",
                       err->msg);
    vmb_error_free(err);
    vmb_res_rep_clear(&rep);
    free(p);
    fixture_remove(dir);
}

/* Each tenant's part of a phase and the memory after it are read back;
 * tenants out of order, or a figure out of range, are bad fields. */
Test(results, tenants_and_memory_are_read_back)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
    file_replace(p, "\"op\": \"write\",",
                 "\"op\": \"write\", \"aggregate_op_rate\": 3000, "
                 "\"tenant_min_op_rate\": 1000, \"tenant_max_op_rate\": 2000, "
                 "\"tenant_fairness\": 0.9, \"tenants\": [{\"tenant\": 1, "
                 "\"ops\": 10, \"errors\": 0, \"op_rate\": 1000, "
                 "\"latency_us\": {\"mean\": 1, \"p50\": 1, \"p95\": 2, "
                 "\"p99\": 3, \"p99.9\": 4, \"max\": 5}}, {\"tenant\": 2, "
                 "\"ops\": 20, \"errors\": 1, \"op_rate\": 2000, "
                 "\"latency_us\": {\"mean\": 1, \"p50\": 1, \"p95\": 2, "
                 "\"p99\": 3, \"p99.9\": 4, \"max\": 5}}],");
    file_replace(p, "\"replication_lag_s\":",
                 "\"memory\": {\"0-write\": [{\"tenant\": 1, \"node1\": "
                 "{\"pss_bytes\": 3145728, \"helpers_pss_bytes\": 1048576, "
                 "\"guest_used_bytes\": 2097152}, \"node2\": {\"pss_bytes\": "
                 "4194304, \"helpers_pss_bytes\": 0, \"guest_used_bytes\": "
                 "1048576}}, {\"tenant\": 2, \"node1\": {\"pss_bytes\": "
                 "1048576}, \"node2\": {\"pss_bytes\": 1048576}}]}, "
                 "\"replication_lag_s\":");
    struct vmb_res_rep rep = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_read_result(p, &rep, &err), 0, "%s",
                 err ? err->msg : "");
    const struct vmb_res_phase *ph = &rep.phases[0];
    cr_assert_eq(ph->ntenants, 2);
    cr_assert_eq(ph->tenants[1].op_rate, 2000);
    cr_assert_eq(ph->tenants[1].latency_us.p99, 3);
    cr_assert_eq(ph->tenant_fairness, 0.9);
    cr_assert_eq(ph->aggregate_op_rate, 3000);
    /* Tenant 1: 4 + 4 MiB, tenant 2: 2 MiB; the mean is 5 MiB. */
    cr_assert_eq(ph->tenants[0].host_mem, 8388608.0);
    cr_assert_eq(ph->host_mem_per_tenant, 5242880.0);
    /* Only tenant 1's VMs say what their guests use: (2 + 3) / 2 MiB. */
    cr_assert_eq(ph->vm_overhead, 2621440.0);
    cr_assert_eq(vmb_metric_get(ph, "host_mem_per_tenant_mib"), 5.0);
    cr_assert_eq(vmb_metric_get(ph, "vm_overhead_mib"), 2.5);
    cr_assert_eq(vmb_metric_get(ph, "tenant_min_op_rate"), 1000);
    vmb_res_rep_clear(&rep);
    file_replace(p, "{\"tenant\": 2, \"ops\"", "{\"tenant\": 3, \"ops\"");
    cr_assert_eq(vmb_results_read_result(p, &rep, &err), -1);
    cr_assert_not_null(strstr(err->msg, "tenants[1].tenant"), "%s", err->msg);
    vmb_error_free(err);
    err = NULL;
    vmb_res_rep_clear(&rep);
    file_replace(p, "{\"tenant\": 3, \"ops\"", "{\"tenant\": 2, \"ops\"");
    file_replace(p, "\"tenant_fairness\": 0.9", "\"tenant_fairness\": 1.5");
    cr_assert_eq(vmb_results_read_result(p, &rep, &err), -1);
    cr_assert_not_null(strstr(err->msg, "tenant_fairness"), "%s", err->msg);
    vmb_error_free(err);
    vmb_res_rep_clear(&rep);
    free(p);
    fixture_remove(dir);
}

/* Tenants per host by memory: run.json's host memory less the reserve
 * (1 GiB or a tenth, the larger) over the host memory per tenant; NAN
 * without either. */
Test(results, tenants_per_host_by_memory)
{
    cr_assert_eq(vmb_metric_tenants_by_memory(4294967296.0, 1073741824.0), 3);
    cr_assert_eq(vmb_metric_tenants_by_memory(1073741824.0, 1048576.0), 0);
    cr_assert(isnan(vmb_metric_tenants_by_memory(NAN, 1048576.0)));
    cr_assert(isnan(vmb_metric_tenants_by_memory(4294967296.0, NAN)));
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
    file_replace(p, "\"replication_lag_s\":",
                 "\"memory\": {\"0-write\": [{\"tenant\": 1, \"node1\": "
                 "{\"pss_bytes\": 3145728}, \"node2\": {\"pss_bytes\": "
                 "2097152}}]}, \"replication_lag_s\":");
    struct vmb_results *r = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, NULL), 0);
    const struct vmb_res_cell *c = vmb_results_find(r, CELL_9P, NULL);
    cr_assert_not_null(c);
    /* 24 GiB less 2.4 GiB, over 5 MiB: 4423.68 -> 4423 (rounded down). */
    const struct vmb_res_phase *ph = &c->reps[0].phases[0];
    cr_assert_eq(ph->tenants_by_memory, 4423, "%f", ph->tenants_by_memory);
    cr_assert_eq(vmb_metric_get(ph, "tenants_per_host_by_memory"), 4423);
    cr_assert(isnan(c->reps[1].phases[0].tenants_by_memory));
    vmb_results_free(r);
    free(p);
    fixture_remove(dir);
}

/* A config value that does not parse: the cell's settings are unknown. */
Test(results, a_config_value_that_does_not_parse_is_a_warning)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/config.json", dir, CELL_9P);
    file_replace(p, "\"memory\": \"1024\"", "\"memory\": \"lots\"");
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert_not_null(warning_with(r, "config.json: guest.memory: ", NULL));
    cr_assert(!r->cells[0].has_config);
    cr_assert_eq(r->cells[0].nreps, 3);
    cr_assert(r->cells[0].reps[0].ok);
    cr_assert(r->cells[1].has_config);
    vmb_results_free(r);
    free(p);
    fixture_remove(dir);
}

/* run.json and plan.json damaged: provenance or plan is lost, not all. */
Test(results, malformed_run_or_plan_is_a_warning)
{
    char *dir = fixture_copy();
    char *run = path_in(dir, "run.json");
    file_write(run, "{\"schema\": 1, \"name\": ");
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert_not_null(warning_with(r, run, "malformed JSON"));
    cr_assert(!r->run.present);
    cr_assert_eq(r->ncells, 3);
    cr_assert_eq(r->seed, 20240611);
    vmb_results_free(r);
    char *plan = path_in(dir, "plan.json");
    file_write(plan, "[1, 2");
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert_not_null(warning_with(r, plan, "malformed JSON"));
    cr_assert_eq(r->ncells, 3); /* from the directories */
    cr_assert_eq(r->ncontrols, 1);
    vmb_results_free(r);
    free(run);
    free(plan);
    fixture_remove(dir);
}

/*
 * Numbers of run.json and plan.json out of range are dropped, not cast:
 * repetitions 1e300, a negative CPU count, a seed that is not an integer.
 */
Test(results, provenance_numbers_out_of_range_are_dropped)
{
    char *dir = fixture_copy();
    char *run = path_in(dir, "run.json");
    char *plan = path_in(dir, "plan.json");
    file_replace(run, "\"cpus\": 2,", "\"cpus\": -2,");
    file_replace(run, "\"seed\": 20240611,", "\"seed\": 1e300,");
    file_replace(plan, "\"repetitions\": 3,", "\"repetitions\": 1e300,");
    file_replace(plan, "\"seed\": 20240611,", "\"seed\": -4,");
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert(isnan(r->run.cpus));
    cr_assert_not_null(warning_with(r, run, "host.cpus"));
    cr_assert_not_null(warning_with(r, run, "seed"));
    cr_assert_not_null(warning_with(r, plan, "repetitions"));
    cr_assert_not_null(warning_with(r, plan, "seed"));
    cr_assert(!r->has_seed);
    cr_assert_eq(r->repetitions, 0);
    cr_assert_eq(r->ncells, 3);
    vmb_results_free(r);
    free(run);
    free(plan);
    fixture_remove(dir);
}

/*
 * Cell ids become path components: only vmbench's own ids (12 lowercase
 * hex digits) are used; a plan entry or directory with any other name is
 * left out with a warning, and nothing is read through it.
 */
Test(results, cell_ids_that_are_not_ids_are_left_out)
{
    char *dir = fixture_copy();
    char *plan = path_in(dir, "plan.json");
    file_replace(plan, "\"id\": \"" CELL_VIRTIOBLK "\"",
                 "\"id\": \"../../../tmp\"");
    free(plan);
    char *odd = path_in(dir, "cells/Not-An-Id\x1b[31m");
    cr_assert_eq(mkdir(odd, 0755), 0);
    free(odd);
    char *sub = path_in(dir, "control/abc");
    cr_assert_eq(mkdir(sub, 0755), 0);
    free(sub);
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    for (size_t i = 0; i < r->ncells; i++)
        cr_assert(strlen(r->cells[i].id) == 12 &&
                      strspn(r->cells[i].id, "0123456789abcdef") == 12,
                  "cell id %s", r->cells[i].id);
    cr_assert_eq(r->ncontrols, 1);
    cr_assert_not_null(warning_with(r, "../../../tmp", NULL));
    cr_assert_not_null(warning_with(r, "Not-An-Id\\x1b[31m", NULL));
    for (size_t i = 0; i < r->nwarnings; i++)
        cr_assert_null(strchr(r->warnings[i], '\x1b'), "%s", r->warnings[i]);
    vmb_results_free(r);
    fixture_remove(dir);
}

/*
 * A result.json that is a FIFO, a symlink or a directory is not read (a
 * FIFO would block for ever, a symlink leads out of the directory).
 */
Test(results, files_that_are_not_regular_are_not_read, .timeout = 20)
{
    char *dir = fixture_copy();
    char *fifo = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
    cr_assert_eq(unlink(fifo), 0);
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    char *link = vmb_xasprintf("%s/cells/%s/rep2/result.json", dir, CELL_9P);
    cr_assert_eq(unlink(link), 0);
    cr_assert_eq(symlink("/dev/zero", link), 0);
    char *cfg = vmb_xasprintf("%s/cells/%s/config.json", dir, CELL_VIRTIOFS);
    cr_assert_eq(unlink(cfg), 0);
    cr_assert_eq(symlink("/etc/passwd", cfg), 0);
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert(!r->cells[0].reps[0].ok);
    cr_assert(!r->cells[0].reps[1].ok);
    cr_assert(r->cells[0].reps[2].ok);
    cr_assert_not_null(warning_with(r, fifo, "not a regular file"));
    cr_assert_not_null(warning_with(r, link, "not a regular file"));
    cr_assert_not_null(warning_with(r, cfg, "not a regular file"));
    cr_assert(!r->cells[1].has_config);
    vmb_results_free(r);
    free(fifo);
    free(link);
    free(cfg);
    fixture_remove(dir);
}

/* cells/ a symlink out of the directory: nothing is read through it. */
Test(results, a_cells_symlink_is_not_followed)
{
    char *dir = fixture_copy();
    char *cells = path_in(dir, "cells");
    char *away = path_in(dir, "../away");
    cr_assert_eq(rename(cells, away), 0);
    cr_assert_eq(symlink(away, cells), 0);
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    cr_assert_not_null(warning_with(r, cells, "symlink"));
    for (size_t i = 0; i < r->ncells; i++) {
        cr_assert(!r->cells[i].has_config);
        for (size_t k = 0; k < r->cells[i].nreps; k++)
            cr_assert(!r->cells[i].reps[k].ok);
    }
    cr_assert(r->controls[0].reps[0].ok);
    vmb_results_free(r);
    free(cells);
    free(away);
    fixture_remove(dir);
}

/* Numbers in timeseries.csv and .hgrm: no NaN, infinity or negative rate. */
Test(results, timeseries_and_hgrm_numbers_are_checked)
{
    char *dir = fixture_copy();
    char *rep = vmb_xasprintf("%s/cells/%s/rep1", dir, CELL_9P);
    char *ts = vmb_xasprintf("%s/timeseries.csv", rep);
    file_write(ts, "phase,second,op,ops,ops_per_s,p50_us,p99_us\n"
                   "0-write,1,write,10,nan,5,inf\n"
                   "0-write,2,write,10,-10,5,1e999\n"
                   "0-write,3,write,10,10,5,7\n"
                   "0-write,inf,write,10,10,5,7\n");
    struct vmb_res_second *s = NULL;
    size_t n = 0;
    struct vmb_error *err = NULL;
    int rc = vmb_results_read_timeseries(rep, "0-write", &s, &n, &err);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            cr_assert(isfinite(s[i].second));
            cr_assert(!(s[i].ops_per_s < 0) && !isinf(s[i].ops_per_s),
                      "row %zu: %g", i, s[i].ops_per_s);
            cr_assert(!isinf(s[i].p99_us), "row %zu", i);
        }
    } else {
        vmb_error_free(err);
    }
    free(s);
    char *h = vmb_xasprintf("%s/latency-0-write.hgrm", rep);
    file_write(h, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
                  "     nan 0.5 1 2\n     inf 0.6 1 2\n     -5 0.7 1 2\n"
                  "     100 0.8 -1 2\n     200 0.9 10 10\n");
    struct vmb_res_hgrm_point *pts = NULL;
    cr_assert_eq(vmb_results_read_hgrm(h, &pts, &n, NULL), 0);
    cr_assert_eq(n, 1);
    cr_assert_float_eq(pts[0].value_us, 200, 0);
    free(pts);
    free(h);
    free(ts);
    free(rep);
    fixture_remove(dir);
}

Test(results, a_directory_without_run_or_plan_is_refused)
{
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(VMB_TEST_DATA "/golden", &r, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    cr_assert_not_null(strstr(err->msg, "neither run.json nor plan.json"));
    vmb_error_free(err);
}

/* Text after the object (a NUL byte too) is no valid JSON file. */
Test(results, text_after_the_object_is_malformed)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep3/result.json", dir, CELL_9P);
    char *text = slurp(p);
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, text);
    vmb_buf_append(&b, "\n\0{\"status\": \"failed\"}\n", 23);
    cr_assert_eq(vmb_write_file_atomic(p, b.data, b.len, NULL), 0);
    vmb_buf_free(&b);
    free(text);
    struct vmb_results *r = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, NULL), 0);
    cr_assert_str_eq(r->cells[0].reps[2].status, "unreadable");
    cr_assert_not_null(warning_with(r, p, "malformed JSON"));
    vmb_results_free(r);
    free(p);
    fixture_remove(dir);
}

/* A run's resources as a VM run writes them: each node's interface and
 * the guests' counters over the window, read back into the per-op and
 * percent metrics of summary.csv. */
Test(results, node_network_and_guest_counters_become_metrics)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep2/result.json", dir, CELL_9P);
    file_replace(
        p, "\"status\": \"ok\",",
        "\"status\": \"ok\", \"phase_resources\": {\"0-write\": "
        "{\"window_s\": 10, \"ops\": 100000, \"host_cpu_us\": null, "
        "\"net\": {\"rx_bytes\": 3e6, \"tx_bytes\": 5e6, \"rx_packets\": 0,"
        " \"tx_packets\": 0}, \"net_source\": \"nics\", \"net_nodes\": ["
        "{\"rx_bytes\": 1e6, \"tx_bytes\": 4e6, \"rx_packets\": 3e4, "
        "\"tx_packets\": 2e4}, {\"rx_bytes\": 2e6, \"tx_bytes\": 1e6, "
        "\"rx_packets\": 1e4, \"tx_packets\": 1e4}]}}, "
        "\"guest_resources\": {\"0-write\": {\"window_s\": 10, \"cpus\": 4,"
        " \"user_s\": 10, \"system_s\": 8, \"iowait_s\": 2, \"steal_s\": 0,"
        " \"idle_s\": 20, \"disk\": {\"read_ops\": 0, \"read_bytes\": 0, "
        "\"write_ops\": 5e4, \"write_bytes\": 2e8}}},");
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s", err ? err->msg : "");
    const struct vmb_res_rep *rep = &r->cells[0].reps[1];
    if (!rep->ok)
        dump_warnings(r);
    cr_assert(rep->ok);
    const struct vmb_res_phase *ph = vmb_res_rep_phase(rep, "0-write");
    cr_assert_not_null(ph);
    static const struct {
        const char *metric;
        double want;
    } cases[] = {
        {"net_bytes_per_op", 80},
        {"net_bytes_per_op.node1", 50},
        {"net_bytes_per_op.node2", 30},
        {"net_packets_per_op.node1", 0.5},
        {"net_packets_per_op.node2", 0.2},
        /* seconds over 10 s x 4 CPUs */
        {"guest_cpu_user_pct", 25},
        {"guest_cpu_system_pct", 20},
        {"guest_cpu_iowait_pct", 5},
        {"guest_cpu_steal_pct", 0},
        {"guest_cpu_idle_pct", 50},
        {"guest_disk_write_bytes_per_op", 2000},
        {"guest_disk_read_bytes_per_op", 0},
        {"guest_disk_iops_per_op", 0.5},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool known = vmb_metric_find(cases[i].metric, VMB_IN_PHASES) != NULL;
        double v = vmb_metric_get(ph, cases[i].metric);
        cr_expect(known, "%s", cases[i].metric);
        cr_expect(fabs(v - cases[i].want) < 1e-9, "%s: %g, not %g",
                  cases[i].metric, v, cases[i].want);
    }
    /* Another run without them: no figure, not a zero. */
    const struct vmb_res_phase *other =
        vmb_res_rep_phase(&r->cells[0].reps[0], "0-write");
    cr_expect(isnan(vmb_metric_get(other, "net_bytes_per_op.node1")));
    cr_expect(isnan(vmb_metric_get(other, "guest_cpu_user_pct")));
    vmb_results_free(r);
    /* A third node is bad input, named. */
    file_replace(p, "\"tx_packets\": 1e4}]", "\"tx_packets\": 1e4}, {}]");
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0);
    cr_expect_not_null(warning_with(r, p, "net_nodes"));
    vmb_results_free(r);
    free(p);
    fixture_remove(dir);
}

/* The members vmb_res_resources_write puts into an object, as text. */
static char *
resources_members(const char *const *names, const struct vmb_res_resources *res,
                  size_t n)
{
    struct vmb_jw w;
    vmb_jw_init(&w, false);
    vmb_jw_obj_begin(&w);
    vmb_res_resources_write(&w, names, res, n);
    vmb_jw_obj_end(&w);
    char *text = vmb_jw_steal(&w);
    size_t len = strlen(text);
    memmove(text, text + 1, len - 2); /* without the braces */
    text[len - 2] = '\0';
    return text;
}

/* The resource records a run writes are read back whole: writing what
 * was read gives the same bytes, measured and unmeasured figures alike. */
Test(results, resource_records_read_back_write_the_same_bytes)
{
    struct vmb_res_resources res[2];
    vmb_res_resources_clear(&res[0]);
    vmb_res_resources_clear(&res[1]);
    struct vmb_res_resources *a = &res[0];
    a->window_s = 10;
    a->ops = 1000;
    a->host_cpu_us = 3000;
    a->cpu_us[VMB_RES_CPU_VCPU] = 2000;
    a->cpu_us[VMB_RES_CPU_IOTHREADS] = 1000;
    a->disk_rd_bytes = 0;
    a->disk_wr_bytes = 4096;
    a->host_busy_ms = 12;
    a->net_rx_bytes = a->net_tx_bytes = 300;
    a->net_rx_packets = a->net_tx_packets = 3;
    a->net_source = VMB_RES_NET_NICS;
    for (int k = 0; k < 4; k++) {
        a->node_net[0][k] = 100 + k;
        a->node_net[1][k] = 200 + k;
    }
    a->guest_window_s = 9.5;
    a->guest_cpus = 4;
    a->guest_user_s = 1.5;
    a->guest_system_s = 0.25;
    a->guest_idle_s = 30;
    a->guest_disk_wr_ops = 7;
    /* The second phase: the host's window only, bare metal's loopback. */
    res[1].window_s = 2;
    res[1].ops = 500;
    res[1].loadgen_cpu_us = 800;
    res[1].net_rx_bytes = 50;
    res[1].net_source = VMB_RES_NET_LOOPBACK;
    const char *names[] = {"0-write", "1-read"};
    char *text = resources_members(names, res, 2);

    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep2/result.json", dir, CELL_9P);
    char *with = vmb_xasprintf("\"status\": \"ok\", %s,", text);
    file_replace(p, "\"status\": \"ok\",", with);
    struct vmb_res_rep rep = {0};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_read_result(p, &rep, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(rep.nphases, 2);
    const char *read_names[2];
    struct vmb_res_resources back[2];
    for (size_t i = 0; i < 2; i++) {
        read_names[i] = rep.phases[i].name;
        back[i] = rep.phases[i].res;
    }
    char *again = resources_members(read_names, back, 2);
    cr_assert_str_eq(again, text);
    cr_expect_eq(back[0].net_bytes, 600);
    cr_expect_eq(back[0].node_net_packets[1], 405);
    cr_expect(isnan(back[1].guest_window_s));
    vmb_res_rep_clear(&rep);
    free(again);
    free(with);
    free(p);
    fixture_remove(dir);
    free(text);
}

/* ignored_settings: read back as written; an entry without its why, or
 * more entries than any placement gives, is a bad field named by path. */
Test(results, ignored_settings_are_read_back_and_checked)
{
    static const struct {
        const char *json, *named; /* named NULL: reads */
    } cases[] = {
        {"[{\"setting\": \"innodb_flush_method\", \"value\": \"O_DIRECT\", "
         "\"why\": \"w\"}]",
         NULL},
        {"[{\"setting\": \"innodb_flush_method\", \"value\": \"O_DIRECT\"}]",
         "ignored_settings[0]"},
        {"[\"innodb_flush_method\"]", "ignored_settings[0]"},
        {"{}", "ignored_settings"},
        {"[{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
         "{}]",
         "ignored_settings"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dir = fixture_copy();
        char *p = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
        char *to = vmb_xasprintf(
            "\"accel\": \"tcg\", \"ignored_settings\": %s,", cases[i].json);
        file_replace(p, "\"accel\": \"tcg\",", to);
        struct vmb_res_rep rep = {0};
        struct vmb_error *err = NULL;
        int r = vmb_results_read_result(p, &rep, &err);
        if (cases[i].named == NULL) {
            cr_assert_eq(r, 0, "%s", err ? err->msg : "");
            cr_assert_eq(rep.nignored, 1);
            cr_assert_str_eq(rep.ignored[0].setting, "innodb_flush_method");
            cr_assert_str_eq(rep.ignored[0].value, "O_DIRECT");
            cr_assert_str_eq(rep.ignored[0].why, "w");
        } else {
            cr_assert_eq(r, -1, "case %zu read", i);
            cr_assert_not_null(strstr(err->msg, cases[i].named), "%s",
                               err->msg);
            vmb_error_free(err);
        }
        vmb_res_rep_clear(&rep);
        free(to);
        free(p);
        fixture_remove(dir);
    }
}
