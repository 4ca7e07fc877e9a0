/*
 * The container root image and each storage backend, in a real VM (QEMU
 * under TCG, no NIC): the cached image boots as the container root
 * through a per-VM overlay, Redis from it serves inside the guest, and
 * the data directory is where the storage option says: the agent reports
 * the file system, and a file written there shows up on the host side
 * (the 9p or virtio-fs directory, the virtio-blk volume) or, for local, in the
 * overlay and not in the shared base.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/util.h"
#include "guest_qemu.h"
#include "runtime/runtime.h"
#include "vm/agent.h"
#include "vm/image.h"

#define BOOT_TIMEOUT_US (180ull * 1000000)
#define REQ_TIMEOUT_US (30ull * 1000000)

static struct vmb_image base;

static void
image_setup(void)
{
    struct vmb_image_opts opts = {
        .packages = vmb_runtime_image_packages(VMB_ENGINE_REDIS)};
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_ensure(&opts, &base, &err), 0, "%s",
                 err ? err->msg : "");
}

static void
image_teardown(void)
{
    vmb_image_clear(&base);
}

struct booted {
    struct guest_vm vm;
    struct vmb_agent *agent;
    char *overlay;
};

static void
boot(struct booted *b, const char *storage, const char *extra_cmdline,
     const char *const *more_devices)
{
    struct vmb_error *err = NULL;
    char dir[] = "/tmp/vmb-storage-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    b->overlay = vmb_xasprintf("%s/root.qcow2", dir);
    cr_assert_eq(vmb_image_overlay_create(base.path, b->overlay, &err), 0, "%s",
                 err ? err->msg : "");
    char *root =
        vmb_xasprintf("file=%s,format=qcow2,if=none,id=root", b->overlay);
    const char *devices[16] = {"-drive", root, "-device",
                               "virtio-blk-pci,drive=root,"
                               "serial=" VMB_AGENT_ROOT_SERIAL};
    size_t n = 4;
    for (size_t i = 0; more_devices && more_devices[i]; i++)
        devices[n++] = more_devices[i];
    devices[n] = NULL;
    char *cmdline =
        vmb_xasprintf(VMB_AGENT_ARG_NAME "node1 " VMB_AGENT_ARG_STORAGE "%s %s",
                      storage, extra_cmdline ? extra_cmdline : "");
    guest_vm_start(&b->vm, 1, 512, cmdline, devices);
    free(cmdline);
    free(root);
    if (vmb_agent_connect(b->vm.sock, BOOT_TIMEOUT_US, &b->agent, &err) < 0)
        cr_assert_fail("%s\nconsole:\n%s", err->msg, guest_vm_console(&b->vm));
    const struct vmb_agent_hello *h = vmb_agent_hello_info(b->agent);
    cr_assert_null(h->boot_error, "boot error: %s\nconsole:\n%s", h->boot_error,
                   guest_vm_console(&b->vm));
}

static void
facts(struct booted *b, struct vmb_agent_facts *f)
{
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_facts(b->agent, REQ_TIMEOUT_US, f, &err), 0, "%s",
                 err ? err->msg : "");
}

/* Redis from the image serves inside the guest, its data in /data. */
static void
redis_serves(struct booted *b)
{
    struct vmb_error *err = NULL;
    const char *argv[] = {"redis-server", "--port", "6379", "--dir",
                          "/data",        "--save", "",     "--appendonly",
                          "no",           NULL};
    struct vmb_agent_proc p = {.argv = argv, .log_path = "/tmp/redis.log"};
    int pid = 0;
    cr_assert_eq(vmb_agent_spawn(b->agent, &p, REQ_TIMEOUT_US, &pid, &err), 0,
                 "%s", err ? err->msg : "");
    char *reply = NULL;
    int tries = 0;
    while (vmb_agent_tcpcheck(b->agent, "127.0.0.1", 6379, "PING\r\n", 3000000,
                              NULL, &reply, &err) < 0) {
        cr_assert_lt(++tries, 40, "redis never listened: %s", err->msg);
        vmb_error_freep(&err);
        usleep(250000);
    }
    cr_assert_str_eq(reply, "+PONG\r\n");
    free(reply);

    const char *set[] = {"redis-cli", "SET", "k", "v", NULL};
    const char *save[] = {"redis-cli", "SAVE", NULL};
    struct vmb_agent_exec_result r;
    p = (struct vmb_agent_proc){.argv = set};
    cr_assert_eq(
        vmb_agent_exec(b->agent, &p, 20000000, REQ_TIMEOUT_US, &r, &err), 0,
        "%s", err ? err->msg : "");
    cr_assert_str_eq(r.output, "OK\n");
    free(r.output);
    p.argv = save;
    cr_assert_eq(
        vmb_agent_exec(b->agent, &p, 20000000, REQ_TIMEOUT_US, &r, &err), 0);
    cr_assert_str_eq(r.output, "OK\n");
    free(r.output);
    struct vmb_agent_status st;
    cr_assert_eq(vmb_agent_status(b->agent, pid, REQ_TIMEOUT_US, &st, &err), 0);
    cr_assert_eq(st.state, VMB_AGENT_RUNNING);

    /* Stopped on request: Redis exits cleanly on TERM. */
    cr_assert_eq(vmb_agent_kill(b->agent, pid, SIGTERM, REQ_TIMEOUT_US, &err),
                 0, "%s", err ? err->msg : "");
    for (int i = 0; i < 100 && st.state == VMB_AGENT_RUNNING; i++) {
        usleep(100000);
        cr_assert_eq(vmb_agent_status(b->agent, pid, REQ_TIMEOUT_US, &st, &err),
                     0);
    }
    cr_assert_eq(st.state, VMB_AGENT_EXITED);
    cr_assert_eq(st.code, 0);
}

