/*
 * The preflight's needs of a node on another host: a control's node 2
 * (hosts.control_node2) answers over ssh within the connect deadline
 * with a known host key, and has the engine's programs; a VM cell's node
 * 2 (hosts.vm_node2) has a libvirtd that answers within the deadline,
 * with the cell's QEMU there.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "config/hosts.h"
#include "db/db.h"
#include "runtime/doctor.h"
#include "runtime/preflight.h"
#include "runtime/remote.h"
#include "vm/virt.h"

bool
vmb_preflight_remote_applies(const struct vmb_cell *c)
{
    return c->kind == VMB_CELL_CONTROL && vmb_hosts_control_remote(&c->cfg);
}

/* Whether an engine has a node 2 to put elsewhere (fio has none). */
static bool
runs_remotely(const struct vmb_db_driver *d)
{
    return d != NULL && !d->tool;
}

static const struct vmb_preflight_remote *
find(const struct vmb_preflight_facts *f, const char *dest, int engine)
{
    for (size_t i = 0; i < f->nremotes; i++)
        if (strcmp(f->remotes[i].dest, dest) == 0 &&
            f->remotes[i].engine == engine)
            return &f->remotes[i];
    return NULL;
}

/* A host beyond the facts' room: never reached, so never judged. */
static int
not_checked(const char *host, char **detail, char **fix)
{
    *detail = vmb_xasprintf("host \"%s\" was not checked: a matrix "
                            "names at most %d other hosts",
                            host, VMB_PREFLIGHT_MAX_REMOTES);
    *fix = vmb_xstrdup("split the matrix by host");
    return VMB_PREFLIGHT_LACK;
}

static void
read_one(struct vmb_preflight_remote *x, const struct vmb_config *cfg)
{
    struct vmb_remote r;
    struct vmb_remote_facts rf;
    vmb_autoerr struct vmb_error *err = NULL;
    if (vmb_remote_init(&r, x->dest, cfg->hosts.connect_timeout_us, &err) < 0 ||
        vmb_remote_probe(&r, vmb_db_driver_find(x->engine), &rf, &err) < 0) {
        snprintf(x->error, sizeof(x->error), "%s", err->msg);
        return;
    }
    snprintf(x->missing, sizeof(x->missing), "%s", rf.missing);
}

/* A libvirt host's entry: engine -1, error from its "libvirt" check,
 * missing and lack_fix from its "emulator" or "upload" one. */
#define LIBVIRT_HOST (-1)

static void
read_libvirt(struct vmb_preflight_remote *x, const struct vmb_config *cfg)
{
    struct vmb_doctor_report *r = vmb_doctor_run_libvirt_host(
        x->dest, cfg->hypervisor.emulator, cfg->hypervisor.machine,
        cfg->hosts.connect_timeout_us);
    for (size_t i = 0; i < r->n; i++) {
        const struct vmb_doctor_check *k = &r->checks[i];
        if (k->status != VMB_DOCTOR_FAIL)
            continue;
        bool reach = strcmp(k->check, "libvirt") == 0;
        char *into = reach ? x->error : x->missing;
        size_t len = reach ? sizeof(x->error) : sizeof(x->missing);
        if (into[0] != '\0')
            continue;
        snprintf(into, len, "%s", k->detail);
        if (!reach)
            snprintf(x->lack_fix, sizeof(x->lack_fix), "%s",
                     k->fix ? k->fix : "see `vmbench doctor --host`");
    }
    x->cpus = r->host_cpus;
    x->free_2m = r->host_free_2m;
    vmb_doctor_report_free(r);
}

bool
vmb_preflight_vm_remote_applies(const struct vmb_cell *c)
{
    return c->kind == VMB_CELL_VM && vmb_hosts_vm_remote(&c->cfg);
}

/* A qemu+ssh:// host's entry of what ssh finds there: engine -2, with
 * the virtio_fs_daemon of the first cell that shares over virtio-fs. */
