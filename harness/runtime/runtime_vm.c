/*
 * The container-VM runtime: the run's two VMs (vm.h) with the database
 * server started in each container root by the guest agent (agent.h),
 * its data directory /data on the cell's storage; or, for a tool
 * (database.engine fio), one VM, node 1, where the agent runs the tool
 * once per phase.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rawprobe.h"
#include "base/stats.h"
#include "base/units.h"
#include "base/util.h"
#include "config/hosts.h"
#include "runtime/remote.h"
#include "runtime/runtime.h"
#include "vm/accel.h"
#include "vm/agent.h"
#include "vm/image.h"
#include "vm/initramfs.h"
#include "vm/kernel.h"
#include "vm/rootfs.h"
#include "vm/virt.h"
#include "vm/vm.h"
#include "vm/vsock.h"
#include "vm/workdir.h"

/* Agent requests are small; TCG guests answer slowly, so be generous. */
#define AGENT_TIMEOUT_US (15ull * 1000000ull)

/* Container paths of the server's configuration and log. */
#define CONF_PATH "/vmbench-db.conf"
#define LOG_PATH "/vmbench-db.log"
/* Container paths of a fio phase's job and of fio's JSON, outside /data. */
#define FIO_JOB_PATH "/vmbench-fio.job"
#define FIO_OUT_PATH "/vmbench-fio.json"
/* How often a running fio is asked about. */
#define FIO_POLL_NS (200ull * 1000000ull)
/* The guest's /proc/meminfo after a phase: a small file, a short wait. */
#define MEMINFO_US (5ull * 1000000ull)

/* Rounds of the emulation factor, each side; the factor is the ratio
 * of the medians. */
#define TCG_ROUNDS 3
/* Each host round runs at least this long (CPU time). */
#define TCG_HOST_NS 300000000ull

struct vm_env {
    struct vmb_virt *virt;
    char *kernel, *modules_dir, *initrd;
    bool kernel_vsock; /* the guest kernel has the vsock drivers */
    /* The guest images, built on first use: [0] the servers' (every
     * server engine's packages), [1] a tool's (fio's), which a server
     * cell never carries (vmb_runtime_image_packages). */
    char *image[2];
    char *tree[2]; /* each image's staged tree: containers' roots */
    pthread_mutex_t image_lock; /* tenants come up in threads */
    struct vmb_accel_result accel;
    /* Under TCG: how much slower the guest ran the compute loop than the
     * host, measured in the session's first VM; 0 when not measured. */
    double tcg_slowdown;
    bool tcg_tried;
    struct tcg_calib {
        uint64_t iters;
        int pinned_cpu; /* -1: the host's side ran unpinned */
        /* Medians of TCG_ROUNDS, seconds; vcpu_s < 0 when the vCPU
         * threads' CPU could not be read (then the factor is from
         * guest_clock_s). */
        double host_cpu_s, vcpu_s, guest_clock_s, request_s;
    } calib;
};

struct vm_rt {
    struct vmb_vm_cell *cell;
    int pid[2]; /* guest pids of the servers; 0 when not started */
    bool exited[2];
    struct vmb_agent_status last[2];
    char *conf[2];     /* configuration text, kept as an artefact */
    char *init_out[2]; /* output of the driver's init step */
    const struct vmb_db_driver *drv;
    struct vmb_vm_workdir wd; /* where QEMU's files are (vm/workdir.h) */
    int transport; /* the agents' channel, enum vmb_agent_transport */
    /* node 2's virtio-fs share on its host, and the session that holds
     * it there; NULL: none */
    char *share_there;
    struct vmb_remote_hold *hold;
};

static void vm_env_close(void *env);

/* The base image of engine's cells, built (or found cached) once, and
 * its staged tree in *tree. */
static const char *
env_image(struct vm_env *e, int engine, const char **tree,
          struct vmb_error **err)
{
    const struct vmb_db_driver *d = vmb_db_driver_find(engine);
    int k = d != NULL && d->tool ? 1 : 0;
    pthread_mutex_lock(&e->image_lock);
    if (e->image[k] == NULL) {
        struct vmb_image_opts io = {.packages =
                                        vmb_runtime_image_packages(engine)};
        struct vmb_image img = {0};
        if (vmb_image_ensure(&io, &img, err) < 0)
            vmb_error_prefix(err, "build the %s guest image",
                             k ? d->name : "database");
        else {
            e->image[k] = steal(&img.path);
            e->tree[k] = steal(&img.tree);
        }
        vmb_image_clear(&img);
    }
    const char *path = e->image[k];
    *tree = e->tree[k];
    pthread_mutex_unlock(&e->image_lock);
    return path;
}

/* The nodes the run's VM cell has (1 or 2); 0 before up. */
static int
nodes_of(struct vmb_runtime *rt)
{
    struct vm_rt *v = rt->priv;
    return v != NULL && v->cell != NULL ? vmb_vm_cell_nodes(v->cell) : 0;
}

/* Whether the guest kernel has the vsock drivers, built in or as
 * modules. An unreadable kernel fails later, with its reason; here it
 * only keeps auto off vsock. */
static bool
kernel_has_vsock(const char *kernel)
{
    struct vmb_kernel_info ki;
    vmb_autoerr struct vmb_error *err = NULL;
    return vmb_kernel_inspect(kernel, NULL, &ki, &err) == 0 &&
           ki.drv[VMB_KDRV_VSOCK] != VMB_KDRV_MISSING;
}

