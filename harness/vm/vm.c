#include "vm/vm.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/note.h"
#include "base/util.h"
#include "config/hosts.h"
#include "vm/agent.h"
#include "vm/image.h"
#include "vm/rootfs.h"
#include "vm/virtiofsd.h"
#include "vm/vm_kata.h"
#include "vm/vm_remote.h"
#include "vm/workdir.h"

/* Requests during start and teardown are short; the guest is idle then. */
#define FACTS_TIMEOUT_US 10000000ULL

struct node_boot_thread {
    pthread_t tid;
    bool started;
    atomic_bool done;
    const char *sock;
    uint32_t cid; /* the agent is on vsock at this CID; 0: on sock */
    int fd;       /* >= 0: the agent is on this relay's socket */
    uint64_t timeout_us;
    struct vmb_agent *agent;
    struct vmb_error *err;
};

struct vmb_vm_cell {
    struct vmb_virt *v;
    struct vmb_vm_params p; /* paths in it point to the abs_ copies */
    char *work_dir;
    uid_t qemu_uid; /* QEMU's user and group, from libvirt's DAC label */
    gid_t qemu_gid;
    char *abs_kernel, *abs_initrd, *abs_image, *abs_tree;
    char *net_name;
    struct vmb_virt_net *net;
    int nnodes; /* 2, or 1 for a one-node engine (vmb_config_nodes) */
    struct vmb_vm_node nodes[2];
    struct vmb_virt_domain *doms[2];
    struct vmb_virtiofsd *fsd[2]; /* virtio-fs: each node's daemon */
    uint64_t t0_ns[2];            /* each domain's start call */
    struct vmb_virt_stats win_a[2], win_b[2];
    bool window_done;
    bool files_made;
    bool copies_made; /* abs_kernel and abs_initrd are copies (work_dir) */
    struct vmb_vm_kata kata;
    /* Node 2 on another libvirt host (hosts.vm_node2); NULL: here. */
    struct vmb_vm_remote *remote;
    int agent_fd; /* node 2's agent relay socket until its thread takes it */
    char *here_hostname, *here_libvirt, *here_qemu; /* with a remote */
};

static const char *const fs_types[] = {
    [VMB_STORAGE_9P] = "9p",           [VMB_STORAGE_VIRTIOFS] = "virtiofs",
    [VMB_STORAGE_VIRTIO_BLK] = "ext4", [VMB_STORAGE_LOCAL] = "ext4",
    [VMB_STORAGE_TMPFS] = "tmpfs",
};

char *
vmb_vm_cmdline(const struct vmb_config *cfg, const char *ip_cidr,
               const char *gw, const char *node_name, bool agent_vsock)
{
    /*
     * First what Kata's runtime always gives a QEMU guest on x86_64
     * (virtcontainers/qemu_amd64.go, kernelParams): timekeeping (tsc,
     * no_timer_check), RCU and SMP patching, no keyboard probing, no
     * crypto self-tests, bus 0 only at boot, no SCSI scan (the agent
     * scans for its data disk, as Kata's). The console stays on ttyS0,
     * where vmbench reads the boot log and its stages, not Kata's hvc0.
     * loglevel=6 lets the kernel's banner through "quiet", so the console
     * shows when the kernel started; panic=-1 turns a guest panic into a
     * reboot, which the domain's on_reboot turns into its end. The user's
     * kernel_params come last, and so win, as in Kata.
     */
    const char *extra = cfg->guest.kernel_params;
    /* With the container root on the share, local is a directory of
     * that root, and the root names the share's filesystem. */
    bool root = vmb_config_root_shared(cfg);
    int place = root && cfg->guest.storage == VMB_STORAGE_LOCAL
                    ? VMB_STORAGE_LOCAL
                    : vmb_config_placement(cfg);
    autofree char *root_arg =
        root ? vmb_xasprintf(" " VMB_AGENT_ARG_ROOT "%s",
                             vmb_storage_name(vmb_config_share(cfg)))
             : vmb_xstrdup("");
    autofree char *gw_arg =
        gw ? vmb_xasprintf(" " VMB_AGENT_ARG_GW "%s", gw) : vmb_xstrdup("");
    return vmb_xasprintf(
        VMB_VM_KATA_KERNEL_PARAMS
        " " VMB_VM_KATA_SCSI_PARAM
        " console=ttyS0 quiet loglevel=6 panic=-1 " VMB_AGENT_ARG_NAME
        "%s " VMB_AGENT_ARG_IP "%s%s " VMB_AGENT_ARG_STORAGE
        "%s%s " VMB_AGENT_ARG_MSIZE "%" PRIu64 "%s%s%s",
        node_name, ip_cidr, gw_arg, vmb_storage_name(place), root_arg,
        cfg->guest.msize_9p_bytes,
        agent_vsock ? " " VMB_AGENT_ARG_TRANSPORT "vsock" : "",
        extra && *extra ? " " : "", extra ? extra : "");
}

/* ---- checks before anything starts ---- */

