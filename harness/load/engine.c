/*
 * Setting up a phase before its clock starts: the options checked and
 * turned into an engine (request templates, workers, their connections,
 * buffers and histograms), every connection made, and the teardown.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/units.h"
#include "load/load_priv.h"

int
vmb_load_default_threads(void)
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return n > 1 ? n - 1 : 1;
}

int
vmb_load_parse_ratio(const char *text, double *write_fraction,
                     struct vmb_error **err)
{
    double w = -1, r = -1;
    const char *p = text ? text : "";
    while (*p) {
        const char *colon = strchr(p, ':');
        if (colon == NULL)
            goto bad;
        size_t nlen = (size_t)(colon - p);
        char *end = NULL;
        double v = strtod(colon + 1, &end);
        if (end == colon + 1 || v < 0 || !isfinite(v) ||
            (*end != ',' && *end != '\0'))
            goto bad;
        if (nlen == 5 && strncmp(p, "write", 5) == 0 && w < 0)
            w = v;
        else if (nlen == 4 && strncmp(p, "read", 4) == 0 && r < 0)
            r = v;
        else
            goto bad;
        p = *end == ',' ? end + 1 : end;
    }
    if (w < 0)
        w = 0;
    if (r < 0)
        r = 0;
    if (w + r <= 0)
        goto bad;
    *write_fraction = w / (w + r);
    return 0;
bad:
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "bad ratio \"%s\"; expected weights like "
                         "\"write:1,read:3\"",
                         text ? text : "");
}

static int
raise_fd_limit(size_t need, struct vmb_error **err)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max < need)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "\"%zu\" connections need more open files than "
                             "the limit \"%llu\" allows",
                             need, (unsigned long long)rl.rlim_max);
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        return vmb_error_sys(err, "raise the open file limit");
    return 0;
}

/* The message of a connection that failed before the phase: the
 * protocol's or the errno's. A target that refused who we are or what we
 * asked for is bad input. */
static int
connect_error(const struct vmb_load_target *t, const struct vmb_load_fault *f,
              struct vmb_error **err)
{
    if (f->msg[0])
        return vmb_error_set(err, f->refused ? VMB_ERR_INPUT : VMB_ERR_RUN, 0,
                             "connect to \"%s\": %s", t->name, f->msg);
    return vmb_error_set(err, VMB_ERR_RUN, f->errnum, "connect to \"%s\"",
                         t->name);
}

