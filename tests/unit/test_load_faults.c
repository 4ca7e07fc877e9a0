/*
 * Faults the load generator must survive and report: an unreachable
 * server, connections closed mid-run, a server that stops answering,
 * error replies and answers that are not RESP. Each run is bounded.
 * The servers are in-process fakes (load_test_helpers.h); what needs a
 * real redis-server is in test_load_redis.c.
 */
#include <dirent.h>

#include "load_test_helpers.h"

/* Nothing listens: the phase fails at once, naming the address. */
Test(load_faults, refused, .timeout = 30)
{
    int port = th_free_port();
    const char *w[] = {"n=100", "connections=3", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_lt(th_run_at(port, 0, w, &r, &err), 0);
    cr_assert_null(r);
    char want[64];
    snprintf(want, sizeof(want), "connect to \"127.0.0.1:%d\"", port);
    cr_assert_not_null(strstr(err->msg, want), "%s", err->msg);
    cr_assert_not_null(strstr(err->msg, "refused"), "%s", err->msg);
    vmb_error_free(err);
}

/* A server whose accept queue is full never completes the handshake: the
 * phase fails with the connect timeout in the message, well before the
 * kernel would give up on its own. */
Test(load_faults, connect_timeout, .timeout = 30)
{
    struct th_server s = {.accept_backlog_only = 1};
    th_server_start(&s);
    int fill[4];
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)s.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&a, sizeof(a));
    }
    const char *w[] = {"n=100", "connections=2", "connect_timeout=300ms", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    cr_assert_lt(th_run_at(s.port, 0, w, &r, &err), 0);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    cr_assert_not_null(strstr(err->msg, "connect timeout \"300ms\""), "%s",
                       err->msg);
    cr_assert_lt(took, 5.0, "gave up after %f s", took);
    vmb_error_free(err);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    th_server_stop(&s);
}

/* A server that closes every connection after 50 answers: lost requests
 * are io errors with the first errno, connections are re-made, and every
 * one of the n requests is either an op or an error. */
Test(load_faults, server_closes_connections, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK, .close_after = 50};
    th_server_start(&s);
    const char *w[] = {"n=3000", "connections=4", "pipeline=2", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(th_run_at(s.port, 0, w, &r, &err), 0, "%s",
                 err ? err->msg : "");
    uint64_t io = vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_IO);
    cr_assert_gt(io, 0);
    /* A close with requests unread makes the kernel reset the connection,
     * which the next send may see first. */
    int first = vmb_load_result_first_errno(r, VMB_LOAD_ERR_IO);
    cr_assert(first == ECONNRESET || first == EPIPE, "first errno %d", first);
    cr_assert_gt(vmb_load_result_ops(r), 2000, "reconnected and went on");
    cr_assert_eq(vmb_load_result_ops(r) + vmb_load_result_errors(r), 3000);
    vmb_load_result_free(r);
    th_server_stop(&s);
}

/* The same for a run by duration: it ends on time. */
Test(load_faults, closes_duration_on_time, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK, .close_after = 20};
    th_server_start(&s);
    const char *w[] = {"duration=1500ms", "connections=3", NULL};
    struct vmb_load_result *r = NULL;
    uint64_t t0 = vmb_now_ns();
    cr_assert_eq(th_run_at(s.port, 0, w, &r, NULL), 0);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    cr_assert_float_eq(vmb_load_result_duration_s(r), 1.5, 0.01);
    cr_assert_lt(took, 3.0, "took %f s", took);
    cr_assert_gt(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_IO), 0);
    cr_assert_gt(vmb_load_result_ops(r), 0);
    vmb_load_result_free(r);
    th_server_stop(&s);
}

/* A server that stops answering for 2 s: requests older than the request
 * timeout count as timeouts (ETIMEDOUT), the run ends on time. */