static int
vm_env_open(const struct vmb_config *base, const char *results_dir,
            const struct vmb_notes *notes, void **out, struct vmb_error **err)
{
    (void)results_dir; /* the VMs' files go under each run's directory */
    struct vm_env *e = vmb_xcalloc(1, sizeof(*e));
    pthread_mutex_init(&e->image_lock, NULL);
    char *agent = NULL;
    if (vmb_virt_open(base->hypervisor.connect, &e->virt, err) < 0)
        goto fail;
    if (vmb_guest_kernel_find(base->guest.kernel, &e->kernel, &e->modules_dir,
                              err) < 0)
        goto fail;
    e->kernel_vsock = kernel_has_vsock(e->kernel);
    agent = vmb_guest_program("vmb-agent");
    if (vmb_initramfs_ensure(agent, e->modules_dir, NULL, &e->initrd, err) <
        0) {
        vmb_error_prefix(err, "build the guest initramfs");
        goto fail;
    }
    /* The matrix's own engine first; an engine axis builds the other
     * image at its first cell. */
    const char *tree = NULL;
    if (env_image(e, (int)base->database.engine, &tree, err) == NULL)
        goto fail;
    if (vmb_accel_resolve(e->virt, base->hypervisor.accel,
                          base->hypervisor.emulator, base->hypervisor.machine,
                          e->kernel, &e->accel, err) < 0)
        goto fail;
    if (e->accel.fallback)
        vmb_note(notes,
                 "NOTE: KVM does not work here, VMs run under TCG "
                 "(emulation, much slower): %s",
                 e->accel.note);
    free(agent);
    *out = e;
    return 0;
fail:
    free(agent);
    vm_env_close(e);
    return -1;
}

static void
vm_env_info(void *env, struct vmb_runtime_env_info *out)
{
    struct vm_env *e = env;
    const struct tcg_calib *c = &e->calib;
    const char *why = NULL;
    int t = vmb_vsock_transport(VMB_AGENT_TRANSPORT_AUTO, NULL, e->kernel_vsock,
                                &why);
    *out = (struct vmb_runtime_env_info){
        .accel = &e->accel,
        .vhost_net = access("/dev/vhost-net", R_OK | W_OK) == 0,
        .vhost_vsock = vmb_vsock_host_usable(NULL),
        .agent_transport = vmb_agent_transport_name(t),
        .agent_transport_why = why,
        .tcg_slowdown = e->tcg_slowdown,
        .iters = c->iters,
        .rounds = TCG_ROUNDS,
        .pinned_cpu = c->pinned_cpu,
        .host_cpu_s = c->host_cpu_s,
        .vcpu_s = c->vcpu_s,
        .guest_clock_s = c->guest_clock_s,
        .request_s = c->request_s,
    };
}

/* The CPU time of the node's vCPU threads, microseconds; -1 when it
 * cannot be read. */
static double
vcpu_us(int pid)
{
    struct vmb_cpu_split s = {0};
    if (pid <= 0 || vmb_cpu_read_qemu("/proc", pid, NULL, &s) < 0)
        return -1;
    return (double)s.us[VMB_CPU_VCPU];
}

/*
 * The emulation factor: the compute loop of base/spin.c (the same source
 * and flags in vmbench and in the agent) on the host, sized to take at
 * least 0.3 s of this thread's CPU, then the same rounds in node 1's
 * guest through the agent, alternately, three times each; the factor is
 * the ratio of the medians. The host's side is timed in this thread's
 * CPU time, pinned to the CPU it is on, so a busy host neither lends nor
 * takes time from it. The guest's side is timed from the host, in the
 * CPU its QEMU vCPU threads used during the request: a TCG guest's own
 * clock follows the host's wall clock, which counts the time the vCPU
 * thread waited for a host CPU. The guest's clock and the request's wall
 * time are kept beside it (the factor falls back to the guest's clock
 * when the threads cannot be read). Best effort: a failure leaves the
 * factor unmeasured with a note.
 */
static void
measure_tcg(struct vmb_runtime *rt, struct vm_env *e, struct vm_rt *v)
{
    e->tcg_tried = true;
    struct vmb_agent *a = vmb_vm_cell_node(v->cell, 0)->agent;
    struct vmb_virt_domain *d = vmb_vm_cell_domain(v->cell, 0);
    int pid = d ? vmb_virt_domain_pid(d) : -1;
    struct tcg_calib *c = &e->calib;
    cpu_set_t old;
    c->pinned_cpu = -1;
    if (sched_getaffinity(0, sizeof(old), &old) == 0) {
        int cpu = sched_getcpu();
        cpu_set_t one;
        CPU_ZERO(&one);
        if (cpu >= 0 && cpu < CPU_SETSIZE) {
            CPU_SET(cpu, &one);
            if (sched_setaffinity(0, sizeof(one), &one) == 0)
                c->pinned_cpu = cpu;
        }
    }
    /* Size: one short round, then enough rounds for TCG_HOST_NS. */
    uint64_t iters = 1u << 16;
    for (;;) {
        uint64_t c0 = vmb_thread_cpu_ns();
        vmb_rawprobe_spin(iters);
        uint64_t ns = vmb_thread_cpu_ns() - c0;
        if (ns >= TCG_HOST_NS || iters >= (1ull << 31))
            break;
        double want = (double)iters * 1.2 * (double)TCG_HOST_NS /
                      (double)(ns > 0 ? ns : 1);
        iters = want > (double)(1ull << 31)  ? 1ull << 31
                : want > 2.0 * (double)iters ? (uint64_t)want
                                             : 2 * iters;
    }
    double host[TCG_ROUNDS], vcpu[TCG_ROUNDS], clk[TCG_ROUNDS],
        wall[TCG_ROUNDS];
    bool by_vcpu = true;
    vmb_autoerr struct vmb_error *err = NULL;
    int r = 0;
    for (; r < TCG_ROUNDS; r++) {
        uint64_t c0 = vmb_thread_cpu_ns();
        vmb_rawprobe_spin(iters);
        host[r] = (double)(vmb_thread_cpu_ns() - c0) / 1e9;
        double v0 = vcpu_us(pid);
        uint64_t w0 = vmb_now_ns(), gns = 0;
        if (vmb_agent_spin(a, iters, 300ull * 1000000, &gns, &err) < 0)
            break;
        wall[r] = (double)(vmb_now_ns() - w0) / 1e9;
        double v1 = vcpu_us(pid);
        clk[r] = (double)gns / 1e9;
        vcpu[r] = v0 >= 0 && v1 > v0 ? (v1 - v0) / 1e6 : -1;
        by_vcpu &= vcpu[r] > 0;
    }
    if (c->pinned_cpu >= 0)
        sched_setaffinity(0, sizeof(old), &old);
    if (r < TCG_ROUNDS) {
        vmb_note(rt->notes, "the emulation factor was not measured: %s",
                 err->msg);
        return;
    }
    c->iters = iters;
    c->host_cpu_s = vmb_stats_median(host, TCG_ROUNDS);
    c->vcpu_s = by_vcpu ? vmb_stats_median(vcpu, TCG_ROUNDS) : -1;
    c->guest_clock_s = vmb_stats_median(clk, TCG_ROUNDS);
    c->request_s = vmb_stats_median(wall, TCG_ROUNDS);
    double g = by_vcpu ? c->vcpu_s : c->guest_clock_s;
    e->tcg_slowdown = c->host_cpu_s > 0 ? g / c->host_cpu_s : 0;
}