int
vmb_load_connect_all(struct vmb_load_engine *e, struct vmb_error **err)
{
    enum { BATCH = 256 };
    const struct vmb_load_proto *p = e->proto;
    size_t total = 0;
    for (int t = 0; t < e->nworkers; t++)
        total += e->w[t].nconns;
    struct vmb_load_conn **all = vmb_xcalloc(total ? total : 1, sizeof(*all));
    size_t k = 0;
    for (int t = 0; t < e->nworkers; t++)
        for (uint32_t i = 0; i < e->w[t].nconns; i++)
            all[k++] = &e->w[t].conns[i];

    int ep = epoll_create1(EPOLL_CLOEXEC);
    int rc = 0;
    if (ep < 0) {
        free(all);
        return vmb_error_sys(err, "create an epoll instance");
    }
    uint64_t deadline = vmb_now_ns() + e->connect_timeout_ns;
    size_t next = 0, pending = 0;
    struct vmb_load_fault f;
    while ((next < total || pending > 0) && rc == 0) {
        while (next < total && pending < BATCH) {
            struct vmb_load_conn *c = all[next++];
            const struct vmb_load_target *t = vmb_load_conn_target(e, c);
            int want = p->open(c->pc, t, &f);
            if (want < 0) {
                rc = connect_error(t, &f, err);
                break;
            }
            c->fd = p->fd(c->pc);
            if (want == VMB_LOAD_POLL_DONE) {
                c->state = VMB_LOAD_CONN_UP;
                continue;
            }
            c->state = VMB_LOAD_CONN_CONNECTING;
            c->fd = -1;
            c->events = 0;
            /* Level-triggered here whatever the protocol: each wait asks
             * for what the connection needs next. */
            if (vmb_load_conn_watch(
                    ep, c, p->fd(c->pc),
                    want == VMB_LOAD_POLL_READ ? EPOLLIN : EPOLLOUT) < 0) {
                rc =
                    vmb_error_sys(err, "watch a connection to \"%s\"", t->name);
                break;
            }
            pending++;
        }
        if (rc < 0 || pending == 0)
            continue;
        if (vmb_interrupted) {
            rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                               "interrupted while connecting");
            break;
        }
        uint64_t now = vmb_now_ns();
        if (now >= deadline) {
            const struct vmb_load_conn *c = NULL;
            for (size_t i = 0; i < next && c == NULL; i++)
                if (all[i]->state == VMB_LOAD_CONN_CONNECTING)
                    c = all[i];
            const struct vmb_load_target *t =
                c ? vmb_load_conn_target(e, c) : e->primary;
            char tbuf[32];
            vmb_format_duration_us(e->connect_timeout_ns / 1000, tbuf,
                                   sizeof(tbuf));
            rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                               "connect to \"%s\": no answer within the "
                               "connect timeout \"%s\"",
                               t->name, tbuf);
            break;
        }
        struct epoll_event evs[64];
        int wait_ms = (int)((deadline - now + 999999) / 1000000);
        int n = epoll_wait(ep, evs, 64, wait_ms < 100 ? wait_ms : 100);
        for (int i = 0; i < n && rc == 0; i++) {
            struct vmb_load_conn *c = evs[i].data.ptr;
            const struct vmb_load_target *t = vmb_load_conn_target(e, c);
            int want = p->connect_poll(c->pc, &f);
            if (want < 0) {
                rc = connect_error(t, &f, err);
                break;
            }
            int fd = p->fd(c->pc);
            if (want == VMB_LOAD_POLL_DONE) {
                if (fd == c->fd)
                    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                c->fd = fd;
                c->events = 0;
                c->state = VMB_LOAD_CONN_UP;
                pending--;
                continue;
            }
            if (vmb_load_conn_watch(ep, c, fd,
                                    want == VMB_LOAD_POLL_READ ? EPOLLIN
                                                               : EPOLLOUT) < 0)
                rc =
                    vmb_error_sys(err, "watch a connection to \"%s\"", t->name);
        }
    }
    close(ep);
    free(all);
    return rc;
}

void
vmb_load_engine_free(struct vmb_load_engine *e)
{
    if (e->w) {
        for (int t = 0; t < e->nworkers; t++) {
            struct vmb_load_worker *w = &e->w[t];
            for (uint32_t i = 0; i < w->nconns; i++)
                if (w->conns[i].pc)
                    e->proto->conn_free(w->conns[i].pc);
            free(w->conns);
            free(w->reqs);
            free(w->refill);
            free(w->rbuf);
            if (w->ep >= 0)
                close(w->ep);
            for (int i = 0; i < VMB_LOAD_NSLOTS; i++)
                for (int k = 0; k < VMB_LOAD_NKIND; k++)
                    vmb_hist_fini(&w->slots[i].h[k]);
            for (int k = 0; k < VMB_LOAD_NKIND; k++)
                vmb_hist_fini(&w->unc[k]);
        }
        free(e->w);
    }
    if (e->proto && e->proto->phase_free)
        e->proto->phase_free(e->ps);
}