Test(load_faults, stall_times_out, .timeout = 30)
{
    struct th_server s = {
        .mode = TH_OK, .stall_after_ms = 300, .stall_ms = 2000};
    th_server_start(&s);
    const char *w[] = {"duration=3s", "connections=2", "request_timeout=250ms",
                       NULL};
    struct vmb_load_result *r = NULL;
    uint64_t t0 = vmb_now_ns();
    cr_assert_eq(th_run_at(s.port, 0, w, &r, NULL), 0);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    cr_assert_gt(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_TIMEOUT), 0);
    cr_assert_eq(vmb_load_result_first_errno(r, VMB_LOAD_ERR_TIMEOUT),
                 ETIMEDOUT);
    cr_assert_lt(took, 4.5, "took %f s", took);
    cr_assert_gt(vmb_load_result_ops(r), 0);
    vmb_load_result_free(r);
    th_server_stop(&s);
}

/* Error replies are counted as server errors and the first one is kept. */
Test(load_faults, error_replies, .timeout = 30)
{
    struct th_server s = {.mode = TH_ERR};
    th_server_start(&s);
    const char *w[] = {"n=500", "connections=2", NULL};
    struct vmb_load_result *r = NULL;
    cr_assert_eq(th_run_at(s.port, 0, w, &r, NULL), 0);
    cr_assert_eq(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_SERVER), 500);
    cr_assert_eq(vmb_load_result_ops(r), 0);
    cr_assert_str_eq(vmb_load_result_server_error(r), "ERR nope");
    struct vmb_buf b = {0};
    vmb_load_result_summary(&b, r);
    cr_assert_not_null(strstr(b.data, "\"ERR nope\""), "%s", b.data);
    cr_assert_not_null(strstr(b.data, "server: 500"), "%s", b.data);
    vmb_buf_free(&b);
    vmb_load_result_free(r);
    th_server_stop(&s);
}

/* An answer that is not RESP is a protocol error; the connection is
 * dropped and re-made. */
Test(load_faults, garbage_is_protocol_error, .timeout = 30)
{
    struct th_server s = {.mode = TH_GARBAGE};
    th_server_start(&s);
    const char *w[] = {"n=200", "connections=2", NULL};
    struct vmb_load_result *r = NULL;
    cr_assert_eq(th_run_at(s.port, 0, w, &r, NULL), 0);
    cr_assert_eq(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_PROTOCOL),
                 200);
    cr_assert_eq(vmb_load_result_ops(r), 0);
    vmb_load_result_free(r);
    th_server_stop(&s);
}

/* Well-formed RESP that does not answer the request (+OK to a GET) and
 * a second reply to one request are protocol errors, not answers. */
Test(load_faults, mismatched_reply_is_protocol_error, .timeout = 30)
{
    struct th_server s = {.mode = TH_PLUS_OK};
    th_server_start(&s);
    const char *rd[] = {"op=read", "n=100", "connections=1", NULL};
    struct vmb_load_result *r = NULL;
    cr_assert_eq(th_run_at(s.port, 0, rd, &r, NULL), 0);
    cr_assert_eq(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_PROTOCOL),
                 100);
    cr_assert_eq(vmb_load_result_ops(r), 0);
    vmb_load_result_free(r);
    /* The same server answers SET rightly. */
    const char *wr[] = {"op=write", "n=100", "connections=1", NULL};
    cr_assert_eq(th_run_at(s.port, 0, wr, &r, NULL), 0);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    cr_assert_eq(vmb_load_result_ops(r), 100);
    vmb_load_result_free(r);
    th_server_stop(&s);
}

Test(load_faults, second_reply_is_protocol_error, .timeout = 30)
{
    struct th_server s = {.mode = TH_TWICE};
    th_server_start(&s);
    const char *w[] = {"op=write", "n=50", "connections=1", "pipeline=1", NULL};
    struct vmb_load_result *r = NULL;
    cr_assert_eq(th_run_at(s.port, 0, w, &r, NULL), 0);
    cr_assert_gt(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_PROTOCOL), 0);
    vmb_load_result_free(r);
    th_server_stop(&s);
}

