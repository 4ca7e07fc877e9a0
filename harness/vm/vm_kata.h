/*
 * The Kata knobs of a cell that depend on the host (vhost-net, huge
 * pages, CPUs to pin to, the hotplug headroom that defaults to the
 * host's size), the domain spec fields they set, and the checks that a
 * booted VM has them. Private to vm/.
 */
#ifndef VMB_VM_KATA_H
#define VMB_VM_KATA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "config/config.h"
#include "vm/agent.h"
#include "vm/virt.h"

#define VMB_VM_KATA_MAX_VCPUS 240

struct vmb_vm_kata {
    bool vhost;          /* the NICs use vhost-net */
    bool vhost_fallback; /* vhost asked for, the host has none, allowed */
    int max_vcpus;
    uint64_t max_memory_mib;
    const char *blk_cache;
    bool pin;
    int pins[2][VMB_VM_KATA_MAX_VCPUS]; /* host CPU of node i's vCPU j */
    char *emulator_cpuset[2];           /* NULL: no CPU left apart */
};

/*
 * Resolves the knobs of cfg on this host into k, refusing (VMB_ERR_INPUT,
 * naming the Kata key and the fix) what this host or libvirt cannot give:
 * vhost without /dev/vhost-net (unless vhost_fallback), fewer free huge
 * pages than both VMs need, fewer CPUs than 1:1 pinning needs, a cache
 * flag pair libvirt has no mode for, virtiofsd arguments no virtiofsd
 * takes, CPU features libvirt cannot pass, a queue size that is not a power of
 * two.
 */
int vmb_vm_kata_prepare(const struct vmb_config *cfg, struct vmb_vm_kata *k,
                        struct vmb_error **err);
/*
 * Moves a prepared pinning to tenant's own CPUs (tenant 0 keeps the
 * first 2 x vCPUs, tenant t the t-th such block) and the emulator
 * threads to the CPUs no tenant's vCPU has. Fails (VMB_ERR_INPUT) when
 * the tenants' vCPUs outnumber the host's CPUs.
 */
int vmb_vm_kata_pin_tenant(struct vmb_vm_kata *k, const struct vmb_config *cfg,
                           int tenant, struct vmb_error **err);

/*
 * Moves node 2's pinning to its own host, which has cpus online, those of
 * CPUs 0 to 63 in online (bit i: CPU i): its vCPUs to the first online
 * CPUs there, its emulator threads to the rest. Fails (VMB_ERR_INPUT)
 * when that host has too few CPUs, or more than 64.
 */
int vmb_vm_kata_pin_there(struct vmb_vm_kata *k, const struct vmb_config *cfg,
                          int cpus, uint64_t online, struct vmb_error **err);

void vmb_vm_kata_free(struct vmb_vm_kata *k);

/* Sets the fields of s that the Kata knobs decide, for node 0 or 1. */
void vmb_vm_kata_spec(const struct vmb_vm_kata *k, const struct vmb_config *cfg,
                      int node, struct vmb_domain_spec *s);

/*
 * Checks that node `node` (named name, its block data disk at data_disk
 * or NULL) booted as cfg says: kernel_params in the guest's /proc/cmdline,
 * the 9p msize in its mount options, the block device's bus, each knob
 * on QEMU's command line, the data disk's aio engine and cache flags on
 * its -blockdev, the machine libvirt resolved (live XML, QEMU's
 * -machine, the guest's DMI product name), the NIC's bandwidth limits
 * as libvirt applies them, the pinning in libvirt's pin info. (The
 * virtiofsd command line is vm/virtiofsd.h's to check.)
 */
int vmb_vm_kata_verify(const struct vmb_vm_kata *k,
                       const struct vmb_config *cfg, int node, const char *name,
                       const char *data_disk, const struct vmb_agent_facts *f,
                       struct vmb_virt_domain *d, struct vmb_error **err);

/*
 * The firmware's holes below a guest's RAM size, in KiB: the legacy
 * 640 KiB - 1 MiB window and SeaBIOS's tables at the top of low memory
 * (about 520 KiB under QEMU's q35 and pc), with room for other firmware.
 */
#define VMB_VM_KATA_FIRMWARE_HOLES_KIB 4096

/*
 * Whether a guest is a VM of want_mib MiB, from what it reports: ram_kib,
 * the "System RAM" the firmware handed its kernel, must be want_mib less
 * at most VMB_VM_KATA_FIRMWARE_HOLES_KIB + want/64 (and never more), and
 * MemTotal positive and no more than that RAM. MemTotal itself is not
 * compared with want_mib: what the kernel reserves for itself varies with
 * the knobs (the hotplug headroom of default_maxmemory reaches above
 * 4 GiB, so an x86 kernel sets up its 64 MiB swiotlb bounce buffer).
 */
bool vmb_vm_kata_memory_matches(uint64_t want_mib, uint64_t ram_kib,
                                uint64_t mem_total_kib);

/*
 * Whether live, the machine libvirt runs, is machine_type want: the same
 * name, or the versioned machine libvirt resolves an alias to ("q35" ->
 * "pc-q35-7.2", "pc" -> "pc-i440fx-7.2").
 */
bool vmb_vm_kata_machine_is(const char *want, const char *live);

#endif
