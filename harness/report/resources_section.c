/*
 * "Where the time goes": what each operation cost the host (CPU by thread
 * class, disk and network traffic) beside the bare-metal control, the
 * storage's and network's raw limits probed before the database started,
 * and what measuring it cost.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "report/report_priv.h"

/* "12.3 (4.10×)": the median and its ratio to the control. */
static char *
with_ratio(const struct vmb_model_series *s)
{
    autofree char *v = vmb_report_fmt3(s->s.median);
    if (!isfinite(s->s.median))
        return vmb_xstrdup("–");
    if (!isfinite(s->ratio))
        return vmb_xstrdup(v);
    return vmb_xasprintf("%s (%.2f×)", v, s->ratio);
}

static const char *
op_noun(const char *op)
{
    if (strcmp(op, "write") == 0 || strcmp(op, "read") == 0)
        return op;
    return "operation";
}

/* The median over the ok runs of the sampler's cost. */
static double
sampling_cost(const struct vmb_model *m)
{
    size_t cap = 0;
    for (size_t i = 0; i < m->nrows; i++)
        cap += m->rows[i].cell->nreps;
    double *v = vmb_xcalloc(cap ? cap : 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < m->nrows; i++) {
        const struct vmb_res_cell *c = m->rows[i].cell;
        for (size_t k = 0; k < c->nreps; k++)
            if (c->reps[k].ok && isfinite(c->reps[k].sampling_cpu_share))
                v[n++] = c->reps[k].sampling_cpu_share;
    }
    struct vmb_summary s;
    vmb_stats_summarise(v, n, 1, &s);
    free(v);
    return n > 0 ? s.median : NAN;
}

static void
intro(struct vmb_doc *d, const struct vmb_model *m)
{
    vmb_doc_p_begin(d);
    vmb_doc_text(
        d, "Per phase, over its measurement window: the host CPU both nodes "
           "used (for a VM, QEMU's threads by class — vCPUs, main loop, "
           "IOThreads, the rest — and its virtiofsd and vhost helpers; on "
           "bare metal, the database processes), the data disk's and the "
           "network's traffic, each per operation, as medians over the "
           "repetitions with the ratio to the bare-metal control. The load "
           "generator's own CPU is kept apart (result.json). Counters are "
           "sampled once a second");
    double cost = sampling_cost(m);
    if (isfinite(cost))
        vmb_doc_textf(d,
                      "; the sampling cost %.2f%% of one CPU (median "
                      "over the runs).",
                      cost * 100);
    else
        vmb_doc_text(d, ".");
    vmb_doc_p_end(d);
}

static void
phase_sentences(struct vmb_doc *d, const struct vmb_model *m, size_t p)
{
    const struct vmb_model_phase *ph = &m->phases[p];
    bool open = false;
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_model_series *s =
            vmb_model_series(m, p, i, VMB_METRIC_CPU_PER_OP);
        if (!isfinite(s->ratio))
            continue;
        if (!open)
            vmb_doc_list_begin(d);
        open = true;
        vmb_doc_item_begin(d);
        vmb_doc_textf(d, "A %s in ", op_noun(ph->op));
        vmb_doc_strong(d, vmb_model_label(m, i));
        vmb_doc_textf(d, " costs %.2f× the host CPU of one on bare metal",
                      s->ratio);
        if (isfinite(s->ratio_ci.lo) && isfinite(s->ratio_ci.hi) &&
            s->ratio_ci.hi > s->ratio_ci.lo)
            vmb_doc_textf(d, " [%.2f, %.2f]", s->ratio_ci.lo, s->ratio_ci.hi);
        vmb_doc_text(d, ".");
        vmb_doc_item_end(d);
    }
    if (open)
        vmb_doc_list_end(d);
}