static void
power_off(struct booted *b)
{
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_shutdown(b->agent, REQ_TIMEOUT_US, &err), 0);
    vmb_agent_free(b->agent);
    b->agent = NULL;
    cr_assert(guest_vm_wait_exit(&b->vm, 60), "QEMU still runs after "
                                              "shutdown");
}

static void
cleanup(struct booted *b)
{
    vmb_agent_free(b->agent);
    guest_vm_stop(&b->vm);
    char *dir = vmb_xstrdup(b->overlay);
    *strrchr(dir, '/') = '\0';
    struct vmb_error *err = NULL;
    vmb_rm_rf(dir, &err);
    free(dir);
    free(b->overlay);
}

/* What debugfs lists in an ext4 image's root directory. */
static char *
ext4_ls(const char *image)
{
    const char *argv[] = {"debugfs", "-R", "ls -l /", image, NULL};
    char *out = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_capture_run(argv, &out, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    return out;
}

TestSuite(guest_storage, .init = image_setup, .fini = image_teardown,
          .timeout = 600);

Test(guest_storage, local_lives_in_the_overlay)
{
    struct booted b;
    boot(&b, "local", NULL, NULL);
    struct vmb_agent_facts f;
    facts(&b, &f);
    cr_assert_str_eq(f.storage, "local");
    cr_assert_str_eq(f.data_fstype, "ext4");
    cr_assert_str_eq(f.data_source, "/dev/vda");
    vmb_agent_facts_clear(&f);
    redis_serves(&b);
    /* The container sees the image's own files. */
    char *hosts = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_agent_fetch(b.agent, "/etc/hosts", 4096, REQ_TIMEOUT_US,
                                 &hosts, NULL, NULL, &err),
                 0);
    cr_assert(strstr(hosts, "localhost"));
    free(hosts);
    /* A program that overruns its time is killed and says so. */
    const char *slow[] = {"sleep", "30", NULL};
    struct vmb_agent_proc p = {.argv = slow};
    struct vmb_agent_exec_result r;
    cr_assert_eq(vmb_agent_exec(b.agent, &p, 1000000, REQ_TIMEOUT_US, &r, &err),
                 0, "%s", err ? err->msg : "");
    cr_assert_eq(r.status.state, VMB_AGENT_TIMEOUT);
    free(r.output);
    power_off(&b);
    /* Written to the overlay, the base untouched. */
    struct stat st;
    cr_assert_eq(stat(b.overlay, &st), 0);
    cr_assert_gt(st.st_size, 256 * 1024, "overlay holds no writes");
    cleanup(&b);
}

Test(guest_storage, virtio_blk_volume_holds_the_data)
{
    char dir[] = "/tmp/vmb-vol-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *vol = vmb_xasprintf("%s/data.raw", dir);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_image_data_volume_create(vol, 256ull << 20, &err), 0, "%s",
                 err ? err->msg : "");
    char *drive = vmb_xasprintf("file=%s,format=raw,if=none,id=data", vol);
    const char *devices[] = {"-drive", drive, "-device",
                             "virtio-blk-pci,drive=data,"
                             "serial=" VMB_AGENT_DATA_SERIAL,
                             NULL};
    struct booted b;
    boot(&b, "virtio-blk", NULL, devices);
    struct vmb_agent_facts f;
    facts(&b, &f);
    cr_assert_str_eq(f.data_fstype, "ext4");
    cr_assert_str_eq(f.data_source, "/dev/vdb");
    vmb_agent_facts_clear(&f);
    redis_serves(&b);
    power_off(&b);
    char *ls = ext4_ls(vol);
    cr_assert(strstr(ls, "dump.rdb"), "volume root:\n%s", ls);
    free(ls);
    cleanup(&b);
    vmb_rm_rf(dir, &err);
    free(drive);
    free(vol);
}

