/*
 * An uncompressed ELF vmlinux as guest.kernel boots under QEMU 7.2
 * (through its PVH entry note) with vmbench's initramfs, and the agent
 * answers from it, then powers the VM off. The vmlinux is the host's own, taken
 * out of its bzImage (tests/vmlinux-from-bzimage.sh), so its modules directory
 * is the host's and the initramfs carries the virtio modules as for the
 * bzImage: Debian's kernel has no driver built in to boot without them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/capture.h"
#include "base/util.h"
#include "guest_qemu.h"
#include "vm/agent.h"
#include "vm/kernel.h"

#define BOOT_TIMEOUT_US (180ull * 1000000)
#define REQ_TIMEOUT_US (20ull * 1000000)

Test(guest_vmlinux, elf_kernel_boots_the_agent, .timeout = 600)
{
    char dir[] = "/tmp/vmb-test-vmlinux-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *bz = NULL, *vmlinux = vmb_xasprintf("%s/vmlinux", dir);
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_guest_kernel_path("auto", NULL, &bz, &err), 0);
    const char *argv[] = {"bash", VMB_TEST_DATA "/vmlinux-from-bzimage.sh", bz,
                          vmlinux, NULL};
    char *out = NULL;
    cr_assert_eq(vmb_capture_run(argv, &out, NULL, &err), 0, "%s",
                 err ? err->msg : "");
    free(out);
    struct vmb_kernel_info ki;
    cr_assert_eq(vmb_kernel_inspect(vmlinux, NULL, &ki, &err), 0);
    cr_assert_eq(ki.format, VMB_KERNEL_ELF);

    guest_kernel_setting = vmlinux;
    struct guest_vm vm;
    guest_vm_start(&vm, 1, 384, VMB_AGENT_ARG_NAME "elf1", NULL);
    struct vmb_agent *a = NULL;
    if (vmb_agent_connect(vm.sock, BOOT_TIMEOUT_US, &a, &err) < 0) {
        char *con = guest_vm_console(&vm);
        cr_assert_fail("%s\nconsole:\n%s", err->msg, con);
    }
    const struct vmb_agent_hello *h = vmb_agent_hello_info(a);
    cr_assert_null(h->boot_error, "boot error: %s", h->boot_error);
    cr_assert_str_eq(h->name, "elf1");
    /* the kernel that booted is the vmlinux's release */
    cr_assert_str_eq(h->kernel, ki.release);
    cr_assert_eq(vmb_agent_shutdown(a, REQ_TIMEOUT_US, &err), 0);
    vmb_agent_free(a);
    cr_assert(guest_vm_wait_exit(&vm, 60), "QEMU still runs after shutdown");
    guest_vm_stop(&vm);
    vmb_rm_rf(dir, NULL);
    free(vmlinux);
    free(bz);
}
