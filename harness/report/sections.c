#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "base/units.h"
#include "report/report_priv.h"
#include "version.h"

static char *
fmt_ratio(double v)
{
    if (!isfinite(v))
        return vmb_xstrdup("–");
    return vmb_xasprintf(fabs(v) >= 0.095 ? "%.2f" : "%.3f", v);
}

void
vmb_sections_tcg(struct vmb_doc *d, const struct vmb_model *m,
                 const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    const struct vmb_res_run *run = &m->res->run;
    if (!m->tcg)
        return;
    vmb_doc_note_begin(d);
    vmb_doc_strong(d, "These VMs ran under TCG, QEMU's software emulation, "
                      "not KVM.");
    vmb_doc_textf(d, " Accelerator requested: %s; used: tcg.",
                  run->accel_requested ? run->accel_requested : "unknown");
    if (run->accel_note) {
        vmb_doc_text(d, " Note: ");
        vmb_doc_text(d, run->accel_note);
        vmb_doc_text(d, ".");
    }
    vmb_doc_text(d, " Every VM number below is far lower than KVM would give, "
                    "and the ratios to bare metal overstate what a VM costs. "
                    "Compare the cells with each other; do not quote these "
                    "figures as the overhead of Kata VMs.");
    if (run->tcg_slowdown > 0) {
        vmb_doc_textf(d,
                      " Guest CPU ran %.1f× slower than the host: the same "
                      "compute loop, in the guest's vCPU threads' host CPU "
                      "time against the host's own",
                      run->tcg_slowdown);
        if (isfinite(run->tcg_clock_slowdown) &&
            run->tcg_clock_slowdown > run->tcg_slowdown * 1.2)
            vmb_doc_textf(d,
                          " (%.1f× by the guest's clock, which also counts "
                          "the time its vCPU waited for a busy host CPU)",
                          run->tcg_clock_slowdown);
        vmb_doc_text(d, ".");
        vmb_doc_text(d, " That factor inflates what runs on the guest's CPU "
                        "(the database itself, a guest filesystem's "
                        "journaling, the guest's network stack), so the op "
                        "rates, latencies and vCPU host CPU per operation of "
                        "the VM cells, and the guests' CPU shares, carry it; "
                        "it does not touch what runs on the host (9p's and "
                        "virtiofsd's servers, QEMU's block layer and "
                        "IOThreads, vhost), nor the bare-metal control: "
                        "under TCG a shared filesystem can beat a "
                        "guest-local one where KVM shows the opposite, and "
                        "vCPU time dominates the host CPU per operation.");
    }
    vmb_doc_note_end(d);
}

/*
 * The VM cells that asked for vhost on a host without /dev/vhost-net ran
 * without it (network.vhost_fallback: true; otherwise they were refused):
 * their network path is not the one Kata would give them.
 */
void
vmb_sections_vhost(struct vmb_doc *d, const struct vmb_model *m,
                   const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    if (!m->res->run.no_vhost_net)
        return;
    size_t n = 0;
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        const char *off = vmb_res_cell_option(c, "network.disable_vhost_net");
        const char *fb = vmb_res_cell_option(c, "network.vhost_fallback");
        bool vhost_off = false, fallback = false;
        if (off != NULL && vmb_parse_bool(off, &vhost_off) < 0)
            continue;
        if (fb != NULL && vmb_parse_bool(fb, &fallback) == 0 && fallback &&
            !vhost_off)
            n++;
    }
    if (n == 0)
        return;
    vmb_doc_note_begin(d);
    vmb_doc_strong(d, "Without vhost-net.");
    vmb_doc_textf(d,
                  " This host has no /dev/vhost-net, so %zu VM cell%s that "
                  "ask%s for vhost (Kata's default, disable_vhost_net = "
                  "false) ran without it, on QEMU's own virtio-net backend "
                  "(network.vhost_fallback: true). Kata would use vhost: "
                  "network-bound figures of %s cell%s are lower than Kata's.",
                  n, n == 1 ? "" : "s", n == 1 ? "s" : "",
                  n == 1 ? "that" : "these", n == 1 ? "" : "s");
    vmb_doc_note_end(d);
}