static int
host_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int
vmb_vm_cell_check(const struct vmb_vm_params *p, struct vmb_error **err)
{
    const struct vmb_config *cfg = p->cfg;
    if (p->kernel == NULL || access(p->kernel, R_OK) != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "guest.kernel \"%s\" cannot be read",
                             p->kernel ? p->kernel : cfg->guest.kernel);
    if (p->initrd == NULL || access(p->initrd, R_OK) != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "guest initramfs \"%s\" cannot be read",
                             p->initrd ? p->initrd : "");
    const char *emu = cfg->hypervisor.emulator;
    if (emu == NULL || access(emu, X_OK) != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "hypervisor.emulator \"%s\" is not an executable "
                             "file",
                             emu ? emu : "");
    int cpus = host_cpus();
    if (cfg->guest.vcpus > cpus)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "guest.vcpus is %" PRId64 " but this host has "
                             "%d CPUs; a VM cannot have more vCPUs than the "
                             "host has CPUs",
                             cfg->guest.vcpus, cpus);
    struct vmb_subnet base, sn;
    if (vmb_subnet_parse(cfg->network.subnet, &base, err) < 0 ||
        vmb_subnet_nth(&base, p->tenant, &sn, err) < 0)
        return -1;
    if (vmb_subnet_check_free(&sn, err) < 0)
        return -1;
    struct vmb_vm_kata kata;
    if (vmb_vm_kata_prepare(cfg, &kata, err) < 0)
        return -1;
    vmb_vm_kata_free(&kata);
    if (vmb_config_share(cfg) == VMB_STORAGE_VIRTIOFS) {
        /* The words the host's daemon has no equivalent for. */
        const char *daemon = vmb_virtiofsd_path(cfg, NULL);
        enum vmb_virtiofsd_flavour fl;
        char **argv = NULL;
        if (daemon != NULL &&
            (vmb_virtiofsd_probe(daemon, &fl, err) < 0 ||
             vmb_virtiofsd_argv(cfg, fl, daemon, "/", 3, true, &argv, err) < 0))
            return -1;
        vmb_virtiofsd_argv_free(argv);
    }
    if (p->base_image == NULL && vmb_config_placement(cfg) == VMB_STORAGE_LOCAL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "storage \"local\" needs the container root "
                             "image; build it with `vmbench image build`");
    if (p->base_image && access(p->base_image, R_OK) != 0)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "container root image \"%s\" cannot be read",
                             p->base_image);
    if (vmb_config_root_shared(cfg) &&
        (p->base_tree == NULL || access(p->base_tree, R_OK | X_OK) != 0))
        return vmb_error_set(err, VMB_ERR_INPUT, p->base_tree ? errno : 0,
                             "disable_block_device_use serves the container "
                             "root over the shared filesystem, from the "
                             "image's tree \"%s\", which cannot be read; "
                             "rebuild it with `vmbench image build`",
                             p->base_tree ? p->base_tree : "");
    return 0;
}

/*
 * Fails unless QEMU's user (uid, gid) may search every directory on the
 * way to path, path itself included when it is a directory: libvirt gives
 * QEMU its files (dynamic ownership) but not the directories above them,
 * and vmbench changes none of those (they are the user's).
 */
static int
qemu_reaches(const char *what, const char *path, uid_t uid, gid_t gid,
             struct vmb_error **err)
{
    if (uid == 0)
        return 0;
    autofree char *p = vmb_xstrdup(path);
    struct stat st;
    if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *last = strrchr(p, '/');
        if (last != NULL)
            last[last == p ? 1 : 0] = '\0';
    }
    /* Each prefix ending before a '/', then the whole of p. */
    for (char *slash = p;; slash = strchr(slash + 1, '/')) {
        char keep = slash ? *slash : '\0';
        if (slash)
            *slash = '\0';
        const char *dir = p[0] ? p : "/";
        bool ok = true;
        if (stat(dir, &st) == 0)
            ok = st.st_uid == uid   ? (st.st_mode & S_IXUSR) != 0
                 : st.st_gid == gid ? (st.st_mode & S_IXGRP) != 0
                                    : (st.st_mode & S_IXOTH) != 0;
        if (!ok) {
            vmb_error_set(err, VMB_ERR_INPUT, 0,
                          "%s \"%s\" is out of reach of QEMU, which libvirt "
                          "runs as uid %u gid %u: \"%s\" (mode %03o) lacks "
                          "search permission for it; put the results "
                          "directory (--out) where that user can reach it, "
                          "or allow it (chmod o+x \"%s\")",
                          what, path, (unsigned)uid, (unsigned)gid, dir,
                          (unsigned)(st.st_mode & 0777), dir);
            if (slash)
                *slash = keep;
            return -1;
        }
        if (slash == NULL)
            return 0;
        *slash = keep;
    }
}

/*
 * A copy of *path in dir, for QEMU alone; *path becomes the copy's. libvirt
 * gives the kernel and initramfs to QEMU's user for the life of the domain and
 * remembers their owner; on the shared files (/boot, the cache) every run would
 * change the owner of host files, and another libvirtd running QEMU as another
 * user would be refused them while they are in use.
 */
static int
private_copy(const char *dir, const char *name, char **path,
             struct vmb_error **err)
{
    autofree char *data = NULL;
    size_t len = 0;
    char *dst = vmb_xasprintf("%s/%s", dir, name);
    if (vmb_read_file(*path, &data, &len, err) < 0 ||
        vmb_write_file_atomic(dst, data, len, err) < 0) {
        free(dst);
        return -1;
    }
    free(*path);
    *path = dst;
    return 0;
}

/* ---- start ---- */

static void *
boot_thread_main(void *arg)
{
    struct node_boot_thread *t = arg;
    if (t->fd >= 0)
        vmb_agent_connect_fd(t->fd, "node 2's agent channel (a libvirt stream)",
                             t->timeout_us, &t->agent, &t->err);
    else if (t->cid)
        vmb_agent_connect_vsock(t->cid, VMB_AGENT_VSOCK_PORT, t->timeout_us,
                                &t->agent, &t->err);
    else
        vmb_agent_connect(t->sock, t->timeout_us, &t->agent, &t->err);
    atomic_store(&t->done, true);
    return NULL;
}