static void *
stop_later(void *arg)
{
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL);
    th_server_stop(arg);
    return NULL;
}

/* A server that goes away for good: a run by n gives up once reconnecting
 * has failed for the connect timeout, instead of hanging, with the
 * failures counted. */
Test(load_faults, server_gone_gives_up, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK};
    th_server_start(&s);
    const char *w[] = {"n=100000000", "connections=2", "connect_timeout=500ms",
                       NULL};
    pthread_t killer;
    pthread_create(&killer, NULL, stop_later, &s);
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    int rc = th_run_at(s.port, 0, w, &r, &err);
    pthread_join(killer, NULL);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_gt(vmb_load_result_ops(r), 0);
    cr_assert_lt(vmb_load_result_ops(r), 100000000);
    cr_assert_gt(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_IO), 0);
    cr_assert_gt(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_CONNECT), 0);
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_UNREACHABLE);
    /* refused, or reset/timed out for a connect that raced the close */
    int first = vmb_load_result_first_errno(r, VMB_LOAD_ERR_CONNECT);
    cr_assert(first == ECONNREFUSED || first == ECONNRESET ||
                  first == ETIMEDOUT,
              "first errno %d", first);
    vmb_load_result_free(r);
}

/* ---- deadlines: every phase ends, whatever the server does ---- */

static double
since_s(uint64_t t0)
{
    return (double)(vmb_now_ns() - t0) / 1e9;
}

/* The result's PHASE object (compact) and summary, for a user's view. */
static char *
json_of(const struct vmb_load_result *r)
{
    struct vmb_jw jw;
    vmb_jw_init(&jw, false);
    vmb_load_result_to_json(&jw, r);
    return vmb_jw_steal(&jw);
}

static char *
summary_of(const struct vmb_load_result *r)
{
    struct vmb_buf b = {0};
    vmb_load_result_summary(&b, r);
    return vmb_buf_steal(&b);
}

/* A server that accepts and never answers: an n phase ends about one
 * request_timeout in, not after n / connections request timeouts (days
 * here), and returns what it did: no op, the requests left waiting
 * counted as timeouts, "ended_by": "stall", a line in the summary. */
Test(load_faults, n_phase_stall_ends, .timeout = 30)
{
    struct th_server s = {.mode = TH_SILENT};
    th_server_start(&s);
    const char *w[] = {"n=1000000", "connections=4", "pipeline=2",
                       "request_timeout=500ms", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    int rc = th_run_at(s.port, 0, w, &r, &err);
    double took = since_s(t0);
    th_server_stop(&s);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_lt(took, 5.0, "the phase went on for %f s", took);
    cr_assert_geq(took, 0.5, "ended after %f s, before request_timeout", took);
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_STALL);
    cr_assert_eq(vmb_load_result_ops(r), 0);
    /* at least the 4 x 2 requests in flight when it ended */
    cr_assert_geq(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_TIMEOUT), 8);
    cr_assert_eq(vmb_load_result_first_errno(r, VMB_LOAD_ERR_TIMEOUT),
                 ETIMEDOUT);
    cr_assert_lt(vmb_load_result_errors(r), 1000);
    autofree char *json = json_of(r);
    cr_assert_not_null(strstr(json, "\"ended_by\":\"stall\""), "%s", json);
    autofree char *sum = summary_of(r);
    cr_assert_not_null(strstr(sum, "Ended early"), "%s", sum);
    cr_assert_not_null(strstr(sum, "no connection had an answer for "
                                   "\"500ms\""),
                       "%s", sum);
    cr_assert_str_eq(vmb_load_result_end_text(r),
                     "the phase stalled: no connection had an answer for "
                     "\"500ms\" (request_timeout)");
    vmb_load_result_free(r);
}