static void
vm_env_close(void *env)
{
    struct vm_env *e = env;
    if (e == NULL)
        return;
    vmb_virt_close(e->virt);
    free(e->kernel);
    free(e->modules_dir);
    free(e->initrd);
    free(e->image[0]);
    free(e->image[1]);
    pthread_mutex_destroy(&e->image_lock);
    free(e->tree[0]);
    free(e->tree[1]);
    free(e);
}

/* Where node 2's shares go on its host: on disk, as node 1's here. */
#define SHARE_THERE_BASE "/var/lib/vmbench/vm-remote"

/*
 * Node 2 on another host with a virtio-fs share: its shared directory
 * there, made over ssh as node 1's is here (rootfs/, a copy of the
 * image's tree, where the container root is served over the share;
 * data/ for storage shared), and held for the run: the host removes it
 * when the run releases it, exits, dies or loses the connection.
 */
static int
share_there(struct vmb_runtime *rt, struct vm_rt *v, const char *tree,
            struct vmb_error **err)
{
    const struct vmb_config *cfg = rt->cfg;
    if (!vmb_hosts_vm_remote(cfg) || vmb_config_nodes(cfg) < 2 ||
        vmb_config_share(cfg) != VMB_STORAGE_VIRTIOFS)
        return 0;
    bool root = vmb_config_root_shared(cfg);
    if (root && tree == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node 2's container root: the image has no "
                             "staged tree");
    struct vmb_remote r;
    autofree char *dir = NULL;
    const char *sub = vmb_config_placement(cfg) == VMB_STORAGE_VIRTIOFS &&
                              cfg->guest.storage != VMB_STORAGE_LOCAL
                          ? "share/data"
                          : "share";
    if (vmb_remote_init_libvirt(&r, cfg->hosts.vm_node2,
                                cfg->hosts.connect_timeout_us, err) < 0 ||
        vmb_remote_hold(&r, SHARE_THERE_BASE, sub, &dir, &v->hold, err) < 0)
        return vmb_error_prefix(err, "node 2's shared directory");
    v->share_there = vmb_xasprintf("%s/share", dir);
    if (!root)
        return 0;
    autofree char *to = vmb_xasprintf("%s/" VMB_ROOTFS_DIR, v->share_there);
    if (vmb_remote_put_tree(&r, tree, to, 600000000ull, err) < 0)
        return vmb_error_prefix(err, "node 2's container root");
    return 0;
}

/* Removes node 2's share there (after its VM is gone); a failure is a
 * note: the next run there removes what is left. */
static void
share_there_release(struct vmb_runtime *rt, struct vm_rt *v)
{
    vmb_autoerr struct vmb_error *e = NULL;
    if (v->hold != NULL && vmb_remote_release(v->hold, 60000000ull, &e) < 0)
        vmb_note(rt->notes, "%s rep %d: %s", rt->cell_id, rt->rep, e->msg);
    v->hold = NULL;
    free(v->share_there);
    v->share_there = NULL;
}

