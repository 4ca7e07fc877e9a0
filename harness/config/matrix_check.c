/* Checks of matrix values beyond their type, and messages with their
 * place. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/hosts.h"
#include "config/matrix_priv.h"

int
vmb_matrix_fail(struct vmb_error **err, const char *file, struct vmb_mpos pos,
                const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    if (path != NULL && *path != '\0')
        return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s:%zu:%zu: %s: %s", file,
                             pos.line, pos.col, path, msg);
    return vmb_error_set(err, VMB_ERR_INPUT, 0, "%s:%zu:%zu: %s", file,
                         pos.line, pos.col, msg);
}

void
vmb_matrix_warn(struct vmb_matrix *m, const char *file, struct vmb_mpos pos,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    autofree char *msg = vmb_xvasprintf(fmt, ap);
    va_end(ap);
    m->warnings =
        vmb_xrealloc(m->warnings, (m->nwarnings + 1) * sizeof(*m->warnings));
    m->warnings[m->nwarnings++] =
        vmb_xasprintf("%s:%zu:%zu: warning: %s", file, pos.line, pos.col, msg);
}

/* ---- the run name: a label that becomes part of a directory name ---- */

#define NAME_MAX_LEN 100
static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789-_.";

static char *
check_name(const char *name)
{
    size_t n = strlen(name);
    if (n >= 1 && n <= NAME_MAX_LEN && name[0] != '.' &&
        strspn(name, name_chars) == n)
        return NULL;
    autofree char *shown = vmb_option_shown(name);
    return vmb_xasprintf("expected a name of 1 to %d letters, digits, \"-\", "
                         "\"_\" and \".\", not starting with \".\" (it names "
                         "the results directory), got \"%s\"",
                         NAME_MAX_LEN, shown);
}

char *
vmb_matrix_default_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    while (*b == '.')
        b++;
    char *n = vmb_xstrdup(b);
    char *dot = strrchr(n, '.');
    if (dot != NULL)
        *dot = '\0';
    for (char *p = n; *p; p++)
        if (strchr(name_chars, *p) == NULL)
            *p = '_';
    if (strlen(n) > NAME_MAX_LEN)
        n[NAME_MAX_LEN] = '\0';
    if (*n == '\0') {
        free(n);
        n = vmb_xstrdup("vmbench");
    }
    return n;
}

/* ---- the subnet of a run's host-only network ---- */

/* Digits of one number: 1 to max of them, no leading zero. */
static bool
parse_num(const char **s, int max, unsigned *out)
{
    const char *p = *s;
    unsigned v = 0;
    int nd = 0;
    while (*p >= '0' && *p <= '9') {
        if (++nd > max)
            return false;
        v = v * 10 + (unsigned)(*p - '0');
        p++;
    }
    if (nd == 0 || (nd > 1 && **s == '0'))
        return false;
    *s = p;
    *out = v;
    return true;
}

static bool
parse_cidr(const char *s, uint32_t *addr, unsigned *prefix)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v;
        if (!parse_num(&s, 3, &v) || v > 255)
            return false;
        a = a << 8 | v;
        if (*s != (i < 3 ? '.' : '/'))
            return false;
        s++;
    }
    if (!parse_num(&s, 2, prefix) || *s != '\0')
        return false;
    *addr = a;
    return true;
}

static uint32_t
mask_of(unsigned prefix)
{
    return prefix == 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
}

/* Ranges a host-only network of VMs cannot use. */
static const struct {
    uint32_t net;
    unsigned prefix;
    const char *what;
} reserved[] = {
    {0x00000000u, 8, "\"this network\" range 0.0.0.0/8"},
    {0x7f000000u, 8, "loopback range 127.0.0.0/8"},
    {0xe0000000u, 4, "multicast range 224.0.0.0/4"},
    {0xf0000000u, 4, "reserved range 240.0.0.0/4"},
};

static char *
check_subnet(const char *subnet)
{
    uint32_t a;
    unsigned p;
    autofree char *shown = vmb_option_shown(subnet);
    /* A VM network needs room for a gateway and the VMs: at most /29. */
    if (!parse_cidr(subnet, &a, &p) || p < 8 || p > 29)
        return vmb_xasprintf("expected an IPv4 subnet like 10.213.0.0/24 "
                             "(prefix 8 to 29), got \"%s\"",
                             shown);
    uint32_t m = mask_of(p);
    if ((a & ~m) != 0) {
        uint32_t n = a & m;
        return vmb_xasprintf("subnet \"%s\" has host bits set; did you mean "
                             "%u.%u.%u.%u/%u?",
                             shown, n >> 24, (n >> 16) & 255, (n >> 8) & 255,
                             n & 255, p);
    }
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        uint32_t both =
            mask_of(p < reserved[i].prefix ? p : reserved[i].prefix);
        if ((a & both) == (reserved[i].net & both))
            return vmb_xasprintf("subnet \"%s\" overlaps the %s; use a "
                                 "private range like 10.213.0.0/24",
                                 shown, reserved[i].what);
    }
    return NULL;
}