/* Whether rep k of c is the first of c's runs to name ignored x. */
static bool
first_ignored(const struct vmb_res_cell *c, size_t k,
              const struct vmb_res_ignored *x)
{
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < c->reps[j].nignored; i++)
            if (strcmp(c->reps[j].ignored[i].setting, x->setting) == 0 &&
                strcmp(c->reps[j].ignored[i].value, x->value) == 0)
                return false;
    return true;
}

/*
 * The server settings a cell's placement silently ignored (the server
 * runs with the value; the storage does not do it): the cell's figures
 * are those of the setting that really applied.
 */
void
vmb_sections_ignored(struct vmb_doc *d, const struct vmb_model *m,
                     const struct vmb_charts *cs,
                     const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    bool any = false;
    for (size_t i = 0; i < m->nrows; i++)
        for (size_t k = 0; k < m->rows[i].cell->nreps; k++)
            any |= m->rows[i].cell->reps[k].nignored > 0;
    if (!any)
        return;
    vmb_doc_h(d, 2, "Settings that did not apply");
    vmb_doc_p_begin(d);
    vmb_doc_text(d, "The servers of these cells report a setting that their "
                    "data placement silently ignores: the figures are those "
                    "of the cell without it, and the cell's label marks it "
                    "\"(ignored)\".");
    vmb_doc_p_end(d);
    vmb_doc_list_begin(d);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        for (size_t k = 0; k < c->nreps; k++)
            for (size_t j = 0; j < c->reps[k].nignored; j++) {
                const struct vmb_res_ignored *x = &c->reps[k].ignored[j];
                if (!first_ignored(c, k, x))
                    continue;
                vmb_doc_item_begin(d);
                vmb_doc_strong(d, c->label);
                vmb_doc_text(d, ": ");
                vmb_doc_code(d, x->setting);
                vmb_doc_text(d, " \"");
                vmb_doc_text(d, x->value);
                vmb_doc_text(d, "\" did not apply: ");
                vmb_doc_text(d, x->why);
                vmb_doc_text(d, ".");
                vmb_doc_item_end(d);
            }
    }
    vmb_doc_list_end(d);
}

static const char *
op_verb(const char *op)
{
    if (strcmp(op, "write") == 0)
        return "writes";
    if (strcmp(op, "read") == 0)
        return "reads";
    return op;
}

static double
oprate_ratio(const struct vmb_model *m, size_t p, size_t row)
{
    return vmb_model_series(m, p, row, VMB_METRIC_OPRATE)->ratio;
}

void
vmb_sections_headline(struct vmb_doc *d, const struct vmb_model *m,
                      const struct vmb_charts *cs,
                      const struct vmb_buf *warnings)
{
    (void)warnings;
    if (m->ncells == 0 || !vmb_model_any_control(m))
        return;
    vmb_doc_h(d, 2, "Headline");
    bool listed = false;
    for (size_t p = 0; p < m->nphases; p++) {
        /* Best first: the sentence a reader quotes. */
        size_t *ord = vmb_xcalloc(m->ncells, sizeof(*ord));
        size_t n = 0;
        for (size_t i = 0; i < m->ncells; i++)
            if (isfinite(oprate_ratio(m, p, i)))
                ord[n++] = i;
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && oprate_ratio(m, p, ord[j - 1]) <
                                            oprate_ratio(m, p, ord[j]);
                 j--) {
                size_t t = ord[j];
                ord[j] = ord[j - 1];
                ord[j - 1] = t;
            }
        for (size_t k = 0; k < n; k++) {
            const struct vmb_model_series *s =
                vmb_model_series(m, p, ord[k], VMB_METRIC_OPRATE);
            autofree char *r = fmt_ratio(s->ratio);
            autofree char *lo = fmt_ratio(s->ratio_ci.lo);
            autofree char *hi = fmt_ratio(s->ratio_ci.hi);
            if (!listed)
                vmb_doc_list_begin(d);
            listed = true;
            vmb_doc_item_begin(d);
            vmb_doc_textf(d, "%s in ", op_verb(m->phases[p].title));
            vmb_doc_strong(d, vmb_model_label(m, ord[k]));
            vmb_doc_textf(d, " VMs run at %s× bare metal [%s, %s]", r, lo, hi);
            if (s->flag.reasons & VMB_FLAG_OVERLAP)
                vmb_doc_text(d, " (not separable from its neighbour; see "
                                "Flagged cells)");
            vmb_doc_item_end(d);
        }
        free(ord);
    }
    if (listed)
        vmb_doc_list_end(d);
    vmb_report_chart(d, cs, "ratio");
}

