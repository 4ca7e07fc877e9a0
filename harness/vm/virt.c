#include "vm/virt.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "base/proc.h"
#include "base/util.h"
#include "config/config.h"
#include "vm/agent_wire.h"
#include "vm/rootfs.h"
#include "vm/virt_priv.h"

struct vmb_virt_net {
    struct vmb_virt *v;
    virNetworkPtr net;
    char *name;
};

struct vmb_virt_domain {
    struct vmb_virt *v;
    virDomainPtr dom;
    char *name;
    int pid; /* 0: not looked up yet, -1: unknown */
};

/* libvirt prints every error to stderr unless told otherwise. */
static void
silent_error(void *opaque, virErrorPtr e)
{
    (void)opaque;
    (void)e;
}

int
vmb_virt_fail(struct vmb_error **err, const char *context)
{
    const char *msg = virGetLastErrorMessage();
    int rc = vmb_error_set(err, VMB_ERR_RUN, 0, "%s: %s", context,
                           msg && *msg ? msg : "unknown libvirt error");
    virResetLastError();
    return rc;
}

/* ---- guard: destroys what a dead process left registered ---- */

/*
 * Networks have no auto-destroy, so a vmbench killed with SIGKILL would
 * leave its network behind. A child forked before this process first
 * touches libvirt holds the read end of a pipe; the parent writes
 * "+N uri\tname" / "-N uri\tname" (D for domains, W for directories of
 * their files, "name" the path; P for processes, "uri" their start time
 * and "name" their pid) as objects come and go. When the pipe
 * reaches EOF the parent is gone, and the child destroys what is still
 * registered.
 */
static int guard_fd = -1;

struct guard_entry {
    char kind;
    char *uri, *name;
};

static void
guard_cleanup(struct guard_entry *e, size_t n)
{
    virSetErrorFunc(NULL, silent_error);
    /* Domains first: a network goes more cleanly without taps on it; the
     * helper processes once no QEMU uses them; the directories of their
     * files last. */
    for (int pass = 0; pass < 4; pass++) {
        for (size_t i = 0; i < n; i++) {
            if (e[i].name == NULL || e[i].kind != "DPNW"[pass])
                continue;
            if (e[i].kind == 'W') {
                /* A container root mounted in it first: removing must
                 * not reach into the image's tree. */
                vmb_rootfs_unmount_under(e[i].name);
                vmb_rm_rf(e[i].name, NULL);
                continue;
            }
            if (e[i].kind == 'P') {
                vmb_proc_stop((pid_t)atoi(e[i].name),
                              strtoull(e[i].uri, NULL, 10), 1000);
                continue;
            }
            virConnectPtr c = virConnectOpen(e[i].uri);
            if (c == NULL)
                continue;
            if (e[i].kind == 'D') {
                virDomainPtr d = virDomainLookupByName(c, e[i].name);
                if (d) {
                    virDomainDestroy(d);
                    virDomainFree(d);
                }
            } else {
                virNetworkPtr nw = virNetworkLookupByName(c, e[i].name);
                if (nw) {
                    virNetworkDestroy(nw);
                    virNetworkFree(nw);
                }
            }
            virConnectClose(c);
        }
    }
}

static void
guard_main(int rfd)
{
    struct guard_entry *e = NULL;
    size_t n = 0;
    struct vmb_buf line = {0};
    char ch;

    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        ssize_t r = read(rfd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (ch != '\n') {
            vmb_buf_append(&line, &ch, 1);
            continue;
        }
        char *l = vmb_buf_steal(&line);
        char *tab = strchr(l, '\t');
        if (strlen(l) > 3 && tab != NULL && (l[0] == '+' || l[0] == '-')) {
            *tab = '\0';
            const char *uri = l + 3, *name = tab + 1;
            if (l[0] == '+') {
                e = vmb_xrealloc(e, (n + 1) * sizeof(*e));
                e[n].kind = l[1];
                e[n].uri = vmb_xstrdup(uri);
                e[n].name = vmb_xstrdup(name);
                n++;
            } else {
                for (size_t i = 0; i < n; i++) {
                    if (e[i].name && e[i].kind == l[1] &&
                        strcmp(e[i].name, name) == 0 &&
                        strcmp(e[i].uri, uri) == 0) {
                        free(e[i].name);
                        e[i].name = NULL;
                    }
                }
            }
        }
        free(l);
    }
    guard_cleanup(e, n);
    _exit(0);
}