#define SSH_HOST (-2)

bool
vmb_preflight_vm_share_applies(const struct vmb_cell *c)
{
    return vmb_preflight_vm_remote_applies(c) &&
           vmb_config_nodes(&c->cfg) == 2 &&
           vmb_config_share(&c->cfg) == VMB_STORAGE_VIRTIOFS;
}

/* $1: the cell's virtio_fs_daemon ("": libvirt's choice, from QEMU's
 * vhost-user descriptors of type "fs"), $2: "share" where a cell shares
 * there. Prints one line: 1 or 0 (whether /dev/vhost-net is there, which
 * libvirtd opens as root), then what a share there lacks. */
static const char ssh_script[] =
    "d=$1; m=; if [ \"$2\" = share ]; then "
    "command -v tar >/dev/null 2>&1 || m=\"$m tar,\"; "
    "if [ -n \"$d\" ]; then [ -x \"$d\" ] || m=\"$m $d,\"; else f=; "
    "for j in /etc/qemu/vhost-user/*.json /usr/share/qemu/vhost-user/*.json; "
    "do grep -qs '\"type\": *\"fs\"' \"$j\" && f=1; done; "
    "[ -n \"$f\" ] || m=\"$m a virtiofsd libvirt finds (no vhost-user "
    "descriptor of type fs),\"; fi; "
    "mkdir -p -m 0711 /var/lib/vmbench/vm-remote 2>/dev/null && "
    "[ -w /var/lib/vmbench/vm-remote ] || "
    "m=\"$m a writable /var/lib/vmbench/vm-remote,\"; fi; "
    "v=0; [ -c /dev/vhost-net ] && v=1; echo \"$v ${m%,}\"";

static void
read_ssh(struct vmb_preflight_remote *x, const struct vmb_config *cfg)
{
    struct vmb_remote r;
    vmb_autoerr struct vmb_error *err = NULL;
    autofree char *out = NULL;
    const char *daemon = cfg->guest.virtio_fs_daemon;
    bool share = vmb_config_share(cfg) == VMB_STORAGE_VIRTIOFS;
    const char *args[] = {daemon ? daemon : "", share ? "share" : "", NULL};
    x->vhost_net = -1;
    if (vmb_remote_init_libvirt(&r, x->dest, cfg->hosts.connect_timeout_us,
                                &err) < 0 ||
        vmb_remote_run(&r, ssh_script, args, NULL, 10000000, &out, &err) < 0) {
        snprintf(x->error, sizeof(x->error), "%s", err->msg);
        return;
    }
    size_t n = strlen(out);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    if ((out[0] != '0' && out[0] != '1') || (out[1] != ' ' && out[1] != '\0')) {
        autofree char *said = vmb_term_safe(out);
        snprintf(x->error, sizeof(x->error), "the check there said \"%s\"",
                 said);
        return;
    }
    x->vhost_net = out[0] == '1';
    const char *m = out + 1;
    while (*m == ' ')
        m++;
    autofree char *shown = vmb_term_safe(m);
    snprintf(x->missing, sizeof(x->missing), "%s", shown);
}

int
vmb_preflight_vm_share_probe(const struct vmb_preflight_facts *h,
                             const struct vmb_cell *c, char **detail,
                             char **fix)
{
    const char *uri = c->cfg.hosts.vm_node2;
    const struct vmb_preflight_remote *x = find(h, uri, SSH_HOST);
    if (x == NULL)
        return not_checked(uri, detail, fix);
    if (x->error[0] != '\0') {
        *detail = vmb_xstrdup(x->error);
        *fix = vmb_xasprintf("make \"ssh -o BatchMode=yes -o "
                             "StrictHostKeyChecking=yes HOST true\" work "
                             "for the host of \"%s\": vmbench makes node "
                             "2's shared directory there over ssh",
                             uri);
        return VMB_PREFLIGHT_LACK;
    }
    if (x->missing[0] != '\0') {
        *detail = vmb_xasprintf("the host of \"%s\" lacks %s, for node 2's "
                                "virtio-fs share",
                                uri, x->missing);
        *fix = vmb_xstrdup("install them there (Debian: tar, and "
                           "qemu-system-common or virtiofsd for the daemon), "
                           "or give node 2 no share (storage block)");
        return VMB_PREFLIGHT_LACK;
    }
    return 0;
}