static void
kv_row(struct vmb_doc *d, const char *k, const char *v)
{
    const char *cells[] = {k, v ? v : "unknown"};
    vmb_doc_row(d, cells, 2);
}

void
vmb_sections_what(struct vmb_doc *d, const struct vmb_model *m,
                  const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    const struct vmb_results *r = m->res;
    const struct vmb_res_run *run = &r->run;
    vmb_doc_h(d, 2, "What ran");
    static const char *const head[] = {"", ""};
    vmb_doc_table_begin(d, head, 2);
    kv_row(d, "Matrix", r->name);
    kv_row(d, "Matrix file", run->matrix ? run->matrix : "matrix.yaml");
    struct vmb_buf axes = {0};
    for (size_t i = 0; i < r->naxes; i++)
        vmb_buf_printf(&axes, "%s%s", i ? ", " : "", r->axes[i]);
    autofree char *ax = vmb_buf_steal(&axes);
    kv_row(d, "Axes", ax[0] ? ax : "none");
    size_t nctl = m->nrows - m->ncells;
    autofree char *cells =
        vmb_xasprintf("%zu VM cell%s, %zu bare-metal control%s", m->ncells,
                      m->ncells == 1 ? "" : "s", nctl, nctl == 1 ? "" : "s");
    kv_row(d, "Cells", cells);
    autofree char *reps = vmb_xasprintf("%d per cell, order %s", r->repetitions,
                                        r->order ? r->order : "unknown");
    kv_row(d, "Repetitions", reps);
    size_t ok = 0, failed = 0, missing = 0;
    for (size_t i = 0; i < m->nrows; i++) {
        ok += m->rows[i].nok;
        failed += m->rows[i].nfailed;
        missing += m->rows[i].nmissing;
    }
    autofree char *runs =
        vmb_xasprintf("%zu ok, %zu failed, %zu not run", ok, failed, missing);
    kv_row(d, "Runs", runs);
    kv_row(d, "Started", run->started);
    kv_row(d, "Finished", run->finished);
    if (r->ncells > 0 && r->cells[0].has_config) {
        const struct vmb_config *c = &r->cells[0].cfg;
        struct vmb_buf ph = {0};
        for (size_t i = 0; i < c->nphases; i++) {
            const struct vmb_phase *p = &c->phases[i];
            if (p->n > 0)
                vmb_buf_printf(&ph, "%s%s n=%lld", i ? ", " : "",
                               vmb_op_name(p->op), (long long)p->n);
            else
                vmb_buf_printf(&ph, "%s%s for %.0f s", i ? ", " : "",
                               vmb_op_name(p->op),
                               (double)p->duration_us / 1e6);
        }
        autofree char *phs = vmb_buf_steal(&ph);
        /* fio's jobs say their own sizes (fio-<phase>.job of each run). */
        autofree char *load =
            c->database.engine == VMB_ENGINE_FIO
                ? vmb_xasprintf("%s; fio jobs on one node: one VM, no "
                                "replica (docs/fio.md)",
                                phs)
                : vmb_xasprintf(
                      "%s; %lld connections, pipeline %lld, %lld keys, "
                      "values of %llu bytes, %s",
                      phs, (long long)c->load.connections,
                      (long long)c->load.pipeline, (long long)c->load.keys,
                      (unsigned long long)c->load.value_size_bytes,
                      c->load.rate_per_s ? "open loop" : "closed loop");
        kv_row(d, "Load", load);
    }
    vmb_doc_table_end(d);

    static const char *const chead[] = {
        "Cell", "Id", "Bare-metal control", "Runs ok", "Failed", "Not run"};
    vmb_doc_table_begin(d, chead, 6);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_model_row *row = &m->rows[i];
        autofree char *ok_s = vmb_xasprintf("%zu", row->nok);
        autofree char *f_s = vmb_xasprintf("%zu", row->nfailed);
        autofree char *m_s = vmb_xasprintf("%zu", row->nmissing);
        const char *ctl = row->cell->control ? "(is a control)"
                          : row->control_row == SIZE_MAX
                              ? "none"
                              : vmb_model_label(m, row->control_row);
        const char *cells_[] = {
            row->cell->label, row->cell->id, ctl, ok_s, f_s, m_s};
        vmb_doc_row(d, cells_, 6);
    }
    vmb_doc_table_end(d);
}