/* Which connections write, which read, and where each one goes. */
static int
assign_roles(struct vmb_load_engine *e, struct vmb_error **err)
{
    int op = e->phase->op;
    int read_from = e->replica ? e->opts->read_from : VMB_READ_PRIMARY;
    bool split = op == VMB_OP_MIXED && read_from != VMB_READ_PRIMARY;
    int64_t total = e->opts->connections;
    if (split && total < 2)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a mixed phase with reads from the replica "
                             "needs \"connections\" of at least 2");
    int64_t writers = llround((double)total * e->write_fraction);
    if (writers < 1)
        writers = 1;
    if (writers > total - 1)
        writers = total - 1;
    /* Each tenant has the phase's connections: g counts within one. */
    int64_t g = 0, readers = 0;
    for (int t = 0; t < e->nworkers; t++) {
        if (t > 0 && e->w[t].tenant != e->w[t - 1].tenant)
            g = readers = 0;
        for (uint32_t i = 0; i < e->w[t].nconns; i++, g++) {
            struct vmb_load_conn *c = &e->w[t].conns[i];
            if (op != VMB_OP_MIXED && vmb_op_writes(op))
                c->role = VMB_LOAD_ROLE_WRITE;
            else if (op != VMB_OP_MIXED)
                c->role = VMB_LOAD_ROLE_READ;
            else if (!split)
                c->role = VMB_LOAD_ROLE_ANY;
            else {
                /* Writing connections in the ratio, at least one of
                 * each kind, spread evenly over the threads */
                bool wr = (g + 1) * writers / total > g * writers / total;
                c->role = wr ? VMB_LOAD_ROLE_WRITE : VMB_LOAD_ROLE_READ;
            }
            if (c->role == VMB_LOAD_ROLE_READ) {
                c->replica = read_from == VMB_READ_REPLICA ||
                             (read_from == VMB_READ_BOTH && readers % 2 == 1);
                readers++;
            }
        }
    }
    return 0;
}