bool
vmb_preflight_vm_vhost_applies(const struct vmb_cell *c)
{
    return vmb_preflight_vm_remote_applies(c) &&
           vmb_config_nodes(&c->cfg) == 2 && !c->cfg.network.disable_vhost_net;
}

int
vmb_preflight_vm_vhost_probe(const struct vmb_preflight_facts *h,
                             const struct vmb_cell *c, char **detail,
                             char **fix)
{
    /* Without vhost here, both nodes run without it (vhost-net's own
     * need says so, or refuses). */
    if (!h->vhost_net)
        return 0;
    const char *uri = c->cfg.hosts.vm_node2;
    const struct vmb_preflight_remote *x = find(h, uri, SSH_HOST);
    if (x == NULL || x->vhost_net < 0) {
        *detail = vmb_xasprintf("whether node 2's host \"%s\" has "
                                "/dev/vhost-net is not known (%s); one "
                                "without it fails node 2's start with "
                                "libvirt's words",
                                uri,
                                x == NULL ? "libvirt does not say, and "
                                            "vmbench asks over ssh only "
                                            "for qemu+ssh:// hosts"
                                          : x->error);
        return VMB_PREFLIGHT_NOTE;
    }
    if (x->vhost_net)
        return 0;
    *detail = vmb_xasprintf("node 2's NIC on vhost-net, as node 1's here "
                            "(disable_vhost_net false), but node 2's host "
                            "\"%s\" has no /dev/vhost-net",
                            uri);
    *fix = vmb_xstrdup("load it there (`modprobe vhost_net`), or set "
                       "disable_vhost_net: true");
    return VMB_PREFLIGHT_LACK;
}

/* Reads dest's facts of a kind (an engine, LIBVIRT_HOST or SSH_HOST)
 * once, into f's next entry, while there is room. */
static void
add_remote(struct vmb_preflight_facts *f, const char *dest, int kind,
           void (*read)(struct vmb_preflight_remote *x,
                        const struct vmb_config *cfg),
           const struct vmb_config *cfg)
{
    if (find(f, dest, kind) != NULL || f->nremotes == VMB_PREFLIGHT_MAX_REMOTES)
        return;
    struct vmb_preflight_remote *x = &f->remotes[f->nremotes++];
    memset(x, 0, sizeof(*x));
    snprintf(x->dest, sizeof(x->dest), "%s", dest);
    x->engine = kind;
    read(x, cfg);
}

static void
read_vm_hosts(struct vmb_preflight_facts *f, const struct vmb_matrix *m,
              bool (*want)(void *ctx, const struct vmb_cell *c), void *ctx)
{
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_cell *c = &m->cells[i];
        if (!vmb_preflight_vm_remote_applies(c) || (want && !want(ctx, c)))
            continue;
        const char *uri = c->cfg.hosts.vm_node2;
        add_remote(f, uri, LIBVIRT_HOST, read_libvirt, &c->cfg);
        struct vmb_ssh_target t;
        autofree char *why = NULL;
        if (vmb_libvirt_uri_ssh(uri, &t, &why) < 0)
            continue;
        /* The first cell of the host that shares there says its daemon. */
        const struct vmb_config *by = &c->cfg;
        for (size_t k = i; k < m->ncells; k++) {
            const struct vmb_cell *o = &m->cells[k];
            if (vmb_preflight_vm_share_applies(o) && (!want || want(ctx, o)) &&
                strcmp(o->cfg.hosts.vm_node2, uri) == 0) {
                by = &o->cfg;
                break;
            }
        }
        add_remote(f, uri, SSH_HOST, read_ssh, by);
    }
}

