/*
 * enable_vcpus_pinning with tenants: each tenant's VMs get CPUs of their
 * own (tenant t the t-th block of nodes x vCPUs), the emulator threads the
 * CPUs no tenant's vCPU has; tenants whose vCPUs outnumber the host's
 * CPUs are refused rather than pinned onto each other.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "vm/vm_kata.h"

/* vm/vm_kata.c's count: the CPUs online. */
static int
cpus(void)
{
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

Test(kata_pins, each_tenant_pins_to_cpus_of_its_own)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.guest.vcpus = 1;
    cfg.guest.vcpus_pinning = true;
    cfg.network.disable_vhost_net = true; /* not what this is about */
    int n = cpus();
    cr_assert_geq(n, 2, "pinning one vCPU per VM needs 2 CPUs");
    /* As many tenants as fit, then one more. */
    cfg.top.tenants = n / 2;
    for (int t = 0; t < n / 2; t++) {
        struct vmb_vm_kata k;
        struct vmb_error *err = NULL;
        cr_assert_eq(vmb_vm_kata_prepare(&cfg, &k, &err), 0, "%s",
                     err ? err->msg : "");
        cr_assert_eq(vmb_vm_kata_pin_tenant(&k, &cfg, t, &err), 0, "%s",
                     err ? err->msg : "");
        cr_assert(k.pin);
        cr_assert_eq(k.pins[0][0], 2 * t);
        cr_assert_eq(k.pins[1][0], 2 * t + 1);
        if (2 * (n / 2) < n)
            cr_assert_not_null(k.emulator_cpuset[0]);
        else
            cr_assert_null(k.emulator_cpuset[0]);
        vmb_vm_kata_free(&k);
    }
    cfg.top.tenants = n / 2 + 1;
    struct vmb_vm_kata k;
    cr_assert_eq(vmb_vm_kata_prepare(&cfg, &k, NULL), 0);
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_vm_kata_pin_tenant(&k, &cfg, 0, &err), 0);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    vmb_error_free(err);
    vmb_vm_kata_free(&k);
    vmb_config_free(&cfg);
}

/*
 * A one-node cell (fio: no replica) has one VM per tenant: it pins to as
 * many CPUs as that VM has vCPUs, not to a block for a second VM that is
 * never started, so a VM as wide as the host is pinned and tenants pack
 * one block each. The bare-metal control places its nodes by the same
 * slots.
 */
Test(kata_pins, a_one_node_cell_reserves_cpus_for_its_one_vm)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.database.engine = VMB_ENGINE_FIO;
    cfg.guest.vcpus_pinning = true;
    cfg.network.disable_vhost_net = true; /* not what this is about */
    int n = cpus();
    cfg.guest.vcpus = n;
    struct vmb_vm_kata k;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_vm_kata_prepare(&cfg, &k, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert(k.pin);
    for (int j = 0; j < n; j++)
        cr_expect_eq(k.pins[0][j], j);
    cr_expect_null(k.emulator_cpuset[0], "no CPU is left for the emulator");
    vmb_vm_kata_free(&k);

    cfg.guest.vcpus = 1;
    cfg.top.tenants = n;
    for (int t = 0; t < n; t++) {
        cr_assert_eq(vmb_config_node_slot(&cfg, t, 1), t);
        cr_assert_eq(vmb_vm_kata_prepare(&cfg, &k, &err), 0, "%s",
                     err ? err->msg : "");
        cr_assert_eq(vmb_vm_kata_pin_tenant(&k, &cfg, t, &err), 0, "%s",
                     err ? err->msg : "");
        cr_expect_eq(k.pins[0][0], t, "tenant %d", t);
        vmb_vm_kata_free(&k);
    }
    cfg.top.tenants = n + 1;
    cr_assert_eq(vmb_vm_kata_prepare(&cfg, &k, NULL), 0);
    cr_assert_lt(vmb_vm_kata_pin_tenant(&k, &cfg, 0, &err), 0);
    char *want = vmb_xasprintf("enable_vcpus_pinning needs a host CPU for "
                               "each vCPU of every tenant's VMs (%d); this "
                               "host has %d",
                               n + 1, n);
    cr_expect_str_eq(err->msg, want);
    free(want);
    vmb_error_free(err);
    vmb_vm_kata_free(&k);
    /* A two-node cell's tenants still take two blocks each. */
    cfg.database.engine = VMB_ENGINE_REDIS;
    cr_expect_eq(vmb_config_node_slot(&cfg, 1, 1), 2);
    cr_expect_eq(vmb_config_node_slot(&cfg, 1, 2), 3);
    vmb_config_free(&cfg);
}

/* Node 2 on another host: node 1 alone takes CPUs here (all of them may
 * be its vCPUs), node 2 takes the first online CPUs of its own host, its
 * emulator threads the rest there; a host with too few is refused. */
Test(kata_pins, node_2_there_pins_to_cpus_of_its_host)
{
    struct vmb_config cfg;
    vmb_config_defaults(&cfg);
    cfg.guest.vcpus_pinning = true;
    cfg.network.disable_vhost_net = true; /* not what this is about */
    free(cfg.hosts.vm_node2);
    cfg.hosts.vm_node2 = vmb_xstrdup("qemu+ssh://there/system");
    int n = cpus();
    cfg.guest.vcpus = n;
    struct vmb_vm_kata k;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_vm_kata_prepare(&cfg, &k, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert(k.pin);
    for (int j = 0; j < n; j++)
        cr_expect_eq(k.pins[0][j], j);
    /* There: n + 2 CPUs, CPU 1 offline (n + 3 present). */
    uint64_t online = ((1ull << (n + 3)) - 1) & ~2ull;
    cr_assert_eq(vmb_vm_kata_pin_there(&k, &cfg, n + 2, online, &err), 0, "%s",
                 err ? err->msg : "");
    for (int j = 0; j < n; j++)
        cr_expect_eq(k.pins[1][j], j == 0 ? 0 : j + 1);
    autofree char *rest = vmb_xasprintf("%d,%d", n + 1, n + 2);
    cr_expect_str_eq(k.emulator_cpuset[1], rest);
    cr_assert_lt(
        vmb_vm_kata_pin_there(&k, &cfg, n - 1, (1ull << (n - 1)) - 1, &err), 0);
    cr_expect_eq(err->kind, VMB_ERR_INPUT);
    cr_expect(strstr(err->msg, "node 2's host") != NULL, "%s", err->msg);
    vmb_error_free(err);
    vmb_vm_kata_free(&k);
    vmb_config_free(&cfg);
}
