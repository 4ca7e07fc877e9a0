/*
 * What every protocol shares: the protocol a target names (RESP when it
 * names none) and the prepare step through it. Above the protocols of
 * this folder; they do not call back into it.
 */
#include <string.h>

#include "load/load.h"
#include "load/proto.h"

const struct vmb_load_proto *
vmb_load_target_proto(const struct vmb_load_target *t)
{
    return t != NULL && t->proto != NULL ? t->proto : &vmb_load_proto_resp;
}

int
vmb_load_prepare(const struct vmb_load_target *t,
                 const struct vmb_load_opts *opts,
                 const struct vmb_phase *phases, size_t nphases,
                 struct vmb_load_prepared *out, struct vmb_error **err)
{
    memset(out, 0, sizeof(*out));
    const struct vmb_load_proto *p = vmb_load_target_proto(t);
    if (p->prepare == NULL)
        return 0;
    return p->prepare(t, opts, phases, nphases, out, err);
}