/*
 * Node 2's VM on its host: with enable_vcpus_pinning an online CPU there
 * for each vCPU (its vCPUs take the first ones: vmb_vm_kata_pin_there),
 * with
 * enable_hugepages its memory in free 2 MiB pages there.
 */
static int
there_fits(const struct vmb_preflight_remote *x, const struct vmb_cell *c,
           char **detail, char **fix)
{
    const struct vmb_guest_opts *g = &c->cfg.guest;
    if (g->vcpus_pinning && x->cpus >= 0 &&
        (g->vcpus > x->cpus || x->cpus > 64)) {
        *detail = vmb_xasprintf("enable_vcpus_pinning gives node 2's %" PRId64
                                " vCPUs a CPU each on \"%s\", which has %d "
                                "online (and at most 64 can be pinned)",
                                g->vcpus, x->dest, x->cpus);
        *fix = vmb_xstrdup("lower default_vcpus, or set "
                           "enable_vcpus_pinning: false");
        return VMB_PREFLIGHT_LACK;
    }
    int64_t pages = ((int64_t)g->memory_mib + 1) / 2;
    if (g->hugepages && x->free_2m >= 0 && x->free_2m < pages) {
        *detail =
            vmb_xasprintf("enable_hugepages: node 2's VM needs %" PRId64
                          " free 2 MiB pages on \"%s\", which has %" PRId64,
                          pages, x->dest, x->free_2m);
        *fix = vmb_xasprintf("reserve %" PRId64 " more there (`echo N > "
                             "/proc/sys/vm/nr_hugepages`), or set "
                             "enable_hugepages: false",
                             pages - x->free_2m);
        return VMB_PREFLIGHT_LACK;
    }
    return 0;
}

int
vmb_preflight_vm_remote_probe(const struct vmb_preflight_facts *h,
                              const struct vmb_cell *c, char **detail,
                              char **fix)
{
    const char *uri = c->cfg.hosts.vm_node2;
    const struct vmb_preflight_remote *x = find(h, uri, LIBVIRT_HOST);
    if (x == NULL)
        return not_checked(uri, detail, fix);
    if (x->error[0] != '\0') {
        *detail = vmb_xstrdup(x->error);
        *fix = vmb_xasprintf("start libvirtd on that host, listening for "
                             "remote connections (qemu+tcp://) or reachable "
                             "over ssh (qemu+ssh://, its host key known); "
                             "`vmbench doctor --host %s` checks it",
                             uri);
        return VMB_PREFLIGHT_LACK;
    }
    if (x->missing[0] != '\0') {
        *detail = vmb_xstrdup(x->missing);
        *fix = vmb_xstrdup(x->lack_fix);
        return VMB_PREFLIGHT_LACK;
    }
    return there_fits(x, c, detail, fix);
}

/*
 * Whether a route of this host other than the default one covers the
 * whole subnet: the default gateway knows nothing of a VM subnet behind
 * another host.
 */
static bool
routed(const char *route_file, const struct vmb_subnet *sn)
{
    autofclose FILE *f = fopen(route_file, "r");
    char line[512];
    if (f == NULL || fgets(line, sizeof(line), f) == NULL) /* header */
        return false;
    uint32_t smask = ~0U << (32 - sn->prefix);
    struct vmb_route r;
    while (vmb_route_next(f, &r) == 1) {
        uint32_t rdest = r.dest, rmask = r.mask;
        /* flag 1: up */
        if (rmask != 0 && (r.flags & 1) && (rmask & smask) == rmask &&
            (sn->net & rmask) == (rdest & rmask))
            return true;
    }
    return false;
}