static void
guard_start(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        int keep = fds[0];
        if (keep != 3) {
            dup2(keep, 3);
            keep = 3;
        }
        close_range(4, ~0U, 0);
        guard_main(keep);
    }
    close(fds[0]);
    guard_fd = fds[1];
}

static void
guard_note(char op, char kind, const char *uri, const char *name)
{
    if (guard_fd < 0)
        return;
    autofree char *l = vmb_xasprintf("%c%c %s\t%s\n", op, kind, uri, name);
    size_t len = strlen(l), off = 0;
    while (off < len) {
        ssize_t w = write(guard_fd, l + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

void
vmb_virt_guard_dir(bool add, const char *path)
{
    guard_note(add ? '+' : '-', 'W', "-", path);
}

void
vmb_virt_guard_process(bool add, pid_t pid, unsigned long long start)
{
    char p[24], st[24];
    snprintf(p, sizeof(p), "%d", (int)pid);
    snprintf(st, sizeof(st), "%llu", start);
    guard_note(add ? '+' : '-', 'P', st, p);
}

void
vmb_virt_guard_ensure(void)
{
    static bool guard_started;
    if (!guard_started) {
        guard_started = true;
        guard_start();
    }
}

/* ---- connection ---- */

/* "qemu:///system" is local; "qemu+ssh://host/system" is not. */
static bool
uri_is_local(const char *uri)
{
    const char *sep = strstr(uri, "://");
    if (sep == NULL)
        return true;
    for (const char *p = uri; p < sep; p++)
        if (*p == '+')
            return strncmp(p, "+unix", 5) == 0;
    return sep[3] == '/';
}

int
vmb_virt_open(const char *uri, struct vmb_virt **out, struct vmb_error **err)
{
    vmb_virt_guard_ensure();
    virSetErrorFunc(NULL, silent_error);

    /* libvirt's ssh transport in batch mode, as vmbench's own ssh: no
     * password or passphrase prompt, an unknown host key refused. */
    autofree char *open_uri =
        strstr(uri, "+ssh://") != NULL && strstr(uri, "no_tty=") == NULL
            ? vmb_xasprintf("%s%cno_tty=1", uri, strchr(uri, '?') ? '&' : '?')
            : vmb_xstrdup(uri);
    virConnectPtr c = virConnectOpen(open_uri);
    if (c == NULL) {
        const char *msg = virGetLastErrorMessage();
        int rc = uri_is_local(uri)
                     ? vmb_error_set(err, VMB_ERR_RUN, 0,
                                     "connect to libvirt at \"%s\": %s; is "
                                     "libvirtd running? start it with "
                                     "`systemctl start libvirtd` (or "
                                     "`libvirtd -d`), or run vmbench inside "
                                     "scripts/sandbox.sh",
                                     uri, msg && *msg ? msg : "unknown error")
                     : vmb_error_set(err, VMB_ERR_RUN, 0,
                                     "connect to libvirt at \"%s\": %s", uri,
                                     msg && *msg ? msg : "unknown error");
        virResetLastError();
        return rc;
    }
    struct vmb_virt *v = vmb_xcalloc(1, sizeof(*v));
    v->conn = c;
    char *real = virConnectGetURI(c);
    v->uri = vmb_xstrdup(real ? real : uri);
    free(real);
    v->local = uri_is_local(v->uri);
    *out = v;
    return 0;
}

void
vmb_virt_close(struct vmb_virt *v)
{
    if (v == NULL)
        return;
    virConnectClose(v->conn);
    free(v->uri);
    free(v);
}

const char *
vmb_virt_uri(const struct vmb_virt *v)
{
    return v->uri;
}

bool
vmb_virt_is_local(const struct vmb_virt *v)
{
    return v->local;
}

static char *
format_version(unsigned long ver)
{
    return vmb_xasprintf("%lu.%lu.%lu", ver / 1000000, ver / 1000 % 1000,
                         ver % 1000);
}

int
vmb_virt_versions(struct vmb_virt *v, char **libvirt, char **qemu,
                  struct vmb_error **err)
{
    unsigned long lib = 0, hv = 0;
    if (virConnectGetLibVersion(v->conn, &lib) < 0)
        return vmb_virt_fail(err, "libvirt version");
    if (virConnectGetVersion(v->conn, &hv) < 0)
        return vmb_virt_fail(err, "hypervisor version");
    *libvirt = format_version(lib);
    *qemu = format_version(hv);
    return 0;
}

int
vmb_virt_host_cpus(struct vmb_virt *v, int *cpus, uint64_t *first64,
                   int64_t *free_2m, struct vmb_error **err)
{
    unsigned int online = 0;
    unsigned char *map = NULL;
    int present = virNodeGetCPUMap(v->conn, &map, &online, 0);
    if (present < 0)
        return vmb_virt_fail(err, "the host's CPUs");
    uint64_t mask = 0;
    for (int i = 0; i < present && i < 64; i++)
        if (map[i / 8] & (1u << (i % 8)))
            mask |= 1ull << i;
    free(map);
    *cpus = (int)online;
    if (first64 != NULL)
        *first64 = mask;
    /* All NUMA nodes together (start -1, one cell); a host without
     * 2 MiB pages says so as an error, which is 0 free here. */
    unsigned int size = 2048;
    unsigned long long count = 0;
    if (virNodeGetFreePages(v->conn, 1, &size, -1, 1, &count, 0) < 0) {
        virResetLastError();
        count = 0;
    }
    *free_2m = (int64_t)count;
    return 0;
}

char *
vmb_virt_hostname(struct vmb_virt *v)
{
    char *name = virConnectGetHostname(v->conn);
    if (name == NULL) {
        virResetLastError();
        return NULL;
    }
    for (char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return name;
}

void
vmb_virt_describe(struct vmb_virt *v, char **hostname, char **libvirt,
                  char **qemu)
{
    *hostname = vmb_virt_hostname(v);
    *libvirt = *qemu = NULL;
    vmb_autoerr struct vmb_error *unknown = NULL;
    vmb_virt_versions(v, libvirt, qemu, &unknown);
}

int
vmb_virt_emulator_check(struct vmb_virt *v, const char *emulator,
                        const char *machine, struct vmb_error **err)
{
    char *caps = virConnectGetDomainCapabilities(v->conn, emulator, "x86_64",
                                                 machine, NULL, 0);
    if (caps == NULL)
        return vmb_virt_fail(err, "domain capabilities");
    free(caps);
    return 0;
}

/* ---- QEMU's user ---- */

/* "+64055" or "libvirt-qemu" (a group when group is true). */
static bool
dac_id(const char *s, bool group, unsigned *out)
{
    if (s[0] == '+') {
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(s + 1, &end, 10);
        if (errno != 0 || end == s + 1 || *end != '\0' || n >= 0xffffffffUL)
            return false;
        *out = (unsigned)n;
        return true;
    }
    if (group) {
        struct group *g = getgrnam(s);
        if (g != NULL)
            *out = g->gr_gid;
        return g != NULL;
    }
    struct passwd *pw = getpwnam(s);
    if (pw != NULL)
        *out = pw->pw_uid;
    return pw != NULL;
}

int
vmb_virt_caps_dac_owner(const char *caps, bool kvm, uid_t *uid, gid_t *gid,
                        struct vmb_error **err)
{
    /* <secmodel><model>dac</model>...<baselabel type='kvm'>+U:+G</...> */
    const char *m = strstr(caps, "<model>dac</model>");
    if (m == NULL)
        return 0;
    const char *end = strstr(m, "</secmodel>");
    const char *type = kvm ? "kvm" : "qemu", *b = NULL;
    for (const char *l = strstr(m, "<baselabel"); l && (!end || l < end);
         l = strstr(l + 1, "<baselabel")) {
        const char *gt = strchr(l, '>');
        autofree char *want1 = vmb_xasprintf("type='%s'", type);
        autofree char *want2 = vmb_xasprintf("type=\"%s\"", type);
        const char *t1 = strstr(l, want1), *t2 = strstr(l, want2);
        if (gt && ((t1 && t1 < gt) || (t2 && t2 < gt))) {
            b = gt + 1;
            break;
        }
    }
    if (b == NULL)
        return 0;
    const char *close = strchr(b, '<');
    if (close == NULL)
        close = b + strlen(b);
    autofree char *label = vmb_xstrndup(b, (size_t)(close - b));
    char *colon = strchr(label, ':');
    unsigned u = 0, g = 0;
    if (colon != NULL)
        *colon = '\0';
    if (colon == NULL || !dac_id(label, false, &u) ||
        !dac_id(colon + 1, true, &g)) {
        if (colon != NULL)
            *colon = ':';
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "libvirt's DAC label for QEMU is \"%s\"; "
                             "expected USER:GROUP this host knows",
                             label);
    }
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 1;
}

int
vmb_virt_qemu_owner(struct vmb_virt *v, bool kvm, uid_t *uid, gid_t *gid,
                    struct vmb_error **err)
{
    char *caps = virConnectGetCapabilities(v->conn);
    if (caps == NULL)
        return vmb_virt_fail(err, "read the host's capabilities");
    int rc = vmb_virt_caps_dac_owner(caps, kvm, uid, gid, err);
    free(caps);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        *uid = geteuid();
        *gid = getegid();
    }
    return 0;
}

/* ---- subnet ---- */

int
vmb_subnet_parse(const char *cidr, struct vmb_subnet *out,
                 struct vmb_error **err)
{
    char addr[32];
    int prefix = -1;
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    if (slash == NULL || (size_t)(slash - cidr) >= sizeof(addr))
        goto bad;
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    char *end;
    errno = 0;
    long p = strtol(slash + 1, &end, 10);
    if (errno || *end || end == slash + 1 || p < 8 || p > 29)
        goto bad;
    prefix = (int)p;
    struct in_addr in;
    if (inet_pton(AF_INET, addr, &in) != 1)
        goto bad;
    uint32_t mask = prefix == 0 ? 0 : ~0U << (32 - prefix);
    out->net = ntohl(in.s_addr) & mask;
    out->prefix = prefix;
    return 0;
bad:
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "network.subnet \"%s\" is not an IPv4 subnet like "
                         "10.213.0.0/24 with a prefix from /8 to /29",
                         cidr ? cidr : "");
}

int
vmb_subnet_nth(const struct vmb_subnet *s, uint32_t k, struct vmb_subnet *out,
               struct vmb_error **err)
{
    uint64_t size = 1ull << (32 - s->prefix);
    uint64_t net = (uint64_t)s->net + (uint64_t)k * size;
    if (net + size - 1 > UINT32_MAX)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "network.subnet /%d: tenant %" PRIu32
                             " would need a subnet past 255.255.255.255",
                             s->prefix, k + 1);
    *out = (struct vmb_subnet){.net = (uint32_t)net, .prefix = s->prefix};
    return 0;
}