static int
vm_up(struct vmb_runtime *rt, struct vmb_error **err)
{
    struct vm_env *e = rt->env;
    /* The preflight refused it already; a resumed or later round may not
     * have run one. */
    const char *why = NULL;
    int transport = vmb_vsock_transport(rt->cfg->guest.agent_transport, NULL,
                                        e->kernel_vsock, &why);
    if (transport == VMB_AGENT_TRANSPORT_VSOCK && why != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "agent_transport \"vsock\": %s", why);
    struct vm_rt *v = vmb_xcalloc(1, sizeof(*v));
    rt->priv = v;
    v->transport = transport;
    rt->accel = e->accel.used == VMB_ACCEL_KVM ? "kvm" : "tcg";
    /* Short: libvirt derives the bridge name (15 bytes at most) from it. */
    char tag[16];
    if (rt->tenant == 0)
        snprintf(tag, sizeof(tag), "%.6sr%d", rt->cell_id, rt->rep);
    else
        /* Repetitions stop at 1000 and tenants at 64: 14 bytes at most. */
        snprintf(tag, sizeof(tag), "%.6sr%ut%u", rt->cell_id,
                 (unsigned)rt->rep % 10000u, (unsigned)(rt->tenant + 1) % 100u);
    if (vmb_vm_workdir_new(tag, rt->work_dir, &v->wd, err) < 0)
        return -1;
    const char *tree = NULL;
    const char *image = env_image(e, (int)rt->cfg->database.engine, &tree, err);
    if (image == NULL)
        return -1;
    struct vmb_vm_params p = {
        .cfg = rt->cfg,
        .work_dir = v->wd.path,
        .tag = tag,
        .kvm = e->accel.used == VMB_ACCEL_KVM,
        .kernel = e->kernel,
        .initrd = e->initrd,
        .base_image = image,
        .base_tree = tree,
        /* The work directory goes as a whole after the run (vm_free);
         * keeping the files until then keeps a failed boot's console
         * log. */
        .keep_volumes = true,
        .notes = rt->notes,
        .tenant = (uint32_t)rt->tenant,
        .agent_vsock = transport == VMB_AGENT_TRANSPORT_VSOCK,
    };
    if (share_there(rt, v, tree, err) < 0)
        return -1;
    p.node2_share = v->share_there;
    if (vmb_vm_cell_start(e->virt, &p, &v->cell, err) < 0)
        return -1;
    int nn = vmb_vm_cell_nodes(v->cell);
    for (int i = 0; i < nn; i++) {
        struct vmb_vm_node *n = vmb_vm_cell_node(v->cell, i);
        vmb_runtime_set_node(rt, i + 1, n->ip, (int)rt->cfg->database.port,
                             "0.0.0.0", VMB_AGENT_DATA_DIR);
    }
    if (nn > 1) {
        rt->nodes[1].primary_host = rt->nodes[0].host;
        rt->nodes[1].primary_port = rt->nodes[0].port;
    }
    for (int i = 0; i < nn; i++) {
        struct vmb_vm_node *n = vmb_vm_cell_node(v->cell, i);
        const struct vmb_agent_hello *h =
            n->agent ? vmb_agent_hello_info(n->agent) : NULL;
        if (h != NULL && h->host_ns > rt->agents_ns)
            rt->agents_ns = h->host_ns;
    }
    /* Tenants come up at once (the boot storm): the session's one
     * measurement is tenant 1's, the others leave the env alone. */
    if (rt->tenant == 0 && e->accel.used != VMB_ACCEL_KVM && !e->tcg_tried)
        measure_tcg(rt, e, v);
    return 0;
}

static struct vmb_agent *
agent_of(struct vmb_runtime *rt, int node)
{
    struct vm_rt *v = rt->priv;
    if (node > nodes_of(rt))
        return NULL;
    return vmb_vm_cell_node(v->cell, node - 1)->agent;
}

/* Messages and times of the node's programs in the C locale and UTC. */
static const char *const db_env[] = {"LC_ALL=C", "LANG=C", "TZ=UTC", NULL};

/*
 * Runs the driver's init step (initdb, a base backup) in the container
 * as the server's user, who is given the data directory first; fails
 * with the end of its output.
 */
static int
vm_init_db(struct vmb_runtime *rt, struct vm_rt *v, struct vmb_agent *a,
           int node, const struct vmb_db_driver *drv, struct vmb_error **err)
{
    char **argv = drv->init_argv(&rt->cfg->database, &rt->nodes[node - 1]);
    const char *what = argv[4] != NULL ? argv[4] : argv[0];
    const char *slash = strrchr(what, '/');
    autofree char *name = vmb_xstrdup(slash ? slash + 1 : what);
    struct vmb_agent_proc p = {
        .argv = (const char *const *)argv,
        .env = db_env,
        .cwd = VMB_AGENT_DATA_DIR,
        .user = drv->user,
        .own = VMB_AGENT_DATA_DIR,
    };
    uint64_t run_us = rt->cfg->database.ready_timeout_us;
    struct vmb_agent_exec_result res = {0};
    int r = vmb_agent_exec(a, &p, run_us, run_us + AGENT_TIMEOUT_US, &res, err);
    vmb_db_argv_free(argv);
    if (r < 0)
        return vmb_error_prefix(err, "node %d: %s", node, name);
    free(v->init_out[node - 1]);
    v->init_out[node - 1] = res.output;
    autofree char *tail = vmb_db_log_tail(res.output, 5);
    switch (res.status.state) {
    case VMB_AGENT_EXITED:
        if (res.status.code == 0)
            return 0;
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node %d: %s exited with status %d; output: %s",
                             node, name, res.status.code, tail);
    case VMB_AGENT_TIMEOUT: {
        char d[32];
        vmb_format_duration_us(run_us, d, sizeof(d));
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node %d: %s did not finish within %s; output: %s",
                             node, name, d, tail);
    }
    default:
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node %d: %s was killed by signal %d; output: %s",
                             node, name, res.status.code, tail);
    }
}

static int
vm_start_db(struct vmb_runtime *rt, int node, const struct vmb_db_driver *drv,
            const char *conf, struct vmb_error **err)
{
    struct vm_rt *v = rt->priv;
    struct vmb_agent *a = agent_of(rt, node);
    if (a == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "node %d: no VM", node);
    free(v->conf[node - 1]);
    v->conf[node - 1] = vmb_xstrdup(conf);
    if (vmb_agent_write_file(a, CONF_PATH, conf, strlen(conf), 0644,
                             AGENT_TIMEOUT_US, err) < 0)
        return vmb_error_prefix(err, "node %d: write \"%s\"", node, CONF_PATH);
    v->drv = drv;
    if (drv->init_argv != NULL && vm_init_db(rt, v, a, node, drv, err) < 0)
        return -1;
    char **argv = drv->argv(CONF_PATH);
    struct vmb_agent_proc p = {
        .argv = (const char *const *)argv,
        .env = db_env,
        .cwd = VMB_AGENT_DATA_DIR,
        .log_path = LOG_PATH,
        .user = drv->user,
    };
    int pid = 0;
    int r = vmb_agent_spawn(a, &p, AGENT_TIMEOUT_US, &pid, err);
    vmb_db_argv_free(argv);
    if (r < 0)
        return vmb_error_prefix(err, "node %d: start %s", node, drv->binary);
    v->pid[node - 1] = pid;
    v->exited[node - 1] = false;
    return 0;
}

