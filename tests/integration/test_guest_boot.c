/*
 * The guest agent in a real VM (QEMU under TCG, no NIC, no root disk):
 * it boots as PID 1, greets a host that connects late and again after a
 * reconnect, answers facts, moves files both ways, runs a program and
 * reports its exit, refuses what it cannot do with a reason, and powers
 * the VM off on request.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "guest_qemu.h"
#include "vm/agent.h"

#define BOOT_TIMEOUT_US (180ull * 1000000)
#define REQ_TIMEOUT_US (20ull * 1000000)

static struct vmb_agent *
connect_or_fail(struct guest_vm *vm)
{
    struct vmb_agent *a = NULL;
    struct vmb_error *err = NULL;
    if (vmb_agent_connect(vm->sock, BOOT_TIMEOUT_US, &a, &err) < 0) {
        char *con = guest_vm_console(vm);
        cr_assert_fail("%s\nconsole:\n%s", err->msg, con);
    }
    return a;
}

Test(guest_boot, agent_answers_and_powers_off, .timeout = 600)
{
    struct guest_vm vm;
    guest_vm_start(&vm, 2, 384, VMB_AGENT_ARG_NAME "node7", NULL);

    /* A host that connects late still gets the hello. */
    sleep(2);
    struct vmb_agent *a = connect_or_fail(&vm);
    const struct vmb_agent_hello *h = vmb_agent_hello_info(a);
    cr_assert_str_eq(h->name, "node7");
    cr_assert_null(h->boot_error, "boot error: %s", h->boot_error);
    cr_assert_gt(h->agent_start_us, 0);
    cr_assert_leq(h->agent_start_us, h->modules_loaded_us);
    cr_assert_leq(h->modules_loaded_us, h->net_up_us);
    cr_assert_leq(h->net_up_us, h->mounts_done_us);

    struct vmb_error *err = NULL;
    struct vmb_agent_facts f;
    cr_assert_eq(vmb_agent_facts(a, REQ_TIMEOUT_US, &f, &err), 0, "%s",
                 err ? err->msg : "");
    cr_assert_eq(f.nproc, 2);
    /* MemTotal is RAM less what the kernel keeps for itself. */
    cr_assert_gt(f.mem_total_kib, 300u * 1024);
    cr_assert_leq(f.mem_total_kib, 384u * 1024);
    cr_assert_str_eq(f.kernel, h->kernel);
    cr_assert_str_eq(f.name, "node7");
    cr_assert_str_eq(f.data_dir, "/data");
    vmb_agent_facts_clear(&f);

    /* Bytes of every value go in and come back unchanged. */
    char blob[300];
    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (char)(i * 7);
    cr_assert_eq(vmb_agent_write_file(a, "/data/blob", blob, sizeof(blob), 0600,
                                      REQ_TIMEOUT_US, &err),
                 0, "%s", err ? err->msg : "");
    char *back = NULL;
    size_t len = 0;
    bool trunc = true;
    cr_assert_eq(vmb_agent_fetch(a, "/data/blob", 4096, REQ_TIMEOUT_US, &back,
                                 &len, &trunc, &err),
                 0);
    cr_assert_eq(len, sizeof(blob));
    cr_assert_eq(memcmp(back, blob, len), 0);
    cr_assert_not(trunc);
    free(back);
    cr_assert_eq(vmb_agent_fetch(a, "/data/blob", 10, REQ_TIMEOUT_US, &back,
                                 &len, &trunc, &err),
                 0);
    cr_assert_eq(len, 10);
    cr_assert(trunc);
    free(back);

    /*
     * With no root disk the container is the initramfs' own directory:
     * copy a static program there (the agent itself, which refuses to run
     * unless it is PID 1) and run it: its output and exit status return.
     */
    char *agent_path = vmb_guest_program("vmb-agent");
    char *prog = NULL;
    size_t prog_len = 0;
    cr_assert_eq(vmb_read_file(agent_path, &prog, &prog_len, &err), 0);
    cr_assert_eq(vmb_agent_write_file(a, "/prog", prog, prog_len, 0755,
                                      REQ_TIMEOUT_US, &err),
                 0, "%s", err ? err->msg : "");
    free(prog);
    free(agent_path);
    const char *argv[] = {"/prog", NULL};
    struct vmb_agent_proc p = {.argv = argv};
    struct vmb_agent_exec_result r;
    cr_assert_eq(vmb_agent_exec(a, &p, 10000000, REQ_TIMEOUT_US, &r, &err), 0,
                 "%s", err ? err->msg : "");
    cr_assert_eq(r.status.state, VMB_AGENT_EXITED);
    cr_assert_eq(r.status.code, 2);
    cr_assert(strstr(r.output, "runs as PID 1"), "output: %s", r.output);
    free(r.output);

    /* A spawned process is tracked until it exits. */
    const char *log = "/data/prog.log";
    p.log_path = log;
    int pid = 0;
    cr_assert_eq(vmb_agent_spawn(a, &p, REQ_TIMEOUT_US, &pid, &err), 0, "%s",
                 err ? err->msg : "");
    struct vmb_agent_status st = {.state = VMB_AGENT_RUNNING};
    for (int i = 0; i < 200 && st.state == VMB_AGENT_RUNNING; i++) {
        cr_assert_eq(vmb_agent_status(a, pid, REQ_TIMEOUT_US, &st, &err), 0);
        usleep(50000);
    }
    cr_assert_eq(st.state, VMB_AGENT_EXITED);
    cr_assert_eq(st.code, 2);
    cr_assert_eq(
        vmb_agent_fetch(a, log, 4096, REQ_TIMEOUT_US, &back, &len, NULL, &err),
        0);
    cr_assert(strstr(back, "runs as PID 1"), "log: %s", back);
    free(back);

    /* Refusals say why. */
    const char *missing[] = {"/no/such/program", NULL};
    p.argv = missing;
    cr_assert_eq(vmb_agent_spawn(a, &p, REQ_TIMEOUT_US, &pid, &err), -1);
    cr_assert(strstr(err->msg, "/no/such/program: No such file or directory"),
              "%s", err->msg);
    vmb_error_freep(&err);
    cr_assert_eq(vmb_agent_status(a, 4242, REQ_TIMEOUT_US, &st, &err), -1);
    cr_assert(strstr(err->msg, "no process 4242 was spawned"), "%s", err->msg);
    vmb_error_freep(&err);
    cr_assert_eq(
        vmb_agent_tcpcheck(a, "127.0.0.1", 1, NULL, 3000000, NULL, NULL, &err),
        -1);
    cr_assert(strstr(err->msg, "Connection refused"), "%s", err->msg);
    vmb_error_freep(&err);

    /* A second connection is greeted again. */
    vmb_agent_free(a);
    a = connect_or_fail(&vm);
    cr_assert_eq(vmb_agent_sync(a, REQ_TIMEOUT_US, &err), 0);

    cr_assert_eq(vmb_agent_shutdown(a, REQ_TIMEOUT_US, &err), 0);
    vmb_agent_free(a);
    cr_assert(guest_vm_wait_exit(&vm, 60), "QEMU still runs after shutdown");
    char *con = guest_vm_console(&vm);
    cr_assert(strstr(con, "vmb-agent: powering off"), "console:\n%s", con);
    free(con);
    guest_vm_stop(&vm);
}

/*
 * A VM missing what its command line asks for still greets the host, and
 * the hello says what failed, so the harness can refuse the cell with the
 * reason instead of waiting out a timeout.
 */
Test(guest_boot, missing_root_disk_is_reported, .timeout = 600)
{
    struct guest_vm vm;
    guest_vm_start(&vm, 1, 384,
                   VMB_AGENT_ARG_NAME "node1 " VMB_AGENT_ARG_STORAGE "local",
                   NULL);
    struct vmb_agent *a = connect_or_fail(&vm);
    const struct vmb_agent_hello *h = vmb_agent_hello_info(a);
    cr_assert_not_null(h->boot_error);
    cr_assert_str_eq(h->boot_error,
                     "no disk with serial \"vmbroot\" (the container root)");
    vmb_agent_free(a);
    guest_vm_stop(&vm);
}
