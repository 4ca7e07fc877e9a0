#include "vm/vsock.h"

#include <unistd.h>

#include "config/config.h"

bool
vmb_vsock_host_usable(const char *dev)
{
    return access(dev ? dev : VMB_VSOCK_DEVICE, R_OK | W_OK) == 0;
}

int
vmb_vsock_transport(int setting, const char *dev, bool kernel_vsock,
                    const char **why)
{
    const char *no = NULL;
    if (setting == VMB_AGENT_TRANSPORT_VIRTIO_SERIAL)
        no = "guest.agent_transport is \"virtio-serial\"";
    else if (!vmb_vsock_host_usable(dev))
        no = "this host has no usable " VMB_VSOCK_DEVICE;
    else if (!kernel_vsock)
        no = "the guest kernel has no vsock driver";
    if (why)
        *why = no;
    if (setting == VMB_AGENT_TRANSPORT_VSOCK)
        return VMB_AGENT_TRANSPORT_VSOCK;
    return no ? VMB_AGENT_TRANSPORT_VIRTIO_SERIAL : VMB_AGENT_TRANSPORT_VSOCK;
}