static void
mac_for(const char *tag, int node, char *buf, size_t len)
{
    uint32_t h = 2166136261u;
    for (const char *p = tag; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    snprintf(buf, len, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff,
             (h >> 8) & 0xff, ((h & 0xfe) | (unsigned)node) & 0xff);
}

/*
 * The directory node n's shared filesystem exports, and in it the data
 * directory (storage shared: data/) and the container root (rootfs/, an
 * overlay of the image tree, when the root is not a disk). One share
 * per VM, as Kata shares one directory per sandbox.
 */
static int
make_share(struct vmb_vm_cell *c, struct vmb_vm_node *n, struct vmb_error **err)
{
    const struct vmb_config *cfg = c->p.cfg;
    int place = vmb_config_placement(cfg);
    bool root = vmb_config_root_shared(cfg);
    /*
     * The guest's files are QEMU's (9p) or virtiofsd's on the host.
     * For 9p the directories are QEMU's user's, so its mapped mode can
     * keep the guest's owner and modes of the share's root in its
     * xattrs, which the kernel refuses on a sticky directory of another
     * user. virtiofsd runs as root, as Kata runs it, and needs no more;
     * QEMU never opens the directory then.
     */
    bool qemu = vmb_config_share(cfg) == VMB_STORAGE_9P;
    n->share_dir = vmb_xasprintf("%s/%s.share", c->work_dir, n->name);
    if (vmb_mkdir_p(n->share_dir, err) < 0)
        return -1;
    if ((qemu && chown(n->share_dir, c->qemu_uid, c->qemu_gid) < 0) ||
        chmod(n->share_dir, 0700) < 0)
        return vmb_error_sys(err, "give \"%s\" to QEMU's user", n->share_dir);
    if (root) {
        n->snapshot = vmb_xasprintf("%s/%s.snapshot", c->work_dir, n->name);
        n->rootfs_pid = vmb_xasprintf("%s/%s.rootfs.pid", c->work_dir, n->name);
        const struct vmb_rootfs_params rp = {
            .tree = c->p.base_tree,
            .share = n->share_dir,
            .snapshot = n->snapshot,
            .pidfile = n->rootfs_pid,
            .qemu_writes = qemu,
            .uid = c->qemu_uid,
            .gid = c->qemu_gid,
        };
        if (vmb_rootfs_mount(&rp, err) < 0)
            return -1;
    }
    if (place == VMB_STORAGE_9P || place == VMB_STORAGE_VIRTIOFS) {
        bool volume = c->p.cfg->guest.storage != VMB_STORAGE_LOCAL;
        n->data_dir =
            volume ? vmb_xasprintf("%s/data", n->share_dir)
                   : vmb_xasprintf("%s/" VMB_ROOTFS_DIR VMB_AGENT_DATA_DIR,
                                   n->share_dir);
        if (volume &&
            (vmb_mkdir_p(n->data_dir, err) < 0 ||
             (qemu && chown(n->data_dir, c->qemu_uid, c->qemu_gid) < 0) ||
             chmod(n->data_dir, 0700) < 0))
            return vmb_error_sys(err, "give \"%s\" to QEMU's user",
                                 n->data_dir);
    }
    return 0;
}

static int
make_files(struct vmb_vm_cell *c, struct vmb_vm_node *n, struct vmb_error **err)
{
    const struct vmb_config *cfg = c->p.cfg;
    int storage = vmb_config_placement(cfg);
    if (c->p.base_image && !vmb_config_root_shared(cfg)) {
        n->root_disk = vmb_xasprintf("%s/%s.root.qcow2", c->work_dir, n->name);
        if (vmb_image_overlay_create(c->p.base_image, n->root_disk, err) < 0)
            return -1;
    }
    if (storage == VMB_STORAGE_VIRTIO_BLK) {
        n->data_disk = vmb_xasprintf("%s/%s.data.img", c->work_dir, n->name);
        if (vmb_image_data_volume_create(n->data_disk,
                                         cfg->guest.data_size_bytes, err) < 0)
            return -1;
    }
    if (vmb_config_share(cfg) >= 0)
        return make_share(c, n, err);
    return 0;
}

static struct vmb_domain_spec
spec_for(struct vmb_vm_cell *c, struct vmb_vm_node *n, const char *cmdline,
         const char *mac)
{
    const struct vmb_config *cfg = c->p.cfg;
    int share = vmb_config_share(cfg);
    struct vmb_domain_spec s = {
        .name = n->domain,
        .kvm = c->p.kvm,
        .emulator = cfg->hypervisor.emulator,
        .machine = cfg->hypervisor.machine,
        .vcpus = (int)cfg->guest.vcpus,
        .memory_mib = cfg->guest.memory_mib,
        .kernel = c->p.kernel,
        .initrd = c->p.initrd,
        .cmdline = cmdline,
        .console_log = n->console_log,
        .agent_socket = c->p.agent_vsock ? NULL : n->agent_sock,
        .agent_vsock = c->p.agent_vsock,
        .root_disk = n->root_disk,
        .data_disk = n->data_disk,
        .data_format = "raw",
        .data_iothread = cfg->guest.iothreads,
        .fs = share == VMB_STORAGE_9P         ? VMB_VIRT_FS_9P
              : share == VMB_STORAGE_VIRTIOFS ? VMB_VIRT_FS_VIRTIOFS
                                              : VMB_VIRT_FS_NONE,
        .fs_dir = n->share_dir,
        .network = c->net_name,
        .mac = mac,
    };
    vmb_vm_kata_spec(&c->kata, cfg, n == &c->nodes[0] ? 0 : 1, &s);
    return s;
}

/* Last few lines of a console log, for an error message. */
static char *
console_tail(const char *path)
{
    autofree char *buf = NULL;
    size_t len = 0;
    if (vmb_read_file(path, &buf, &len, NULL) < 0 || len == 0)
        return vmb_xstrdup("(console empty)");
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    size_t start = len, lines = 0;
    while (start > 0 && lines < 3) {
        start--;
        if (buf[start] == '\n')
            lines++;
    }
    if (buf[start] == '\n')
        start++;
    char *tail = vmb_xstrdup(buf + start);
    for (char *p = tail; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = '|';
    return tail;
}

static double
since_s(uint64_t t0)
{
    return (double)(vmb_now_ns() - t0) / 1e9;
}

/*
 * Waits for both agents while watching the consoles for the kernel's first
 * output and the domains for an early death.
 */
static int
wait_boot(struct vmb_vm_cell *c, struct vmb_error **err)
{
    struct node_boot_thread th[2];
    memset(th, 0, sizeof(th));
    int rc = 0;
    for (int i = 0; i < c->nnodes; i++) {
        th[i].sock = c->nodes[i].agent_sock;
        th[i].cid = c->nodes[i].vsock_cid;
        th[i].fd = -1;
        if (i == 1 && c->remote) {
            th[i].fd = c->agent_fd;
            c->agent_fd = -1;
        }
        th[i].timeout_us = c->p.cfg->guest.boot_timeout_us;
        atomic_init(&th[i].done, false);
        if (pthread_create(&th[i].tid, NULL, boot_thread_main, &th[i]) != 0) {
            if (th[i].fd >= 0)
                close(th[i].fd);
            rc = vmb_error_set(err, VMB_ERR_RUN, errno,
                               "start a thread to wait for %s",
                               c->nodes[i].name);
            goto join;
        }
        th[i].started = true;
    }
    uint64_t last_alive_check = 0;
    for (;;) {
        bool all_done = true;
        for (int i = 0; i < c->nnodes; i++) {
            struct vmb_vm_node *n = &c->nodes[i];
            if (n->boot.kernel_s < 0) {
                struct stat st;
                if (stat(n->console_log, &st) == 0 && st.st_size > 0)
                    n->boot.kernel_s = since_s(c->t0_ns[i]);
            }
            if (!atomic_load(&th[i].done))
                all_done = false;
        }
        if (all_done)
            break;
        if (vmb_interrupted) {
            rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                               "interrupted while the VMs were booting");
            break;
        }
        if (vmb_now_ns() - last_alive_check > 200000000ULL) {
            last_alive_check = vmb_now_ns();
            for (int i = 0; i < c->nnodes; i++) {
                if (atomic_load(&th[i].done) ||
                    vmb_virt_domain_running(c->doms[i]))
                    continue;
                char *tail = console_tail(c->nodes[i].console_log);
                rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                                   "%s stopped while booting; console: %s",
                                   c->nodes[i].name, tail);
                free(tail);
                break;
            }
            if (rc < 0)
                break;
        }
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (rc < 0) {
        /* Killing the guests closes the channels the threads read. */
        for (int i = 0; i < c->nnodes; i++) {
            vmb_virt_domain_destroy(c->doms[i], NULL);
            c->doms[i] = NULL;
        }
    }
join:
    for (int i = 0; i < c->nnodes; i++) {
        if (!th[i].started)
            continue;
        pthread_join(th[i].tid, NULL);
        struct vmb_vm_node *n = &c->nodes[i];
        if (rc == 0 && th[i].err) {
            char *tail = console_tail(n->console_log);
            rc = vmb_error_set(err, VMB_ERR_RUN, 0, "%s: %s; console: %s",
                               n->name, th[i].err->msg, tail);
            free(tail);
        }
        vmb_error_free(th[i].err);
        n->agent = th[i].agent;
        if (n->agent) {
            const struct vmb_agent_hello *h = vmb_agent_hello_info(n->agent);
            n->boot.agent_s = (double)(h->host_ns - c->t0_ns[i]) / 1e9;
            /* Milestones are guest time; place them on the host's clock. */
            /* The hello goes out right after the last milestone. */
            uint64_t last = h->agent_start_us;
            const uint64_t ms[] = {h->modules_loaded_us, h->net_up_us,
                                   h->mounts_done_us};
            for (size_t k = 0; k < 3; k++)
                if (ms[k] > last)
                    last = ms[k];
            if (h->mounts_done_us > 0)
                n->boot.mounts_s =
                    n->boot.agent_s - (double)(last - h->mounts_done_us) / 1e6;
            if (rc == 0 && h->boot_error)
                rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                                   "%s: the guest failed to boot: %s", n->name,
                                   h->boot_error);
        }
    }
    return rc;
}

