#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "base/units.h"

struct dur_case {
    char text[24];
    int ok;
    uint64_t us;
};

ParameterizedTestParameters(units, durations)
{
    static struct dur_case cases[] = {
        {"500ms", 0, 500000},   {"5s", 0, 5000000},
        {"2m", 0, 120000000},   {"1h", 0, 3600000000ull},
        {"250us", 0, 250},      {"1.5s", 0, 1500000},
        {"7", 0, 7000000},      {"0s", 0, 0},
        {"5x", -1, 0},          {"", -1, 0},
        {"-1s", -1, 0},         {"s", -1, 0},
        {" 5s", -1, 0},         {"0x10s", -1, 0},
        {"1.0000001us", -1, 0},
    };
    return cr_make_param_array(struct dur_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dur_case *c, units, durations)
{
    uint64_t v = 0;
    int r = vmb_parse_duration_us(c->text, &v);
    cr_assert_eq(r, c->ok, "parse \"%s\" returned %d", c->text, r);
    if (r == 0)
        cr_assert_eq(v, c->us, "\"%s\" -> %llu", c->text,
                     (unsigned long long)v);
}

struct size_case {
    char text[24];
    int ok;
    uint64_t bytes;
};

ParameterizedTestParameters(units, sizes)
{
    static struct size_case cases[] = {
        {"4096", 0, 4096},
        {"4k", 0, 4096},
        {"4K", 0, 4096},
        {"512M", 0, 536870912},
        {"3G", 0, 3221225472ull},
        {"1T", 0, 1099511627776ull},
        {"64KiB", 0, 65536},
        {"1.5k", 0, 1536},
        {"2x", -1, 0},
        {"k", -1, 0},
        {"0.3", -1, 0},
    };
    return cr_make_param_array(struct size_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct size_case *c, units, sizes)
{
    uint64_t v = 0;
    int r = vmb_parse_size_bytes(c->text, &v);
    cr_assert_eq(r, c->ok, "parse \"%s\" returned %d", c->text, r);
    if (r == 0)
        cr_assert_eq(v, c->bytes);
}

Test(units, mib_rates_bools)
{
    uint64_t mib = 0;
    cr_assert_eq(vmb_parse_mib("1024", &mib), 0);
    cr_assert_eq(mib, 1024);
    cr_assert_eq(vmb_parse_mib("3G", &mib), 0);
    cr_assert_eq(mib, 3072);
    cr_assert_eq(vmb_parse_mib("512M", &mib), 0);
    cr_assert_eq(mib, 512);
    cr_assert_eq(vmb_parse_mib("4k", &mib), -1, "4 KiB is not a whole MiB");
    double n = 0;
    cr_assert_eq(vmb_parse_count("20k", &n), 0);
    cr_assert_float_eq(n, 20000.0, 1e-9);
    cr_assert_eq(vmb_parse_count("1.5M", &n), 0);
    cr_assert_float_eq(n, 1500000.0, 1e-9);
    cr_assert_eq(vmb_parse_count("20q", &n), -1);
    bool b = false;
    const char *yes[] = {"true", "on", "yes", "TRUE", "Yes"};
    const char *no[] = {"false", "off", "no", "Off"};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(vmb_parse_bool(yes[i], &b), 0);
        cr_assert(b, "%s", yes[i]);
    }
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(vmb_parse_bool(no[i], &b), 0);
        cr_assert(!b, "%s", no[i]);
    }
    cr_assert_eq(vmb_parse_bool("maybe", &b), -1);
}

Test(units, canonical_formats_round_trip)
{
    char buf[32];
    vmb_format_duration_us(500000, buf, sizeof(buf));
    cr_assert_str_eq(buf, "500ms");
    vmb_format_duration_us(120000000, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2m");
    vmb_format_duration_us(1500000, buf, sizeof(buf));
    cr_assert_str_eq(buf, "1500ms");
    vmb_format_size_bytes(524288, buf, sizeof(buf));
    cr_assert_str_eq(buf, "512k");
    vmb_format_size_bytes(3221225472ull, buf, sizeof(buf));
    cr_assert_str_eq(buf, "3G");
    vmb_format_size_bytes(1000, buf, sizeof(buf));
    cr_assert_str_eq(buf, "1000");
}
