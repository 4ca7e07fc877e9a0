/*
 * From the workers into the result. While the phase runs each worker fills
 * one slot per second and hands it over; the main thread merges a second
 * once every worker is past it (histograms merged, never averaged). After
 * join, the per-thread counters are summed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load/load_priv.h"

void
vmb_load_advance_second(struct vmb_load_worker *w, uint64_t now)
{
    struct vmb_load_engine *e = w->e;
    if (now < e->measure_start)
        return;
    int64_t s = (int64_t)((now - e->measure_start) / VMB_LOAD_NS_PER_S);
    if (w->cur != NULL && s == w->cur_sec)
        return;
    if (w->cur != NULL)
        atomic_store_explicit(&w->cur->state, VMB_LOAD_SLOT_READY,
                              memory_order_release);
    atomic_store_explicit(&w->published_sec, s - 1, memory_order_release);
    struct vmb_load_slot *sl = &w->slots[s % VMB_LOAD_NSLOTS];
    while (atomic_load_explicit(&sl->state, memory_order_acquire) !=
           VMB_LOAD_SLOT_FREE) {
        /* The main thread collects every few ms; this wait is rare. */
        if (atomic_load_explicit(&e->stop, memory_order_relaxed)) {
            w->cur = NULL;
            return;
        }
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    sl->sec = s;
    memset(sl->ops, 0, sizeof(sl->ops));
    atomic_store_explicit(&sl->state, VMB_LOAD_SLOT_BUSY, memory_order_relaxed);
    w->cur = sl;
    w->cur_sec = s;
    w->sec_end = e->measure_start + (uint64_t)(s + 1) * VMB_LOAD_NS_PER_S;
}

void
vmb_load_collector_init(struct vmb_load_collector *col,
                        struct vmb_load_result *res)
{
    memset(col, 0, sizeof(*col));
    col->res = res;
    for (int k = 0; k < VMB_LOAD_NKIND; k++)
        vmb_hist_init(&col->tmp[k], VMB_LOAD_HIST_LOWEST, VMB_LOAD_HIST_HIGHEST,
                      VMB_LOAD_HIST_SIGFIGS, NULL);
    if (res->ntenants == 0)
        return;
    col->ttmp = vmb_xcalloc(res->ntenants, sizeof(*col->ttmp));
    for (size_t t = 0; t < res->ntenants; t++)
        for (int k = 0; k < VMB_LOAD_NKIND; k++)
            vmb_hist_init(&col->ttmp[t][k], VMB_LOAD_HIST_LOWEST,
                          VMB_LOAD_HIST_HIGHEST, VMB_LOAD_HIST_SIGFIGS, NULL);
}

void
vmb_load_collector_fini(struct vmb_load_collector *col)
{
    for (int k = 0; k < VMB_LOAD_NKIND; k++)
        vmb_hist_fini(&col->tmp[k]);
    for (size_t t = 0; col->ttmp != NULL && t < col->res->ntenants; t++)
        for (int k = 0; k < VMB_LOAD_NKIND; k++)
            vmb_hist_fini(&col->ttmp[t][k]);
    free(col->ttmp);
    col->ttmp = NULL;
}

static void
add_row(struct vmb_load_result *r, const struct vmb_load_sec *row)
{
    if (r->nseries == r->series_cap) {
        r->series_cap = r->series_cap ? r->series_cap * 2 : 64;
        r->series = vmb_xrealloc(r->series, r->series_cap * sizeof(*r->series));
    }
    r->series[r->nseries++] = *row;
}

/* Second s of kind k, gathered in tmp, into r: a series row (the whole
 * phase only) and the totals. */
static void
fold_second(struct vmb_load_result *r, struct vmb_hist *tmp, int k, int64_t s,
            uint64_t ops, bool row)
{
    if (row) {
        struct vmb_load_sec sec = {
            .second = s + 1,
            .kind = k,
            .ops = ops,
            .ops_per_s = (double)ops,
            .p50_ns = vmb_hist_value_at_percentile(tmp, 50),
            .p99_ns = vmb_hist_value_at_percentile(tmp, 99),
        };
        add_row(r, &sec);
    }
    r->ops_kind[k] += ops;
    vmb_hist_merge(&r->lat[k], tmp);
    vmb_hist_reset(tmp);
}

/* Folds second s of every worker into the series and the totals, the
 * whole phase's and its worker's tenant's. */
static void
collect_second(struct vmb_load_engine *e, struct vmb_load_collector *col,
               int64_t s)
{
    uint64_t ops[VMB_LOAD_NKIND] = {0};
    size_t nt = col->res->ntenants;
    uint64_t *tops =
        nt ? vmb_xcalloc(nt * VMB_LOAD_NKIND, sizeof(*tops)) : NULL;
    for (int t = 0; t < e->nworkers; t++) {
        struct vmb_load_slot *sl = &e->w[t].slots[s % VMB_LOAD_NSLOTS];
        if (atomic_load_explicit(&sl->state, memory_order_acquire) !=
                VMB_LOAD_SLOT_READY ||
            sl->sec != s)
            continue;
        int tn = e->w[t].tenant;
        for (int k = 0; k < VMB_LOAD_NKIND; k++) {
            if (!e->has_kind[k])
                continue;
            ops[k] += sl->ops[k];
            vmb_hist_merge(&col->tmp[k], &sl->h[k]);
            if (nt > 0) {
                tops[(size_t)tn * VMB_LOAD_NKIND + (size_t)k] += sl->ops[k];
                vmb_hist_merge(&col->ttmp[tn][k], &sl->h[k]);
            }
            vmb_hist_reset(&sl->h[k]);
        }
        atomic_store_explicit(&sl->state, VMB_LOAD_SLOT_FREE,
                              memory_order_release);
    }
    for (int k = 0; k < VMB_LOAD_NKIND; k++) {
        if (!e->has_kind[k])
            continue;
        fold_second(col->res, &col->tmp[k], k, s, ops[k], true);
        for (size_t t = 0; t < nt; t++)
            fold_second(col->res->tenant[t], &col->ttmp[t][k], k, s,
                        tops[t * VMB_LOAD_NKIND + (size_t)k], false);
    }
    free(tops);
}

