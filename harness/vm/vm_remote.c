#include "vm/vm_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "config/hosts.h"
#include "vm/agent_wire.h"
#include "vm/image.h"
#include "vm/virt_relay.h"

struct vmb_vm_remote {
    struct vmb_virt *v;
    struct vmb_virt_pool *pool;
    char *kernel, *initrd, *image; /* paths there */
    uint64_t image_size;           /* the image's virtual size */
    struct vmb_virt_net *net;
    struct vmb_virt_relay *agent, *console;
    char *hostname, *libvirt, *qemu; /* that host's, for provenance */
};

/* A qcow2 image's virtual size, from its header (offset 24, big-endian). */
static int
qcow2_size(const char *path, uint64_t *size, struct vmb_error **err)
{
    autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    unsigned char h[32];
    if (fd < 0 || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
        return vmb_error_set(err, VMB_ERR_RUN, errno,
                             "read the header of \"%s\"", path);
    if (memcmp(h, "QFI\xfb", 4) != 0)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "\"%s\" is not a qcow2 image",
                             path);
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = (v << 8) | h[i];
    *size = v;
    return 0;
}

int
vmb_vm_remote_open(const struct vmb_config *cfg, const char *kernel,
                   const char *initrd, const char *image,
                   struct vmb_vm_remote **out, struct vmb_error **err)
{
    const char *uri = cfg->hosts.vm_node2;
    struct vmb_vm_remote *r = vmb_xcalloc(1, sizeof(*r));
    char name[128];
    vmb_virt_pool_name(name, sizeof(name));
    vmb_autoerr struct vmb_error *swept = NULL;
    if (image != NULL && qcow2_size(image, &r->image_size, err) < 0)
        goto fail;
    /* A deadline on the open and keepalive on the connection: a host
     * that goes silent fails the run's calls in seconds. */
    if (vmb_virt_open_alive(uri, cfg->hosts.connect_timeout_us, &r->v, err) < 0)
        goto fail;
    /* What a dead run left there goes first; what cannot go is not this
     * run's to fail on. */
    vmb_virt_pool_sweep(r->v, &swept);
    vmb_virt_describe(r->v, &r->hostname, &r->libvirt, &r->qemu);
    if (vmb_virt_pool_create(r->v, name, &r->pool, err) < 0 ||
        vmb_virt_pool_upload(r->pool, "kernel", kernel, &r->kernel, err) < 0 ||
        vmb_virt_pool_upload(r->pool, "initrd", initrd, &r->initrd, err) < 0 ||
        (image != NULL && vmb_virt_pool_upload(r->pool, "root.qcow2", image,
                                               &r->image, err) < 0))
        goto fail;
    *out = r;
    return 0;
fail:
    vmb_vm_remote_close(r, NULL);
    return vmb_error_prefix(err, "node 2's host \"%s\"", uri);
}

void
vmb_vm_remote_host(const struct vmb_vm_remote *r, const char **hostname,
                   const char **libvirt, const char **qemu)
{
    *hostname = r->hostname;
    *libvirt = r->libvirt;
    *qemu = r->qemu;
}

struct vmb_virt *
vmb_vm_remote_virt(struct vmb_vm_remote *r)
{
    return r->v;
}

const char *
vmb_vm_remote_kernel(const struct vmb_vm_remote *r)
{
    return r->kernel;
}

const char *
vmb_vm_remote_initrd(const struct vmb_vm_remote *r)
{
    return r->initrd;
}

int
vmb_vm_remote_disks(struct vmb_vm_remote *r, const char *work_dir,
                    const struct vmb_config *cfg, bool root, char **root_path,
                    char **data_path, struct vmb_error **err)
{
    *root_path = *data_path = NULL;
    if (root && r->image != NULL &&
        vmb_virt_pool_overlay(r->pool, "node2.root.qcow2", r->image,
                              r->image_size, root_path, err) < 0)
        return vmb_error_prefix(err, "node 2's container root");
    if (vmb_config_placement(cfg) != VMB_STORAGE_VIRTIO_BLK)
        return 0;
    autofree char *local = vmb_xasprintf("%s/node2.data.img", work_dir);
    int rc =
        vmb_image_data_volume_create(local, cfg->guest.data_size_bytes, err);
    if (rc == 0)
        rc = vmb_virt_pool_upload(r->pool, "node2.data.img", local, data_path,
                                  err);
    unlink(local);
    return rc < 0 ? vmb_error_prefix(err, "node 2's data volume") : 0;
}

int
vmb_vm_remote_net(struct vmb_vm_remote *r, const char *name,
                  const struct vmb_config *cfg, struct vmb_subnet *sn,
                  struct vmb_error **err)
{
    char text[64];
    if (vmb_hosts_vm_node2_subnet(cfg, text, sizeof(text)) < 0 ||
        vmb_subnet_parse(text, sn, NULL) < 0)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "hosts.vm_node2_subnet \"%s\" is not a subnet",
                             text);
    return vmb_virt_net_create(r->v, name, sn, true, &r->net, err);
}

int
vmb_vm_remote_relays(struct vmb_vm_remote *r, const char *domain,
                     const char *console_log, int *fd, struct vmb_error **err)
{
    const char *uri = vmb_virt_uri(r->v);
    if (vmb_virt_relay_console(uri, domain, console_log, &r->console, err) <
            0 ||
        vmb_virt_relay_channel(uri, domain, VMB_AGENT_CHANNEL, fd, &r->agent,
                               err) < 0)
        return vmb_error_prefix(err, "node 2's console and agent on \"%s\"",
                                uri);
    return 0;
}

uint64_t
vmb_vm_remote_console_dropped(struct vmb_vm_remote *r)
{
    return r->console ? vmb_virt_relay_dropped(r->console) : 0;
}

void
vmb_vm_remote_relays_stop(struct vmb_vm_remote *r)
{
    if (r == NULL)
        return;
    vmb_virt_relay_free(r->agent);
    vmb_virt_relay_free(r->console);
    r->agent = r->console = NULL;
}

int
vmb_vm_remote_close(struct vmb_vm_remote *r, struct vmb_error **err)
{
    if (r == NULL)
        return 0;
    vmb_vm_remote_relays_stop(r);
    int rc = 0;
    struct vmb_error *e = NULL;
    if (vmb_virt_net_destroy(r->net, &e) < 0)
        rc = vmb_error_keep_first(err, &e);
    if (vmb_virt_pool_remove(r->pool, &e) < 0)
        rc = vmb_error_keep_first(err, &e);
    vmb_virt_close(r->v);
    free(r->kernel);
    free(r->initrd);
    free(r->image);
    free(r->hostname);
    free(r->libvirt);
    free(r->qemu);
    free(r);
    return rc;
}
