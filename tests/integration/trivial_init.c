/*
 * The boot-time floor: an init that does nothing but say it runs and
 * power the VM off. The VM integration tests and bench/boot.sh time the
 * same kernel to this init and to the guest agent's hello.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(void)
{
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
    if (fd >= 0)
        dprintf(fd, "VMB-TRIVIAL-INIT\n");
    reboot(RB_POWER_OFF);
    return 0;
}
