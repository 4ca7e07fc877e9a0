/*
 * A file larger than one agent reply comes back whole: the host client's
 * fetch in parts (vm/agent.c) against the guest agent's own fetch handler
 * (guest/requests.c, compiled into this test), over a real socket, from
 * files in a directory that stands for the container's root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"
#include "guest.h"
#include "vm/agent.h"
#include "vm/agent_wire.h"

/* The agent's state, which the guest's boot.c defines in the agent. */
struct vmb_guest_state vmb_guest;

/* The guest: hello, then every fetch served by the agent's handler. */
struct guest {
    char path[108];
    int listen_fd;
    size_t fetches; /* requests served */
};

static void *
guest_main(void *arg)
{
    struct guest *g = arg;
    int fd = accept(g->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    vmb_guest.port = fd;
    vmb_guest_send_hello();
    struct vmb_buf in = {0};
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
        vmb_buf_append(&in, chunk, (size_t)n);
        char *nl;
        while ((nl = memchr(in.data, '\n', in.len)) != NULL) {
            size_t ll = (size_t)(nl - in.data) + 1;
            struct vmb_wire_msg m;
            if (vmb_wire_parse(in.data, ll, &m) == 0) {
                const char *id = vmb_wire_get(&m, "id");
                if (id != NULL && strcmp(m.verb, "fetch") == 0) {
                    vmb_guest_req_fetch(id, &m);
                    g->fetches++;
                }
                vmb_wire_msg_free(&m);
            }
            memmove(in.data, in.data + ll, in.len - ll);
            in.len -= ll;
        }
    }
    vmb_buf_free(&in);
    close(fd);
    return NULL;
}

static pthread_t
guest_start(struct guest *g, struct vmb_agent **a)
{
    snprintf(g->path, sizeof(g->path), "/tmp/vmb-agent-fetch-%d.sock",
             (int)getpid());
    unlink(g->path);
    g->fetches = 0;
    g->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, g->path);
    cr_assert_eq(bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(g->listen_fd, 1), 0);
    pthread_t t;
    pthread_create(&t, NULL, guest_main, g);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_connect(g->path, 5000000, a, &err), 0, "%s",
                 err ? err->msg : "");
    return t;
}

static void
guest_stop(struct guest *g, pthread_t t, struct vmb_agent *a)
{
    vmb_agent_free(a);
    pthread_join(t, NULL);
    close(g->listen_fd);
    unlink(g->path);
}

/* Writes len bytes of text like fio's json+ (every byte value a line of
 * the protocol escapes, newlines and spaces among them) as the
 * container's file name; returns the text. */
static char *
put_file(const char *name, size_t len)
{
    mkdir(VMB_GUEST_ROOT, 0755);
    char *text = vmb_xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        text[i] = i % 61 == 60 ? '\n' : "{\"bins\" : 12345, %}"[i % 19];
    text[len] = '\0';
    char *path = vmb_xasprintf("%s%s", VMB_GUEST_ROOT, name);
    cr_assert_eq(vmb_write_file_atomic(path, text, len, NULL), 0);
    free(path);
    return text;
}

static void
drop_file(const char *name)
{
    char *path = vmb_xasprintf("%s%s", VMB_GUEST_ROOT, name);
    unlink(path);
    free(path);
}

/* 3.5 MiB (fio's json+ of a few jobs with histograms): four parts, every
 * byte in place; an empty file and one of exactly one part: one request. */
Test(agent_fetch, a_file_of_several_parts_comes_back_whole, .timeout = 60)
{
    static const size_t sizes[] = {
        (size_t)VMB_AGENT_FETCH_MAX * 7 / 2,
        0,
        VMB_AGENT_FETCH_MAX,
    };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *text = put_file("/fio.json", sizes[i]);
        struct guest g;
        struct vmb_agent *a = NULL;
        pthread_t t = guest_start(&g, &a);
        char *data = NULL;
        size_t len = 0;
        struct vmb_error *err = NULL;
        cr_assert_eq(vmb_agent_fetch_all(a, "/fio.json",
                                         VMB_AGENT_FETCH_ALL_MAX, 20000000,
                                         &data, &len, &err),
                     0, "%s", err ? err->msg : "");
        cr_assert_eq(len, sizes[i]);
        cr_assert(memcmp(data, text, len) == 0, "the bytes differ");
        cr_expect_eq(data[len], '\0');
        guest_stop(&g, t, a);
        size_t parts = sizes[i] ? (sizes[i] - 1) / VMB_AGENT_FETCH_MAX + 1 : 1;
        cr_expect_eq(g.fetches, parts, "%zu bytes in %zu requests", sizes[i],
                     g.fetches);
        free(data);
        free(text);
        drop_file("/fio.json");
    }
}

/* Above the cap: refused with the file's size, after one request, and
 * nothing is handed out. */
Test(agent_fetch, a_file_above_the_cap_is_refused_naming_its_size,
     .timeout = 60)
{
    char *text = put_file("/fio.json", (size_t)VMB_AGENT_FETCH_MAX * 5 / 2);
    struct guest g;
    struct vmb_agent *a = NULL;
    pthread_t t = guest_start(&g, &a);
    char *data = NULL;
    size_t len = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_fetch_all(a, "/fio.json", 2 * VMB_AGENT_FETCH_MAX,
                                     20000000, &data, &len, &err),
                 -1);
    cr_expect_str_eq(err->msg, "\"/fio.json\" in the guest is at least "
                               "2560k, more than the 2M vmbench fetches");
    cr_expect_null(data);
    vmb_error_free(err);
    guest_stop(&g, t, a);
    cr_expect_eq(g.fetches, 1);
    free(text);
    drop_file("/fio.json");
}

/* A file the guest does not have: the agent's words. */
Test(agent_fetch, a_missing_file_fails_with_the_agents_words, .timeout = 60)
{
    struct guest g;
    struct vmb_agent *a = NULL;
    pthread_t t = guest_start(&g, &a);
    char *data = NULL;
    size_t len = 0;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_fetch_all(a, "/no-such.json",
                                     VMB_AGENT_FETCH_ALL_MAX, 20000000, &data,
                                     &len, &err),
                 -1);
    cr_expect_str_eq(err->msg, "agent request \"fetch\": open "
                               "\"/no-such.json\": No such file or directory");
    vmb_error_free(err);
    guest_stop(&g, t, a);
}