static char *vm_db_log(struct vmb_runtime *rt, int node);

/* The last lines of node 1's log, where fio's words go. */
static char *
fio_words(struct vmb_runtime *rt)
{
    autofree char *log = vm_db_log(rt, 1);
    return vmb_db_log_tail(log, 5);
}

/* Kills a fio that outlived its phase, or a run that was interrupted. */
static void
fio_kill(struct vmb_agent *a, int pid)
{
    vmb_autoerr struct vmb_error *e = NULL;
    vmb_agent_kill(a, pid, SIGKILL, AGENT_TIMEOUT_US, &e);
}

/*
 * fio in node 1's container, as a server would run there: the job and
 * fio's JSON beside the server's configuration (outside /data, which the
 * job names), fio's words appended to the server's log. The agent is
 * asked about fio every FIO_POLL_NS, so the guests' sampling thread keeps
 * its turns; past timeout_us fio is killed.
 */
static int
vm_run_fio(struct vmb_runtime *rt, const char *job, uint64_t timeout_us,
           char **json, size_t *len, struct vmb_error **err)
{
    struct vmb_agent *a = agent_of(rt, 1);
    if (a == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "node 1: no VM");
    if (vmb_agent_write_file(a, FIO_JOB_PATH, job, strlen(job), 0644,
                             AGENT_TIMEOUT_US, err) < 0 ||
        vmb_agent_write_file(a, FIO_OUT_PATH, "", 0, 0644, AGENT_TIMEOUT_US,
                             err) < 0)
        return vmb_error_prefix(err, "node 1");
    const char *argv[] = {"fio", "--output-format=json+",
                          "--output=" FIO_OUT_PATH, FIO_JOB_PATH, NULL};
    struct vmb_agent_proc p = {
        .argv = argv,
        .env = db_env,
        .cwd = VMB_AGENT_DATA_DIR,
        .log_path = LOG_PATH,
    };
    int pid = 0;
    if (vmb_agent_spawn(a, &p, AGENT_TIMEOUT_US, &pid, err) < 0)
        return vmb_error_prefix(err, "node 1: start fio");
    uint64_t deadline = vmb_now_ns() + timeout_us * 1000;
    struct vmb_agent_status st = {0};
    for (;;) {
        if (vmb_agent_status(a, pid, AGENT_TIMEOUT_US, &st, err) < 0) {
            fio_kill(a, pid);
            return vmb_error_prefix(err, "node 1: fio");
        }
        if (st.state != VMB_AGENT_RUNNING)
            break;
        if (vmb_interrupted) {
            fio_kill(a, pid);
            return vmb_error_set(err, VMB_ERR_RUN, 0, "fio: interrupted");
        }
        if (vmb_now_ns() >= deadline) {
            fio_kill(a, pid);
            autofree char *tail = fio_words(rt);
            char d[32];
            vmb_format_duration_us(timeout_us, d, sizeof(d));
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "fio did not finish within %s; output: %s", d,
                                 tail);
        }
        struct timespec ts = {0, (long)FIO_POLL_NS};
        nanosleep(&ts, NULL);
    }
    if (st.state == VMB_AGENT_SIGNALED) {
        autofree char *tail = fio_words(rt);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "fio was killed by signal %d; output: %s", st.code,
                             tail);
    }
    if (st.code != 0) {
        autofree char *tail = fio_words(rt);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "fio exited with status %d; output: %s", st.code,
                             tail);
    }
    /* 64 parts at most, each a request with its own answer. */
    if (vmb_agent_fetch_all(a, FIO_OUT_PATH, VMB_AGENT_FETCH_ALL_MAX,
                            4 * AGENT_TIMEOUT_US, json, len, err) < 0)
        return vmb_error_prefix(err, "fio's output");
    return 0;
}

static bool
vm_alive(struct vmb_runtime *rt, int node, char **why)
{
    struct vm_rt *v = rt->priv;
    struct vmb_agent *a = agent_of(rt, node);
    if (a == NULL || v->pid[node - 1] == 0) {
        *why = vmb_xstrdup("was not started");
        return false;
    }
    /* Node 2's share there goes with the ssh session that holds it. */
    if (node == 2 && v->hold != NULL && !vmb_remote_hold_alive(v->hold)) {
        *why = vmb_xstrdup("lost its shared directory on its host: the ssh "
                           "session that held it ended");
        return false;
    }
    struct vmb_agent_status *st = &v->last[node - 1];
    if (!v->exited[node - 1]) {
        vmb_autoerr struct vmb_error *e = NULL;
        if (vmb_agent_status(a, v->pid[node - 1], AGENT_TIMEOUT_US, st, &e) <
            0) {
            *why = vmb_xasprintf("cannot be asked about: %s", e->msg);
            return false;
        }
        if (st->state == VMB_AGENT_RUNNING)
            return true;
        v->exited[node - 1] = true;
    }
    if (st->state == VMB_AGENT_SIGNALED)
        *why = vmb_xasprintf("was killed by signal %d (%s)", st->code,
                             strsignal(st->code));
    else
        *why = vmb_xasprintf("exited with status %d", st->code);
    return false;
}

static char *
vm_db_log(struct vmb_runtime *rt, int node)
{
    struct vmb_agent *a = agent_of(rt, node);
    if (a == NULL)
        return NULL;
    char *data = NULL;
    size_t len = 0;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_agent_fetch(a, LOG_PATH, VMB_AGENT_FETCH_MAX, AGENT_TIMEOUT_US,
                        &data, &len, NULL, &e) < 0)
        return NULL;
    return data;
}

/*
 * QEMU's threads and helpers by class; the data disk as libvirt counts it
 * where the data lives on a block device (vdb, or the root disk vda for
 * local and tmpfs), else the host device of the shared directory; both
 * VMs' interfaces.
 */
