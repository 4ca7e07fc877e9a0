/*
 * Where a cell's nodes run when not on this host (the `hosts:` section,
 * docs/remote.md): the bare-metal control's node 2 over ssh. An ssh
 * destination is written "ssh://[user@]host[:port]"; user, key and
 * known hosts come from the user's own ssh configuration.
 */
#ifndef VMB_HOSTS_H
#define VMB_HOSTS_H

#include <stdbool.h>

#include "config/config.h"

struct vmb_ssh_target {
    char user[64]; /* "" : ssh's own choice (the ssh configuration's) */
    char host[256];
    int port; /* 0: ssh's own choice */
    /* A libvirt URI's keyfile= (vmb_libvirt_uri_ssh), which libvirt's
     * ssh transport passes as -i; "": ssh's own choice */
    char keyfile[256];
};

/*
 * Parses an ssh destination. "" (this host) leaves *t zeroed and returns
 * 0 with *remote false. Fails (returns -1) with *why (malloc'd, one
 * sentence) for anything else than ssh://[user@]host[:port] with a plain
 * user and host name: nothing that ssh could read as an option.
 */
int vmb_ssh_target_parse(const char *s, struct vmb_ssh_target *t, bool *remote,
                         char **why);

/*
 * Checks a libvirt URI that names a host ("qemu+ssh://user@host/system",
 * "qemu+tcp://host:16509/system"): a qemu scheme, a plain user and host
 * name (nothing a transport's ssh could read as an option), a path.
 * Fails (returns -1) with *why (malloc'd).
 */
int vmb_libvirt_uri_check(const char *s, char **why);

/*
 * The ssh destination a checked qemu+ssh:// URI reaches, as libvirt's
 * ssh transport reaches it: its user, host, port and keyfile (its
 * known_hosts is for libvirt's libssh transports, qemu+libssh:// and
 * qemu+libssh2://; OpenSSH's, which qemu+ssh:// runs, reads the ssh
 * configuration's). Fails
 * (returns -1) with *why (malloc'd) for another transport, and for a
 * keyfile that is empty or %-escaped.
 */
int vmb_libvirt_uri_ssh(const char *uri, struct vmb_ssh_target *t, char **why);

/* Whether the config's control runs node 2 on another host. */
bool vmb_hosts_control_remote(const struct vmb_config *cfg);

/* Whether a VM cell of the config runs node 2 on another libvirt host
 * (hosts.vm_node2). */
bool vmb_hosts_vm_remote(const struct vmb_config *cfg);

/* The VMs of one tenant that run on this host: vmb_config_nodes, less
 * node 2 where it runs on another libvirt host. */
int vmb_hosts_vm_nodes_here(const struct vmb_config *cfg);

/*
 * The subnet of node 2's network on its libvirt host, as CIDR text into
 * buf: hosts.vm_node2_subnet, or where "" the block of network.subnet's
 * size right after it. Returns -1 (buf still filled) when it overlaps
 * network.subnet or either does not parse; 0 otherwise.
 */
int vmb_hosts_vm_node2_subnet(const struct vmb_config *cfg, char *buf,
                              size_t len);

#endif