/* A server that answers 300 requests and then nothing: the phase keeps
 * the 300 ops and ends about request_timeout after the last answer. */
Test(load_faults, n_phase_answers_then_stalls, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK, .silent_after = 300};
    th_server_start(&s);
    const char *w[] = {"n=1000000", "connections=3", "request_timeout=500ms",
                       NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    int rc = th_run_at(s.port, 0, w, &r, &err);
    double took = since_s(t0);
    th_server_stop(&s);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_lt(took, 5.0, "the phase went on for %f s", took);
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_STALL);
    cr_assert_eq(vmb_load_result_ops(r), 300);
    cr_assert_geq(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_TIMEOUT), 3);
    /* the operation time runs to the end of the stall */
    cr_assert_geq(vmb_load_result_duration_s(r), 0.5);
    cr_assert_lt(vmb_load_result_duration_s(r), took);
    vmb_load_result_free(r);
}

/* phase_timeout ends a duration phase there, with what completed, the
 * operation time up to the limit and "ended_by": "deadline". */
Test(load_faults, duration_phase_timeout, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK};
    th_server_start(&s);
    const char *w[] = {"duration=20s", "phase_timeout=1s", "connections=2",
                       NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    int rc = th_run_at(s.port, 0, w, &r, &err);
    double took = since_s(t0);
    th_server_stop(&s);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_lt(took, 3.0, "the phase went on for %f s", took);
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_DEADLINE);
    cr_assert_float_eq(vmb_load_result_duration_s(r), 1.0, 0.02);
    cr_assert_gt(vmb_load_result_ops(r), 0);
    autofree char *json = json_of(r);
    cr_assert_not_null(strstr(json, "\"ended_by\":\"deadline\""), "%s", json);
    autofree char *sum = summary_of(r);
    cr_assert_not_null(strstr(sum, "phase_timeout \"1s\""), "%s", sum);
    vmb_load_result_free(r);
}

/* phase_timeout bounds an n phase too, below a long request_timeout:
 * what is still waiting then counts as timeouts. */
Test(load_faults, n_phase_timeout_silent_server, .timeout = 30)
{
    struct th_server s = {.mode = TH_SILENT};
    th_server_start(&s);
    const char *w[] = {"n=1000000", "connections=2", "request_timeout=1m",
                       "phase_timeout=800ms", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    int rc = th_run_at(s.port, 0, w, &r, &err);
    double took = since_s(t0);
    th_server_stop(&s);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_lt(took, 3.0, "the phase went on for %f s", took);
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_DEADLINE);
    cr_assert_eq(vmb_load_result_errors_by_class(r, VMB_LOAD_ERR_TIMEOUT), 2);
    cr_assert_float_eq(vmb_load_result_duration_s(r), 0.8, 0.02);
    vmb_load_result_free(r);
}

/* Not a stall: a server that pauses for less than request_timeout. The
 * phase runs its course. */
Test(load_faults, pause_is_not_stall, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK, .stall_ms = 800};
    th_server_start(&s);
    const char *w[] = {"n=3000", "connections=2", "request_timeout=1s", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    uint64_t t0 = vmb_now_ns();
    int rc = th_run_at(s.port, 0, w, &r, &err);
    double took = since_s(t0);
    th_server_stop(&s);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_geq(took, 0.8, "the server did not pause: %f s", took);
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_DONE);
    cr_assert_eq(vmb_load_result_ops(r), 3000);
    cr_assert_eq(vmb_load_result_errors(r), 0);
    autofree char *json = json_of(r);
    cr_assert_not_null(strstr(json, "\"ended_by\":\"done\""), "%s", json);
    autofree char *sum = summary_of(r);
    cr_assert_null(strstr(sum, "Ended early"), "%s", sum);
    vmb_load_result_free(r);
}

/* Not a stall either: an open loop so slow that nothing is answered for
 * five times request_timeout between two requests, while nothing waits. */
