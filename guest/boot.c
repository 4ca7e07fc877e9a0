/*
 * Booting the guest as the kernel command line says: modules, network,
 * the container root and data directory; and, at the end, powering off.
 * A failure does not stop the boot: the first one is kept and the hello
 * reports it, so the host can say what went wrong.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define DEVICE_WAIT_US 10000000

struct vmb_guest_state vmb_guest = {.msize = 512 * 1024};

void
vmb_guest_boot_fail(const char *fmt, ...)
{
    char buf[sizeof(vmb_guest.boot_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    vmb_guest_say("%s", buf);
    if (!vmb_guest.boot_error[0])
        snprintf(vmb_guest.boot_error, sizeof(vmb_guest.boot_error), "%s", buf);
}

/* The value of the command line word w when it is key (with its '=')
 * followed by the value, else NULL. */
static const char *
arg_value(const char *w, const char *key)
{
    size_t n = strlen(key);
    return strncmp(w, key, n) == 0 ? w + n : NULL;
}

void
vmb_guest_parse_cmdline(void)
{
    char buf[4096];
    if (vmb_guest_read_small("/proc/cmdline", buf, sizeof(buf)) < 0) {
        vmb_guest_boot_fail("read /proc/cmdline: %s", strerror(errno));
        return;
    }
    struct vmb_guest_state *g = &vmb_guest;
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w;
         w = strtok_r(NULL, " ", &save)) {
        const char *v;
        if ((v = arg_value(w, VMB_AGENT_ARG_NAME)) != NULL)
            snprintf(g->name, sizeof(g->name), "%s", v);
        else if ((v = arg_value(w, VMB_AGENT_ARG_IP)) != NULL)
            snprintf(g->ip, sizeof(g->ip), "%s", v);
        else if ((v = arg_value(w, VMB_AGENT_ARG_GW)) != NULL)
            snprintf(g->gw, sizeof(g->gw), "%s", v);
        else if ((v = arg_value(w, VMB_AGENT_ARG_STORAGE)) != NULL)
            snprintf(g->storage, sizeof(g->storage), "%s", v);
        else if ((v = arg_value(w, VMB_AGENT_ARG_MSIZE)) != NULL)
            g->msize = strtoull(v, NULL, 10);
        else if ((v = arg_value(w, VMB_AGENT_ARG_TMPFS_SIZE)) != NULL)
            g->tmpfs_size = strtoull(v, NULL, 10);
        else if ((v = arg_value(w, VMB_AGENT_ARG_FS_CACHE)) != NULL)
            snprintf(g->fs_cache, sizeof(g->fs_cache), "%s", v);
        else if ((v = arg_value(w, VMB_AGENT_ARG_ROOT)) != NULL)
            snprintf(g->root, sizeof(g->root), "%s", v);
        else if ((v = arg_value(w, VMB_AGENT_ARG_TRANSPORT)) != NULL)
            snprintf(g->agent, sizeof(g->agent), "%s", v);
    }
    if (g->agent[0] && strcmp(g->agent, "vsock") != 0 &&
        strcmp(g->agent, "virtio-serial") != 0)
        vmb_guest_boot_fail("unknown agent transport \"%s\" on the kernel "
                            "command line",
                            g->agent);
    if (g->root[0] && strcmp(g->root, "9p") != 0 &&
        strcmp(g->root, "virtio-fs") != 0)
        vmb_guest_boot_fail("unknown container root \"%s\" on the kernel "
                            "command line",
                            g->root);
    const char *known[] = {"",           "9p",    "virtio-fs",
                           "virtio-blk", "local", "tmpfs"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(g->storage, known[i]) == 0)
            return;
    vmb_guest_boot_fail("unknown storage \"%s\" on the kernel command line",
                        g->storage);
}

void
vmb_guest_mount_or_fail(const char *src, const char *dst, const char *type,
                        unsigned long flags, const char *opts)
{
    mkdir(dst, 0755);
    if (mount(src, dst, type, flags, opts) < 0)
        vmb_guest_boot_fail("mount %s \"%s\" on \"%s\": %s", type, src, dst,
                            strerror(errno));
}