static void
vm_sample(struct vmb_runtime *rt, struct vmb_sample *s)
{
    struct vm_rt *v = rt->priv;
    if (v == NULL || v->cell == NULL)
        return;
    struct vmb_cpu_split cpu = {0};
    bool cpu_ok = true, disk_ok = true, net_ok = true;
    double disk[4] = {0}, net[4] = {0};
    bool shared = false;
    for (int i = 0; i < nodes_of(rt); i++) {
        struct vmb_vm_node *n = vmb_vm_cell_node(v->cell, i);
        struct vmb_virt_domain *d = vmb_vm_cell_domain(v->cell, i);
        int pid = d ? vmb_virt_domain_pid(d) : -1;
        /* The daemon is vmbench's own: known by its pid. */
        int fsd = vmb_vm_cell_virtiofsd_pid(v->cell, i);
        if (pid <= 0 || vmb_cpu_read_qemu("/proc", pid, NULL, &cpu) < 0 ||
            (fsd > 0 && vmb_cpu_read_virtiofsd("/proc", fsd, &cpu) < 0))
            cpu_ok = false;
        struct vmb_virt_stats st;
        vmb_autoerr struct vmb_error *e = NULL;
        if (d == NULL || vmb_virt_domain_stats(d, &st, &e) < 0) {
            disk_ok = net_ok = false;
            continue;
        }
        const double node_net[4] = {
            (double)st.net_rx_bytes, (double)st.net_tx_bytes,
            (double)st.net_rx_packets, (double)st.net_tx_packets};
        for (int k = 0; k < 4; k++) {
            net[k] += node_net[k];
            s->v[VMB_CTR_NODE(i + 1, k)] = node_net[k];
        }
        const struct vmb_virt_disk_stats *ds = NULL;
        if (n->data_disk != NULL)
            ds = vmb_virt_stats_disk(&st, "vdb");
        else if (n->share_dir != NULL)
            shared = true;
        else
            ds = vmb_virt_stats_disk(&st, "vda");
        if (ds != NULL) {
            disk[0] += (double)ds->rd_bytes;
            disk[1] += (double)ds->wr_bytes;
            disk[2] += (double)ds->rd_reqs;
            disk[3] += (double)ds->wr_reqs;
        } else if (n->share_dir == NULL) {
            disk_ok = false;
        }
    }
    if (cpu_ok)
        for (int c = 0; c < VMB_CPU_NCLASS; c++) {
            s->v[c] = (double)cpu.us[c];
            s->have[c] = c != VMB_CPU_DB;
        }
    if (net_ok)
        for (int k = 0; k < 4; k++) {
            s->v[VMB_CTR_NET_RX_BYTES + k] = net[k];
            s->have[VMB_CTR_NET_RX_BYTES + k] = true;
            for (int i = 1; i <= nodes_of(rt); i++)
                s->have[VMB_CTR_NODE(i, k)] = true;
        }
    vmb_sample_host_disk("/proc", v->wd.path ? v->wd.path : rt->work_dir,
                         shared, s);
    if (!shared && disk_ok)
        for (int k = 0; k < 4; k++) {
            s->v[VMB_CTR_DISK_RD_BYTES + k] = disk[k];
            s->have[VMB_CTR_DISK_RD_BYTES + k] = true;
        }
}

static void
vm_memory(struct vmb_runtime *rt, struct vmb_mem_node out[2])
{
    struct vm_rt *v = rt->priv;
    for (int i = 0; i < 2; i++) {
        vmb_mem_node_init(&out[i]);
        if (i >= nodes_of(rt))
            continue;
        struct vmb_vm_node *n = vmb_vm_cell_node(v->cell, i);
        struct vmb_virt_domain *d = vmb_vm_cell_domain(v->cell, i);
        int pid = d ? vmb_virt_domain_pid(d) : -1;
        vmb_mem_read_process("/proc", pid, &out[i].rss, &out[i].pss);
        if (n->share_dir != NULL)
            vmb_mem_read_virtiofsd("/proc", n->domain, &out[i].helpers_rss,
                                   &out[i].helpers_pss);
        autofree char *text = NULL;
        size_t len = 0;
        vmb_autoerr struct vmb_error *e = NULL;
        if (n->agent != NULL &&
            vmb_agent_fetch(n->agent, "/proc/meminfo", 16384, MEMINFO_US, &text,
                            &len, NULL, &e) == 0)
            vmb_mem_parse_meminfo(text, &out[i]);
    }
}

static int
vm_probe(struct vmb_runtime *rt, const struct vmb_rawprobe_opts *o,
         struct vmb_rawprobe_result *r, struct vmb_error **err)
{
    struct vmb_agent *a = agent_of(rt, 1);
    if (a == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "probe: node 1 has no VM");
    if (vmb_agent_probe(a, o->each_us, o->file_bytes, r, err) < 0)
        return vmb_error_prefix(err, "node 1");
    return 0;
}

