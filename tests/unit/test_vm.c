/*
 * The vm module before anything starts: the checks that turn bad input
 * into a clear error naming the option, and the kernel command line the
 * agent reads. Booting lives in tests/integration/test_vm_*.sh.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "vm/vm.h"
#include "vm/vm_kata.h"
#include "vm/vsock.h"

static struct vmb_config cfg;
static char dir[] = "/tmp/vmb-test-vm-XXXXXX";
static char kernel[128], initrd[128], image[128];

static void
setup(void)
{
    vmb_config_defaults(&cfg);
    cr_assert_not_null(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
    snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
    snprintf(image, sizeof(image), "%s/root.qcow2", dir);
    const char *files[] = {kernel, initrd, image};
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(vmb_write_file_atomic(files[i], "x", 1, NULL), 0);
    /* A subnet no route of this host uses. */
    free(cfg.network.subnet);
    cfg.network.subnet = vmb_xstrdup("10.250.250.0/24");
    /* Kata's default asks for vhost-net, which not every host has. */
    cfg.network.vhost_fallback = true;
}

static void
teardown(void)
{
    vmb_rm_rf(dir, NULL);
    vmb_config_free(&cfg);
}

static struct vmb_vm_params
params(void)
{
    struct vmb_vm_params p = {
        .cfg = &cfg,
        .work_dir = dir,
        .tag = "unit",
        .kernel = kernel,
        .initrd = initrd,
        .base_image = image,
        .base_tree = dir,
    };
    return p;
}

/* Runs the check and asserts an input error mentioning want. */
static void
assert_input_error(const struct vmb_vm_params *p, const char *want)
{
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_vm_cell_check(p, &err), 0, "accepted, wanted \"%s\"",
                 want);
    cr_assert_eq(err->kind, VMB_ERR_INPUT, "%s", err->msg);
    cr_assert(strstr(err->msg, want) != NULL, "\"%s\" lacks \"%s\"", err->msg,
              want);
    vmb_error_free(err);
}

TestSuite(vm, .init = setup, .fini = teardown);

Test(vm, good_cell_passes)
{
    struct vmb_vm_params p = params();
    struct vmb_error *err = NULL;
    int rc = vmb_vm_cell_check(&p, &err);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
}

Test(vm, missing_kernel)
{
    struct vmb_vm_params p = params();
    p.kernel = "/nonexistent/vmlinuz";
    assert_input_error(&p, "guest.kernel \"/nonexistent/vmlinuz\"");
}

Test(vm, missing_emulator)
{
    struct vmb_vm_params p = params();
    free(cfg.hypervisor.emulator);
    cfg.hypervisor.emulator = vmb_xstrdup("/nonexistent/qemu");
    assert_input_error(&p, "hypervisor.emulator \"/nonexistent/qemu\"");
}

Test(vm, emulator_not_executable)
{
    struct vmb_vm_params p = params();
    free(cfg.hypervisor.emulator);
    cfg.hypervisor.emulator = vmb_xstrdup(kernel); /* a plain file */
    assert_input_error(&p, "hypervisor.emulator");
}

Test(vm, more_vcpus_than_host_cpus)
{
    struct vmb_vm_params p = params();
    cfg.guest.vcpus = sysconf(_SC_NPROCESSORS_ONLN) + 1;
    assert_input_error(&p, "guest.vcpus");
}

Test(vm, bad_subnet)
{
    struct vmb_vm_params p = params();
    free(cfg.network.subnet);
    cfg.network.subnet = vmb_xstrdup("10.1.2.3");
    assert_input_error(&p, "network.subnet");
}

Test(vm, native_aio_needs_direct_cache)
{
    struct vmb_vm_params p = params();
    cfg.guest.storage = VMB_STORAGE_BLOCK;
    cfg.guest.blk_aio = VMB_BLKAIO_NATIVE;
    assert_input_error(&p, "block_device_aio \"native\" needs O_DIRECT");
    cfg.guest.blk_cache_set = true;
    assert_input_error(&p, "block_device_cache_direct");
    cfg.guest.blk_cache_direct = true;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_vm_cell_check(&p, &err), 0, "%s", err ? err->msg : "");
}

Test(vm, cache_direct_with_noflush_has_no_libvirt_mode)
{
    struct vmb_vm_params p = params();
    cfg.guest.blk_cache_set = true;
    cfg.guest.blk_cache_direct = true;
    cfg.guest.blk_cache_noflush = true;
    assert_input_error(&p, "no libvirt cache mode");
}