int
vmb_load_engine_setup(struct vmb_load_engine *e, struct vmb_error **err)
{
    const struct vmb_load_opts *o = e->opts;
    const struct vmb_phase *ph = e->phase;
    if (o->connections < 1 || o->pipeline < 1 || o->keys < 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "connections, pipeline and keys must be at "
                             "least 1");
    if (ph->n <= 0 && ph->duration_us == 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a phase needs \"n\" or \"duration\"");
    /* pgbench's and sysbench's writing transactions count as writes, the
     * read-only ones as reads: the same histograms, the same routing to
     * a replica. */
    e->write_fraction =
        ph->op != VMB_OP_MIXED && vmb_op_writes(ph->op) ? 1.0 : 0.0;
    if (ph->op == VMB_OP_MIXED &&
        vmb_load_parse_ratio(ph->ratio, &e->write_fraction, err) < 0)
        return -1;
    e->has_kind[VMB_LOAD_KIND_WRITE] = e->write_fraction > 0;
    e->has_kind[VMB_LOAD_KIND_READ] = e->write_fraction < 1;
    e->pipeline = (uint32_t)o->pipeline;
    e->open_loop = o->rate_per_s > 0;
    e->request_timeout_ns = o->request_timeout_us * 1000;
    e->connect_timeout_ns = o->connect_timeout_us * 1000;

    if (e->ntenants < 1) {
        e->ntenants = 1;
        e->primaries = e->primary;
        e->replicas = e->replica;
    }
    e->primary = &e->primaries[0];
    e->replica = e->replicas ? &e->replicas[0] : NULL;
    e->proto = vmb_load_target_proto(e->primary);
    for (int tn = 0; tn < e->ntenants; tn++) {
        const struct vmb_load_target *pt = &e->primaries[tn];
        const struct vmb_load_target *rt =
            e->replicas ? &e->replicas[tn] : NULL;
        if (vmb_load_target_proto(pt) != e->proto)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "primary \"%s\" speaks %s and primary \"%s\" "
                                 "%s; every tenant must speak one protocol",
                                 e->primary->name, e->proto->name, pt->name,
                                 vmb_load_target_proto(pt)->name);
        if (rt && vmb_load_target_proto(rt) != e->proto)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "primary \"%s\" speaks %s and replica \"%s\" "
                                 "%s; both must speak one protocol",
                                 pt->name, e->proto->name, rt->name,
                                 vmb_load_target_proto(rt)->name);
    }
    if (!e->proto->runs(ph->op))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s does not run \"%s\" phases", e->proto->name,
                             vmb_op_name(ph->op));
    if (e->proto->phase_new(o, ph, &e->ps, err) < 0)
        return -1;

    /* The threads spread over the tenants, at least one each; a thread
     * holds one tenant's connections only. */
    int threads = o->threads > 0 ? (int)o->threads : vmb_load_default_threads();
    threads = (threads + e->ntenants - 1) / e->ntenants;
    if (threads > o->connections)
        threads = (int)o->connections;
    e->nworkers = threads * e->ntenants;
    e->w = vmb_xcalloc((size_t)e->nworkers, sizeof(*e->w));
    for (int t = 0; t < e->nworkers; t++)
        e->w[t].ep = -1;
    if (raise_fd_limit((size_t)o->connections * (size_t)e->ntenants + 64, err) <
        0)
        return -1;

    uint64_t cum = 0;
    for (int g = 0; g < e->nworkers; g++) {
        struct vmb_load_worker *w = &e->w[g];
        int t = g % threads; /* the thread's number in its tenant */
        w->e = e;
        w->id = g;
        w->tenant = g / threads;
        if (t == 0)
            cum = 0;
        uint64_t lo = cum;
        uint64_t hi =
            (uint64_t)o->connections * (uint64_t)(t + 1) / (uint64_t)threads;
        cum = hi;
        w->nconns = (uint32_t)(hi - lo);
        w->conns = vmb_xcalloc(w->nconns, sizeof(*w->conns));
        w->reqs =
            vmb_xcalloc((size_t)w->nconns * e->pipeline, sizeof(*w->reqs));
        w->refill = vmb_xcalloc(w->nconns, sizeof(*w->refill));
        w->rbuf = vmb_xmalloc(VMB_LOAD_RBUF_SIZE);
        for (uint32_t i = 0; i < w->nconns; i++) {
            w->conns[i].fd = -1;
            w->conns[i].tenant = (uint32_t)w->tenant;
            w->conns[i].idx = i;
            w->conns[i].ring = &w->reqs[(size_t)i * e->pipeline];
            w->conns[i].pc = e->proto->conn_new(e->ps, w->rbuf);
        }
        uint64_t seed = 0x5eed0000ULL + (uint64_t)g * 7919 +
                        (uint64_t)e->phase->op * 104729;
        w->rng.s = seed;
        uint64_t keys = (uint64_t)o->keys;
        vmb_keygen_init(&w->keygen, o->key_dist, keys, o->zipf_skew,
                        keys * lo / (uint64_t)o->connections,
                        keys * hi / (uint64_t)o->connections, seed ^ 0xabcdef);
        if (ph->n > 0) {
            uint64_t n = (uint64_t)ph->n;
            w->quota = (int64_t)(n * hi / (uint64_t)o->connections -
                                 n * lo / (uint64_t)o->connections);
        } else {
            w->quota = -1;
        }
        if (e->open_loop)
            w->interval_ns = (double)VMB_LOAD_NS_PER_S *
                             (double)o->connections /
                             ((double)o->rate_per_s * (double)w->nconns);
        w->published_sec = -1;
        w->next_retry = UINT64_MAX;
        struct vmb_error *herr = NULL;
        for (int i = 0; i < VMB_LOAD_NSLOTS; i++)
            for (int k = 0; k < VMB_LOAD_NKIND; k++)
                if (e->has_kind[k])
                    vmb_hist_init(&w->slots[i].h[k], VMB_LOAD_HIST_LOWEST,
                                  VMB_LOAD_HIST_HIGHEST, VMB_LOAD_HIST_SIGFIGS,
                                  &herr);
        for (int k = 0; k < VMB_LOAD_NKIND; k++)
            if (e->has_kind[k] && e->open_loop)
                vmb_hist_init(&w->unc[k], VMB_LOAD_HIST_LOWEST,
                              VMB_LOAD_HIST_HIGHEST, VMB_LOAD_HIST_SIGFIGS,
                              &herr);
        vmb_error_free(herr);
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (w->ep < 0)
            return vmb_error_sys(err, "create an epoll instance");
    }
    return assign_roles(e, err);
}
