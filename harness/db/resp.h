/*
 * A small blocking client of the Redis protocol (RESP2) for the control
 * plane: readiness checks, INFO, replication offsets. Not for load; the
 * load generator has its own event-driven protocol code.
 *
 * Every call has a deadline; a server that does not answer in time is an
 * error, never a hang.
 */
#ifndef VMB_RESP_H
#define VMB_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum vmb_resp_type {
    VMB_RESP_STATUS,  /* +OK */
    VMB_RESP_ERROR,   /* -ERR ... */
    VMB_RESP_INTEGER, /* :1 */
    VMB_RESP_BULK,    /* $n ... */
    VMB_RESP_NIL,     /* $-1 or *-1 */
    VMB_RESP_ARRAY,   /* *n; elements are not kept, count in integer */
};

/* One reply. str is NUL-terminated (status, error, bulk); owned by it. */
struct vmb_resp_reply {
    enum vmb_resp_type type;
    char *str;
    size_t len;
    int64_t integer;
};

void vmb_resp_reply_clear(struct vmb_resp_reply *r);

struct vmb_resp_conn;

/*
 * Connects to host:port (numeric IPv4/IPv6 or a name) within timeout_ms.
 * Fails with the connect error, e.g. `connect to "127.0.0.1:6379":
 * Connection refused`.
 */
int vmb_resp_connect(const char *host, int port, int timeout_ms,
                     struct vmb_resp_conn **out, struct vmb_error **err);
void vmb_resp_close(struct vmb_resp_conn *c);

/*
 * Sends the command argv[0..argc) and reads one reply within timeout_ms.
 * A server error reply (-ERR) is a successful call with type
 * VMB_RESP_ERROR; I/O errors, timeouts and malformed replies fail.
 */
int vmb_resp_command(struct vmb_resp_conn *c, int timeout_ms,
                     struct vmb_resp_reply *reply, struct vmb_error **err,
                     int argc, const char *const *argv);

/*
 * Looks up "field:value" in an INFO text; returns a malloc'd copy of the
 * value, or NULL when the field is absent.
 */
char *vmb_resp_info_field(const char *info, const char *field);

#endif
