#include "config/hosts.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/option.h"
#include "base/util.h"

/* A user or host name: letters, digits, '.', '_' and '-', not first. */
static bool
plain_name(const char *s, size_t n)
{
    if (n == 0 || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static char *
bad(const char *s)
{
    autofree char *shown = vmb_option_shown(s);
    return vmb_xasprintf("expected \"\" (this host) or an ssh destination "
                         "like \"ssh://user@host\" or \"ssh://host:2222\", "
                         "got \"%s\"",
                         shown);
}

int
vmb_ssh_target_parse(const char *s, struct vmb_ssh_target *t, bool *remote,
                     char **why)
{
    memset(t, 0, sizeof(*t));
    *remote = false;
    if (s == NULL || s[0] == '\0')
        return 0;
    static const char scheme[] = "ssh://";
    if (!vmb_str_has_prefix(s, scheme)) {
        *why = bad(s);
        return -1;
    }
    const char *p = s + strlen(scheme);
    const char *at = strchr(p, '@');
    if (at != NULL) {
        size_t n = (size_t)(at - p);
        if (!plain_name(p, n) || n >= sizeof(t->user)) {
            *why = bad(s);
            return -1;
        }
        memcpy(t->user, p, n);
        p = at + 1;
    }
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    if (!plain_name(p, n) || n >= sizeof(t->host)) {
        *why = bad(s);
        return -1;
    }
    memcpy(t->host, p, n);
    if (colon != NULL) {
        char *end = NULL;
        long port = strtol(colon + 1, &end, 10);
        if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port < 1 ||
            port > 65535) {
            *why = bad(s);
            return -1;
        }
        t->port = (int)port;
    }
    *remote = true;
    return 0;
}

bool
vmb_hosts_control_remote(const struct vmb_config *cfg)
{
    return cfg->hosts.control_node2 != NULL &&
           cfg->hosts.control_node2[0] != '\0';
}

bool
vmb_hosts_vm_remote(const struct vmb_config *cfg)
{
    return cfg->hosts.vm_node2 != NULL && cfg->hosts.vm_node2[0] != '\0';
}

int
vmb_hosts_vm_nodes_here(const struct vmb_config *cfg)
{
    int nodes = vmb_config_nodes(cfg);
    return nodes == 2 && vmb_hosts_vm_remote(cfg) ? 1 : nodes;
}

static char *
bad_uri(const char *s)
{
    autofree char *shown = vmb_option_shown(s);
    return vmb_xasprintf("expected a libvirt URI like "
                         "\"qemu+ssh://user@host/system\" or "
                         "\"qemu+tcp://host/system\", got \"%s\"",
                         shown);
}

/*
 * A URI's query may only say where a key, socket or known_hosts file is:
 * libvirt's other transport options (no_verify, no_tty, command, netcat,
 * proxy, ...) would undo the batch mode and host-key policy a run keeps,
 * or run a program of the URI's choosing.
 */
static bool
query_allowed(const char *q)
{
    static const char *const keys[] = {"keyfile", "socket", "mode",
                                       "known_hosts", "name"};
    if (q == NULL)
        return true;
    for (q++; *q;) {
        size_t n = strcspn(q, "=&;");
        bool ok = false;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            ok = ok || (strlen(keys[i]) == n && strncmp(q, keys[i], n) == 0);
        if (!ok)
            return false;
        q += strcspn(q, "&;");
        if (*q)
            q++;
    }
    return true;
}

int
vmb_libvirt_uri_check(const char *s, char **why)
{
    const char *sep = s ? strstr(s, "://") : NULL;
    if (sep == NULL || !vmb_str_has_prefix(s, "qemu")) {
        *why = bad_uri(s ? s : "");
        return -1;
    }
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '\'' || *c == '"' ||
            *c == '\\') {
            *why = bad_uri(s);
            return -1;
        }
    if (!query_allowed(strchr(s, '?'))) {
        *why = bad_uri(s);
        return -1;
    }
    const char *p = sep + 3;
    const char *slash = strchr(p, '/');
    if (slash == NULL) {
        *why = bad_uri(s);
        return -1;
    }
    const char *at = memchr(p, '@', (size_t)(slash - p));
    if (at != NULL) {
        if (!plain_name(p, (size_t)(at - p))) {
            *why = bad_uri(s);
            return -1;
        }
        p = at + 1;
    }
    const char *colon = memchr(p, ':', (size_t)(slash - p));
    size_t n = colon ? (size_t)(colon - p) : (size_t)(slash - p);
    if (n > 0 && !plain_name(p, n)) {
        *why = bad_uri(s);
        return -1;
    }
    /* The port, as for ssh:// (libvirt hands it to ssh's -p). */
    size_t digits = colon ? (size_t)(slash - colon - 1) : 0;
    long port = digits > 0 ? 0 : 1; /* none or empty: libvirt's own */
    for (size_t i = 0; i < digits && port >= 0; i++) {
        char c = colon[1 + i];
        port =
            c >= '0' && c <= '9' && port <= 65535 ? port * 10 + (c - '0') : -1;
    }
    if (port < 1 || port > 65535) {
        *why = bad_uri(s);
        return -1;
    }
    return 0;
}

