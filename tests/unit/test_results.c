/*
 * Reading a results directory back (docs/results-format.md) from the
 * fixture and from damaged copies of it.
 */
#include <math.h>

#include "report/results.h"
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
    cr_assert_eq(vmb_results_load(dir, &r, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(r->cells[0].nreps, 3);
    cr_assert(!r->cells[0].reps[1].ok);
    cr_assert_str_eq(r->cells[0].reps[1].status, "missing");
    cr_assert_eq(r->cells[2].nreps, 3);
    cr_assert_eq(r->cells[2].reps[2].rep, 3);
    cr_assert_str_eq(r->cells[2].reps[2].status, "missing");
    vmb_results_free(r);
    fixture_remove(dir);
}

Test(results, malformed_json_names_the_file_and_line)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/rep1/result.json", dir, CELL_9P);
    file_replace(p, "\"status\": \"ok\",", "\"status\": \"ok\" oops");
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), -1);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    char *want = vmb_xasprintf("%s:7: malformed JSON", p);
    cr_assert(vmb_str_has_prefix(err->msg, want), "%s", err->msg);
    free(want);
    vmb_error_free(err);
    free(p);
    fixture_remove(dir);
}

Test(results, a_config_value_that_does_not_parse_is_an_error)
{
    char *dir = fixture_copy();
    char *p = vmb_xasprintf("%s/cells/%s/config.json", dir, CELL_9P);
    file_replace(p, "\"memory\": \"1024\"", "\"memory\": \"lots\"");
    struct vmb_results *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_results_load(dir, &r, &err), -1);
    cr_assert_not_null(strstr(err->msg, "config.json: guest.memory: "), "%s",
                       err->msg);
    vmb_error_free(err);
    free(p);
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
