/*
 * The matrix file: YAML -> base config + axes -> cells (the only module
 * that includes libyaml).
 *
 * A cell is one combination of axis values applied over the base config.
 * Control cells are the bare-metal runs: one per distinct
 * (vcpus, memory, database, load) among the VM cells, shared by all cells
 * that differ only in VM-only settings (storage, iothreads, ...).
 */
#ifndef VMB_MATRIX_H
#define VMB_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "config/config.h"

enum vmb_cell_kind { VMB_CELL_VM, VMB_CELL_CONTROL };

struct vmb_axis; /* one axis of the matrix, inside the loader */

/*
 * A cell's cfg is a view: its strings and phases belong to the matrix
 * (its base or control base, or the values of its axes), which 10^5
 * cells share. Read it; never free or change it.
 */
struct vmb_cell {
    enum vmb_cell_kind kind;
    char id[13]; /* 12 hex digits: hash of the canonical effective config */
    char *label; /* "vcpus=2 memory=3072 iothreads=on storage=9p" */
    struct vmb_config cfg;
    /* VM cells: this cell's value of every axis (canonical formatted),
     * in the order of the matrix's axis_paths */
    const char **values;
    size_t naxes;
    size_t control; /* VM cells: index into controls, SIZE_MAX if none */
};

struct vmb_matrix {
    char *path;
    char *name;
    struct vmb_config base; /* the file's settings before axes */
    char **axis_paths;      /* canonical dotted paths, in file order */
    size_t naxes;
    struct vmb_cell *cells;
    size_t ncells;
    struct vmb_cell *controls;
    size_t ncontrols;
    char **warnings; /* "file:line:col: warning: ..." */
    size_t nwarnings;
    /* The Kata configuration.toml that is the base (kata: or --kata), and
     * its keys vmbench does not model ("enable_debug, ..."); NULL: none */
    char *kata_path;
    char *kata_unmodelled;
    /* What the cells share: the controls' base config, the axes with
     * their values (matrix_priv.h), and the cells' values of the axes */
    struct vmb_config control_base;
    struct vmb_axis *axes;
    const char **cell_values; /* naxes per VM cell */
};

/*
 * Limits of a matrix file, each refused with the numbers before the
 * memory or time it would take is spent. The cell limit lets a 10^5-cell
 * matrix plan (in linear time); the others keep a small file from
 * expanding into gigabytes.
 */
#define VMB_MATRIX_MAX_BYTES (1024 * 1024) /* the file */
#define VMB_MATRIX_MAX_DEPTH 64            /* nested YAML collections */
#define VMB_MATRIX_MAX_NODES 1000000       /* YAML nodes, aliases expanded */
#define VMB_MATRIX_MAX_ANCHORS 256         /* &anchors defined */
#define VMB_MATRIX_MAX_AXES 64
#define VMB_MATRIX_MAX_CELLS 100000   /* combinations of the axes */
#define VMB_MATRIX_MAX_EXCLUDES 1000  /* entries of exclude: */
#define VMB_MATRIX_MAX_RUNS 1000000   /* (cells + controls) x repetitions */
#define VMB_MATRIX_MAX_PHASES 1000000 /* phases x cells */

/*
 * Parses, validates and expands the matrix file at path. On error *err
 * names "file:line:col: key.path: what was expected" and nothing is
 * returned; kind is VMB_ERR_INPUT. Beyond types and ranges, it refuses
 * what a run would refuse later (a name that cannot be a directory name,
 * a subnet a VM network cannot use, a ratio or phase the load generator
 * rejects, an option given twice under two names), a second YAML
 * document, a NUL in a string, and anything over the limits above.
 */
int vmb_matrix_load(const char *path, struct vmb_matrix **out,
                    struct vmb_error **err);

/* Same, from a buffer; name is used in messages in place of a path. */
int vmb_matrix_load_buffer(const char *name, const char *data, size_t len,
                           struct vmb_matrix **out, struct vmb_error **err);

/*
 * The same with a Kata configuration.toml as the base of every cell:
 * kata (relative to the working directory) replaces the file's own
 * `kata:` key (relative to the matrix file); NULL keeps it.
 */
int vmb_matrix_load_kata(const char *path, const char *kata,
                         struct vmb_matrix **out, struct vmb_error **err);
int vmb_matrix_load_buffer_kata(const char *name, const char *data, size_t len,
                                const char *kata, struct vmb_matrix **out,
                                struct vmb_error **err);

void vmb_matrix_free(struct vmb_matrix *m);

/*
 * Computes the 12-hex-digit id of a config: a hash of its canonical JSON
 * (vmb_config_to_json), with the matrix name and repetitions left out so
 * that renaming a run keeps its cells' ids, and options added after the
 * id baseline (struct vmb_option's .since) hashed only where the config
 * sets them off their defaults, so that a new option leaves the ids of
 * cells that keep its default as they were (docs/results-format.md).
 */
void vmb_cell_id(const struct vmb_config *cfg, enum vmb_cell_kind kind,
                 char out[13]);

/* The same over a table of sections laid out on cfg: vmb_sections in
 * vmbench; a test passes a copy with an option added. */
void vmb_cell_id_in(const struct vmb_section *secs, size_t nsecs,
                    const struct vmb_config *cfg, enum vmb_cell_kind kind,
                    char out[13]);

#endif