void
vmb_sections_host(struct vmb_doc *d, const struct vmb_model *m,
                  const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    const struct vmb_res_run *run = &m->res->run;
    vmb_doc_h(d, 2, "Host and versions");
    if (!run->present) {
        vmb_doc_p_begin(d);
        vmb_doc_text(d, "run.json is missing: the host and versions are "
                        "unknown.");
        vmb_doc_p_end(d);
        return;
    }
    static const char *const head[] = {"", ""};
    vmb_doc_table_begin(d, head, 2);
    kv_row(d, "Host", run->hostname);
    kv_row(d, "CPU", run->cpu);
    autofree char *cpus =
        isfinite(run->cpus) ? vmb_xasprintf("%.0f", run->cpus) : NULL;
    kv_row(d, "CPUs", cpus);
    autofree char *mem =
        isfinite(run->memory_bytes)
            ? vmb_xasprintf("%.1f GiB", run->memory_bytes / 1073741824.0)
            : NULL;
    kv_row(d, "Memory", mem);
    kv_row(d, "Kernel", run->kernel);
    kv_row(d, "cpufreq governor", run->governor);
    kv_row(d, "Transparent huge pages", run->thp);
    /* Results from before it have none: no row rather than "unknown". */
    if (run->ksm != NULL)
        kv_row(d, "KSM at the start (/sys/kernel/mm/ksm/run)", run->ksm);
    autofree char *acc = vmb_xasprintf(
        "%s (requested %s)", run->accel_used ? run->accel_used : "unknown",
        run->accel_requested ? run->accel_requested : "unknown");
    kv_row(d, "Accelerator", acc);
    if (run->accel_note)
        kv_row(d, "Accelerator note", run->accel_note);
    for (size_t i = 0; i < run->nversions; i++)
        kv_row(d, run->versions[i].key, run->versions[i].value);
    autofree char *vm =
        vmb_xasprintf("%s (git %s)", run->version ? run->version : "unknown",
                      run->git ? run->git : "unknown");
    kv_row(d, "vmbench that ran", vm);
    vmb_doc_table_end(d);
    if (run->ndoctor > 0) {
        static const char *const dh[] = {"Host check", "Status", "Detail"};
        vmb_doc_table_begin(d, dh, 3);
        for (size_t i = 0; i < run->ndoctor; i++) {
            const char *c[] = {
                run->doctor[i].check ? run->doctor[i].check : "",
                run->doctor[i].status ? run->doctor[i].status : "",
                run->doctor[i].detail ? run->doctor[i].detail : ""};
            vmb_doc_row(d, c, 3);
        }
        vmb_doc_table_end(d);
    }
}

static char *
with_ci(const struct vmb_summary *s, double scale)
{
    autofree char *a = vmb_report_fmt3(s->median * scale);
    autofree char *lo = vmb_report_fmt3(s->ci.lo * scale);
    autofree char *hi = vmb_report_fmt3(s->ci.hi * scale);
    if (!isfinite(s->median))
        return vmb_xstrdup("–");
    return vmb_xasprintf("%s [%s, %s]", a, lo, hi);
}

