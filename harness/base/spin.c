/*
 * The compute loop of the emulation factor (rawprobe.h). The host
 * (libvmb_base) and the guest agent compile this one file with the same
 * fixed flags (-O2, no sanitizer or coverage instrumentation; see the
 * CMakeLists), so both sides run the same machine code whatever the
 * build type.
 *
 * What it must be: CPU-bound (no system call, no allocation inside the
 * timed part, a working set of 64 KiB that stays in the caches) and like
 * the code a database or a guest kernel runs, not a single chain of
 * dependent arithmetic. A chain like that leaves most of a host core's
 * execution units idle, and an emulator's extra instructions fill them
 * for free: such a loop measured a TCG guest about 2x slower where whole
 * workloads run 5-20x slower. So each round mixes what emulation makes
 * dear: loads and stores (each one a software TLB lookup under TCG),
 * data-dependent branches, a short byte-wise compare, and an indirect
 * call and its return (a lookup of the translated target each).
 */
#include "base/rawprobe.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAB_WORDS = 8192 }; /* 64 KiB */

typedef uint64_t (*spin_step)(uint64_t *tab, uint64_t x);

static uint64_t
spin_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Integer mixing with a read-modify-write of one word. */
static __attribute__((noinline)) uint64_t
step_mix(uint64_t *tab, uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 29;
    tab[x % TAB_WORDS] += x;
    return x + tab[(x >> 17) % TAB_WORDS];
}

/* A walk of eight words with a branch on each. */
static __attribute__((noinline)) uint64_t
/* cppcheck-suppress constParameter ; a spin_step, as step_swap that writes */
step_walk(uint64_t *tab, uint64_t x)
{
    size_t at = (size_t)(x >> 7) % (TAB_WORDS - 8);
    uint64_t acc = x;
    for (int i = 0; i < 8; i++) {
        uint64_t v = tab[at + (size_t)i];
        if (v & 7) /* mostly taken, as most branches are */
            acc += v >> 3;
        else
            acc ^= v << 5;
    }
    return acc * 0x9e3779b97f4a7c15ull + 1;
}

/* A byte-wise compare of two 32-byte keys, as an index lookup does. */
static __attribute__((noinline)) uint64_t
step_cmp(uint64_t *tab, uint64_t x)
{
    const unsigned char *a =
        (const unsigned char *)&tab[(x >> 11) % (TAB_WORDS - 4)];
    const unsigned char *b =
        (const unsigned char *)&tab[(x >> 23) % (TAB_WORDS - 4)];
    int i = 0;
    while (i < 32 && a[i] == b[i])
        i++;
    uint64_t r = i < 32 ? (uint64_t)(a[i] - b[i]) : 0;
    return (x ^ r) * 0xc2b2ae3d27d4eb4full + (uint64_t)i;
}

/* A swap of two words, as a sort or a free-list update does. */
static __attribute__((noinline)) uint64_t
step_swap(uint64_t *tab, uint64_t x)
{
    size_t i = (size_t)(x >> 3) % TAB_WORDS, j = (size_t)(x >> 41) % TAB_WORDS;
    uint64_t t = tab[i];
    if (t > tab[j]) {
        tab[i] = tab[j];
        tab[j] = t;
    }
    return (x << 7 | x >> 57) + t;
}

/* Read through a volatile pointer, so the compiler cannot see which step
 * a call goes to and has to make it indirect. */
static spin_step const steps[4] = {step_mix, step_walk, step_cmp, step_swap};
static spin_step const *volatile steps_p = steps;

uint64_t
vmb_rawprobe_spin(uint64_t iters)
{
    uint64_t *tab = calloc(TAB_WORDS, sizeof(*tab));
    if (tab == NULL)
        return 0;
    uint64_t seed = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < TAB_WORDS; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        /* Neighbouring words often equal in their low bytes, so that the
         * compare runs a few bytes before it differs. */
        tab[i] = (i % 3 == 0) ? tab[i ? i - 1 : 0] ^ (seed >> 40 << 40) : seed;
    }
    spin_step const *st = steps_p;
    volatile uint64_t sink;
    uint64_t x = seed, t0 = spin_now_ns();
    for (uint64_t i = 0; i < iters; i++)
        x = st[i & 3](tab, x ^ i);
    uint64_t ns = spin_now_ns() - t0;
    sink = x;
    (void)sink;
    free(tab);
    return ns;
}
