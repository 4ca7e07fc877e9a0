/*
 * RESP's targets: redis:// and unix:// URLs, and host:port, into a
 * struct vmb_load_target whose proto is NULL (RESP, the default). Below
 * proto_resp.c, whose table lists vmb_load_target_parse as its parser.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "load/load.h"

int
vmb_load_target_from_host(const char *host, int port, struct vmb_load_target *t,
                          struct vmb_error **err)
{
    memset(t, 0, sizeof(*t));
    if (port < 1 || port > 65535)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "port \"%d\" is outside 1..65535", port);
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || res == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "cannot resolve host \"%s\": %s", host,
                             gai_strerror(rc));
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    if (strchr(host, ':'))
        snprintf(t->name, sizeof(t->name), "[%s]:%d", host, port);
    else
        snprintf(t->name, sizeof(t->name), "%s:%d", host, port);
    return 0;
}

static int
parse_unix(const char *url, const char *path, struct vmb_load_target *t,
           struct vmb_error **err)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&t->addr;
    if (path[0] != '/')
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "bad URL \"%s\": expected unix:///absolute/path",
                             url);
    if (strlen(path) >= sizeof(un->sun_path))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "bad URL \"%s\": socket path too long", url);
    un->sun_family = AF_UNIX;
    strcpy(un->sun_path, path);
    t->addr_len = sizeof(*un);
    snprintf(t->name, sizeof(t->name), "%s", path);
    return 0;
}

int
vmb_load_target_parse(const char *url, struct vmb_load_target *t,
                      struct vmb_error **err)
{
    memset(t, 0, sizeof(*t));
    if (vmb_str_has_prefix(url, "unix://"))
        return parse_unix(url, url + strlen("unix://"), t, err);
    if (!vmb_str_has_prefix(url, "redis://")) {
        const char *colon = strstr(url, "://");
        if (colon)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "unsupported URL scheme \"%.*s\" in \"%s\"; "
                                 "expected redis:// or unix://",
                                 (int)(colon - url), url, url);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "bad URL \"%s\": expected redis://HOST:PORT or "
                             "unix:///PATH",
                             url);
    }
    const char *hp = url + strlen("redis://");
    char host[256];
    const char *port_text = NULL;
    size_t hlen;
    if (strpbrk(hp, "@/?#"))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "bad URL \"%s\": only redis://HOST[:PORT] is "
                             "supported",
                             url);
    if (hp[0] == '[') {
        const char *close = strchr(hp, ']');
        if (close == NULL)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad URL \"%s\": unclosed \"[\"", url);
        hlen = (size_t)(close - hp - 1);
        if (hlen == 0 || hlen >= sizeof(host))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad URL \"%s\": bad host", url);
        memcpy(host, hp + 1, hlen);
        host[hlen] = '\0';
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0')
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad URL \"%s\": unexpected \"%s\"", url,
                                 close + 1);
    } else {
        const char *colon = strrchr(hp, ':');
        hlen = colon ? (size_t)(colon - hp) : strlen(hp);
        if (hlen == 0 || hlen >= sizeof(host))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad URL \"%s\": missing host", url);
        memcpy(host, hp, hlen);
        host[hlen] = '\0';
        if (colon)
            port_text = colon + 1;
    }
    long port = 6379;
    if (port_text) {
        char *end = NULL;
        port = strtol(port_text, &end, 10);
        if (*port_text == '\0' || *end != '\0' || port < 1 || port > 65535)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "bad port \"%s\" in URL \"%s\"", port_text,
                                 url);
    }
    if (vmb_load_target_from_host(host, (int)port, t, err) < 0)
        return vmb_error_prefix(err, "URL \"%s\"", url);
    return 0;
}