void
vmb_sections_phase(struct vmb_doc *d, const struct vmb_model *m, size_t p,
                   const struct vmb_charts *cs)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    autofree char *h = vmb_xasprintf("Results: %s phase", ph->title);
    vmb_doc_h(d, 2, h);
    double mx = 0;
    for (size_t i = 0; i < m->nrows; i++)
        mx = fmax(mx, vmb_model_series(m, p, i, VMB_METRIC_P999)->s.median);
    const char *unit = vmb_model_lat_unit(mx);
    double sc = vmb_model_lat_scale(unit);
    autofree char *h50 = vmb_xasprintf("p50 (%s)", unit);
    autofree char *h99 = vmb_xasprintf("p99 (%s)", unit);
    autofree char *h999 = vmb_xasprintf("p99.9 (%s)", unit);
    const char *head[] = {"Cell", "Op rate, ops/s [95% CI]",
                          "CV",   "vs bare metal [95% CI]",
                          h50,    h99,
                          h999,   "n",
                          "Flag"};
    vmb_doc_table_begin(d, head, 9);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_model_series *o =
            vmb_model_series(m, p, i, VMB_METRIC_OPRATE);
        if (o->s.n == 0 && m->rows[i].nok == 0 && m->rows[i].nfailed == 0 &&
            m->rows[i].nmissing == 0)
            continue;
        autofree char *rate = with_ci(&o->s, 1);
        autofree char *cv = isfinite(o->s.cv)
                                ? vmb_xasprintf("%.1f%%", o->s.cv * 100)
                                : vmb_xstrdup("–");
        autofree char *ratio = NULL;
        if (isfinite(o->ratio)) {
            autofree char *r = fmt_ratio(o->ratio);
            autofree char *lo = fmt_ratio(o->ratio_ci.lo);
            autofree char *hi = fmt_ratio(o->ratio_ci.hi);
            ratio = vmb_xasprintf("%s× [%s, %s]", r, lo, hi);
        } else {
            ratio = vmb_xstrdup(m->rows[i].cell->control ? "(control)" : "–");
        }
        const struct vmb_model_series *p99 =
            vmb_model_series(m, p, i, VMB_METRIC_P99);
        autofree char *l50 =
            with_ci(&vmb_model_series(m, p, i, VMB_METRIC_P50)->s, sc);
        autofree char *l99 = with_ci(&p99->s, sc);
        autofree char *l999 =
            with_ci(&vmb_model_series(m, p, i, VMB_METRIC_P999)->s, sc);
        autofree char *n = vmb_xasprintf("%zu", o->s.n);
        const char *flag = "";
        if (o->flag.reasons || p99->flag.reasons)
            flag = "flagged, see below";
        const char *c[] = {
            vmb_model_label(m, i), rate, cv, ratio, l50, l99, l999, n, flag};
        vmb_doc_row(d, c, 9);
    }
    vmb_doc_table_end(d);
    autofree char *b1 = vmb_xasprintf("oprate-%s", ph->name);
    autofree char *b2 = vmb_xasprintf("latency-%s", ph->name);
    autofree char *b3 = vmb_xasprintf("hdr-%s", ph->name);
    autofree char *b4 = vmb_xasprintf("timeseries-%s", ph->name);
    autofree char *b5 = vmb_xasprintf("capacity-%s", ph->name);
    vmb_report_chart(d, cs, b5); /* capacity phases only */
    vmb_report_chart(d, cs, b1);
    vmb_report_chart(d, cs, b2);
    vmb_report_chart(d, cs, b3);
    vmb_report_chart(d, cs, b4);
}

void
vmb_sections_boot(struct vmb_doc *d, const struct vmb_model *m,
                  const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)warnings;
    if (m->ncells == 0)
        return;
    vmb_doc_h(d, 2, "Boot");
    if (!m->any_boot) {
        vmb_report_chart(d, cs, "boot");
        return;
    }
    vmb_doc_p_begin(d);
    vmb_doc_text(d, "Seconds from the domain start call to each milestone, "
                    "median over both nodes of every repetition [95% CI].");
    vmb_doc_p_end(d);
    const char *head[] = {"Cell",        "Kernel",         "Agent up",
                          "Mounts done", "Database ready", "Replica in sync"};
    vmb_doc_table_begin(d, head, 6);
    for (size_t i = 0; i < m->ncells; i++) {
        char *c[6] = {NULL};
        for (int k = 0; k < VMB_NBOOT; k++) {
            const struct vmb_summary *s =
                vmb_model_boot(m, i, VMB_BOOT_KERNEL + k);
            c[k + 1] = with_ci(s, 1);
        }
        const char *cc[6] = {
            vmb_model_label(m, i), c[1], c[2], c[3], c[4], c[5]};
        vmb_doc_row(d, cc, 6);
        for (int k = 1; k < 6; k++)
            free(c[k]);
    }
    vmb_doc_table_end(d);
    vmb_report_chart(d, cs, "boot");
}