char *
vmb_matrix_check_value(const struct vmb_option *opt, const void *base)
{
    if (opt->type != VMB_OPT_STRING)
        return NULL;
    const struct vmb_section *top = &vmb_sections[0];
    const struct vmb_section *net = vmb_section_find("network");
    const char *s = *(char *const *)((const char *)base + opt->offset);
    if (opt == vmb_option_find(top->options, top->noptions, "name"))
        return check_name(s);
    if (opt == vmb_option_find(net->options, net->noptions, "subnet"))
        return check_subnet(s);
    const struct vmb_section *hosts = vmb_section_find("hosts");
    if (opt ==
        vmb_option_find(hosts->options, hosts->noptions, "vm_node2_subnet"))
        return s == NULL || s[0] == '\0' ? NULL : check_subnet(s);
    if (opt ==
        vmb_option_find(hosts->options, hosts->noptions, "control_node2")) {
        struct vmb_ssh_target t;
        bool remote;
        char *why = NULL;
        vmb_ssh_target_parse(s, &t, &remote, &why);
        return why;
    }
    if (opt == vmb_option_find(hosts->options, hosts->noptions, "vm_node2")) {
        char *why = NULL;
        if (s == NULL || s[0] == '\0' || vmb_libvirt_uri_check(s, &why) < 0)
            return why;
        /* Another host, by a transport that reaches one. */
        bool remote = vmb_str_has_prefix(s, "qemu+ssh://") ||
                      vmb_str_has_prefix(s, "qemu+tcp://");
        const char *host = strstr(s, "://") + 3;
        if (!remote || host[0] == '/') {
            autofree char *shown = vmb_option_shown(s);
            return vmb_xasprintf("expected a libvirt URI of another host like "
                                 "\"qemu+ssh://user@host/system\" or "
                                 "\"qemu+tcp://host/system\", got \"%s\"",
                                 shown);
        }
        return NULL;
    }
    return NULL;
}

/* ---- shorthands and the values they imply ---- */

/*
 * Every value of an option that fixes another option's value. The text
 * is the canonical formatted value (vmb_option_format).
 */
static const struct implication {
    const char *path, *value; /* the shorthand: guest.storage virtio-blk */
    const char *means;        /* what it stands for, for the message */
    const char *implied_path, *implied_value;
} implications[] = {
    {"guest.storage", "9p", "shared over virtio-9p", "guest.shared_fs",
     "virtio-9p"},
    {"guest.storage", "virtio-fs", "shared over virtio-fs", "guest.shared_fs",
     "virtio-fs"},
    {"guest.storage", "virtio-blk", "block on virtio-blk", "guest.blk_driver",
     "virtio-blk"},
    /* A data disk is a block device in Kata's view
     * (disable_block_device_use = false in the cell's Kata settings). */
    {"guest.storage", "virtio-blk", "block on virtio-blk",
     "guest.disable_block_device_use", "off"},
    {"guest.storage", "block", "a data disk of its own",
     "guest.disable_block_device_use", "off"},
};
#define NIMPLICATIONS (sizeof(implications) / sizeof(implications[0]))

/* An implication whose both options the file gives. */
struct active {
    const struct implication *rule;
    const struct vmb_given *from, *to;
};

struct vmb_implied {
    struct active rules[NIMPLICATIONS];
    size_t n;
};

/* The last place the file gives opt: an axis, after the sections. */
static const struct vmb_given *
given_at(const struct vmb_given *g, size_t n, const char *path)
{
    const struct vmb_section *sec = NULL;
    const struct vmb_option *opt = NULL;
    if (vmb_option_resolve(path, &sec, &opt) < 0)
        return NULL;
    const struct vmb_given *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (g[i].opt == opt)
            found = &g[i];
    return found;
}

struct vmb_implied *
vmb_implied_new(const struct vmb_given *given, size_t ngiven)
{
    struct vmb_implied *im = vmb_xcalloc(1, sizeof(*im));
    for (size_t i = 0; i < NIMPLICATIONS; i++) {
        const struct implication *r = &implications[i];
        const struct vmb_given *from = given_at(given, ngiven, r->path);
        const struct vmb_given *to = given_at(given, ngiven, r->implied_path);
        if (from != NULL && to != NULL)
            im->rules[im->n++] = (struct active){r, from, to};
    }
    return im;
}

void
vmb_implied_free(struct vmb_implied *im)
{
    free(im);
}

static bool
has_value(const struct vmb_given *g, const struct vmb_config *cfg,
          const char *value)
{
    autofree char *v =
        vmb_option_format(g->opt, (const char *)cfg + g->sec->offset);
    return strcmp(v, value) == 0;
}

int
vmb_implied_check(const struct vmb_implied *im, const char *file,
                  const struct vmb_cell *cell, struct vmb_error **err)
{
    for (size_t i = 0; i < im->n; i++) {
        const struct active *a = &im->rules[i];
        if (!has_value(a->from, &cell->cfg, a->rule->value) ||
            has_value(a->to, &cell->cfg, a->rule->implied_value))
            continue;
        autofree char *v = vmb_option_format(
            a->to->opt, (const char *)&cell->cfg + a->to->sec->offset);
        return vmb_matrix_fail(
            err, file, a->to->pos, a->to->key,
            "\"%s\" contradicts %s \"%s\" at %s:%zu:%zu, which means %s "
            "(%s \"%s\"), in cell \"%s\"; give one of them, or exclude "
            "the cell",
            v, a->from->key, a->rule->value, file, a->from->pos.line,
            a->from->pos.col, a->rule->means, a->to->opt->name,
            a->rule->implied_value, cell->label);
    }
    return 0;
}

void
vmb_given_free(struct vmb_given *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].key);
    free(g);
}
