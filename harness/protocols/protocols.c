#include "protocols/protocols.h"

#include <string.h>

#include "base/util.h"
#include "protocols/mysql.h"
#include "protocols/pg.h"

const struct vmb_load_proto *const vmb_protocols[] = {
    &vmb_load_proto_resp,
    &vmb_pg_proto,
    &vmb_mysql_proto,
    NULL,
};

const struct vmb_load_proto *
vmb_protocol_for_url(const char *url)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL)
        return NULL;
    size_t len = (size_t)(sep - url);
    for (size_t i = 0; vmb_protocols[i]; i++)
        for (const char *const *s = vmb_protocols[i]->schemes; s && *s; s++)
            if (strlen(*s) == len && strncmp(url, *s, len) == 0)
                return vmb_protocols[i];
    return NULL;
}

int
vmb_protocols_target_parse(const char *url, struct vmb_load_target *t,
                           struct vmb_error **err)
{
    const struct vmb_load_proto *p = vmb_protocol_for_url(url);
    if (p != NULL)
        return p->target_parse(url, t, err);
    const char *sep = strstr(url, "://");
    if (sep == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "bad URL \"%s\": expected redis://HOST:PORT, "
                             "unix:///PATH, postgres://USER@HOST:PORT/DB or "
                             "mysql://USER:PASSWORD@HOST:PORT/DB",
                             url);
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "unsupported URL scheme \"%.*s\" in \"%s\"; "
                         "expected redis://, unix://, postgres://, "
                         "postgresql:// or mysql://",
                         (int)(sep - url), url, url);
}