void
vmb_subnet_host(const struct vmb_subnet *s, uint32_t index, char *buf,
                size_t len)
{
    struct in_addr in = {.s_addr = htonl(s->net + index)};
    inet_ntop(AF_INET, &in, buf, (socklen_t)len);
}

int
vmb_route_next(FILE *f, struct vmb_route *out)
{
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        unsigned dest, gw, flags, refcnt, use, metric, mask;
        if (sscanf(line, "%63s %x %x %x %u %u %u %x", out->dev, &dest, &gw,
                   &flags, &refcnt, &use, &metric, &mask) != 8)
            continue;
        /* The file holds network byte order printed as a host integer. */
        out->dest = ntohl(dest);
        out->mask = ntohl(mask);
        out->flags = flags;
        return 1;
    }
    return 0;
}

int
vmb_subnet_check_free(const struct vmb_subnet *s, struct vmb_error **err)
{
    autofclose FILE *f = fopen("/proc/net/route", "r");
    if (f == NULL)
        return vmb_error_sys(err, "read \"/proc/net/route\"");
    char line[512];
    uint32_t smask = ~0U << (32 - s->prefix);
    if (fgets(line, sizeof(line), f) == NULL) /* header */
        return 0;
    struct vmb_route r;
    while (vmb_route_next(f, &r) == 1) {
        uint32_t rdest = r.dest, rmask = r.mask;
        if (rmask == 0)
            continue; /* a default route overlaps everything, harmlessly */
        uint32_t common = smask & rmask;
        if ((rdest & common) == (s->net & common)) {
            char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
            struct in_addr ia = {.s_addr = htonl(s->net)};
            struct in_addr ib = {.s_addr = htonl(rdest)};
            inet_ntop(AF_INET, &ia, a, sizeof(a));
            inet_ntop(AF_INET, &ib, b, sizeof(b));
            return vmb_error_set(
                err, VMB_ERR_INPUT, 0,
                "network.subnet \"%s/%d\" collides with the route to "
                "\"%s/%d\" on \"%s\"; pick a free subnet",
                a, s->prefix, b, __builtin_popcount(rmask), r.dev);
        }
    }
    return 0;
}