/* Whether the kernel command line word w (PREFIX.param=value) is a
 * parameter of module mod; '-' and '_' are one in a module's name. */
static bool
module_word(const char *w, const char *mod)
{
    const char *dot = strchr(w, '.');
    if (dot == NULL || dot[1] == '\0' || (size_t)(dot - w) != strlen(mod))
        return false;
    for (size_t i = 0; w + i < dot; i++) {
        char a = w[i] == '-' ? '_' : w[i], b = mod[i] == '-' ? '_' : mod[i];
        if (a != b)
            return false;
    }
    return true;
}

/*
 * The parameters of module mod on the kernel command line
 * ("scsi_mod.scan=none" gives scsi_mod "scan=none"), as modprobe hands
 * them to a module it loads: the kernel applies them only to what is
 * built in. False when they do not fit in out.
 */
static bool
module_params(const char *cmdline, const char *mod, char *out, size_t len)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", cmdline);
    out[0] = '\0';
    size_t used = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, " \t\n", &save); w;
         w = strtok_r(NULL, " \t\n", &save)) {
        if (!module_word(w, mod))
            continue;
        int n = snprintf(out + used, len - used, "%s%s", used ? " " : "",
                         strchr(w, '.') + 1);
        if (n < 0 || (size_t)n >= len - used)
            return false;
        used += (size_t)n;
    }
    return true;
}

/* "/lib/modules/scsi_mod.ko" -> "scsi_mod" */
static void
module_name(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    if (n >= len)
        n = len - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

/*
 * VMB_AGENT_MODULES_LIST lines are "GROUP req|opt PATH" in load order
 * (dependencies first), written by the host's initramfs builder. "base"
 * is always loaded, the group named like the storage or the container
 * root's filesystem only for those, "vsock" only when the agent answers
 * on vsock; "opt" lines are soft dependencies that may
 * fail (crc32c-intel on a CPU without SSE4.2).
 */
void
vmb_guest_load_modules(void)
{
    FILE *f = fopen(VMB_AGENT_MODULES_LIST, "re");
    if (!f)
        return; /* a kernel with everything built in */
    char cmdline[4096];
    if (vmb_guest_read_small("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
        cmdline[0] = '\0';
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char group[32], kind[8], path[400];
        if (sscanf(line, "%31s %7s %399s", group, kind, path) != 3)
            continue;
        if (strcmp(group, "base") != 0 &&
            strcmp(group, vmb_guest.storage) != 0 &&
            strcmp(group, vmb_guest.root) != 0 &&
            strcmp(group, vmb_guest.agent) != 0)
            continue;
        char name[64], params[512];
        module_name(path, name, sizeof(name));
        if (!module_params(cmdline, name, params, sizeof(params))) {
            vmb_guest_boot_fail("the parameters of module \"%s\" on the "
                                "kernel command line are too long",
                                name);
            continue;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            vmb_guest_boot_fail("open module \"%s\": %s", path,
                                strerror(errno));
            continue;
        }
        if (syscall(SYS_finit_module, fd, params, 0) < 0 && errno != EEXIST &&
            strcmp(kind, "opt") != 0)
            vmb_guest_boot_fail("load module \"%s\": %s", path,
                                strerror(errno));
        close(fd);
    }
    fclose(f);
}

/* Polls until check() succeeds or DEVICE_WAIT_US passed. */
static bool
wait_for(bool (*check)(const char *arg, char *out, size_t len), const char *arg,
         char *out, size_t len)
{
    uint64_t deadline = vmb_guest_mono_us() + DEVICE_WAIT_US;
    for (;;) {
        if (check(arg, out, len))
            return true;
        if (vmb_guest_mono_us() > deadline)
            return false;
        vmb_guest_sleep_us(2000);
    }
}

/*
 * The serial of a SCSI disk: VPD page 0x80 (unit serial number), a 4-byte
 * header then the serial, padded with spaces.
 */
static bool
scsi_serial(const char *disk, char *out, size_t len)
{
    char p[300];
    snprintf(p, sizeof(p), "/sys/block/%s/device/vpd_pg80", disk);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    unsigned char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n < 4)
        return false;
    size_t plen = ((size_t)buf[2] << 8) | buf[3];
    if (plen > (size_t)n - 4)
        plen = (size_t)n - 4;
    while (plen > 0 && buf[4 + plen - 1] == ' ')
        plen--;
    if (plen >= len)
        return false;
    memcpy(out, buf + 4, plen);
    out[plen] = '\0';
    return true;
}

/*
 * Finds the /dev/vdX (virtio-blk) or /dev/sdX (virtio-scsi) whose serial
 * is `serial`, once it opens. A disk's sysfs directory and serial appear
 * before its driver has attached it: sd prints "Attached SCSI disk" after
 * them, and a mount in between fails with ENXIO. Until then it is not
 * found, and the caller's deadline applies.
 */
static bool
find_disk(const char *serial, char *out, size_t len)
{
    DIR *d = opendir("/sys/block");
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        char p[300], s[128];
        bool ok = false;
        if (strncmp(e->d_name, "vd", 2) == 0) {
            snprintf(p, sizeof(p), "/sys/block/%s/serial", e->d_name);
            ok = vmb_guest_read_small(p, s, sizeof(s)) >= 0;
        } else if (strncmp(e->d_name, "sd", 2) == 0) {
            ok = scsi_serial(e->d_name, s, sizeof(s));
        }
        if (ok && strcmp(s, serial) == 0) {
            snprintf(p, sizeof(p), "/dev/%s", e->d_name);
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                close(fd);
                snprintf(out, len, "%s", p);
                found = true;
            }
        }
    }
    closedir(d);
    return found;
}