void
vmb_load_collect_ready(struct vmb_load_engine *e,
                       struct vmb_load_collector *col)
{
    for (;;) {
        int64_t upto = INT64_MAX;
        for (int t = 0; t < e->nworkers; t++) {
            int64_t p = atomic_load_explicit(&e->w[t].published_sec,
                                             memory_order_acquire);
            if (p < upto)
                upto = p;
        }
        if (upto == INT64_MAX) {
            /* Every worker finished: collect through the last second any
             * of them used. */
            upto = -1;
            for (int t = 0; t < e->nworkers; t++)
                for (int i = 0; i < VMB_LOAD_NSLOTS; i++) {
                    struct vmb_load_slot *sl = &e->w[t].slots[i];
                    if (atomic_load_explicit(&sl->state,
                                             memory_order_acquire) ==
                            VMB_LOAD_SLOT_READY &&
                        sl->sec > upto)
                        upto = sl->sec;
                }
        }
        if (col->next_sec > upto)
            return;
        collect_second(e, col, col->next_sec++);
    }
}

void
vmb_load_fill_result(const struct vmb_load_engine *e, struct vmb_load_result *r,
                     uint64_t end_ns, int tenant)
{
    r->open_loop = e->open_loop;
    uint64_t first_ns[VMB_LOAD_NERR] = {0};
    uint64_t last_done = 0;
    for (int t = 0; t < e->nworkers; t++) {
        struct vmb_load_worker *w = &e->w[t];
        if (tenant >= 0 && w->tenant != tenant)
            continue;
        r->misses += w->misses;
        for (int c = 0; c < VMB_LOAD_NERR; c++) {
            r->errors[c] += w->errors[c];
            if (w->first_errno_ns[c] &&
                (first_ns[c] == 0 || w->first_errno_ns[c] < first_ns[c])) {
                first_ns[c] = w->first_errno_ns[c];
                r->first_errno[c] = w->first_errno[c];
            }
        }
        for (int i = 0; i < VMB_LOAD_NSQLSTATE && w->sqlstates[i].code[0]; i++)
            vmb_load_sqlstate_count(r->sqlstates, w->sqlstates[i].code,
                                    w->sqlstates[i].n);
        if (w->server_error[0] && r->server_error == NULL)
            r->server_error = vmb_xstrdup(w->server_error);
        for (int k = 0; k < VMB_LOAD_NKIND; k++)
            if (e->open_loop && e->has_kind[k])
                vmb_hist_merge(&r->unc[k], &w->unc[k]);
        if (w->last_done_ns > last_done)
            last_done = w->last_done_ns;
    }
    for (int k = 0; k < VMB_LOAD_NKIND; k++) {
        if (!e->has_kind[k])
            continue;
        vmb_hist_merge(&r->lat_all, &r->lat[k]);
        if (e->open_loop)
            vmb_hist_merge(&r->unc_all, &r->unc[k]);
        else
            vmb_hist_merge(&r->unc[k], &r->lat[k]);
    }
    if (!e->open_loop)
        vmb_hist_merge(&r->unc_all, &r->lat_all);

    /* A phase that ran its course lasted until its deadline or its last
     * answer; one ended early, until it was stopped. */
    uint64_t end = end_ns;
    bool whole = !r->interrupted && (r->ended_by == VMB_LOAD_END_DONE ||
                                     r->ended_by == VMB_LOAD_END_UNREACHABLE);
    if (r->ended_by == VMB_LOAD_END_DEADLINE && end > e->hard_deadline)
        end = e->hard_deadline;
    if (e->deadline && whole && end > e->deadline)
        end = e->deadline;
    if (!e->deadline && whole && last_done)
        end = last_done;
    r->measure_start_ns = e->measure_start;
    r->duration_s =
        end > e->measure_start ? (double)(end - e->measure_start) / 1e9 : 0;
    /* The last second may be partial: its rate is over what it lasted. */
    for (size_t i = 0; i < r->nseries; i++) {
        double from = (double)(r->series[i].second - 1);
        double len = r->duration_s - from;
        if (len > 0 && len < 1)
            r->series[i].ops_per_s = (double)r->series[i].ops / len;
    }
}

void
vmb_load_sqlstate_count(struct vmb_load_sqlstate *tab, const char *sqlstate,
                        uint64_t n)
{
    char code[6];
    if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
        strcmp(sqlstate, "other") == 0 || strlen(sqlstate) <= 2)
        snprintf(code, sizeof(code), "%s", sqlstate);
    else
        snprintf(code, sizeof(code), "%.2s", sqlstate);
    int i = 0;
    for (; i < VMB_LOAD_NSQLSTATE - 1 && tab[i].code[0]; i++)
        if (strcmp(tab[i].code, code) == 0)
            break;
    if (tab[i].code[0] == '\0')
        memcpy(tab[i].code, code, sizeof(code));
    else if (strcmp(tab[i].code, code) != 0)
        memcpy(tab[i].code, "other", 6);
    tab[i].n += n;
}
