#include "base/units.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Splits "1.5ms" into 1.5 and "ms"; rejects empty numbers and spaces. */
static int
split_number(const char *s, double *num, const char **suffix)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s) || *s == '-' ||
        *s == '+')
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v) || v < 0)
        return -1;
    /* strtod accepts hex and "inf"; a user value never means those. */
    for (const char *p = s; p < end; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
    *num = v;
    *suffix = end;
    return 0;
}

static int
to_u64(double v, uint64_t *out)
{
    if (v > 1.8e19 || v != v)
        return -1;
    double r = floor(v + 0.5);
    if (fabs(r - v) > 1e-9 * (v > 1 ? v : 1))
        return -1; /* not a whole number of the base unit */
    *out = (uint64_t)r;
    return 0;
}

int
vmb_parse_duration_us(const char *s, uint64_t *out)
{
    double v;
    const char *u;
    if (split_number(s, &v, &u) < 0)
        return -1;
    double mul;
    if (*u == '\0' || strcmp(u, "s") == 0)
        mul = 1e6;
    else if (strcmp(u, "ms") == 0)
        mul = 1e3;
    else if (strcmp(u, "us") == 0)
        mul = 1;
    else if (strcmp(u, "m") == 0 || strcmp(u, "min") == 0)
        mul = 60e6;
    else if (strcmp(u, "h") == 0)
        mul = 3600e6;
    else
        return -1;
    return to_u64(v * mul, out);
}

static int
size_multiplier(const char *u, double *mul)
{
    static const char units[] = "kmgt";
    if (*u == '\0' || strcasecmp(u, "b") == 0) {
        *mul = 1;
        return 0;
    }
    const char *p = strchr(units, tolower((unsigned char)u[0]));
    if (p == NULL)
        return -1;
    const char *rest = u + 1;
    if (*rest != '\0' && strcasecmp(rest, "b") != 0 &&
        strcasecmp(rest, "ib") != 0)
        return -1;
    *mul = pow(1024.0, (double)(p - units + 1));
    return 0;
}

int
vmb_parse_size_bytes(const char *s, uint64_t *out)
{
    double v, mul;
    const char *u;
    if (split_number(s, &v, &u) < 0 || size_multiplier(u, &mul) < 0)
        return -1;
    return to_u64(v * mul, out);
}

int
vmb_parse_mib(const char *s, uint64_t *out)
{
    double v, mul;
    const char *u;
    if (split_number(s, &v, &u) < 0)
        return -1;
    if (*u == '\0')
        return to_u64(v, out);
    if (size_multiplier(u, &mul) < 0 || mul < 1024)
        return -1;
    return to_u64(v * mul / (1024.0 * 1024.0), out);
}

int
vmb_parse_count(const char *s, double *out)
{
    double v;
    const char *u;
    if (split_number(s, &v, &u) < 0)
        return -1;
    if (*u == '\0')
        *out = v;
    else if (strcmp(u, "k") == 0 || strcmp(u, "K") == 0)
        *out = v * 1e3;
    else if (strcmp(u, "M") == 0 || strcmp(u, "m") == 0)
        *out = v * 1e6;
    else if (strcmp(u, "G") == 0 || strcmp(u, "g") == 0)
        *out = v * 1e9;
    else
        return -1;
    return 0;
}

int
vmb_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"true", "on", "yes", "1"};
    static const char *no[] = {"false", "off", "no", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

void
vmb_format_duration_us(uint64_t us, char *buf, size_t len)
{
    if (us != 0 && us % 3600000000u == 0)
        snprintf(buf, len, "%" PRIu64 "h", (uint64_t)(us / 3600000000u));
    else if (us != 0 && us % 60000000u == 0)
        snprintf(buf, len, "%" PRIu64 "m", (uint64_t)(us / 60000000u));
    else if (us % 1000000u == 0)
        snprintf(buf, len, "%" PRIu64 "s", (uint64_t)(us / 1000000u));
    else if (us % 1000u == 0)
        snprintf(buf, len, "%" PRIu64 "ms", (uint64_t)(us / 1000u));
    else
        snprintf(buf, len, "%" PRIu64 "us", us);
}

void
vmb_format_size_bytes(uint64_t b, char *buf, size_t len)
{
    static const char units[] = "kMGT";
    int i = -1;
    while (b != 0 && b % 1024 == 0 && i < 3) {
        b /= 1024;
        i++;
    }
    if (i < 0)
        snprintf(buf, len, "%" PRIu64, b);
    else
        snprintf(buf, len, "%" PRIu64 "%c", b, units[i]);
}