/*
 * With scsi_mod.scan=none no SCSI host scans its bus by itself: as Kata's
 * agent does for a volume, ask each virtio-scsi host for the data disk's
 * address on channel 0 ("0 TARGET LUN" into its scan file). The disk appears
 * when sd has probed it, which find_disk waits for. False, with the reason in
 * why, when a host refuses the scan.
 */
static bool
scan_scsi_hosts(char *why, size_t len)
{
    DIR *d = opendir("/sys/class/scsi_host");
    if (!d)
        return true; /* no SCSI host: the disk is on virtio-blk */
    char req[32];
    snprintf(req, sizeof(req), "0 %d %d", VMB_AGENT_DATA_SCSI_TARGET,
             VMB_AGENT_DATA_SCSI_LUN);
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        /* Only virtio-scsi's hosts, as Kata's agent scans only the host of
         * its volume: an AHCI host would reset its ports for nothing. */
        char p[300], proc[32];
        snprintf(p, sizeof(p), "/sys/class/scsi_host/%s/proc_name", e->d_name);
        if (vmb_guest_read_small(p, proc, sizeof(proc)) < 0 ||
            strcmp(proc, "virtio_scsi") != 0)
            continue;
        snprintf(p, sizeof(p), "/sys/class/scsi_host/%s/scan", e->d_name);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : write(fd, req, strlen(req));
        if (n != (ssize_t)strlen(req)) {
            snprintf(why, len, "scan \"%s\" for \"%s\": %s", p, req,
                     strerror(n < 0 ? errno : EIO));
            ok = false;
        }
        if (fd >= 0)
            close(fd);
    }
    closedir(d);
    return ok;
}

static bool
find_port(const char *name, char *out, size_t len)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[300], s[128];
        snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name", e->d_name);
        if (vmb_guest_read_small(p, s, sizeof(s)) >= 0 &&
            strcmp(s, name) == 0) {
            snprintf(out, len, "/dev/%s", e->d_name);
            found = access(out, R_OK | W_OK) == 0;
        }
    }
    closedir(d);
    return found;
}

bool
vmb_guest_find_channel(const char *name, char *out, size_t len)
{
    return wait_for(find_port, name, out, len);
}