/* Node 2's agent connects to node 1's database port. */
static int
vm_rtt(struct vmb_runtime *rt, double *us, struct vmb_error **err)
{
    struct vmb_agent *a = agent_of(rt, 2);
    if (a == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "rtt: node 2 has no VM");
    double t[5];
    int n = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t c = 0;
        vmb_autoerr struct vmb_error *e = NULL;
        if (vmb_agent_tcpcheck(a, rt->nodes[0].host, rt->nodes[0].port, NULL,
                               AGENT_TIMEOUT_US, &c, NULL, &e) == 0)
            t[n++] = (double)c;
    }
    if (n == 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "node 2 could not connect to node 1 at %s:%d",
                             rt->nodes[0].host, rt->nodes[0].port);
    /* The median, by insertion sort of at most five. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    *us = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    return 0;
}

/* Both guests' counters summed, each request waiting up to timeout_us. */
static int
guest_counters(struct vmb_runtime *rt, uint64_t timeout_us,
               struct vmb_agent_counters *c, struct vmb_error **err)
{
    memset(c, 0, sizeof(*c));
    c->has_disk = true;
    for (int node = 1; node <= nodes_of(rt); node++) {
        struct vmb_agent *a = agent_of(rt, node);
        struct vmb_agent_counters one;
        if (a == NULL)
            return vmb_error_set(err, VMB_ERR_RUN, 0, "node %d: no VM", node);
        if (vmb_agent_counters(a, timeout_us, &one, err) < 0)
            return vmb_error_prefix(err, "node %d", node);
        c->cpus =
            node == 1 || (c->cpus > 0 && one.cpus > 0) ? c->cpus + one.cpus : 0;
        c->user_s += one.user_s;
        c->system_s += one.system_s;
        c->idle_s += one.idle_s;
        c->iowait_s += one.iowait_s;
        c->steal_s += one.steal_s;
        c->has_disk &= one.has_disk;
        c->disk_read_ops += one.disk_read_ops;
        c->disk_read_bytes += one.disk_read_bytes;
        c->disk_write_ops += one.disk_write_ops;
        c->disk_write_bytes += one.disk_write_bytes;
    }
    return 0;
}

/*
 * The guests' counters into the sample s (the guests' sampling thread,
 * once a second): a guest that does not answer within a second leaves
 * them out of this sample.
 */
static void
vm_sample_guest(struct vmb_runtime *rt, struct vmb_sample *s)
{
    struct vmb_agent_counters c;
    vmb_autoerr struct vmb_error *err = NULL;
    if (guest_counters(rt, 1000000, &c, &err) < 0)
        return;
    const double v[] = {c.user_s, c.system_s, c.iowait_s, c.steal_s, c.idle_s};
    for (int k = 0; k < 5; k++) {
        s->v[VMB_CTR_GUEST_USER_S + k] = v[k];
        s->have[VMB_CTR_GUEST_USER_S + k] = true;
    }
    if (c.cpus > 0) {
        s->v[VMB_CTR_GUEST_CPUS] = c.cpus;
        s->have[VMB_CTR_GUEST_CPUS] = true;
    }
    if (c.has_disk) {
        const uint64_t d[] = {c.disk_read_ops, c.disk_read_bytes,
                              c.disk_write_ops, c.disk_write_bytes};
        for (int k = 0; k < 4; k++) {
            s->v[VMB_CTR_GUEST_DISK_RD_OPS + k] = (double)d[k];
            s->have[VMB_CTR_GUEST_DISK_RD_OPS + k] = true;
        }
    }
}

static void
vm_window_begin(struct vmb_runtime *rt)
{
    struct vm_rt *v = rt->priv;
    if (v != NULL && v->cell != NULL)
        vmb_vm_cell_window_begin(v->cell);
}

static void
vm_window_end(struct vmb_runtime *rt)
{
    struct vm_rt *v = rt->priv;
    if (v != NULL && v->cell != NULL)
        vmb_vm_cell_window_end(v->cell);
}

/* Seconds from node's domain start to host time t_ns, via its hello. */
static double
since_domain_start(struct vmb_vm_node *n, uint64_t t_ns)
{
    const struct vmb_agent_hello *h =
        n->agent ? vmb_agent_hello_info(n->agent) : NULL;
    if (h == NULL || t_ns == 0 || n->boot.agent_s < 0)
        return -1;
    return n->boot.agent_s + ((double)t_ns - (double)h->host_ns) / 1e9;
}

static void
vm_record(struct vmb_runtime *rt, struct vmb_runtime_record *out)
{
    struct vm_rt *v = rt->priv;
    *out = (struct vmb_runtime_record){.has_boot = true};
    if (v == NULL || v->cell == NULL)
        return;
    out->booted = out->measured = true;
    out->agent_transport = vmb_agent_transport_name(v->transport);
    out->nnodes = nodes_of(rt);
    for (int i = 0; i < nodes_of(rt); i++) {
        struct vmb_vm_node *n = vmb_vm_cell_node(v->cell, i);
        out->boot[i] = (struct vmb_rt_boot){
            .domain_start_s = n->boot.domain_start_s,
            .kernel_s = n->boot.kernel_s,
            .agent_s = n->boot.agent_s,
            .mounts_s = n->boot.mounts_s,
            .db_ready_s = since_domain_start(n, rt->db_ready_ns[i]),
        };
        struct vmb_virt_stats d;
        if (!vmb_vm_cell_window(v->cell, i, &d))
            continue;
        out->window[i] = (struct vmb_rt_window){
            .kind = VMB_RT_WINDOW_VM,
            .window_s = (double)d.at_ns / 1e9,
            .vcpu_time_s = (double)d.vcpu_time_ns / 1e9,
            .process_cpu_s = (double)d.process_cpu_ns / 1e9,
            .block_rd_bytes = d.block_rd_bytes,
            .block_wr_bytes = d.block_wr_bytes,
            .block_rd_reqs = d.block_rd_reqs,
            .block_wr_reqs = d.block_wr_reqs,
            .net_rx_bytes = d.net_rx_bytes,
            .net_tx_bytes = d.net_tx_bytes,
        };
    }
    out->replica_sync_s =
        since_domain_start(vmb_vm_cell_node(v->cell, 1), rt->sync_ns);
    for (int i = 0; i < nodes_of(rt); i++) {
        struct vmb_vm_host h;
        if (!vmb_vm_cell_host(v->cell, i, &h))
            break;
        out->has_hosts = true;
        out->hosts[i] =
            (struct vmb_rt_vm_host){h.uri, h.hostname, h.libvirt, h.qemu};
    }
}

