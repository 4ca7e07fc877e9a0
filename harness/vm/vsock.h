/*
 * Which channel a cell's guest agent gets: vsock as Kata's where it can
 * work, virtio-serial otherwise (guest.agent_transport, config.h).
 *
 * vsock needs the host's /dev/vhost-vsock, which libvirt's daemon opens
 * and hands to QEMU as a descriptor (as it does /dev/vhost-net): so the
 * user who must read and write it is the daemon's, this process's on the
 * local system connection vmbench runs with, not QEMU's own user. It
 * needs the guest kernel's vsock drivers too (vm/kernel.h), built in or
 * as modules the initramfs carries.
 */
#ifndef VMB_VM_VSOCK_H
#define VMB_VM_VSOCK_H

#include <stdbool.h>

/* The host's vhost-vsock device node. */
#define VMB_VSOCK_DEVICE "/dev/vhost-vsock"

/* Whether the device node at dev (NULL: VMB_VSOCK_DEVICE) exists and
 * this process may read and write it. */
bool vmb_vsock_host_usable(const char *dev);

/*
 * The transport a cell whose guest.agent_transport is setting gets
 * (VMB_AGENT_TRANSPORT_VSOCK or _VIRTIO_SERIAL), on a host whose device
 * node is dev (NULL: VMB_VSOCK_DEVICE) with a guest kernel that has
 * (kernel_vsock) or lacks the vsock drivers. *why (may be NULL) is
 * NULL when the agent can be on vsock, else why not (a static
 * sentence): auto then gives virtio-serial, while an explicit vsock
 * still gives vsock, for the caller to refuse with the reason.
 */
int vmb_vsock_transport(int setting, const char *dev, bool kernel_vsock,
                        const char **why);

#endif
