/* Lines to the host over the agent channel: replies and the hello. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest.h"

static void
send_all(const char *data, size_t len)
{
    int port = vmb_guest.port;
    while (len > 0) {
        ssize_t n = write(port, data, len);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = port, .events = POLLOUT};
            if (poll(&p, 1, 5000) <= 0 || (p.revents & POLLHUP))
                return; /* the host went away; it will ask again */
            continue;
        }
        return;
    }
}

void
vmb_guest_send_line(struct vmb_wire_line *l)
{
    vmb_wire_line_end(l);
    send_all(l->data, l->len);
    vmb_wire_line_free(l);
}

void
vmb_guest_reply_begin(struct vmb_wire_line *l, const char *id)
{
    vmb_wire_line_begin(l, "ok");
    vmb_wire_adds(l, "id", id);
}

void
vmb_guest_reply_err(const char *id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct vmb_wire_line l;
    vmb_wire_line_begin(&l, "err");
    vmb_wire_adds(&l, "id", id);
    vmb_wire_adds(&l, "msg", msg);
    vmb_guest_send_line(&l);
}

void
vmb_guest_send_hello(void)
{
    const struct vmb_guest_state *g = &vmb_guest;
    struct utsname u;
    uname(&u);
    struct vmb_wire_line l;
    vmb_wire_line_begin(&l, "hello");
    vmb_wire_adds(&l, "v", VMB_AGENT_PROTOCOL);
    vmb_wire_adds(&l, "name", g->name);
    vmb_wire_adds(&l, "kernel", u.release);
    vmb_wire_addu(&l, "agent_start_us", g->t_start);
    vmb_wire_addu(&l, "modules_loaded_us", g->t_modules);
    vmb_wire_addu(&l, "net_up_us", g->t_net);
    vmb_wire_addu(&l, "mounts_done_us", g->t_mounts);
    if (g->boot_error[0])
        vmb_wire_adds(&l, "boot_error", g->boot_error);
    vmb_guest_send_line(&l);
}
