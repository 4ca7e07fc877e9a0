/*
 * The QEMU command line a cell's node 1 would run, rendered by libvirt
 * from the domain XML vmbench would give it, without booting anything
 * (`vmbench kata-diff MATRIX CELL_ID`).
 */
#include <unistd.h>

#include "base/util.h"
#include "vm/vm.h"
#include "vm/vm_kata.h"

/* Where a run's files would be: only naming, which kata-diff leaves out. */
#define RENDER_DIR "/var/lib/vmbench/render"

int
vmb_vm_render_argv(struct vmb_virt *v, const struct vmb_config *cfg, bool kvm,
                   char **out, struct vmb_error **err)
{
    struct vmb_vm_kata k = {0};
    if (vmb_vm_kata_prepare(cfg, &k, err) < 0)
        return -1;
    char *cmdline = vmb_vm_cmdline(cfg, "10.213.0.2/24", NULL, "node1", false);
    int storage = vmb_config_placement(cfg);
    int share = vmb_config_share(cfg);
    struct vmb_domain_spec s = {
        .name = "vmb-render-1",
        .kvm = kvm,
        .emulator = cfg->hypervisor.emulator,
        .machine = cfg->hypervisor.machine,
        .vcpus = (int)cfg->guest.vcpus,
        .memory_mib = cfg->guest.memory_mib,
        .kernel = RENDER_DIR "/kernel",
        .initrd = RENDER_DIR "/initrd",
        .cmdline = cmdline,
        .console_log = RENDER_DIR "/node1.console.log",
        .agent_socket = RENDER_DIR "/node1.agent.sock",
        .root_disk =
            vmb_config_root_shared(cfg) ? NULL : RENDER_DIR "/node1.root.qcow2",
        .data_disk = storage == VMB_STORAGE_VIRTIO_BLK ? RENDER_DIR
                         "/node1.data.img"
                                                       : NULL,
        .data_format = "raw",
        .data_iothread = cfg->guest.iothreads,
        .fs = share == VMB_STORAGE_9P         ? VMB_VIRT_FS_9P
              : share == VMB_STORAGE_VIRTIOFS ? VMB_VIRT_FS_VIRTIOFS
                                              : VMB_VIRT_FS_NONE,
        .fs_dir = RENDER_DIR "/node1.share",
        .network = "vmb-render",
        .mac = "52:54:00:00:00:01",
    };
    vmb_vm_kata_spec(&k, cfg, 0, &s);
    /* virtio-fs: the socket of the virtiofsd vmbench would start. */
    if (s.fs == VMB_VIRT_FS_VIRTIOFS)
        s.fs_socket = RENDER_DIR "/node1.virtiofsd.sock";
    char *xml = vmb_virt_domain_xml(&s);
    int rc = vmb_virt_xml_to_argv(v, xml, out, err);
    free(xml);
    free(cmdline);
    vmb_vm_kata_free(&k);
    return rc;
}