static void
vm_stop_db(struct vmb_runtime *rt)
{
    struct vm_rt *v = rt->priv;
    if (v == NULL || v->cell == NULL)
        return;
    for (int node = nodes_of(rt); node >= 1; node--) {
        struct vmb_agent *a = agent_of(rt, node);
        if (a == NULL || v->pid[node - 1] == 0)
            continue;
        /* As on bare metal: the driver's clean stop, asked each second
         * (Redis may ignore a TERM while writing its first AOF), then
         * KILL after its grace period. */
        int sig = v->drv ? v->drv->stop_signal : SIGTERM;
        int tries = 10 * (v->drv ? v->drv->stop_grace_s : 10);
        for (int i = 0; i < tries; i++) {
            char *why = NULL;
            bool alive = vm_alive(rt, node, &why);
            free(why);
            if (!alive)
                break;
            vmb_autoerr struct vmb_error *e = NULL;
            if (i % 10 == 0)
                vmb_agent_kill(a, v->pid[node - 1],
                               i < tries - 10 ? sig : SIGKILL, AGENT_TIMEOUT_US,
                               &e);
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

/* Keeps console logs a failed boot left in the work directory. */
static int
keep_console_logs(struct vmb_runtime *rt, const char *dir,
                  struct vmb_error **err)
{
    struct vm_rt *v = rt->priv;
    const char *wd = v && v->wd.path ? v->wd.path : rt->work_dir;
    for (int i = 1; i <= 2; i++) {
        autofree char *cmd = vmb_xasprintf(
            "find '%s' -name '*node%d*console*' -type f 2>/dev/null", wd, i);
        FILE *p = popen(cmd, "r");
        char line[4096];
        if (p == NULL)
            continue;
        if (fgets(line, sizeof(line), p) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            autofree char *data = NULL;
            size_t len = 0;
            vmb_autoerr struct vmb_error *e = NULL;
            if (vmb_read_file(line, &data, &len, &e) == 0) {
                autofree char *to =
                    vmb_xasprintf("%s/node%d.console.log", dir, i);
                if (vmb_write_file_atomic(to, data, len, err) < 0) {
                    pclose(p);
                    return -1;
                }
            }
        }
        pclose(p);
    }
    return 0;
}

static int
vm_collect(struct vmb_runtime *rt, const char *dir, struct vmb_error **err)
{
    struct vm_rt *v = rt->priv;
    if (v == NULL || v->cell == NULL)
        return keep_console_logs(rt, dir, err);
    for (int i = 1; i <= nodes_of(rt); i++) {
        /* Where the guest really had its data: its mount table. */
        autofree char *mounts = NULL;
        size_t mlen = 0;
        vmb_autoerr struct vmb_error *me = NULL;
        struct vmb_agent *a = agent_of(rt, i);
        if (a != NULL && vmb_agent_fetch(a, "/proc/mounts", 65536, MEMINFO_US,
                                         &mounts, &mlen, NULL, &me) == 0) {
            autofree char *to = vmb_xasprintf("%s/node%d.mounts", dir, i);
            if (vmb_write_file_atomic(to, mounts, mlen, err) < 0)
                return -1;
        }
        autofree char *log = vm_db_log(rt, i);
        if (log != NULL) {
            autofree char *to = vmb_xasprintf("%s/node%d.db.log", dir, i);
            if (vmb_write_file_atomic(to, log, strlen(log), err) < 0)
                return -1;
        }
        if (v->init_out[i - 1] != NULL) {
            autofree char *to = vmb_xasprintf("%s/node%d.init.log", dir, i);
            const char *o = v->init_out[i - 1];
            if (vmb_write_file_atomic(to, o, strlen(o), err) < 0)
                return -1;
        }
        if (v->conf[i - 1] != NULL) {
            autofree char *to = vmb_xasprintf(
                "%s/node%d.%s", dir, i, v->drv ? v->drv->conf_name : "db.conf");
            if (vmb_write_file_atomic(to, v->conf[i - 1],
                                      strlen(v->conf[i - 1]), err) < 0)
                return -1;
        }
    }
    if (vmb_vm_cell_save(v->cell, dir, err) < 0)
        return vmb_error_prefix(err, "keep the VM artefacts");
    return 0;
}

static void
vm_down(struct vmb_runtime *rt)
{
    struct vm_rt *v = rt->priv;
    if (v == NULL || v->cell == NULL)
        return;
    vmb_autoerr struct vmb_error *e = NULL;
    if (vmb_vm_cell_teardown(v->cell, NULL, &e) < 0)
        vmb_note(rt->notes, "teardown of %s rep %d: %s", rt->cell_id, rt->rep,
                 e->msg);
    v->cell = NULL;
    share_there_release(rt, v);
}

static void
vm_free(struct vmb_runtime *rt)
{
    struct vm_rt *v = rt->priv;
    if (v == NULL)
        return;
    free(v->conf[0]);
    free(v->conf[1]);
    free(v->init_out[0]);
    free(v->init_out[1]);
    share_there_release(rt, v);
    vmb_vm_workdir_free(&v->wd);
    free(v);
    rt->priv = NULL;
}

const struct vmb_runtime_ops vmb_runtime_vm = {
    .name = "vm",
    .env_open = vm_env_open,
    .env_info = vm_env_info,
    .env_close = vm_env_close,
    .up = vm_up,
    .start_db = vm_start_db,
    .alive = vm_alive,
    .db_log = vm_db_log,
    .sample = vm_sample,
    .sample_guest = vm_sample_guest,
    .probe = vm_probe,
    .rtt = vm_rtt,
    .run_fio = vm_run_fio,
    .memory = vm_memory,
    .window_begin = vm_window_begin,
    .window_end = vm_window_end,
    .record = vm_record,
    .stop_db = vm_stop_db,
    .collect = vm_collect,
    .down = vm_down,
    .free_priv = vm_free,
};
