/*
 * A small blocking client of the Redis protocol (RESP2) for the control
 * plane: readiness checks, INFO, replication offsets. Not for load; the
 * load generator has its own event-driven protocol code.
 *
 * Every call has a deadline; a server that does not answer in time is an
 * error, never a hang.
 */
#ifndef VMB_REDIS_CTL_H
#define VMB_REDIS_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum vmb_redis_ctl_type {
    VMB_REDIS_CTL_STATUS,  /* +OK */
    VMB_REDIS_CTL_ERROR,   /* -ERR ... */
    VMB_REDIS_CTL_INTEGER, /* :1 */
    VMB_REDIS_CTL_BULK,    /* $n ... */
    VMB_REDIS_CTL_NIL,     /* $-1 or *-1 */
    VMB_REDIS_CTL_ARRAY,   /* *n; elements are not kept, count in integer */
};

/* One reply. str is NUL-terminated (status, error, bulk); owned by it. */
struct vmb_redis_ctl_reply {
    enum vmb_redis_ctl_type type;
    char *str;
    size_t len;
    int64_t integer;
};

void vmb_redis_ctl_reply_clear(struct vmb_redis_ctl_reply *r);

struct vmb_redis_ctl_conn;

/*
 * Connects to host:port (numeric IPv4/IPv6 or a name) within timeout_ms.
 * Fails with the connect error, e.g. `connect to "127.0.0.1:6379":
 * Connection refused`.
 */
int vmb_redis_ctl_connect(const char *host, int port, int timeout_ms,
                          struct vmb_redis_ctl_conn **out,
                          struct vmb_error **err);
void vmb_redis_ctl_close(struct vmb_redis_ctl_conn *c);

/*
 * Sends the command argv[0..argc) and reads one reply within timeout_ms.
 * A server error reply (-ERR) is a successful call with type
 * VMB_REDIS_CTL_ERROR; I/O errors, timeouts and malformed replies fail.
 */
int vmb_redis_ctl_command(struct vmb_redis_ctl_conn *c, int timeout_ms,
                          struct vmb_redis_ctl_reply *reply,
                          struct vmb_error **err, int argc,
                          const char *const *argv);

/*
 * Looks up "field:value" in an INFO text; returns a malloc'd copy of the
 * value, or NULL when the field is absent.
 */
char *vmb_redis_ctl_info_field(const char *info, const char *field);

#endif