Test(vm, vhost_without_the_device_needs_fallback)
{
    struct vmb_vm_params p = params();
    cfg.network.vhost_fallback = false;
    struct vmb_error *err = NULL;
    int rc = vmb_vm_cell_check(&p, &err);
    if (access("/dev/vhost-net", R_OK | W_OK) == 0) {
        cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    } else {
        cr_assert_lt(rc, 0);
        cr_assert(strstr(err->msg, "network.vhost_fallback"), "%s", err->msg);
        vmb_error_free(err);
        /* Without vhost asked for there is nothing to refuse. */
        cfg.network.disable_vhost_net = true;
        err = NULL;
        cr_assert_eq(vmb_vm_cell_check(&p, &err), 0, "%s", err ? err->msg : "");
    }
}

Test(vm, hugepages_beyond_the_free_ones_say_how_many)
{
    struct vmb_vm_params p = params();
    cfg.guest.hugepages = true;
    /* More than any host here has free: 2 TiB per VM. */
    cfg.guest.memory_mib = 1048576;
    assert_input_error(&p, "enable_hugepages: both VMs need 1048576 free 2 "
                           "MiB pages");
    assert_input_error(&p, "> /proc/sys/vm/nr_hugepages");
}

Test(vm, pinning_needs_a_cpu_per_vcpu)
{
    struct vmb_vm_params p = params();
    cfg.guest.vcpus_pinning = true;
    cfg.guest.vcpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cfg.guest.vcpus > 1) {
        assert_input_error(&p, "enable_vcpus_pinning");
    }
    cfg.guest.vcpus = 1;
    if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
        struct vmb_error *err = NULL;
        cr_assert_eq(vmb_vm_cell_check(&p, &err), 0, "%s", err ? err->msg : "");
    }
}

Test(vm, unusable_virtiofsd_args_and_cpu_features)
{
    struct vmb_vm_params p = params();
    free(cfg.guest.virtio_fs_extra_args);
    cfg.guest.virtio_fs_extra_args = vmb_xstrdup("--thread-pool-size=4 -o x");
    assert_input_error(&p, "virtio_fs_extra_args: \"-o x\"");
    /* Older Kata files write the C virtiofsd's spelling. */
    free(cfg.guest.virtio_fs_extra_args);
    cfg.guest.virtio_fs_extra_args =
        vmb_xstrdup("--thread-pool-size=4 -o announce_submounts");
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_vm_cell_check(&p, &err), 0, "%s", err ? err->msg : "");
    free(cfg.guest.cpu_features);
    cfg.guest.cpu_features = vmb_xstrdup("pmu=off,vmx");
    assert_input_error(&p, "cpu_features \"pmu=off,vmx\"");
    free(cfg.guest.cpu_features);
    cfg.guest.cpu_features = vmb_xstrdup("pmu=off,-vmx,+sse4.2");
    cfg.guest.virtio_fs_queue = 1000;
    assert_input_error(&p, "virtio_fs_queue_size 1000 is not a power of two");
}

Test(vm, missing_root_image)
{
    struct vmb_vm_params p = params();
    p.base_image = "/nonexistent/root.qcow2";
    assert_input_error(&p, "container root image");
}

/* The container root over the shared filesystem needs the image's tree,
 * which the guest image cache keeps beside the disk. */
Test(vm, missing_root_tree)
{
    struct vmb_vm_params p = params();
    p.base_tree = "/nonexistent/tree";
    assert_input_error(&p, "image's tree \"/nonexistent/tree\"");
    /* A cell whose root is a disk needs no tree. */
    cfg.guest.disable_block_device = false;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_vm_cell_check(&p, &err), 0, "%s", err ? err->msg : "");
}

Test(vm, cmdline_carries_the_agent_keys)
{
    cfg.guest.storage = VMB_STORAGE_9P;
    cfg.guest.msize_9p_bytes = 262144;
    autofree char *c =
        vmb_vm_cmdline(&cfg, "10.213.0.3/24", NULL, "node2", false);
    cr_assert(strstr(c, "console=ttyS0 quiet"), "%s", c);
    cr_assert(strstr(c, "vmb.name=node2"), "%s", c);
    cr_assert(strstr(c, "vmb.ip=10.213.0.3/24"), "%s", c);
    cr_assert(strstr(c, "vmb.storage=9p"), "%s", c);
    cr_assert(strstr(c, "vmb.msize=262144"), "%s", c);
    /* virtio-serial is the agent's default: no key says it. */
    cr_assert_null(strstr(c, "vmb.agent="), "%s", c);
}

/* A node whose peer is on another host's network gets its bridge as its
 * gateway, right after its address; one whose peer is beside it, none. */