/*
 * The container root as the guest's mount table has it: the share's
 * filesystem from its tag where disable_block_device_use serves the root
 * over it (the database's binaries are read through it), else ext4 on
 * the root's virtio-blk disk.
 */
static int
verify_root(const struct vmb_config *cfg, const struct vmb_vm_node *n,
            const struct vmb_agent_facts *f, struct vmb_error **err)
{
    const char *type = f->root_fstype ? f->root_fstype : "";
    const char *src = f->root_source ? f->root_source : "";
    if (vmb_config_root_shared(cfg)) {
        const char *want = fs_types[vmb_config_share(cfg)];
        if (strcmp(type, want) != 0 || strcmp(src, VMB_AGENT_FS_TAG) != 0)
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "%s: the container root is \"%s\" from "
                                 "\"%s\", the cell serves it over \"%s\" "
                                 "from \"%s\" (disable_block_device_use)",
                                 n->name, type, src, want, VMB_AGENT_FS_TAG);
    } else if (strcmp(type, "ext4") != 0 || strncmp(src, "/dev/vd", 7) != 0) {
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "%s: the container root is \"%s\" from \"%s\", "
                             "the cell has it on its disk (ext4 on /dev/vd*)",
                             n->name, type, src);
    }
    return 0;
}

/* The facts must match the cell, or its numbers would be about another. */
static int
verify_node(struct vmb_vm_cell *c, struct vmb_vm_node *n,
            struct vmb_error **err)
{
    const struct vmb_config *cfg = c->p.cfg;
    struct vmb_agent_facts f;
    memset(&f, 0, sizeof(f));
    if (vmb_agent_facts(n->agent, FACTS_TIMEOUT_US, &f, err) < 0)
        return vmb_error_prefix(err, "%s facts", n->name);
    int rc = 0;
    int place = vmb_config_placement(cfg);
    const char *want_fs = fs_types[place];
    if (f.nproc != cfg->guest.vcpus) {
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "%s has %d vCPUs, the cell asks for %" PRId64,
                           n->name, f.nproc, cfg->guest.vcpus);
    } else if (!vmb_vm_kata_memory_matches(cfg->guest.memory_mib, f.ram_kib,
                                           f.mem_total_kib)) {
        rc = vmb_error_set(
            err, VMB_ERR_RUN, 0,
            "%s booted with %" PRIu64 " KiB of RAM (MemTotal %" PRIu64
            " KiB), the cell asks for %" PRIu64 " MiB",
            n->name, f.ram_kib, f.mem_total_kib, cfg->guest.memory_mib);
    } else if (f.data_fstype == NULL || strcmp(f.data_fstype, want_fs) != 0) {
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "%s: data directory \"%s\" is on \"%s\" (%s), the "
                           "cell says storage \"%s\"",
                           n->name, f.data_dir ? f.data_dir : "",
                           f.data_fstype ? f.data_fstype : "",
                           f.data_source ? f.data_source : "",
                           vmb_storage_name(place));
    } else if ((place == VMB_STORAGE_9P || place == VMB_STORAGE_VIRTIOFS) &&
               (f.data_source == NULL ||
                strcmp(f.data_source, VMB_AGENT_FS_TAG) != 0)) {
        rc = vmb_error_set(err, VMB_ERR_RUN, 0,
                           "%s: data directory comes from \"%s\", not the "
                           "shared directory \"%s\"",
                           n->name, f.data_source ? f.data_source : "",
                           VMB_AGENT_FS_TAG);
    } else if (verify_root(cfg, n, &f, err) < 0) {
        rc = -1;
    } else {
        int node = n == &c->nodes[0] ? 0 : 1;
        rc = vmb_vm_kata_verify(&c->kata, cfg, node, n->name, n->data_disk, &f,
                                c->doms[node], err);
        if (rc == 0 && c->fsd[node] &&
            vmb_virtiofsd_verify(c->fsd[node], err) < 0)
            rc = vmb_error_prefix(err, "%s", n->name);
    }
    if (rc == 0) {
        n->guest_data_path = vmb_xstrdup(f.data_dir);
        n->guest_data_fstype = vmb_xstrdup(f.data_fstype);
        n->guest_data_source = vmb_xstrdup(f.data_source);
    }
    vmb_agent_facts_clear(&f);
    return rc;
}