int
vmb_preflight_vm_route_probe(const struct vmb_preflight_facts *h,
                             const struct vmb_cell *c, char **detail,
                             char **fix)
{
    char text[32];
    struct vmb_subnet sn;
    if (vmb_hosts_vm_node2_subnet(&c->cfg, text, sizeof(text)) < 0 ||
        vmb_subnet_parse(text, &sn, NULL) < 0) {
        *detail = vmb_xasprintf("node 2's subnet \"%s\" does not fit "
                                "network.subnet \"%s\"",
                                text, c->cfg.network.subnet);
        *fix = vmb_xstrdup("set hosts.vm_node2_subnet to a subnet of its own");
        return VMB_PREFLIGHT_LACK;
    }
    autofree char *file = vmb_xasprintf("%s/proc/net/route", h->root);
    if (routed(file, &sn))
        return 0;
    struct vmb_subnet here;
    char here_text[32] = "network.subnet";
    if (vmb_subnet_parse(c->cfg.network.subnet, &here, NULL) == 0)
        snprintf(here_text, sizeof(here_text), "%s", c->cfg.network.subnet);
    *detail = vmb_xasprintf("no route of this host reaches node 2's subnet "
                            "\"%s\" on \"%s\" (only a default route, or "
                            "none)",
                            text, c->cfg.hosts.vm_node2);
    *fix = vmb_xasprintf("route it through that host: `ip route add %s via "
                         "ITS-ADDRESS` here, and there `ip route add %s via "
                         "THIS-HOST'S-ADDRESS`, with IP forwarding on both "
                         "(docs/remote.md, \"The network of a remote VM\")",
                         text, here_text);
    return VMB_PREFLIGHT_LACK;
}

void
vmb_preflight_remotes_read(struct vmb_preflight_facts *f,
                           const struct vmb_matrix *m,
                           bool (*want)(void *ctx, const struct vmb_cell *c),
                           void *ctx)
{
    for (size_t i = 0; i < m->ncontrols; i++) {
        const struct vmb_cell *c = &m->controls[i];
        if (!vmb_preflight_remote_applies(c) || (want && !want(ctx, c)) ||
            !runs_remotely(vmb_db_driver_find(c->cfg.database.engine)))
            continue;
        add_remote(f, c->cfg.hosts.control_node2, c->cfg.database.engine,
                   read_one, &c->cfg);
    }
    read_vm_hosts(f, m, want, ctx);
}

int
vmb_preflight_remote_probe(const struct vmb_preflight_facts *h,
                           const struct vmb_cell *c, char **detail, char **fix)
{
    const char *dest = c->cfg.hosts.control_node2;
    const struct vmb_db_driver *d = vmb_db_driver_find(c->cfg.database.engine);
    if (!runs_remotely(d)) {
        *detail = vmb_xasprintf("a %s control has no node 2 to run on "
                                "another host",
                                d ? d->name : "?");
        *fix = vmb_xstrdup("leave hosts.control_node2 at \"\" for this "
                           "engine");
        return VMB_PREFLIGHT_LACK;
    }
    const struct vmb_preflight_remote *x =
        find(h, dest, c->cfg.database.engine);
    if (x == NULL)
        return not_checked(dest, detail, fix);
    if (x->error[0] != '\0') {
        *detail = vmb_xstrdup(x->error);
        *fix = vmb_xasprintf(
            "make \"ssh -o BatchMode=yes -o StrictHostKeyChecking=yes "
            "HOST true\" work for \"%s\" (its key in your known_hosts, "
            "yours in its authorized_keys; `vmbench doctor --host %s` "
            "checks it)",
            dest, dest);
        return VMB_PREFLIGHT_LACK;
    }
    if (x->missing[0] != '\0') {
        *detail = vmb_xasprintf("host \"%s\" lacks %s of %s", dest, x->missing,
                                d->name);
        *fix = vmb_xasprintf("install them on \"%s\" (%s)", dest,
                             d->install ? d->install : d->name);
        return VMB_PREFLIGHT_LACK;
    }
    return 0;
}