/* ---- network ---- */

/* Linux bridge names are at most 15 bytes; derive a stable short one. */
static void
bridge_name(const char *net, char *buf, size_t len)
{
    uint32_t h = 2166136261u;
    for (const char *p = net; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    snprintf(buf, len, "vmbr%08" PRIx32, h);
}

int
vmb_virt_net_create(struct vmb_virt *v, const char *name,
                    const struct vmb_subnet *subnet, bool routed,
                    struct vmb_virt_net **out, struct vmb_error **err)
{
    char br[16], host[INET_ADDRSTRLEN];
    bridge_name(name, br, sizeof(br));
    vmb_subnet_host(subnet, 1, host, sizeof(host));

    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "<network>\n  <name>");
    vmb_buf_markup(&b, name);
    vmb_buf_printf(&b,
                   "</name>\n%s"
                   "  <bridge name='%s' stp='off' delay='0'/>\n"
                   "  <dns enable='no'/>\n"
                   "  <ip address='%s' prefix='%d'/>\n"
                   "</network>\n",
                   routed ? "  <forward mode='route'/>\n" : "", br, host,
                   subnet->prefix);
    autofree char *xml = vmb_buf_steal(&b);

    guard_note('+', 'N', v->uri, name);
    virNetworkPtr net = virNetworkCreateXML(v->conn, xml);
    if (net == NULL) {
        guard_note('-', 'N', v->uri, name);
        autofree char *ctx = vmb_xasprintf("create network \"%s\"", name);
        return vmb_virt_fail(err, ctx);
    }
    struct vmb_virt_net *n = vmb_xcalloc(1, sizeof(*n));
    n->v = v;
    n->net = net;
    n->name = vmb_xstrdup(name);
    *out = n;
    return 0;
}