Test(vm, cmdline_names_the_gateway_only_when_given)
{
    autofree char *c =
        vmb_vm_cmdline(&cfg, "10.213.1.3/24", "10.213.1.1", "node2", false);
    cr_assert(strstr(c, " vmb.ip=10.213.1.3/24 vmb.gw=10.213.1.1 "), "%s", c);
    autofree char *d =
        vmb_vm_cmdline(&cfg, "10.213.0.3/24", NULL, "node2", false);
    cr_assert_null(strstr(d, "vmb.gw="), "%s", d);
}

/*
 * The agent's transport: auto is vsock where the device node is there
 * (this process may read and write it) and the guest kernel has vsock,
 * else virtio-serial, saying why; an explicit vsock stays vsock with the
 * reason, for the preflight and the runtime to refuse. The device path
 * is the test's own file, not the host's.
 */
Test(vm, agent_transport_follows_the_device_node)
{
    char tmp[] = "/tmp/vmb-test-vsock-XXXXXX";
    cr_assert_not_null(mkdtemp(tmp));
    autofree char *dev = vmb_xasprintf("%s/vhost-vsock", tmp);
    const char *why = "unset";
    int a = VMB_AGENT_TRANSPORT_AUTO, v = VMB_AGENT_TRANSPORT_VSOCK,
        s = VMB_AGENT_TRANSPORT_VIRTIO_SERIAL;
    /* No device node. */
    cr_assert_eq(vmb_vsock_transport(a, dev, true, &why), s);
    cr_assert_str_eq(why, "this host has no usable /dev/vhost-vsock");
    cr_assert_eq(vmb_vsock_transport(v, dev, true, &why), v);
    cr_assert_str_eq(why, "this host has no usable /dev/vhost-vsock");
    cr_assert_not(vmb_vsock_host_usable(dev));
    /* The device node there. */
    cr_assert_eq(vmb_write_file_atomic(dev, "", 0, NULL), 0);
    cr_assert(vmb_vsock_host_usable(dev));
    cr_assert_eq(vmb_vsock_transport(a, dev, true, &why), v);
    cr_assert_null(why);
    cr_assert_eq(vmb_vsock_transport(a, dev, false, &why), s);
    cr_assert_str_eq(why, "the guest kernel has no vsock driver");
    cr_assert_eq(vmb_vsock_transport(s, dev, true, &why), s);
    cr_assert_not_null(why);
    cr_assert_eq(vmb_vsock_transport(v, dev, true, NULL), v);
    vmb_rm_rf(tmp, NULL);
}

/* An agent on vsock is told so, before the user's kernel_params. */
Test(vm, cmdline_tells_the_agent_to_listen_on_vsock)
{
    free(cfg.guest.kernel_params);
    cfg.guest.kernel_params = vmb_xstrdup("mitigations=off");
    autofree char *c =
        vmb_vm_cmdline(&cfg, "10.213.0.2/24", NULL, "node1", true);
    cr_assert(strstr(c, " vmb.agent=vsock mitigations=off"), "%s", c);
}

/* Kata's own parameters for QEMU on x86_64 come first, then Kata's
 * scsi_mod.scan=none (the agent scans for its disk), the console where
 * vmbench reads the boot log. */
Test(vm, cmdline_starts_with_katas_parameters)
{
    autofree char *c =
        vmb_vm_cmdline(&cfg, "10.213.0.2/24", NULL, "node1", false);
    cr_assert(vmb_str_has_prefix(c, "tsc=reliable no_timer_check "
                                    "rcupdate.rcu_expedited=1 i8042.direct=1 "
                                    "i8042.dumbkbd=1 i8042.nopnp=1 "
                                    "i8042.noaux=1 noreplace-smp reboot=k "
                                    "cryptomgr.notests net.ifnames=0 "
                                    "pci=lastbus=0 scsi_mod.scan=none "
                                    "console=ttyS0 "),
              "%s", c);
    cr_assert_null(strstr(c, "hvc0"), "%s", c);
}

/* Kata serves the container root over shared_fs unless told otherwise,
 * so "local" data is on the shared filesystem; kernel_params go last. */
