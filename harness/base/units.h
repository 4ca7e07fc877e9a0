/*
 * Parsing and formatting of values with units, as a user writes them in a
 * matrix file or on the `vmbench stress` command line.
 */
#ifndef VMB_UNITS_H
#define VMB_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "250us", "500ms", "5s", "2m", "1h", "1.5s"; a bare number is seconds. */
int vmb_parse_duration_us(const char *s, uint64_t *out);
/* "4096", "4k", "512M", "3G", "1T", "64KiB" (powers of 1024). */
int vmb_parse_size_bytes(const char *s, uint64_t *out);
/* As sizes, but a bare number is MiB ("1024", "3G" -> 3072). */
int vmb_parse_mib(const char *s, uint64_t *out);
/* "20000", "20k", "1.5M" (powers of 1000); a rate or count. */
int vmb_parse_count(const char *s, double *out);
/* true/false/on/off/yes/no/1/0, case-insensitive. */
int vmb_parse_bool(const char *s, bool *out);

/* Canonical forms: the shortest exact "5s", "500ms", "4k", "3G", "20k". */
void vmb_format_duration_us(uint64_t us, char *buf, size_t len);
void vmb_format_size_bytes(uint64_t b, char *buf, size_t len);

#endif