const char *
vmb_virt_net_name(const struct vmb_virt_net *n)
{
    return n->name;
}

int
vmb_virt_net_destroy(struct vmb_virt_net *n, struct vmb_error **err)
{
    int rc = 0;
    if (n == NULL)
        return 0;
    if (virNetworkDestroy(n->net) < 0) {
        autofree char *ctx = vmb_xasprintf("destroy network \"%s\"", n->name);
        rc = vmb_virt_fail(err, ctx);
    } else {
        guard_note('-', 'N', n->v->uri, n->name);
    }
    virNetworkFree(n->net);
    free(n->name);
    free(n);
    return rc;
}

void
vmb_virt_net_free(struct vmb_virt_net *n)
{
    vmb_virt_net_destroy(n, NULL);
}

/* ---- domains ---- */

/* The <name> of a domain XML we wrote, for the guard's bookkeeping. */
static char *
xml_name(const char *xml)
{
    const char *a = strstr(xml, "<name>");
    const char *z = a ? strstr(a, "</name>") : NULL;
    if (a == NULL || z == NULL)
        return NULL;
    a += strlen("<name>");
    char *n = vmb_xmalloc((size_t)(z - a) + 1);
    memcpy(n, a, (size_t)(z - a));
    n[z - a] = '\0';
    return n;
}

int
vmb_virt_domain_start(struct vmb_virt *v, const char *xml,
                      struct vmb_virt_domain **out, struct vmb_error **err)
{
    return vmb_virt_domain_start_paused(v, xml, false, out, err);
}

int
vmb_virt_domain_start_paused(struct vmb_virt *v, const char *xml, bool paused,
                             struct vmb_virt_domain **out,
                             struct vmb_error **err)
{
    autofree char *name = xml_name(xml);
    if (name)
        guard_note('+', 'D', v->uri, name);
    virDomainPtr dom = virDomainCreateXML(
        v->conn, xml,
        VIR_DOMAIN_START_AUTODESTROY | (paused ? VIR_DOMAIN_START_PAUSED : 0));
    if (dom == NULL) {
        if (name)
            guard_note('-', 'D', v->uri, name);
        autofree char *ctx =
            vmb_xasprintf("start domain \"%s\"", name ? name : "?");
        return vmb_virt_fail(err, ctx);
    }
    struct vmb_virt_domain *d = vmb_xcalloc(1, sizeof(*d));
    d->v = v;
    d->dom = dom;
    const char *n = virDomainGetName(dom);
    d->name = vmb_xstrdup(n ? n : name);
    *out = d;
    return 0;
}

int
vmb_virt_domain_resume(struct vmb_virt_domain *d, struct vmb_error **err)
{
    if (virDomainResume(d->dom) == 0)
        return 0;
    autofree char *ctx = vmb_xasprintf("resume domain \"%s\"", d->name);
    return vmb_virt_fail(err, ctx);
}

const char *
vmb_virt_domain_name(const struct vmb_virt_domain *d)
{
    return d->name;
}

bool
vmb_virt_domain_running(struct vmb_virt_domain *d)
{
    int active = virDomainIsActive(d->dom);
    virResetLastError();
    return active == 1;
}