/* One flagged metric of one cell in one phase: why, and what would help. */
static void
flag_item(struct vmb_doc *d, const struct vmb_model *m, size_t p, size_t i,
          int k)
{
    const struct vmb_model_series *s = vmb_model_series(m, p, i, k);
    const struct vmb_flag *f = &s->flag;
    vmb_doc_item_begin(d);
    vmb_doc_strong(d, vmb_model_label(m, i));
    vmb_doc_textf(d, ", %s %s: ", m->phases[p].title, vmb_metrics[k].human);
    bool first = true;
    if (f->reasons & VMB_FLAG_OVERLAP) {
        vmb_doc_text(d, "its interval overlaps that of ");
        vmb_doc_strong(d, vmb_model_label(m, f->neighbour));
        vmb_doc_textf(d, " (medians %.1f%% apart)", f->difference * 100);
        first = false;
    }
    if (f->reasons & VMB_FLAG_NOISY) {
        vmb_doc_textf(d, "%scoefficient of variation %.1f%%", first ? "" : "; ",
                      s->s.cv * 100);
        first = false;
    }
    if (f->reasons & VMB_FLAG_FEW)
        vmb_doc_textf(d, "%sonly one repetition: no interval",
                      first ? "" : "; ");
    if (f->reps_needed == SIZE_MAX)
        vmb_doc_textf(d,
                      ". Even %d repetitions would not separate "
                      "them: treat them as equal.",
                      VMB_STATS_MAX_REPS);
    else if (f->reps_needed > 0)
        vmb_doc_textf(d,
                      ". About %zu repetitions per cell would "
                      "be needed.",
                      f->reps_needed);
    else
        vmb_doc_text(d, ".");
    vmb_doc_item_end(d);
}

void
vmb_sections_flags(struct vmb_doc *d, const struct vmb_model *m,
                   const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    vmb_doc_h(d, 2, "Flagged cells");
    bool any = false;
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->ncells; i++)
            for (int k = 0; k < (int)vmb_nmetrics; k++)
                any |= vmb_model_series(m, p, i, k)->flag.reasons != 0;
    if (!any) {
        vmb_doc_p_begin(d);
        vmb_doc_text(d, "None: every cell's 95% interval stands apart from its "
                        "neighbours', with a coefficient of variation under ");
        vmb_doc_textf(d, "%.0f%%.", VMB_STATS_CV_LIMIT * 100);
        vmb_doc_p_end(d);
        return;
    }
    vmb_doc_p_begin(d);
    vmb_doc_text(d,
                 "Cells ranked by median, each compared with the next one up "
                 "and down. A cell is flagged when its 95% interval overlaps "
                 "a neighbour's (the two cannot be told apart with these "
                 "repetitions), when its coefficient of variation is above ");
    vmb_doc_textf(d, "%.0f%%, or when it has a single repetition. ",
                  VMB_STATS_CV_LIMIT * 100);
    vmb_doc_text(d, "Repetition counts are estimates (normal approximation for "
                    "the median): per cell, to separate the pair, and to bring "
                    "the interval within ±5% of the median.");
    vmb_doc_p_end(d);
    vmb_doc_list_begin(d);
    for (size_t p = 0; p < m->nphases; p++)
        for (size_t i = 0; i < m->ncells; i++)
            for (int k = 0; k < (int)vmb_nmetrics; k++)
                if (vmb_model_series(m, p, i, k)->flag.reasons)
                    flag_item(d, m, p, i, k);
    vmb_doc_list_end(d);
}