static void
phase_table(struct vmb_doc *d, const struct vmb_model *m, size_t p)
{
    static const int cols[] = {
        VMB_METRIC_CPU_PER_OP,       VMB_METRIC_OPS_PER_CPU_S,
        VMB_METRIC_DISK_WR_PER_OP,   VMB_METRIC_DISK_RD_PER_OP,
        VMB_METRIC_DISK_IOPS_PER_OP, VMB_METRIC_NET_PER_OP,
    };
    enum { N = sizeof(cols) / sizeof(cols[0]) };
    const char *head[N + 1] = {
        "Cell",
        "Host CPU per op (µs)",
        "Ops per host CPU-s",
        "Disk bytes written per op",
        "Disk bytes read per op",
        "Disk I/Os per op",
        "Network bytes per op",
    };
    vmb_doc_table_begin(d, head, N + 1);
    for (size_t i = 0; i < m->nrows; i++) {
        if (vmb_model_series(m, p, i, VMB_METRIC_CPU_PER_OP)->s.n == 0 &&
            vmb_model_series(m, p, i, VMB_METRIC_DISK_WR_PER_OP)->s.n == 0)
            continue;
        char *cells[N + 1];
        cells[0] = vmb_xstrdup(vmb_model_label(m, i));
        for (size_t k = 0; k < N; k++)
            cells[k + 1] = with_ratio(vmb_model_series(m, p, i, cols[k]));
        vmb_doc_row(d, (const char *const *)cells, N + 1);
        for (size_t k = 0; k <= N; k++)
            free(cells[k]);
    }
    vmb_doc_table_end(d);
}

/* A table of the metrics cols (headed head after "Cell") of the rows
 * that have the first of them in phase p, each a median with its ratio
 * to the control where the control has it too; nothing without rows. */
static void
metric_table(struct vmb_doc *d, const struct vmb_model *m, size_t p,
             const int *cols, const char *const *head, size_t n,
             const char *intro_text)
{
    bool any = false;
    for (size_t i = 0; i < m->nrows && !any; i++)
        any = vmb_model_series(m, p, i, cols[0])->s.n > 0;
    if (!any)
        return;
    vmb_doc_p_begin(d);
    vmb_doc_text(d, intro_text);
    vmb_doc_p_end(d);
    vmb_doc_table_begin(d, head, n + 1);
    for (size_t i = 0; i < m->nrows; i++) {
        if (vmb_model_series(m, p, i, cols[0])->s.n == 0)
            continue;
        char **cells = vmb_xcalloc(n + 1, sizeof(*cells));
        cells[0] = vmb_xstrdup(vmb_model_label(m, i));
        for (size_t k = 0; k < n; k++)
            cells[k + 1] = with_ratio(vmb_model_series(m, p, i, cols[k]));
        vmb_doc_row(d, (const char *const *)cells, n + 1);
        for (size_t k = 0; k <= n; k++)
            free(cells[k]);
        free(cells);
    }
    vmb_doc_table_end(d);
}

/* Each node's own interface (VMs); bare metal shares loopback. */
static void
net_table(struct vmb_doc *d, const struct vmb_model *m, size_t p)
{
    static const int cols[] = {
        VMB_METRIC_NET1_PER_OP,
        VMB_METRIC_NET2_PER_OP,
        VMB_METRIC_NET1_PKTS_PER_OP,
        VMB_METRIC_NET2_PKTS_PER_OP,
    };
    static const char *const head[] = {
        "Cell",
        "Node 1 bytes per op",
        "Node 2 bytes per op",
        "Node 1 packets per op",
        "Node 2 packets per op",
    };
    metric_table(d, m, p, cols, head, 4,
                 "The network per node: each VM's interface, received "
                 "plus sent. The bare-metal control's nodes share the "
                 "loopback interface, which has no per-node count: its "
                 "network bytes per op above are loopback's total.");
}