/* Starts node i's domain; its boot clock starts here. */
static int
start_domain(struct vmb_vm_cell *c, int i, const struct vmb_subnet *sn,
             struct vmb_error **err)
{
    struct vmb_vm_node *n = &c->nodes[i];
    bool there = i == 1 && c->remote != NULL;
    char mac[24], cidr[24], gw[16];
    mac_for(c->p.tag, i + 1, mac, sizeof(mac));
    snprintf(cidr, sizeof(cidr), "%s/%d", n->ip, sn->prefix);
    /* Nodes on two hosts reach each other through their bridges. */
    vmb_subnet_host(sn, 1, gw, sizeof(gw));
    autofree char *cmdline =
        vmb_vm_cmdline(c->p.cfg, cidr, c->remote ? gw : NULL, n->name,
                       c->p.agent_vsock && !there);
    struct vmb_domain_spec s = spec_for(c, n, cmdline, mac);
    struct vmb_virt *v = c->v;
    struct vmb_virtiofsd_libvirt fs_lv;
    if (there) {
        /* Its files are there; its console and agent come back over
         * libvirt streams (pty devices there, nothing of this host's). */
        v = vmb_vm_remote_virt(c->remote);
        s.kernel = vmb_vm_remote_kernel(c->remote);
        s.initrd = vmb_vm_remote_initrd(c->remote);
        s.console_log = NULL;
        s.agent_socket = NULL;
        s.agent_vsock = false;
        s.chardev_pty = true;
        if (s.fs == VMB_VIRT_FS_VIRTIOFS) {
            const char *d = c->p.cfg->guest.virtio_fs_daemon;
            if (c->p.node2_share == NULL)
                return vmb_error_set(err, VMB_ERR_RUN, 0,
                                     "%s: no shared directory there", n->name);
            if (vmb_virtiofsd_libvirt(c->p.cfg, &fs_lv, err) < 0)
                return vmb_error_prefix(err, "%s", n->name);
            s.fs_dir = c->p.node2_share;
            s.fs_libvirt = &fs_lv;
            s.fs_daemon = d != NULL && d[0] != '\0' ? d : NULL;
        }
    }
    autofree char *sock = NULL;
    if (s.fs == VMB_VIRT_FS_VIRTIOFS && s.fs_libvirt == NULL) {
        sock = vmb_xasprintf("%s/%s.virtiofsd.sock", c->work_dir, n->name);
        autofree char *pid =
            vmb_xasprintf("%s/%s.virtiofsd.pid", c->work_dir, n->name);
        autofree char *log =
            vmb_xasprintf("%s/%s.virtiofsd.log", c->work_dir, n->name);
        const struct vmb_virtiofsd_params fp = {
            c->p.cfg, n->share_dir, sock, pid, log, c->qemu_uid, c->qemu_gid,
        };
        if (vmb_virtiofsd_start(&fp, &c->fsd[i], err) < 0)
            return vmb_error_prefix(err, "%s", n->name);
        s.fs_socket = sock;
    }
    autofree char *xml = vmb_virt_domain_xml(&s);
    unlink(n->console_log);
    c->t0_ns[i] = vmb_now_ns();
    /* Node 2 there waits for its relays: QEMU drops what a guest prints
     * on a console nobody holds. */
    if (vmb_virt_domain_start_paused(v, xml, there, &c->doms[i], err) < 0) {
        /* QEMU says only that the socket closed; the daemon says why. */
        autofree char *why =
            c->fsd[i] ? vmb_virtiofsd_log_tail(c->fsd[i]) : NULL;
        if (why != NULL && err != NULL && *err != NULL) {
            autofree char *msg = steal(&(*err)->msg);
            (*err)->msg =
                vmb_xasprintf("%s; virtiofsd's last words: %s", msg, why);
        }
        return -1;
    }
    n->boot.domain_start_s = since_s(c->t0_ns[i]);
    if (there) {
        /* The later stages leave out the time it waited paused. */
        uint64_t paused = vmb_now_ns();
        if (vmb_vm_remote_relays(c->remote, n->domain, n->console_log,
                                 &c->agent_fd, err) < 0 ||
            vmb_virt_domain_resume(c->doms[i], err) < 0)
            return -1;
        c->t0_ns[i] += vmb_now_ns() - paused;
        return 0;
    }
    /* libvirt picked the agent's CID as it started the domain. */
    if (c->p.agent_vsock &&
        vmb_virt_domain_vsock_cid(c->doms[i], &n->vsock_cid, err) < 0)
        return vmb_error_prefix(err, "%s", n->name);
    return 0;
}