int
vmb_virt_domain_destroy(struct vmb_virt_domain *d, struct vmb_error **err)
{
    int rc = 0;
    if (d == NULL)
        return 0;
    if (virDomainDestroy(d->dom) < 0) {
        /* A guest that already powered off is gone, which is the goal. */
        virErrorPtr e = virGetLastError();
        bool gone = e && (e->code == VIR_ERR_NO_DOMAIN ||
                          e->code == VIR_ERR_OPERATION_INVALID);
        if (gone) {
            virResetLastError();
        } else {
            autofree char *ctx =
                vmb_xasprintf("destroy domain \"%s\"", d->name);
            rc = vmb_virt_fail(err, ctx);
        }
    }
    if (rc == 0)
        guard_note('-', 'D', d->v->uri, d->name);
    virDomainFree(d->dom);
    free(d->name);
    free(d);
    return rc;
}

void
vmb_virt_domain_free(struct vmb_virt_domain *d)
{
    vmb_virt_domain_destroy(d, NULL);
}

int
vmb_virt_domain_vcpu_pins(struct vmb_virt_domain *d, uint64_t *out, int n,
                          struct vmb_error **err)
{
    int maplen = VIR_CPU_MAPLEN(64);
    autofree unsigned char *maps = vmb_xcalloc((size_t)n, (size_t)maplen);
    int got = virDomainGetVcpuPinInfo(d->dom, n, maps, maplen,
                                      VIR_DOMAIN_AFFECT_LIVE);
    if (got < 0) {
        autofree char *ctx = vmb_xasprintf("domain \"%s\" pin info", d->name);
        return vmb_virt_fail(err, ctx);
    }
    for (int i = 0; i < got && i < n; i++) {
        out[i] = 0;
        for (int cpu = 0; cpu < 64; cpu++)
            if (VIR_CPU_USABLE(maps, maplen, i, cpu))
                out[i] |= 1ULL << cpu;
    }
    return got < n ? got : n;
}

int
vmb_virt_domain_bandwidth(struct vmb_virt_domain *d, const char *iface,
                          uint64_t *in_kib, uint64_t *out_kib,
                          struct vmb_error **err)
{
    int n = 0;
    *in_kib = *out_kib = 0;
    if (virDomainGetInterfaceParameters(d->dom, iface, NULL, &n,
                                        VIR_DOMAIN_AFFECT_LIVE) < 0) {
        autofree char *ctx = vmb_xasprintf(
            "domain \"%s\" interface \"%s\" parameters", d->name, iface);
        return vmb_virt_fail(err, ctx);
    }
    if (n <= 0)
        return 0;
    virTypedParameterPtr params = vmb_xcalloc((size_t)n, sizeof(*params));
    if (virDomainGetInterfaceParameters(d->dom, iface, params, &n,
                                        VIR_DOMAIN_AFFECT_LIVE) < 0) {
        free(params);
        autofree char *ctx = vmb_xasprintf(
            "domain \"%s\" interface \"%s\" parameters", d->name, iface);
        return vmb_virt_fail(err, ctx);
    }
    unsigned int v = 0;
    if (virTypedParamsGetUInt(params, n, VIR_DOMAIN_BANDWIDTH_IN_AVERAGE, &v) ==
        1)
        *in_kib = v;
    v = 0;
    if (virTypedParamsGetUInt(params, n, VIR_DOMAIN_BANDWIDTH_OUT_AVERAGE,
                              &v) == 1)
        *out_kib = v;
    virTypedParamsFree(params, n);
    return 0;
}

int
vmb_virt_domain_live_xml(struct vmb_virt_domain *d, char **out,
                         struct vmb_error **err)
{
    char *xml = virDomainGetXMLDesc(d->dom, 0);
    if (xml == NULL) {
        autofree char *ctx = vmb_xasprintf("domain \"%s\" xml", d->name);
        return vmb_virt_fail(err, ctx);
    }
    *out = xml;
    return 0;
}

int
vmb_virt_domain_vsock_cid(struct vmb_virt_domain *d, uint32_t *cid,
                          struct vmb_error **err)
{
    autofree char *xml = NULL;
    if (vmb_virt_domain_live_xml(d, &xml, err) < 0 ||
        vmb_virt_xml_vsock_cid(xml, cid, err) < 0)
        return vmb_error_prefix(err, "domain \"%s\"", d->name);
    return 0;
}