/* The guests' own view: where their CPU time went, their data devices. */
static void
guest_table(struct vmb_doc *d, const struct vmb_model *m, size_t p)
{
    static const int cols[] = {
        VMB_METRIC_GUEST_USER_PCT,         VMB_METRIC_GUEST_SYSTEM_PCT,
        VMB_METRIC_GUEST_IOWAIT_PCT,       VMB_METRIC_GUEST_STEAL_PCT,
        VMB_METRIC_GUEST_IDLE_PCT,         VMB_METRIC_GUEST_DISK_WR_PER_OP,
        VMB_METRIC_GUEST_DISK_IOPS_PER_OP,
    };
    static const char *const head[] = {
        "Cell",
        "user %",
        "system %",
        "iowait %",
        "steal %",
        "idle %",
        "Guest disk bytes written per op",
        "Guest disk I/Os per op",
    };
    metric_table(d, m, p, cols, head, 7,
                 "Inside the guests (their /proc/stat and the data "
                 "directory's block device, both nodes, over the "
                 "measurement window): the share of their CPUs' time in "
                 "user space, the kernel, waiting for I/O, stolen by the "
                 "host and idle, and the guest's own view of the data disk "
                 "(none on 9p, virtio-fs and tmpfs). The shares are of the "
                 "window's length times the guests' CPUs; where they add up "
                 "to well under 100%, the guests lost clock ticks (a vCPU "
                 "left waiting for a busy host CPU, as under TCG, has its "
                 "busy time undercounted).");
}

/* The first phase that writes: what the probe's fsync rate bounds. */
static size_t
write_phase(const struct vmb_model *m)
{
    for (size_t p = 0; p < m->nphases; p++)
        if (strcmp(m->phases[p].op, "write") == 0)
            return p;
    return SIZE_MAX;
}

/* Whether the row's database syncs every write (fsync-bound writes). */
static bool
fsync_bound(const struct vmb_model *m, size_t i)
{
    const char *v =
        vmb_res_cell_option(m->rows[i].cell, "database.appendfsync");
    return v != NULL && strcmp(v, "always") == 0;
}

/* The tools that measured the probes of the runs. */
#define MAX_TOOLS 8
struct tools {
    const char *name[MAX_TOOLS]; /* "" for results that do not say */
    size_t n;
    bool more; /* others beyond MAX_TOOLS */
};

static void
tools_add(struct tools *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->name[i], name) == 0)
            return;
    if (t->n == MAX_TOOLS)
        t->more = true;
    else
        t->name[t->n++] = name;
}

/* The tools of row i's probed runs (all rows: i == SIZE_MAX). */
static void
probe_tools(const struct vmb_model *m, size_t i, struct tools *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t r = 0; r < m->nrows; r++) {
        if ((i != SIZE_MAX && r != i) ||
            vmb_model_probe(m, r, VMB_PROBE_FSYNC_RATE)->s.n == 0)
            continue;
        const struct vmb_res_cell *c = m->rows[r].cell;
        for (size_t k = 0; k < c->nreps; k++)
            if (c->reps[k].has_probe)
                tools_add(t, c->reps[k].probe.tool);
    }
}

static const char *
tool_name(const char *t)
{
    return t[0] != '\0' ? t : "a tool these results do not name";
}

/* Which tool measured the storage figures; a warning where they differ,
 * since figures of two tools (or two versions of one) are not
 * comparable. */
static void
probe_tool_sentence(struct vmb_doc *d, const struct tools *t)
{
    if (t->n == 1) {
        vmb_doc_p_begin(d);
        if (t->name[0][0] != '\0')
            vmb_doc_textf(d, "Storage figures measured by \"%s\".", t->name[0]);
        else
            vmb_doc_text(d, "These results do not name the tool that "
                            "measured the storage figures (written before "
                            "vmbench recorded it).");
        vmb_doc_p_end(d);
        return;
    }
    vmb_doc_note_begin(d);
    vmb_doc_text(d, "The storage figures were measured by different tools (");
    for (size_t i = 0; i < t->n; i++)
        vmb_doc_textf(d, "%s\"%s\"", i ? ", " : "", tool_name(t->name[i]));
    vmb_doc_text(d, t->more ? ", and more): " : "): ");
    vmb_doc_text(d, "figures of different tools, or of different versions of "
                    "one, are not comparable; each row names its tool.");
    vmb_doc_note_end(d);
}

/* The row's label, with its probe's tool where the rows' tools differ. */
static char *
probe_row_label(const struct vmb_model *m, size_t i, const struct tools *all)
{
    if (all->n < 2)
        return vmb_xstrdup(vmb_model_label(m, i));
    struct tools t;
    probe_tools(m, i, &t);
    return vmb_xasprintf("%s [%s]", vmb_model_label(m, i),
                         t.n == 1 ? tool_name(t.name[0]) : "several tools");
}