Test(guest_storage, ninep_shares_the_host_directory)
{
    char dir[] = "/tmp/vmb-9p-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *fs = vmb_xasprintf("local,path=%s,mount_tag=" VMB_AGENT_FS_TAG ","
                             "security_model=none",
                             dir);
    const char *devices[] = {"-virtfs", fs, NULL};
    struct booted b;
    boot(&b, "9p", VMB_AGENT_ARG_MSIZE "262144", devices);
    struct vmb_agent_facts f;
    facts(&b, &f);
    cr_assert_str_eq(f.data_fstype, "9p");
    cr_assert_str_eq(f.data_source, "vmbdata");
    vmb_agent_facts_clear(&f);
    redis_serves(&b);
    char *dump = vmb_xasprintf("%s/dump.rdb", dir);
    struct stat st;
    cr_assert_eq(stat(dump, &st), 0, "no dump.rdb in the host directory");
    cr_assert_gt(st.st_size, 0);
    power_off(&b);
    cleanup(&b);
    struct vmb_error *err = NULL;
    vmb_rm_rf(dir, &err);
    free(dump);
    free(fs);
}

Test(guest_storage, tmpfs_is_in_guest_memory)
{
    struct booted b;
    boot(&b, "tmpfs", VMB_AGENT_ARG_TMPFS_SIZE "67108864", NULL);
    struct vmb_agent_facts f;
    facts(&b, &f);
    cr_assert_str_eq(f.data_fstype, "tmpfs");
    vmb_agent_facts_clear(&f);
    /* The size asked for is the size the guest got. */
    const char *argv[] = {"cat", "/proc/mounts", NULL};
    struct vmb_agent_proc p = {.argv = argv};
    struct vmb_agent_exec_result r;
    struct vmb_error *err = NULL;
    cr_assert_eq(
        vmb_agent_exec(b.agent, &p, 10000000, REQ_TIMEOUT_US, &r, &err), 0,
        "%s", err ? err->msg : "");
    cr_assert(strstr(r.output, "tmpfs /data tmpfs rw,relatime,size=65536k"),
              "mounts:\n%s", r.output);
    free(r.output);
    redis_serves(&b);
    power_off(&b);
    cleanup(&b);
}

/* virtiofsd serving dir on sock, until the test ends. */
static pid_t
virtiofsd_start(const char *sock, const char *dir)
{
    char *src = vmb_xasprintf("source=%s", dir);
    char *path = vmb_xasprintf("--socket-path=%s", sock);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        execl("/usr/lib/qemu/virtiofsd", "virtiofsd", path, "-o", src, "-o",
              "cache=auto", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && access(sock, F_OK) != 0; i++)
        usleep(50000);
    cr_assert_eq(access(sock, F_OK), 0, "virtiofsd made no socket");
    free(src);
    free(path);
    return pid;
}

Test(guest_storage, virtio_fs_shares_the_host_directory)
{
    char dir[] = "/tmp/vmb-vfs-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *shared = vmb_xasprintf("%s/shared", dir);
    char *sock = vmb_xasprintf("%s/vfs.sock", dir);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_mkdir_p(shared, &err), 0);
    pid_t vfsd = virtiofsd_start(sock, shared);
    char *chardev = vmb_xasprintf("socket,id=vfs,path=%s", sock);
    /* vhost-user needs guest memory QEMU can share with virtiofsd. */
    const char *devices[] = {
        "-object",  "memory-backend-memfd,id=mem,size=512M,share=on",
        "-numa",    "node,memdev=mem",
        "-chardev", chardev,
        "-device",  "vhost-user-fs-pci,chardev=vfs,tag=" VMB_AGENT_FS_TAG,
        NULL,
    };
    struct booted b;
    boot(&b, "virtio-fs", NULL, devices);
    struct vmb_agent_facts f;
    facts(&b, &f);
    cr_assert_str_eq(f.data_fstype, "virtiofs");
    cr_assert_str_eq(f.data_source, "vmbdata");
    vmb_agent_facts_clear(&f);
    redis_serves(&b);
    char *dump = vmb_xasprintf("%s/dump.rdb", shared);
    struct stat st;
    cr_assert_eq(stat(dump, &st), 0, "no dump.rdb in the host directory");
    cr_assert_gt(st.st_size, 0);
    power_off(&b);
    cleanup(&b);
    kill(vfsd, SIGTERM);
    waitpid(vfsd, NULL, 0);
    vmb_rm_rf(dir, &err);
    free(dump);
    free(chardev);
    free(sock);
    free(shared);
}
