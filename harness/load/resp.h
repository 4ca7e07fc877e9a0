/*
 * The Redis protocol (RESP2) as the load generator needs it: writing SET
 * and GET commands into a caller's buffer, and an incremental reader of
 * replies that works on whatever bytes a read() returned.
 *
 * The reader keeps no copy of reply payloads: bulk strings are skipped, so
 * a 512 MB value costs no memory. Only a header line split across two
 * reads is carried over, in a buffer allocated on first need.
 */
#ifndef VMB_RESP_H
#define VMB_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest header or error line the reader accepts. */
#define VMB_RESP_LINE_MAX 4096

/* Decimal digits of v: 1 for 0..9, 20 for UINT64_MAX. */
size_t vmb_resp_digits(uint64_t v);

/* Bytes vmb_resp_put_set / vmb_resp_put_get write, at most. */
size_t vmb_resp_set_size(size_t key_len, size_t value_len);
size_t vmb_resp_get_size(size_t key_len);

/* Write the command at p and return the end of what was written. */
char *vmb_resp_put_set(char *p, const char *key, size_t key_len,
                       const char *value, size_t value_len);
char *vmb_resp_put_get(char *p, const char *key, size_t key_len);

/* What one complete reply was. */
struct vmb_resp_reply {
    char type; /* '+', '-', ':', '$' or '*' of the top-level reply */
    bool nil;  /* "$-1" or "*-1": GET of a missing key */
    /* '+', '-', ':': the line after the type byte, without CRLF, not
     * NUL-terminated; valid until the next call on the reader. */
    const char *text;
    size_t text_len;
};

struct vmb_resp_reader {
    uint64_t skip;     /* bulk payload + CRLF still to skip */
    int64_t remaining; /* elements left in the current reply; 0: none open */
    struct vmb_resp_reply top;
    char *line; /* partial line carried between reads; owned */
    uint32_t line_len;
};

enum {
    VMB_RESP_BAD = -1,  /* not RESP; the connection should be dropped */
    VMB_RESP_MORE = 0,  /* every byte consumed, the reply is incomplete */
    VMB_RESP_REPLY = 1, /* *out holds one complete reply */
};

/*
 * Consumes bytes from [*pos, end) up to the end of one reply and moves
 * *pos past them. Returns VMB_RESP_REPLY with *out filled, VMB_RESP_MORE
 * when the bytes ran out first (state kept for the next call), or
 * VMB_RESP_BAD on a protocol violation.
 */
int vmb_resp_read(struct vmb_resp_reader *r, const char **pos, const char *end,
                  struct vmb_resp_reply *out);

/* Forgets a half-read reply (after a reconnect); keeps no memory. */
void vmb_resp_reader_reset(struct vmb_resp_reader *r);

#endif