/* QEMU gets "-name guest=NAME,..." from libvirt; find it among processes. */
static int
find_qemu_pid(const char *name)
{
    autofree char *want = vmb_xasprintf("guest=%s,", name);
    DIR *dir = opendir("/proc");
    if (dir == NULL)
        return -1;
    int found = -1;
    struct dirent *de;
    while (found < 0 && (de = readdir(dir)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
        autofree char *buf = NULL;
        size_t len = 0;
        if (vmb_read_file(path, &buf, &len, NULL) < 0)
            continue;
        bool prev_name = false;
        for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
            const char *arg = buf + off;
            if (prev_name && strcmp(arg, want) == 0) {
                found = (int)pid;
                break;
            }
            if (prev_name && vmb_str_has_prefix(arg, want)) {
                found = (int)pid;
                break;
            }
            prev_name = strcmp(arg, "-name") == 0;
        }
    }
    closedir(dir);
    return found;
}

int
vmb_virt_domain_pid(struct vmb_virt_domain *d)
{
    if (d->pid == 0)
        d->pid = d->v->local ? find_qemu_pid(d->name) : -1;
    return d->pid;
}

int
vmb_virt_xml_to_argv(struct vmb_virt *v, const char *xml, char **out,
                     struct vmb_error **err)
{
    char *argv = virConnectDomainXMLToNative(v->conn, "qemu-argv", xml, 0);
    if (argv == NULL)
        return vmb_virt_fail(err, "render the domain as QEMU's command line");
    *out = argv;
    return 0;
}

int
vmb_virt_domain_qemu_cmdline(struct vmb_virt_domain *d, char **out,
                             struct vmb_error **err)
{
    int pid = vmb_virt_domain_pid(d);
    if (pid > 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
        char *buf = NULL;
        size_t len = 0;
        if (vmb_read_file(path, &buf, &len, NULL) == 0 && len > 0) {
            for (size_t i = 0; i < len; i++)
                if (buf[i] == '\0')
                    buf[i] = '\n';
            *out = buf;
            return 0;
        }
        free(buf);
    }
    autofree char *xml = NULL;
    if (vmb_virt_domain_live_xml(d, &xml, err) < 0)
        return -1;
    char *argv = virConnectDomainXMLToNative(d->v->conn, "qemu-argv", xml, 0);
    if (argv == NULL) {
        autofree char *ctx =
            vmb_xasprintf("domain \"%s\" qemu command line", d->name);
        return vmb_virt_fail(err, ctx);
    }
    *out = argv;
    return 0;
}