int
vmb_vm_cell_start(struct vmb_virt *v, const struct vmb_vm_params *p,
                  struct vmb_vm_cell **out, struct vmb_error **err)
{
    /* What a dead run whose guard died too left running. */
    vmb_virtiofsd_reap_stale(VMB_VM_WORKDIR_ROOT);
    vmb_rootfs_reap_stale(VMB_VM_WORKDIR_ROOT);
    if (vmb_vm_cell_check(p, err) < 0)
        return -1;
    struct vmb_vm_cell *c = vmb_xcalloc(1, sizeof(*c));
    c->v = v;
    c->agent_fd = -1;
    c->p = *p;
    c->nnodes = vmb_config_nodes(p->cfg);
    if (vmb_vm_kata_prepare(p->cfg, &c->kata, err) < 0) {
        free(c);
        return -1;
    }
    if (vmb_vm_kata_pin_tenant(&c->kata, p->cfg, (int)p->tenant, err) < 0) {
        vmb_vm_kata_free(&c->kata);
        free(c);
        return -1;
    }
    /* A fallback from vhost is the session's note (runtime/preflight.h),
     * said once, not before every run. */
    /* libvirt resolves nothing relative to our working directory. */
    c->work_dir = realpath(p->work_dir, NULL);
    c->abs_kernel = realpath(p->kernel, NULL);
    c->abs_initrd = realpath(p->initrd, NULL);
    c->abs_image = p->base_image ? realpath(p->base_image, NULL) : NULL;
    if (c->work_dir == NULL || c->abs_kernel == NULL || c->abs_initrd == NULL ||
        (p->base_image && c->abs_image == NULL)) {
        vmb_error_sys(err, "resolve the paths of the cell's files");
        goto fail;
    }
    if (private_copy(c->work_dir, "kernel", &c->abs_kernel, err) < 0 ||
        private_copy(c->work_dir, "initrd", &c->abs_initrd, err) < 0) {
        vmb_error_prefix(err, "copy the kernel and initramfs for QEMU");
        goto fail;
    }
    c->copies_made = true;
    c->p.work_dir = c->work_dir;
    c->p.kernel = c->abs_kernel;
    c->p.initrd = c->abs_initrd;
    c->p.base_image = c->abs_image;
    c->abs_tree = p->base_tree ? realpath(p->base_tree, NULL) : NULL;
    c->p.base_tree = c->abs_tree;
    if (vmb_virt_qemu_owner(v, p->kvm, &c->qemu_uid, &c->qemu_gid, err) < 0)
        goto fail;
    const struct {
        const char *what, *path;
    } reach[] = {
        {"the work directory", c->work_dir},
        {"the container root image", c->abs_image},
    };
    for (size_t i = 0; i < sizeof(reach) / sizeof(reach[0]); i++)
        if (reach[i].path != NULL &&
            qemu_reaches(reach[i].what, reach[i].path, c->qemu_uid, c->qemu_gid,
                         err) < 0)
            goto fail;
    c->net_name = vmb_xasprintf("vmb-%s", p->tag);
    struct vmb_subnet base, sn[2];
    vmb_subnet_parse(p->cfg->network.subnet, &base, NULL);
    vmb_subnet_nth(&base, p->tenant, &sn[0], NULL);
    sn[1] = sn[0];
    if (vmb_hosts_vm_remote(p->cfg) && c->nnodes == 2) {
        if (vmb_interrupted)
            goto interrupted;
        if (vmb_vm_remote_open(p->cfg, c->abs_kernel, c->abs_initrd,
                               vmb_config_root_shared(p->cfg) ? NULL
                                                              : c->abs_image,
                               &c->remote, err) < 0 ||
            vmb_vm_remote_net(c->remote, c->net_name, p->cfg, &sn[1], err) < 0)
            goto fail;
        /* Node 2's vCPUs take CPUs of its own host. */
        int cpus = 0;
        uint64_t online = 0;
        int64_t free_2m = 0;
        if (p->cfg->guest.vcpus_pinning &&
            (vmb_virt_host_cpus(vmb_vm_remote_virt(c->remote), &cpus, &online,
                                &free_2m, err) < 0 ||
             vmb_vm_kata_pin_there(&c->kata, p->cfg, cpus, online, err) < 0))
            goto fail;
        vmb_virt_describe(v, &c->here_hostname, &c->here_libvirt,
                          &c->here_qemu);
    }
    for (int i = 0; i < c->nnodes; i++) {
        struct vmb_vm_node *n = &c->nodes[i];
        n->name = vmb_xasprintf("node%d", i + 1);
        n->domain = vmb_xasprintf("vmb-%s-%d", p->tag, i + 1);
        vmb_subnet_host(&sn[i], (uint32_t)i + 2, n->ip, sizeof(n->ip));
        n->console_log =
            vmb_xasprintf("%s/%s.console.log", c->work_dir, n->name);
        n->agent_sock = vmb_xasprintf("%s/%s.agent.sock", c->work_dir, n->name);
        n->boot = (struct vmb_vm_boot){-1, -1, -1, -1};
    }