static bool
netdev_exists(const char *name, char *out, size_t len)
{
    (void)out; /* a wait_for probe; a network device has no path to give */
    (void)len;
    char p[128];
    snprintf(p, sizeof(p), "/sys/class/net/%s", name);
    return access(p, F_OK) == 0;
}

static int
if_up(int s, const char *dev, const char *addr, int prefix)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
    if (addr) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
        sin->sin_family = AF_INET;
        if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
            errno = EINVAL;
            return -1;
        }
        if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
            return -1;
        sin->sin_addr.s_addr = htonl(prefix ? 0xffffffffu << (32 - prefix) : 0);
        if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
            return -1;
    }
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(s, SIOCSIFFLAGS, &ifr);
}

/* The default route through gw, on eth0. */
static int
default_route(int s, const char *gw)
{
    struct rtentry rt;
    memset(&rt, 0, sizeof(rt));
    struct sockaddr_in *sin = (struct sockaddr_in *)&rt.rt_gateway;
    sin->sin_family = AF_INET;
    if (inet_pton(AF_INET, gw, &sin->sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    ((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
    ((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = (char *)"eth0";
    return ioctl(s, SIOCADDRT, &rt);
}

void
vmb_guest_setup_network(void)
{
    const char *ip = vmb_guest.ip;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        vmb_guest_boot_fail("socket: %s", strerror(errno));
        return;
    }
    if (if_up(s, "lo", NULL, 0) < 0)
        vmb_guest_boot_fail("bring up \"lo\": %s", strerror(errno));
    if (ip[0]) {
        char addr[40];
        snprintf(addr, sizeof(addr), "%s", ip);
        char *slash = strchr(addr, '/');
        int prefix = 24;
        if (slash) {
            *slash = '\0';
            prefix = atoi(slash + 1);
        }
        if (prefix < 0 || prefix > 32)
            vmb_guest_boot_fail("bad prefix in vmb.ip \"%s\"", ip);
        else if (!wait_for(netdev_exists, "eth0", NULL, 0))
            vmb_guest_boot_fail("no network device \"eth0\" for vmb.ip \"%s\"",
                                ip);
        else if (if_up(s, "eth0", addr, prefix) < 0)
            vmb_guest_boot_fail("set \"%s\" on \"eth0\": %s", ip,
                                strerror(errno));
        else if (vmb_guest.gw[0] && default_route(s, vmb_guest.gw) < 0)
            vmb_guest_boot_fail("route through \"%s\": %s", vmb_guest.gw,
                                strerror(errno));
    }
    close(s);
}

/* Mounts the share (tag VMB_AGENT_FS_TAG) over fs ("9p", "virtio-fs")
 * on dst. */
static void
mount_share(const char *fs, const char *dst)
{
    const struct vmb_guest_state *g = &vmb_guest;
    if (strcmp(fs, "9p") == 0) {
        char opts[160];
        /* The precision only tells the compiler what fits: fs_cache is a
         * NUL-terminated field of its size. */
        snprintf(opts, sizeof(opts),
                 "trans=virtio,version=9p2000.L,msize=%" PRIu64 ",cache=%.*s",
                 g->msize, (int)sizeof(g->fs_cache) - 1,
                 g->fs_cache[0] ? g->fs_cache : "none");
        vmb_guest_mount_or_fail(VMB_AGENT_FS_TAG, dst, "9p", 0, opts);
    } else {
        vmb_guest_mount_or_fail(VMB_AGENT_FS_TAG, dst, "virtiofs", 0, "");
    }
}

static void
bind_or_fail(const char *src, const char *dst)
{
    mkdir(dst, 0755);
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
        vmb_guest_boot_fail("bind \"%s\" on \"%s\": %s", src, dst,
                            strerror(errno));
}

/*
 * The container root: the disk of serial VMB_AGENT_ROOT_SERIAL, or, as
 * Kata's agent takes it with disable_block_device_use, a directory of
 * the share (mounted once at VMB_GUEST_SHARE, the data volume beside
 * it). False when there is none to run in.
 */
static bool
mount_root(void)
{
    const struct vmb_guest_state *g = &vmb_guest;
    if (g->root[0]) {
        mount_share(g->root, VMB_GUEST_SHARE);
        bind_or_fail(VMB_GUEST_SHARE "/rootfs", VMB_GUEST_ROOT);
        return !g->boot_error[0];
    }
    char dev[64];
    if (!wait_for(find_disk, VMB_AGENT_ROOT_SERIAL, dev, sizeof(dev))) {
        vmb_guest_boot_fail("no disk with serial \"" VMB_AGENT_ROOT_SERIAL
                            "\" (the container root)");
        return false;
    }
    if (mount(dev, VMB_GUEST_ROOT, "ext4", 0, "") < 0) {
        vmb_guest_boot_fail("mount container root \"%s\": %s", dev,
                            strerror(errno));
        return false;
    }
    return true;
}

void
vmb_guest_setup_mounts(void)
{
    const struct vmb_guest_state *g = &vmb_guest;
    if (!g->storage[0]) {
        mkdir(VMB_GUEST_DATA, 0755);
        return;
    }
    if (!mount_root())
        return;
    mkdir(VMB_GUEST_DATA, 0755);
    bool shared =
        strcmp(g->storage, "9p") == 0 || strcmp(g->storage, "virtio-fs") == 0;
    if (shared && g->root[0]) {
        bind_or_fail(VMB_GUEST_SHARE "/data", VMB_GUEST_DATA);
    } else if (shared) {
        mount_share(g->storage, VMB_GUEST_DATA);
    } else if (strcmp(g->storage, "virtio-blk") == 0) {
        char ddev[64], why[400];
        if (!scan_scsi_hosts(why, sizeof(why)))
            vmb_guest_boot_fail("%s", why);
        else if (!wait_for(find_disk, VMB_AGENT_DATA_SERIAL, ddev,
                           sizeof(ddev)))
            vmb_guest_boot_fail("no disk with serial \"" VMB_AGENT_DATA_SERIAL
                                "\" (the data volume)");
        else
            vmb_guest_mount_or_fail(ddev, VMB_GUEST_DATA, "ext4", 0, "");
    } else if (strcmp(g->storage, "tmpfs") == 0) {
        char opts[64] = "mode=0755";
        if (g->tmpfs_size)
            snprintf(opts, sizeof(opts), "mode=0755,size=%" PRIu64,
                     g->tmpfs_size);
        vmb_guest_mount_or_fail("tmpfs", VMB_GUEST_DATA, "tmpfs", 0, opts);
    }
    vmb_guest_mount_or_fail("proc", VMB_GUEST_ROOT "/proc", "proc", 0, "");
    vmb_guest_mount_or_fail("sysfs", VMB_GUEST_ROOT "/sys", "sysfs", 0, "");
    vmb_guest_mount_or_fail("devtmpfs", VMB_GUEST_ROOT "/dev", "devtmpfs", 0,
                            "");
    mkdir(VMB_GUEST_ROOT "/tmp", 01777);
}

void
vmb_guest_power_off(void)
{
    /* Everything but us: TERM, a grace period, then KILL. */
    kill(-1, SIGTERM);
    uint64_t deadline = vmb_guest_mono_us() + 2000000u;
    while (vmb_guest_mono_us() < deadline) {
        int st;
        pid_t r = waitpid(-1, &st, WNOHANG);
        if (r < 0 && errno == ECHILD)
            break;
        if (r == 0)
            vmb_guest_sleep_us(10000);
    }
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    sync();
    const char *mounts[] = {VMB_GUEST_DATA,        VMB_GUEST_ROOT "/dev",
                            VMB_GUEST_ROOT "/sys", VMB_GUEST_ROOT "/proc",
                            VMB_GUEST_ROOT,        VMB_GUEST_SHARE};
    for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++)
        if (umount(mounts[i]) < 0 && errno == EBUSY)
            mount(NULL, mounts[i], NULL, MS_REMOUNT | MS_RDONLY, NULL);
    sync();
    vmb_guest_say("powering off");
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}