/* utime + stime of a process, all threads, in nanoseconds. */
static int
proc_cpu_ns(int pid, uint64_t *out)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    autofree char *buf = NULL;
    if (vmb_read_file(path, &buf, NULL, NULL) < 0)
        return -1;
    /* The command name may hold spaces; fields resume after its ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    unsigned long long utime, stime;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    *out = (uint64_t)(utime + stime) * (1000000000ULL / (uint64_t)hz);
    return 0;
}

int
vmb_virt_domain_stats(struct vmb_virt_domain *d, struct vmb_virt_stats *out,
                      struct vmb_error **err)
{
    memset(out, 0, sizeof(*out));
    virDomainPtr doms[2] = {d->dom, NULL};
    virDomainStatsRecordPtr *recs = NULL;
    unsigned int what = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                        VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE |
                        VIR_DOMAIN_STATS_BLOCK;
    out->at_ns = vmb_now_ns();
    int n = virDomainListGetStats(doms, what, &recs, 0);
    if (n < 0) {
        autofree char *ctx = vmb_xasprintf("stats of domain \"%s\"", d->name);
        return vmb_virt_fail(err, ctx);
    }
    uint64_t cpu_time = 0;
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < recs[r]->nparams; i++) {
            virTypedParameterPtr p = &recs[r]->params[i];
            const char *f = p->field;
            int idx = -1, end = 0;
            if (sscanf(f, "block.%d.%n", &idx, &end) == 1 && end > 0 &&
                idx >= 0 && idx < VMB_VIRT_MAX_DISKS) {
                struct vmb_virt_disk_stats *ds = &out->disks[idx];
                if (idx >= out->ndisks)
                    out->ndisks = idx + 1;
                const char *k = f + end;
                if (strcmp(k, "name") == 0 &&
                    p->type == VIR_TYPED_PARAM_STRING && p->value.s)
                    snprintf(ds->name, sizeof(ds->name), "%s", p->value.s);
                else if (p->type == VIR_TYPED_PARAM_ULLONG &&
                         strcmp(k, "rd.bytes") == 0)
                    ds->rd_bytes = p->value.ul;
                else if (p->type == VIR_TYPED_PARAM_ULLONG &&
                         strcmp(k, "wr.bytes") == 0)
                    ds->wr_bytes = p->value.ul;
                else if (p->type == VIR_TYPED_PARAM_ULLONG &&
                         strcmp(k, "rd.reqs") == 0)
                    ds->rd_reqs = p->value.ul;
                else if (p->type == VIR_TYPED_PARAM_ULLONG &&
                         strcmp(k, "wr.reqs") == 0)
                    ds->wr_reqs = p->value.ul;
            }
            if (p->type != VIR_TYPED_PARAM_ULLONG)
                continue;
            uint64_t val = p->value.ul;
            if (strcmp(f, "cpu.time") == 0)
                cpu_time = val;
            else if (vmb_str_has_prefix(f, "vcpu.") &&
                     vmb_str_has_suffix(f, ".time"))
                out->vcpu_time_ns += val;
            else if (vmb_str_has_prefix(f, "block.") &&
                     vmb_str_has_suffix(f, ".rd.bytes"))
                out->block_rd_bytes += val;
            else if (vmb_str_has_prefix(f, "block.") &&
                     vmb_str_has_suffix(f, ".wr.bytes"))
                out->block_wr_bytes += val;
            else if (vmb_str_has_prefix(f, "block.") &&
                     vmb_str_has_suffix(f, ".rd.reqs"))
                out->block_rd_reqs += val;
            else if (vmb_str_has_prefix(f, "block.") &&
                     vmb_str_has_suffix(f, ".wr.reqs"))
                out->block_wr_reqs += val;
            else if (vmb_str_has_prefix(f, "net.") &&
                     vmb_str_has_suffix(f, ".rx.bytes"))
                out->net_rx_bytes += val;
            else if (vmb_str_has_prefix(f, "net.") &&
                     vmb_str_has_suffix(f, ".tx.bytes"))
                out->net_tx_bytes += val;
            else if (vmb_str_has_prefix(f, "net.") &&
                     vmb_str_has_suffix(f, ".rx.pkts"))
                out->net_rx_packets += val;
            else if (vmb_str_has_prefix(f, "net.") &&
                     vmb_str_has_suffix(f, ".tx.pkts"))
                out->net_tx_packets += val;
        }
    }
    virDomainStatsRecordListFree(recs);
    /*
     * libvirt's cpu.time comes from the domain's cgroup when it has one,
     * which may include helpers; the QEMU process itself is what we
     * report when we can see it.
     */
    int pid = vmb_virt_domain_pid(d);
    if (pid <= 0 || proc_cpu_ns(pid, &out->process_cpu_ns) < 0)
        out->process_cpu_ns = cpu_time;
    return 0;
}

const struct vmb_virt_disk_stats *
vmb_virt_stats_disk(const struct vmb_virt_stats *s, const char *dev)
{
    for (int i = 0; i < s->ndisks && i < VMB_VIRT_MAX_DISKS; i++)
        if (strcmp(s->disks[i].name, dev) == 0)
            return &s->disks[i];
    return NULL;
}

void
vmb_virt_stats_delta(const struct vmb_virt_stats *a,
                     const struct vmb_virt_stats *b, struct vmb_virt_stats *out)
{
#define D(f) out->f = b->f >= a->f ? b->f - a->f : 0
    D(at_ns);
    D(vcpu_time_ns);
    D(process_cpu_ns);
    D(block_rd_bytes);
    D(block_wr_bytes);
    D(block_rd_reqs);
    D(block_wr_reqs);
    D(net_rx_bytes);
    D(net_tx_bytes);
#undef D
}

void
vmb_virt_stats_to_json(struct vmb_jw *w, const struct vmb_virt_stats *d)
{
    vmb_jw_obj_begin(w);
    vmb_jw_kdouble(w, "window_s", (double)d->at_ns / 1e9);
    vmb_jw_kdouble(w, "vcpu_time_s", (double)d->vcpu_time_ns / 1e9);
    vmb_jw_kdouble(w, "process_cpu_s", (double)d->process_cpu_ns / 1e9);
    vmb_jw_kuint(w, "block_rd_bytes", d->block_rd_bytes);
    vmb_jw_kuint(w, "block_wr_bytes", d->block_wr_bytes);
    vmb_jw_kuint(w, "block_rd_reqs", d->block_rd_reqs);
    vmb_jw_kuint(w, "block_wr_reqs", d->block_wr_reqs);
    vmb_jw_kuint(w, "net_rx_bytes", d->net_rx_bytes);
    vmb_jw_kuint(w, "net_tx_bytes", d->net_tx_bytes);
    vmb_jw_obj_end(w);
}