/* The value of key in a URI's query into buf ("" when absent); false
 * when it is empty, %-escaped or too long. */
static bool
query_value(const char *uri, const char *key, char *buf, size_t len)
{
    buf[0] = '\0';
    const char *q = strchr(uri, '?');
    size_t klen = strlen(key);
    for (q = q ? q + 1 : NULL; q != NULL && *q;) {
        size_t n = strcspn(q, "&;");
        if (n > klen && strncmp(q, key, klen) == 0 && q[klen] == '=') {
            const char *v = q + klen + 1;
            size_t vlen = n - klen - 1;
            if (vlen == 0 || vlen >= len || memchr(v, '%', vlen) != NULL)
                return false;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
        }
        q += n;
        if (*q)
            q++;
    }
    return true;
}

int
vmb_libvirt_uri_ssh(const char *uri, struct vmb_ssh_target *t, char **why)
{
    memset(t, 0, sizeof(*t));
    static const char scheme[] = "qemu+ssh://";
    if (!vmb_str_has_prefix(uri, scheme)) {
        autofree char *shown = vmb_option_shown(uri);
        *why = vmb_xasprintf("\"%s\" is not reached over ssh "
                             "(qemu+ssh://[user@]host[:port]/system)",
                             shown);
        return -1;
    }
    const char *p = uri + strlen(scheme);
    size_t n = strcspn(p, "/?");
    autofree char *dest = vmb_xasprintf("ssh://%.*s", (int)n, p);
    bool remote = false;
    char keyfile[sizeof(t->keyfile)];
    autofree char *parse_why = NULL;
    if (vmb_ssh_target_parse(dest, t, &remote, &parse_why) < 0 || !remote ||
        !query_value(uri, "keyfile", keyfile, sizeof(keyfile))) {
        autofree char *shown = vmb_option_shown(uri);
        *why = vmb_xasprintf("\"%s\": vmbench's own ssh takes its host, "
                             "port, user and keyfile as they are written, "
                             "not empty or %%-escaped",
                             shown);
        return -1;
    }
    memcpy(t->keyfile, keyfile, sizeof(keyfile));
    return 0;
}

/* "a.b.c.d/p" into host-order address and prefix. */
static bool
cidr(const char *s, uint32_t *net, int *prefix)
{
    char addr[INET_ADDRSTRLEN];
    const char *slash = s ? strchr(s, '/') : NULL;
    if (slash == NULL || (size_t)(slash - s) >= sizeof(addr))
        return false;
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    struct in_addr in;
    char *end = NULL;
    long p = strtol(slash + 1, &end, 10);
    if (inet_pton(AF_INET, addr, &in) != 1 || *end != '\0' || p < 1 || p > 30)
        return false;
    *net = ntohl(in.s_addr);
    *prefix = (int)p;
    return true;
}

int
vmb_hosts_vm_node2_subnet(const struct vmb_config *cfg, char *buf, size_t len)
{
    uint32_t base = 0, net = 0;
    int bp = 0, p = 0;
    bool ok = cidr(cfg->network.subnet, &base, &bp);
    const char *given = cfg->hosts.vm_node2_subnet;
    if (given != NULL && given[0] != '\0') {
        snprintf(buf, len, "%s", given);
        if (!ok || !cidr(given, &net, &p))
            return -1;
    } else {
        uint64_t next = (uint64_t)base + (1ull << (32 - bp));
        if (!ok || next > UINT32_MAX) {
            snprintf(buf, len, "%s", "");
            return -1;
        }
        net = (uint32_t)next;
        p = bp;
        snprintf(buf, len, "%u.%u.%u.%u/%d", net >> 24, (net >> 16) & 255,
                 (net >> 8) & 255, net & 255, p);
    }
    int shorter = p < bp ? p : bp;
    uint32_t mask = ~0u << (32 - shorter);
    return (net & mask) == (base & mask) ? -1 : 0;
}
