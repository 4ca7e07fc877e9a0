/*
 * The RESP reader and writer, and the key distributions, of the load
 * generator.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "load/keys.h"
#include "load/load.h"
#include "load/resp.h"

/* A stream of replies, as one redis connection could send them. */
static const char stream[] = "+OK\r\n"
                             "$5\r\nhello\r\n"
                             "$-1\r\n"
                             "-OOM command not allowed\r\n"
                             ":42\r\n"
                             "*2\r\n$1\r\na\r\n*2\r\n:1\r\n$0\r\n\r\n"
                             "*-1\r\n"
                             "$3\r\nb\r\n\r\n";
static const char types[] = "+$$-:**$";
static const bool nils[] = {0, 0, 1, 0, 0, 0, 1, 0};

/* Split at every possible point, the reader sees the same replies. */
Test(load_resp, every_split)
{
    size_t len = strlen(stream);
    for (size_t cut = 0; cut <= len; cut++) {
        struct vmb_resp_reader r = {0};
        struct vmb_resp_reply rep;
        size_t got = 0;
        const char *parts[2][2] = {{stream, stream + cut},
                                   {stream + cut, stream + len}};
        for (int k = 0; k < 2; k++) {
            const char *p = parts[k][0], *end = parts[k][1];
            int st;
            while ((st = vmb_resp_read(&r, &p, end, &rep)) == VMB_RESP_REPLY) {
                cr_assert_lt(got, 8);
                cr_assert_eq(rep.type, types[got], "cut %zu reply %zu", cut,
                             got);
                cr_assert_eq(rep.nil, nils[got], "cut %zu reply %zu", cut, got);
                if (rep.type == '-')
                    cr_assert_eq(strncmp(rep.text, "OOM command not allowed",
                                         rep.text_len),
                                 0);
                got++;
            }
            cr_assert_eq(st, VMB_RESP_MORE);
            cr_assert_eq(p, end);
        }
        cr_assert_eq(got, 8, "cut %zu: %zu replies", cut, got);
        vmb_resp_reader_reset(&r);
    }
}

/* Byte by byte, too. */
Test(load_resp, byte_by_byte)
{
    struct vmb_resp_reader r = {0};
    struct vmb_resp_reply rep;
    size_t got = 0;
    for (size_t i = 0; i < strlen(stream); i++) {
        const char *p = stream + i;
        while (vmb_resp_read(&r, &p, stream + i + 1, &rep) == VMB_RESP_REPLY)
            cr_assert_eq(rep.type, types[got++]);
    }
    cr_assert_eq(got, 8);
    vmb_resp_reader_reset(&r);
}

Test(load_resp, rejects_garbage)
{
    const char *bad[] = {"hello\r\n", "+OK\n", "$abc\r\n", "$-2\r\n", "\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vmb_resp_reader r = {0};
        struct vmb_resp_reply rep;
        const char *p = bad[i];
        cr_assert_eq(vmb_resp_read(&r, &p, bad[i] + strlen(bad[i]), &rep),
                     VMB_RESP_BAD, "%s", bad[i]);
        vmb_resp_reader_reset(&r);
    }
}

Test(load_resp, writes_commands)
{
    char buf[128];
    size_t need = vmb_resp_set_size(7, 3);
    char *end = vmb_resp_put_set(buf, "key:042", 7, "xyz", 3);
    const char want[] = "*3\r\n$3\r\nSET\r\n$7\r\nkey:042\r\n$3\r\nxyz\r\n";
    cr_assert_eq((size_t)(end - buf), strlen(want));
    cr_assert_leq(strlen(want), need);
    cr_assert_eq(memcmp(buf, want, strlen(want)), 0);
    end = vmb_resp_put_get(buf, "k", 1);
    cr_assert_eq(memcmp(buf, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 20), 0);
    cr_assert_eq(end - buf, 20);
    cr_assert_leq(20, vmb_resp_get_size(1));
}

static void
histogram(int dist, uint64_t keys, double skew, uint64_t *counts, int n)
{
    struct vmb_keygen g;
    vmb_keygen_init(&g, dist, keys, skew, 0, keys, 1234);
    for (int i = 0; i < n; i++) {
        uint64_t k = vmb_keygen_next(&g);
        cr_assert_lt(k, keys);
        counts[k]++;
    }
}

Test(load_keys, uniform_even)
{
    uint64_t c[10] = {0};
    histogram(VMB_DIST_UNIFORM, 10, 0, c, 100000);
    for (int i = 0; i < 10; i++)
        cr_assert(c[i] > 9500 && c[i] < 10500, "key %d: %llu", i,
                  (unsigned long long)c[i]);
}

/* Zipfian with exponent 1 over 100 keys: key 0 gets 1/H(100) ~ 19%, key 1
 * half of that. */
Test(load_keys, zipfian_ranks)
{
    uint64_t c[100] = {0};
    histogram(VMB_DIST_ZIPFIAN, 100, 1.0, c, 200000);
    double p0 = c[0] / 200000.0, p1 = c[1] / 200000.0;
    cr_assert(p0 > 0.18 && p0 < 0.205, "p0 %f", p0);
    cr_assert(p1 / p0 > 0.45 && p1 / p0 < 0.55, "p1/p0 %f", p1 / p0);
    for (int i = 1; i < 100; i++)
        cr_assert_leq(c[i], c[0]);
}

Test(load_keys, gaussian_centred)
{
    uint64_t c[600] = {0};
    histogram(VMB_DIST_GAUSSIAN, 600, 0, c, 100000);
    uint64_t mid = 0, edge = 0;
    for (int i = 250; i < 350; i++)
        mid += c[i];
    for (int i = 0; i < 100; i++)
        edge += c[i];
    cr_assert_gt(mid, 5 * edge);
}

/* Sequential generators walk their slice in order and wrap. */
Test(load_keys, sequential_slices)
{
    struct vmb_keygen g;
    vmb_keygen_init(&g, VMB_DIST_SEQUENTIAL, 100, 0, 40, 43, 1);
    uint64_t want[] = {40, 41, 42, 40, 41};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(vmb_keygen_next(&g), want[i]);
}

/* Both the request sizes and the keys' digits are counted with it: the
 * edges of every power of ten, and the widest key index. */
Test(load_resp, digits)
{
    static const struct {
        uint64_t v;
        size_t n;
    } cases[] = {
        {0, 1},   {9, 1},      {10, 2},      {99, 2},
        {100, 3}, {999999, 6}, {1000000, 7}, {UINT64_MAX, 20},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(vmb_resp_digits(cases[i].v), cases[i].n, "%llu",
                     (unsigned long long)cases[i].v);
}