Test(load_faults, slow_open_loop_is_not_stall, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK};
    th_server_start(&s);
    const char *w[] = {"n=4", "rate=2", "connections=1",
                       "request_timeout=100ms", NULL};
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    int rc = th_run_at(s.port, 0, w, &r, &err);
    th_server_stop(&s);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_eq(vmb_load_result_ended_by(r), VMB_LOAD_END_DONE);
    cr_assert_eq(vmb_load_result_ops(r), 4);
    vmb_load_result_free(r);
}

/* ---- a load thread whose epoll_wait fails ---- */

#define EB_MAXFD 1024

/* The fds under EB_MAXFD that are epoll instances. */
static void
eb_epoll_fds(bool *is_epoll)
{
    memset(is_epoll, 0, EB_MAXFD * sizeof(*is_epoll));
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int fd = atoi(de->d_name);
        if (de->d_name[0] == '.' || fd < 0 || fd >= EB_MAXFD)
            continue;
        char path[64], link[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n < 0)
            continue;
        link[n] = '\0';
        is_epoll[fd] = strcmp(link, "anon_inode:[eventpoll]") == 0;
    }
    closedir(d);
}

struct eb_ctx {
    bool before[EB_MAXFD];
    int replaced;
};

/* Progress runs in the calling thread once the load threads are under way:
 * it puts /dev/null in place of every epoll instance the phase made, so
 * that each load thread's next epoll_wait fails with EINVAL. */
static void
eb_break_epoll(void *arg, const struct vmb_load_progress *p)
{
    (void)p;
    struct eb_ctx *ctx = arg;
    bool now[EB_MAXFD];
    if (ctx->replaced > 0)
        return;
    eb_epoll_fds(now);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_geq(nul, 0);
    for (int fd = 0; fd < EB_MAXFD; fd++)
        if (now[fd] && !ctx->before[fd] && dup2(nul, fd) == fd)
            ctx->replaced++;
    close(nul);
}

/* epoll_wait failing in a load thread ends the phase at once and fails
 * it, naming epoll_wait and the reason and counting what was lost, rather
 * than handing back a phase that silently came out short. */
Test(load_faults, epoll_wait_fails, .timeout = 30)
{
    struct th_server s = {.mode = TH_OK};
    th_server_start(&s);
    struct vmb_load_opts o;
    struct vmb_phase p;
    th_defaults(&o, &p);
    const char *w[] = {"duration=10s", "connections=4", "threads=2", NULL};
    for (int i = 0; w[i]; i++)
        th_set(&o, &p, w[i]);
    struct vmb_load_target t = th_target(s.port);
    struct eb_ctx ctx = {0};
    eb_epoll_fds(ctx.before);
    struct vmb_load_result *r = NULL;
    struct vmb_error *err = NULL;
    struct vmb_load_run run = {.opts = &o,
                               .phase = &p,
                               .primary = &t,
                               .progress = eb_break_epoll,
                               .ctx = &ctx};
    uint64_t t0 = vmb_now_ns();
    int rc = vmb_load_run_phase(&run, &r, &err);
    double took = (double)(vmb_now_ns() - t0) / 1e9;
    th_free(&o, &p);
    th_server_stop(&s);
    cr_assert_eq(ctx.replaced, 2, "replaced %d epoll instances", ctx.replaced);
    cr_assert_lt(rc, 0, "the phase succeeded after %f s", took);
    cr_assert_null(r);
    cr_assert_lt(took, 5.0, "the phase went on for %f s", took);
    cr_assert_not_null(strstr(err->msg, "epoll_wait"), "%s", err->msg);
    cr_assert_not_null(strstr(err->msg, strerror(EINVAL)), "%s", err->msg);
    cr_assert_not_null(strstr(err->msg, "io errors: "), "%s", err->msg);
    cr_assert_null(strstr(err->msg, "io errors: 0"), "%s", err->msg);
    vmb_error_free(err);
}