void
vmb_sections_failures(struct vmb_doc *d, const struct vmb_model *m,
                      const struct vmb_charts *cs,
                      const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    bool any = false;
    for (size_t i = 0; i < m->nrows; i++)
        any |= m->rows[i].nfailed + m->rows[i].nmissing > 0;
    if (!any)
        return;
    vmb_doc_h(d, 2, "Failed and missing runs");
    vmb_doc_p_begin(d);
    vmb_doc_text(d, "These runs are left out of every number above.");
    vmb_doc_p_end(d);
    vmb_doc_list_begin(d);
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        for (size_t k = 0; k < c->nreps; k++) {
            const struct vmb_res_rep *rep = &c->reps[k];
            if (rep->ok)
                continue;
            vmb_doc_item_begin(d);
            vmb_doc_strong(d, c->label);
            vmb_doc_textf(d, ", repetition %d: %s", rep->rep,
                          strcmp(rep->status, "missing") == 0
                              ? "not run (no result.json)"
                              : rep->status);
            if (rep->error) {
                vmb_doc_text(d, ": ");
                vmb_doc_text(d, rep->error);
            }
            vmb_doc_item_end(d);
        }
    }
    vmb_doc_list_end(d);
}

void
vmb_sections_method(struct vmb_doc *d, const struct vmb_model *m,
                    const struct vmb_charts *cs, const struct vmb_buf *warnings)
{
    (void)cs;
    (void)warnings;
    vmb_doc_h(d, 2, "Method");
    vmb_doc_p_begin(d);
    vmb_doc_textf(
        d,
        "Each number is the median over a cell's successful "
        "repetitions. Intervals are 95%% percentile-bootstrap "
        "intervals of the median (%d resamples, seed %llu). The ratio "
        "to bare metal is the cell's median over its control's "
        "median; its interval resamples both independently. The "
        "coefficient of variation is the sample standard deviation "
        "over the mean. Repetitions ran %s, so slow drift on the "
        "host touches every cell alike. Latency percentiles are "
        "those of each run's merged histogram; their medians over "
        "the repetitions are shown.",
        VMB_STATS_RESAMPLES, (unsigned long long)m->seed,
        m->res->order ? m->res->order : "in the recorded order");
    vmb_doc_p_end(d);
}

void
vmb_sections_provenance(struct vmb_doc *d, const struct vmb_model *m,
                        const struct vmb_charts *cs,
                        const struct vmb_buf *warnings)
{
    (void)cs;
    const struct vmb_results *r = m->res;
    vmb_doc_h(d, 2, "Provenance");
    vmb_doc_list_begin(d);
    vmb_doc_item_begin(d);
    vmb_doc_text(d, "Results directory: ");
    vmb_doc_code(d, r->dir);
    vmb_doc_item_end(d);
    vmb_doc_item_begin(d);
    vmb_doc_text(d, "Provenance: ");
    vmb_doc_link(d, "run.json", "run.json");
    vmb_doc_text(d, "; plan and seed: ");
    vmb_doc_link(d, "plan.json", "plan.json");
    vmb_doc_text(d, "; the matrix as given: ");
    vmb_doc_link(d, "matrix.yaml", "matrix.yaml");
    vmb_doc_text(d, "; every number of this report: ");
    vmb_doc_link(d, "summary.csv", "summary.csv");
    vmb_doc_item_end(d);
    vmb_doc_item_begin(d);
    vmb_doc_text(d,
                 "Per run: result.json, timeseries.csv, latency-PHASE.hgrm, "
                 "domain XML and QEMU command line, console and database "
                 "logs under cells/ID/repK/ and control/ID/repK/; each "
                 "cell's Kata settings in cells/ID/kata-configuration.toml.");
    vmb_doc_item_end(d);
    vmb_doc_item_begin(d);
    vmb_doc_textf(d, "Report written by vmbench %s (git %s).", VMB_VERSION,
                  VMB_GIT_REV);
    vmb_doc_item_end(d);
    if (r->run.nresumed > 0) {
        vmb_doc_item_begin(d);
        vmb_doc_textf(d, "The run was resumed %zu time(s).", r->run.nresumed);
        vmb_doc_item_end(d);
    }
    vmb_doc_list_end(d);
    if (warnings != NULL && warnings->len > 0) {
        vmb_doc_p_begin(d);
        vmb_doc_text(d, "Notes from reading the results:");
        vmb_doc_p_end(d);
        vmb_doc_list_begin(d);
        autofree char *copy = vmb_xstrdup(warnings->data);
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l != NULL;
             l = strtok_r(NULL, "\n", &save)) {
            vmb_doc_item_begin(d);
            vmb_doc_text(d, l);
            vmb_doc_item_end(d);
        }
        vmb_doc_list_end(d);
    }
}
