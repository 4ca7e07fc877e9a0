/*
 * The load generator's protocols, all of them: RESP from load/ and those
 * above the leaves that need a client library (PostgreSQL's libpq). Who
 * builds an engine (cmd/stress, the run layer) finds a target's protocol
 * here by its URL's scheme. A new protocol is a module in this folder and
 * one entry in vmb_protocols.
 */
#ifndef VMB_PROTOCOLS_H
#define VMB_PROTOCOLS_H

#include "load/proto.h"

/* NULL-terminated. */
extern const struct vmb_load_proto *const vmb_protocols[];

/* The protocol that owns url's scheme ("postgres" for postgres://...),
 * or NULL. */
const struct vmb_load_proto *vmb_protocol_for_url(const char *url);

/*
 * Parses url with the parser of the protocol that owns its scheme. A
 * scheme no protocol owns fails with VMB_ERR_INPUT listing the schemes.
 */
int vmb_protocols_target_parse(const char *url, struct vmb_load_target *t,
                               struct vmb_error **err);

#endif