Test(vm, cmdline_places_local_data_as_kata_does)
{
    free(cfg.guest.kernel_params);
    cfg.guest.kernel_params = vmb_xstrdup("mitigations=off nosmt");
    /* Kata's default: the container root, and so local, on virtio-fs. */
    autofree char *c =
        vmb_vm_cmdline(&cfg, "10.213.0.2/24", NULL, "node1", false);
    cr_assert(strstr(c, "vmb.storage=local vmb.root=virtio-fs"), "%s", c);
    cr_assert(strstr(c, " mitigations=off nosmt"), "%s", c);
    cfg.guest.disable_block_device = false;
    autofree char *d =
        vmb_vm_cmdline(&cfg, "10.213.0.2/24", NULL, "node1", false);
    cr_assert(strstr(d, "vmb.storage=local"), "%s", d);
    cr_assert_null(strstr(d, "vmb.root="), "%s", d);
    cfg.guest.storage = VMB_STORAGE_SHARED;
    cfg.guest.shared_fs = VMB_SHAREDFS_9P;
    autofree char *e =
        vmb_vm_cmdline(&cfg, "10.213.0.2/24", NULL, "node1", false);
    cr_assert(strstr(e, "vmb.storage=9p"), "%s", e);
    cr_assert_null(strstr(e, "vmb.root="), "%s", e);
    /* A volume beside a root on the share: both over 9p. */
    cfg.guest.disable_block_device = true;
    autofree char *f =
        vmb_vm_cmdline(&cfg, "10.213.0.2/24", NULL, "node1", false);
    cr_assert(strstr(f, "vmb.storage=9p vmb.root=9p"), "%s", f);
    /* A data disk makes the root a disk too. */
    cfg.guest.storage = VMB_STORAGE_BLOCK;
    autofree char *g =
        vmb_vm_cmdline(&cfg, "10.213.0.2/24", NULL, "node1", false);
    cr_assert_null(strstr(g, "vmb.root="), "%s", g);
}

/*
 * The booted VM's memory is the firmware's "System RAM", not MemTotal:
 * Kata's default hotplug headroom makes an x86 guest kernel keep a 64 MiB
 * swiotlb, so a 256 MiB guest shows about 140 MiB of MemTotal and must
 * pass, while a VM of another size is refused whatever its MemTotal. The
 * figures are what 256 and 512 MiB q35 guests reported under QEMU 7.2.
 */
Test(vm, memory_check_reads_the_firmware_ram)
{
    const struct {
        uint64_t want_mib, ram_kib, mem_total_kib;
        bool ok;
    } cases[] = {
        {256, 261611, 144148, true}, /* the default headroom */
        {256, 261611, 206500, true}, /* no headroom */
        {512, 523751, 401808, true}, /* 512 MiB showing 392 */
        {2048, 2096632, 1932000, true},
        {1024, 523755, 401812, false}, /* the XML said 512 */
        {512, 1047544, 900000, false}, /* a VM twice the cell */
        {256, 262144, 200000, true},   /* no firmware hole at all */
        {256, 262148, 200000, false},  /* more RAM than the cell */
        /* 256 MiB: holes up to 4 MiB + 256 MiB / 64 = 8 MiB */
        {256, 248 * 1024, 150000, true},
        {256, 248 * 1024 - 1, 150000, false},
        {256, 0, 144148, false},      /* no RAM map reported */
        {256, 261611, 0, false},      /* no MemTotal reported */
        {256, 261611, 261612, false}, /* MemTotal above the RAM */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(
            vmb_vm_kata_memory_matches(cases[i].want_mib, cases[i].ram_kib,
                                       cases[i].mem_total_kib),
            cases[i].ok, "case %zu: %lu MiB, RAM %lu KiB", i,
            (unsigned long)cases[i].want_mib, (unsigned long)cases[i].ram_kib);
}

/* machine_type as libvirt resolves it: an alias becomes its newest
 * versioned machine of the same family, never another family. */
Test(vm, machine_type_matches_what_libvirt_resolved)
{
    cr_expect(vmb_vm_kata_machine_is("q35", "pc-q35-7.2"));
    cr_expect(vmb_vm_kata_machine_is("q35", "q35"));
    cr_expect(vmb_vm_kata_machine_is("pc", "pc-i440fx-7.2"));
    cr_expect(vmb_vm_kata_machine_is("pc-q35-7.2", "pc-q35-7.2"));
    cr_expect(vmb_vm_kata_machine_is("microvm", "microvm"));
    cr_expect_not(vmb_vm_kata_machine_is("q35", "pc-i440fx-7.2"));
    cr_expect_not(vmb_vm_kata_machine_is("pc", "pc-q35-7.2"));
    cr_expect_not(vmb_vm_kata_machine_is("q35", "pc-q35-"));
    cr_expect_not(vmb_vm_kata_machine_is("q35", "pc-q35x-7.2"));
    cr_expect_not(vmb_vm_kata_machine_is("pc-q35-7.1", "pc-q35-7.2"));
    cr_expect_not(vmb_vm_kata_machine_is("q35", NULL));
}
