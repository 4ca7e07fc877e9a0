/*
 * A VM cell's node 2 on another libvirt host (hosts.vm_node2,
 * docs/remote.md): the connection there, vmbench's storage pool there
 * with the guest's kernel, initramfs and container root image uploaded
 * into it, node 2's disks made there, its routed network there, and the
 * relays that carry its agent channel and console over libvirt streams.
 * Only vm.c uses it.
 */
#ifndef VMB_VM_REMOTE_H
#define VMB_VM_REMOTE_H

#include <stdint.h>

#include "base/error.h"
#include "config/config.h"
#include "vm/virt.h"

struct vmb_vm_remote;

/*
 * Connects to hosts.vm_node2, removes the pools a dead vmbench of this
 * host left there, makes this run's pool and uploads kernel, initrd and
 * image (NULL: none) into it. On failure nothing is left there.
 */
int vmb_vm_remote_open(const struct vmb_config *cfg, const char *kernel,
                       const char *initrd, const char *image,
                       struct vmb_vm_remote **out, struct vmb_error **err);

/* Node 2's host as libvirt there names it: its host name and its
 * libvirt's and QEMU's versions (NULL where unknown); owned by r. */
void vmb_vm_remote_host(const struct vmb_vm_remote *r, const char **hostname,
                        const char **libvirt, const char **qemu);

/* The connection there; owned by r. */
struct vmb_virt *vmb_vm_remote_virt(struct vmb_vm_remote *r);
/* The uploaded kernel, initramfs and image, paths there; owned by r. */
const char *vmb_vm_remote_kernel(const struct vmb_vm_remote *r);
const char *vmb_vm_remote_initrd(const struct vmb_vm_remote *r);

/*
 * Node 2's disks there: a qcow2 overlay over the uploaded image (when
 * there is one), and with a data volume, the file system made here in
 * work_dir (local) and uploaded, the local copy removed. *root and
 * *data get the paths there (NULL: none; caller frees).
 */
int vmb_vm_remote_disks(struct vmb_vm_remote *r, const char *work_dir,
                        const struct vmb_config *cfg, bool root,
                        char **root_path, char **data_path,
                        struct vmb_error **err);

/*
 * Node 2's network there, name on hosts.vm_node2_subnet, routed; *sn
 * gets the subnet.
 */
int vmb_vm_remote_net(struct vmb_vm_remote *r, const char *name,
                      const struct vmb_config *cfg, struct vmb_subnet *sn,
                      struct vmb_error **err);

/*
 * Once node 2's domain runs: its console into console_log here, and its
 * agent channel to *fd (a socket here, for vmb_agent_connect_fd).
 */
int vmb_vm_remote_relays(struct vmb_vm_remote *r, const char *domain,
                         const char *console_log, int *fd,
                         struct vmb_error **err);

/*
 * Stops the relays, destroys the network there and removes the pool with
 * its volumes; closes the connection and frees r (NULL-safe). The domain
 * must be gone first. Returns the first error.
 */
int vmb_vm_remote_close(struct vmb_vm_remote *r, struct vmb_error **err);

/* What node 2's console printed past the console log's cap, in bytes. */
uint64_t vmb_vm_remote_console_dropped(struct vmb_vm_remote *r);

/* The relays only: before the domain is destroyed, so that their streams
 * end on this side first. */
void vmb_vm_remote_relays_stop(struct vmb_vm_remote *r);

#endif