    c->files_made = true;
    for (int i = 0; i < c->nnodes; i++) {
        struct vmb_vm_node *n = &c->nodes[i];
        if ((i == 1 && c->remote
                 ? vmb_vm_remote_disks(c->remote, c->work_dir, p->cfg,
                                       !vmb_config_root_shared(p->cfg),
                                       &n->root_disk, &n->data_disk, err)
                 : make_files(c, n, err)) < 0) {
            vmb_error_prefix(err, "%s files", n->name);
            goto fail;
        }
    }
    if (vmb_interrupted)
        goto interrupted;
    if (vmb_virt_net_create(v, c->net_name, &sn[0], c->remote != NULL, &c->net,
                            err) < 0)
        goto fail;
    for (int i = 0; i < c->nnodes; i++) {
        if (vmb_interrupted)
            goto interrupted;
        if (start_domain(c, i, &sn[i], err) < 0)
            goto fail;
    }
    if (wait_boot(c, err) < 0)
        goto fail;
    for (int i = 0; i < c->nnodes; i++)
        if (verify_node(c, &c->nodes[i], err) < 0)
            goto fail;
    *out = c;
    return 0;

interrupted:
    vmb_error_set(err, VMB_ERR_RUN, 0,
                  "interrupted while the VMs were starting");
fail:
    vmb_vm_cell_free(c);
    return -1;
}

bool
vmb_vm_cell_host(const struct vmb_vm_cell *c, int i, struct vmb_vm_host *out)
{
    if (c->remote == NULL)
        return false;
    if (i == 0) {
        *out = (struct vmb_vm_host){"", c->here_hostname, c->here_libvirt,
                                    c->here_qemu};
        return true;
    }
    out->uri = c->p.cfg->hosts.vm_node2;
    vmb_vm_remote_host(c->remote, &out->hostname, &out->libvirt, &out->qemu);
    return true;
}

int
vmb_vm_cell_nodes(const struct vmb_vm_cell *c)
{
    return c->nnodes;
}

struct vmb_vm_node *
vmb_vm_cell_node(struct vmb_vm_cell *c, int i)
{
    return &c->nodes[i];
}

struct vmb_virt_domain *
vmb_vm_cell_domain(struct vmb_vm_cell *c, int i)
{
    return c->doms[i];
}

int
vmb_vm_cell_virtiofsd_pid(struct vmb_vm_cell *c, int i)
{
    return c->fsd[i] ? (int)vmb_virtiofsd_pid(c->fsd[i]) : -1;
}

/* ---- measurement window ---- */

void
vmb_vm_cell_window_begin(struct vmb_vm_cell *c)
{
    c->window_done = false;
    for (int i = 0; i < c->nnodes; i++)
        if (c->doms[i])
            vmb_virt_domain_stats(c->doms[i], &c->win_a[i], NULL);
}

void
vmb_vm_cell_window_end(struct vmb_vm_cell *c)
{
    for (int i = 0; i < c->nnodes; i++)
        if (c->doms[i])
            vmb_virt_domain_stats(c->doms[i], &c->win_b[i], NULL);
    c->window_done = true;
}

void
vmb_vm_node_boot_members(const struct vmb_vm_node *n, struct vmb_jw *w)
{
    const struct {
        const char *key;
        double v;
    } st[] = {
        {"domain_start_s", n->boot.domain_start_s},
        {"kernel_s", n->boot.kernel_s},
        {"agent_s", n->boot.agent_s},
        {"mounts_s", n->boot.mounts_s},
    };
    for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
        if (st[i].v < 0) {
            vmb_jw_key(w, st[i].key);
            vmb_jw_null(w);
        } else {
            vmb_jw_kdouble(w, st[i].key, st[i].v);
        }
    }
}

void
vmb_vm_cell_boot_json(struct vmb_vm_cell *c, struct vmb_jw *w)
{
    for (int i = 0; i < c->nnodes; i++) {
        vmb_jw_key(w, c->nodes[i].name);
        vmb_jw_obj_begin(w);
        vmb_vm_node_boot_members(&c->nodes[i], w);
        vmb_jw_obj_end(w);
    }
}

bool
vmb_vm_cell_window(const struct vmb_vm_cell *c, int i, struct vmb_virt_stats *d)
{
    if (!c->window_done)
        return false;
    vmb_virt_stats_delta(&c->win_a[i], &c->win_b[i], d);
    return true;
}

void
vmb_vm_cell_resources_json(struct vmb_vm_cell *c, struct vmb_jw *w)
{
    for (int i = 0; i < c->nnodes; i++) {
        struct vmb_virt_stats d;
        if (!vmb_vm_cell_window(c, i, &d))
            return;
        vmb_jw_key(w, c->nodes[i].name);
        vmb_virt_stats_to_json(w, &d);
    }
}

/* ---- artefacts ---- */