static void
probe_table(struct vmb_doc *d, const struct vmb_model *m)
{
    vmb_doc_h(d, 3, "Raw limits of the storage and network");
    vmb_doc_p_begin(d);
    vmb_doc_text(d, "Probed in every run before the database started, on the "
                    "data directory it then used: 4 KiB writes each followed "
                    "by fdatasync, 4 KiB random reads, sequential writes, and "
                    "TCP round trips. \"% of raw\" is the first write phase's "
                    "op rate over the fsync'ed write rate, for databases that "
                    "sync every write.");
    vmb_doc_p_end(d);
    struct tools all;
    probe_tools(m, SIZE_MAX, &all);
    probe_tool_sentence(d, &all);
    const char *head[] = {
        "Cell",
        "fsync'ed writes/s",
        "their p99 (µs)",
        "Random reads/s",
        "Sequential writes (MB/s)",
        "RTT node 2→1 (µs)",
        "RTT load→1 (µs)",
        "% of raw",
    };
    enum { N = sizeof(head) / sizeof(head[0]) };
    size_t wp = write_phase(m);
    vmb_doc_table_begin(d, head, N);
    for (size_t i = 0; i < m->nrows; i++) {
        if (vmb_model_probe(m, i, VMB_PROBE_FSYNC_RATE)->s.n == 0)
            continue;
        char *cells[N];
        cells[0] = probe_row_label(m, i, &all);
        for (int k = 0; k < VMB_NPROBES; k++)
            cells[k + 1] =
                with_ratio(vmb_model_probe(m, i, VMB_PROBE_FSYNC_RATE + k));
        double raw = vmb_model_probe(m, i, VMB_PROBE_FSYNC_RATE)->s.median;
        double rate =
            wp == SIZE_MAX
                ? NAN
                : vmb_model_series(m, wp, i, VMB_METRIC_OPRATE)->s.median;
        cells[N - 1] = fsync_bound(m, i) && raw > 0 && isfinite(rate)
                           ? vmb_xasprintf("%.0f%%", rate / raw * 100)
                           : vmb_xstrdup("–");
        vmb_doc_row(d, (const char *const *)cells, N);
        for (size_t k = 0; k < N; k++)
            free(cells[k]);
    }
    vmb_doc_table_end(d);
    for (size_t i = 0; i < m->nrows && wp != SIZE_MAX; i++) {
        double raw = vmb_model_probe(m, i, VMB_PROBE_FSYNC_RATE)->s.median;
        double rate = vmb_model_series(m, wp, i, VMB_METRIC_OPRATE)->s.median;
        if (!fsync_bound(m, i) || !(raw > 0) || !isfinite(rate))
            continue;
        vmb_doc_p_begin(d);
        vmb_doc_strong(d, vmb_model_label(m, i));
        vmb_doc_textf(d, ": writes reach %.0f%% of this storage's fsync rate",
                      rate / raw * 100);
        vmb_doc_text(d, rate > raw ? " (above 100%: the database makes one "
                                     "fsync for the writes of several "
                                     "connections)."
                                   : ".");
        vmb_doc_p_end(d);
    }
}

void
vmb_sections_resources(struct vmb_doc *d, const struct vmb_model *m,
                       const struct vmb_charts *cs,
                       const struct vmb_buf *warnings)
{
    (void)warnings; /* the section table's signature */
    if (!m->any_resources && !m->any_probe)
        return;
    vmb_doc_h(d, 2, "Where the time goes");
    intro(d, m);
    for (size_t p = 0; p < m->nphases && m->any_resources; p++) {
        autofree char *h = vmb_xasprintf("%s phase", m->phases[p].title);
        vmb_doc_h(d, 3, h);
        phase_sentences(d, m, p);
        autofree char *base = vmb_xasprintf("cpu-%s", m->phases[p].name);
        vmb_report_chart(d, cs, base);
        phase_table(d, m, p);
        net_table(d, m, p);
        guest_table(d, m, p);
        for (size_t i = 0; i < m->nrows; i++) {
            autofree char *rb =
                vmb_xasprintf("resources-%s-%zu", m->phases[p].name, i);
            vmb_report_chart(d, cs, rb);
        }
    }
    if (m->any_probe)
        probe_table(d, m);
}
