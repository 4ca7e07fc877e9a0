/*
 * Options as data (fio/redis style): a table of struct vmb_option
 * describes the fields of one struct: name, type, offset of the field,
 * default (parsed exactly like user input), range or choices, the Kata
 * configuration.toml alias and help. The functions here apply a table to
 * a struct: defaults, parsing a user's text into a field with its range
 * or choice check, canonical formatting, copying, freeing, JSON.
 *
 * Each layer owns the tables of its own structs (the load generator its
 * load and phase options, config/ the VM and database ones); config/
 * gathers them into the sections of a matrix file.
 *
 * Units live in field names: _us microseconds, _bytes bytes, _mib MiB,
 * _per_s per second.
 */
#ifndef VMB_OPTION_H
#define VMB_OPTION_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/jsonw.h"

enum vmb_opt_type {
    VMB_OPT_BOOL,     /* bool;     true/false/on/off/yes/no */
    VMB_OPT_INT,      /* int64_t;  plain integer, k/M/G allowed (x1000) */
    VMB_OPT_SIZE,     /* uint64_t; bytes: 4k, 512M, 3G (x1024) */
    VMB_OPT_MIB,      /* uint64_t; MiB: bare number is MiB, or 512M, 3G */
    VMB_OPT_DURATION, /* uint64_t; microseconds: 500ms, 5s, 2m, 1h, 250us */
    VMB_OPT_RATE,     /* uint64_t; per second: 20000, 20k, 1.5M */
    VMB_OPT_DOUBLE,   /* double */
    VMB_OPT_STRING,   /* char *, owned by the struct */
    VMB_OPT_ENUM,     /* int, the value of the chosen choice */
};

/* One choice of an enum option: the name a user writes and its value. */
struct vmb_choice {
    const char *name;
    int value;
};

struct vmb_option {
    const char *name;
    enum vmb_opt_type type;
    size_t offset;   /* of the field in the struct */
    const char *def; /* default, as the user would write it */
    double min, max; /* numeric range in the stored unit; 0,0 = none */
    const struct vmb_choice *choices; /* VMB_OPT_ENUM: ends with {NULL} */
    const char *alias; /* Kata configuration.toml name, or NULL */
    const char *help;
    /*
     * NULL for an option of the cell id baseline, which every cell id
     * hashes. An option added later names the version that added it
     * ("0.4"): a cell's id hashes it only when the cell sets it off its
     * default, so that default must reproduce what cells ran before the
     * option existed, and never change (docs/results-format.md).
     */
    const char *since;
    /*
     * NULL for an option of every cell, or the names of the
     * database.engine choices it belongs to, comma-separated
     * ("postgres,mariadb"): `options` and `plan` show them, and a cell
     * of another engine that sets it off its default is refused.
     */
    const char *engines;
};

/* Entries of a table, for the declarations next to it. */
#define VMB_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Finds an option by name, then by Kata alias; NULL if none. */
const struct vmb_option *vmb_option_find(const struct vmb_option *opts,
                                         size_t n, const char *name);

/* The closest known name (edit distance) among opts, or NULL if none close. */
const char *vmb_option_suggest(const struct vmb_option *opts, size_t n,
                               const char *name);

/*
 * Parses text as opt's type and stores it at base + opt->offset, after the
 * range or choice check. On failure (VMB_ERR_INPUT) *err says what was
 * expected, e.g. `expected a duration like 500ms, 5s or 2m, got "5x"`,
 * without the key (callers add file:line:col and the key path); the text
 * is shown with control characters made visible and cut to a line.
 * Refused besides type and range: a string with a control character
 * (bytes below 0x20 and 0x7f), and a positive rate that rounds to 0
 * (which would mean closed loop).
 */
int vmb_option_parse(const struct vmb_option *opt, const char *text, void *base,
                     struct vmb_error **err);

/*
 * A user's text as an error message shows it: control characters made
 * visible (\n, \x1b), cut to about 100 bytes with "..." so a message
 * stays one readable line. The caller frees it.
 */
char *vmb_option_shown(const char *text);

/* Formats the stored value canonically ("5s", "4k", "on", "9p"); caller
 * frees. */
char *vmb_option_format(const struct vmb_option *opt, const void *base);

/* Whether the value at base formats as the option's default does. */
bool vmb_option_at_default(const struct vmb_option *opt, const void *base);

/* The name of an enum value among choices; "?" when it has none. */
const char *vmb_choice_name(const struct vmb_choice *choices, int value);

/* Applies every default of a table to base (aborts on a bad default: a bug
 * in the table). */
void vmb_options_defaults(const struct vmb_option *opts, size_t n, void *base);

/* Frees the strings a table's struct owns. */
void vmb_options_free(const struct vmb_option *opts, size_t n, void *base);

/* Deep copy of a table's struct (strings duplicated). */
void vmb_options_copy(const struct vmb_option *opts, size_t n, void *dst,
                      const void *src);

/* A JSON object: each option by name with its canonical formatted value. */
void vmb_options_to_json(struct vmb_jw *w, const struct vmb_option *opts,
                         size_t n, const void *base);

#endif