int
vmb_vm_cell_save(struct vmb_vm_cell *c, const char *dir, struct vmb_error **err)
{
    for (int i = 0; i < c->nnodes; i++) {
        struct vmb_vm_node *n = &c->nodes[i];
        if (c->doms[i]) {
            autofree char *xml = NULL, *argv = NULL;
            autofree char *xp = vmb_xasprintf("%s/%s.xml", dir, n->name);
            autofree char *cp =
                vmb_xasprintf("%s/%s.qemu.cmdline", dir, n->name);
            if (vmb_virt_domain_live_xml(c->doms[i], &xml, err) < 0 ||
                vmb_write_file_atomic(xp, xml, strlen(xml), err) < 0)
                return vmb_error_prefix(err, "save %s", n->name);
            if (vmb_virt_domain_qemu_cmdline(c->doms[i], &argv, err) < 0 ||
                vmb_write_file_atomic(cp, argv, strlen(argv), err) < 0)
                return vmb_error_prefix(err, "save %s", n->name);
        }
        if (c->fsd[i]) {
            const char *fc = vmb_virtiofsd_cmdline(c->fsd[i]);
            autofree char *fp =
                vmb_xasprintf("%s/%s.virtiofsd.cmdline", dir, n->name);
            if (vmb_write_file_atomic(fp, fc, strlen(fc), err) < 0)
                return vmb_error_prefix(err, "save %s", n->name);
        }
        autofree char *log = NULL;
        size_t len = 0;
        if (vmb_read_file(n->console_log, &log, &len, NULL) == 0) {
            autofree char *lp =
                vmb_xasprintf("%s/%s.console.log", dir, n->name);
            if (vmb_write_file_atomic(lp, log, len, err) < 0)
                return vmb_error_prefix(err, "save %s", n->name);
        }
    }
    return 0;
}

/* ---- teardown ---- */

struct destroy_job {
    struct vmb_virt_domain *d;
    pthread_t tid;
    bool threaded;
    int rc;
    struct vmb_error *err;
};

static void *
destroy_main(void *arg)
{
    struct destroy_job *j = arg;
    j->rc = vmb_virt_domain_destroy(j->d, &j->err);
    return NULL;
}

int
vmb_vm_cell_teardown(struct vmb_vm_cell *c, double *took_s,
                     struct vmb_error **err)
{
    if (c == NULL)
        return 0;
    uint64_t t0 = vmb_now_ns();
    int rc = 0;
    struct vmb_error *e = NULL;
    /*
     * Both domains go at once: each destroy waits for its QEMU to exit,
     * and the two waits need not add up.
     */
    struct destroy_job jobs[2];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 1; i >= 0; i--) {
        vmb_agent_free(c->nodes[i].agent);
        c->nodes[i].agent = NULL;
        if (i == 1 && c->remote != NULL) {
            uint64_t cut = vmb_vm_remote_console_dropped(c->remote);
            if (cut > 0)
                vmb_note(c->p.notes,
                         "node2.console.log stops at its cap; node 2's "
                         "console printed %" PRIu64 " bytes more",
                         cut);
            vmb_vm_remote_relays_stop(c->remote);
        }
        jobs[i].d = c->doms[i];
        c->doms[i] = NULL;
        if (jobs[i].d && i == 1 &&
            pthread_create(&jobs[i].tid, NULL, destroy_main, &jobs[i]) == 0)
            jobs[i].threaded = true;
        else if (jobs[i].d)
            destroy_main(&jobs[i]);
    }
    for (int i = 1; i >= 0; i--) {
        if (jobs[i].threaded)
            pthread_join(jobs[i].tid, NULL);
        if (jobs[i].rc < 0)
            rc = vmb_error_keep_first(err, &jobs[i].err);
    }
    /* The daemons once no QEMU uses them. */
    for (int i = 0; i < c->nnodes; i++) {
        if (vmb_virtiofsd_stop(c->fsd[i], &e) < 0)
            rc = vmb_error_keep_first(err, &e);
        c->fsd[i] = NULL;
    }
    if (vmb_virt_net_destroy(c->net, &e) < 0)
        rc = vmb_error_keep_first(err, &e);
    c->net = NULL;
    /* Node 2's host: its network, then its pool with node 2's disks. */
    bool remote = c->remote != NULL;
    if (vmb_vm_remote_close(c->remote, &e) < 0)
        rc = vmb_error_keep_first(err, &e);
    c->remote = NULL;
    if (c->agent_fd >= 0)
        close(c->agent_fd);
    for (int i = 1; i >= 0; i--) {
        struct vmb_vm_node *n = &c->nodes[i];
        bool there = i == 1 && remote;
        if (n->agent_sock)
            unlink(n->agent_sock);
        /* The container root's mount goes whatever keep_volumes says:
         * nothing of a run stays mounted. */
        if (n->rootfs_pid &&
            vmb_rootfs_unmount(n->share_dir,
                               c->p.keep_volumes ? NULL : n->snapshot,
                               n->rootfs_pid, &e) < 0)
            rc = vmb_error_keep_first(err, &e);
        if (c->files_made && !c->p.keep_volumes && !there) {
            if (n->root_disk)
                unlink(n->root_disk);
            if (n->data_disk)
                unlink(n->data_disk);
            if (n->share_dir) {
                vmb_rootfs_unmount_under(n->share_dir);
                vmb_rm_rf(n->share_dir, NULL);
            }
        }
        free(n->name);
        free(n->domain);
        free(n->console_log);
        free(n->agent_sock);
        free(n->root_disk);
        free(n->data_disk);
        free(n->data_dir);
        free(n->share_dir);
        free(n->snapshot);
        free(n->rootfs_pid);
        free(n->guest_data_path);
        free(n->guest_data_fstype);
        free(n->guest_data_source);
    }
    if (c->copies_made && !c->p.keep_volumes) {
        unlink(c->abs_kernel);
        unlink(c->abs_initrd);
    }
    free(c->work_dir);
    free(c->abs_kernel);
    free(c->abs_initrd);
    free(c->abs_image);
    free(c->abs_tree);
    free(c->net_name);
    free(c->here_hostname);
    free(c->here_libvirt);
    free(c->here_qemu);
    vmb_vm_kata_free(&c->kata);
    free(c);
    if (took_s)
        *took_s = since_s(t0);
    return rc;
}

void
vmb_vm_cell_free(struct vmb_vm_cell *c)
{
    vmb_vm_cell_teardown(c, NULL, NULL);
}
