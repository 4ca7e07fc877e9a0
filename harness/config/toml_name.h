/*
 * TOML key names in a normal form, so that the spellings of one name
 * compare equal ([hypervisor.qemu], [ "hypervisor" . 'qemu' ]) and
 * different names never do: parts joined with ".", a bare part as
 * written, any other part (its decoded text) in double quotes with ".",
 * "\"" and "\\" escaped by a backslash, so "a.b" (one part) is not a.b.
 */
#ifndef VMB_TOML_NAME_H
#define VMB_TOML_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* Appends one decoded key part of n bytes to out, in normal form. */
void vmb_toml_name_part(struct vmb_buf *out, const char *part, size_t n);

/* Appends the UTF-8 encoding of a code point (<= 0x10ffff). */
void vmb_toml_put_utf8(struct vmb_buf *out, uint32_t cp);

/* Whether name is prefix or lies inside it (prefix followed by "."). */
bool vmb_toml_name_within(const char *name, const char *prefix);

/* The first part of a name ("a" of a.b), for the caller to free. */
char *vmb_toml_name_first(const char *name);

#endif
