/*
 * A running domain's agent channel and serial console carried over
 * libvirt's streams (virDomainOpenChannel, virDomainOpenConsole), so that
 * a domain on another libvirt host (qemu+ssh://, qemu+tcp://) is reached
 * through libvirt's own connection and nothing else. The domain's XML
 * asks for a pty console and a unix channel at a path libvirt picks
 * (vmb_domain_spec.chardev_pty: libvirt streams a console from a pty
 * only, a channel from a unix socket only); the code cannot tell a local
 * URI from a remote one.
 *
 * Mechanics: each relay opens a libvirt connection of its own (a stream
 * that waits on a connection stalls the other calls on it, so the run's
 * is never shared), with keepalive (2 s, 3 misses: a lost connection
 * ends the relay within about 8 s). The bytes move in libvirt's default
 * event loop, which the first relay of the process registers and runs
 * in one thread of its own for the rest of the process's life.
 *
 * Rules:
 * - Call these from any thread; one relay is freed once, by one thread.
 * - The first relay must be made after the process no longer forks
 *   children that call libvirt without exec (doctor's host check does,
 *   before a run starts): its event thread holds libvirt's locks now and
 *   then.
 * - Free a relay before or after destroying its domain, as convenient: a
 *   destroyed domain ends the stream, and the relay then shuts its end
 *   down (the agent client's next read sees EOF) and waits for the free.
 */
#ifndef VMB_VIRT_RELAY_H
#define VMB_VIRT_RELAY_H

#include <stdint.h>

#include "base/error.h"

struct vmb_virt_relay;
struct vmb_virt; /* virt.h */

/* The most a console relay appends to its file; the rest is counted. */
#define VMB_VIRT_RELAY_CONSOLE_CAP (16ull << 20)

/*
 * Opens a connection to uri (vmb_virt_open: its checks, and no_tty=1 for
 * qemu+ssh), looks up the running domain by name and opens its
 * virtio-serial channel `channel` (VMB_AGENT_CHANNEL), taking it from
 * any earlier client. *fd gets one end of a socketpair (SOCK_STREAM,
 * close-on-exec; the caller's to close, e.g. by vmb_agent_connect_fd),
 * whose bytes the relay carries both ways to and from the channel. When
 * the stream ends (domain gone, connection lost) the relay shuts its end
 * down: reads of *fd see EOF, writes fail. Fails, with nothing left
 * open, when the host, the domain or its channel cannot be reached.
 */
int vmb_virt_relay_channel(const char *uri, const char *domain,
                           const char *channel, int *fd,
                           struct vmb_virt_relay **out, struct vmb_error **err);

/*
 * The same for the domain's serial console (its first one), appending
 * what the console prints to file, created with mode 0600 if missing
 * (never through a symbolic link), up to VMB_VIRT_RELAY_CONSOLE_CAP
 * bytes; what comes after is dropped and counted
 * (vmb_virt_relay_dropped). Nothing is ever sent to the console.
 */
int vmb_virt_relay_console(const char *uri, const char *domain,
                           const char *file, struct vmb_virt_relay **out,
                           struct vmb_error **err);

/*
 * Opens a connection to uri (vmb_virt_open) within timeout_us, in libvirt's
 * event loop (started as for a relay) with the relays' keepalive: calls
 * on it fail within about 8 s of its host going silent instead of
 * waiting for TCP. An open given up on at the deadline is left to end
 * in a thread of its own, which then closes it.
 */
int vmb_virt_open_alive(const char *uri, uint64_t timeout_us,
                        struct vmb_virt **out, struct vmb_error **err);

/* How many relays vmb_virt_relay_free left unfreed because the event
 * loop did not let them go within its wait. */
unsigned vmb_virt_relay_leaked(void);

/* Bytes the console relay dropped past its cap (0 for a channel). */
uint64_t vmb_virt_relay_dropped(struct vmb_virt_relay *r);

/*
 * NULL-safe. Stops the relay, aborts its stream and closes its
 * connection and its own descriptors (not the caller's *fd). Bounded:
 * waits at most 2 s for the event loop to let the relay go (the relay is
 * then leaked rather than freed under it), and the calls on a connection
 * that no longer answers end by its keepalive.
 */
void vmb_virt_relay_free(struct vmb_virt_relay *r);

#endif
