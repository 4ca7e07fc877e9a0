/*
 * Inside the matrix loader: matrix.c reads the YAML (the only file that
 * includes libyaml); matrix_check.c holds the checks of values and the
 * messages; matrix_expand.c turns axes and exclude entries into cells and
 * controls. Not for use outside config/.
 */
#ifndef VMB_MATRIX_PRIV_H
#define VMB_MATRIX_PRIV_H

#include <stddef.h>

#include "base/util.h"
#include "config/matrix.h"
#include "config/strmap.h"

/* A place in the matrix file, 1-based, for messages. */
struct vmb_mpos {
    size_t line, col;
};

/*
 * Sets *err to "file:line:col: path: message" (without "path: " when
 * path is NULL or empty), kind VMB_ERR_INPUT; returns -1.
 */
int vmb_matrix_fail(struct vmb_error **err, const char *file,
                    struct vmb_mpos pos, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Adds "file:line:col: warning: message" to m's warnings. */
void vmb_matrix_warn(struct vmb_matrix *m, const char *file,
                     struct vmb_mpos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Checks a value the option engine accepted against what a run needs:
 * the run name is a label for a directory name; the subnet one a VM
 * network can use. Returns NULL when fine, else the message (caller
 * frees), without file or key.
 */
char *vmb_matrix_check_value(const struct vmb_option *opt, const void *base);

/* A run name made from a file name: "my test.yaml" -> "my_test". */
char *vmb_matrix_default_name(const char *path);

/*
 * An option the file gives (a section's key or an axis), where, and
 * under which name: what a shorthand's implied value is checked
 * against. A default, or a value from a Kata base file, is no such
 * option: the matrix file overrides its base.
 */
struct vmb_given {
    const struct vmb_section *sec;
    const struct vmb_option *opt;
    char *key; /* "guest.blk_driver", "matrix.block_device_driver" */
    struct vmb_mpos pos;
};

void vmb_given_free(struct vmb_given *g, size_t n);

/*
 * The implications of shorthands, as one table (matrix_check.c): a
 * value of one option that fixes the value of another (storage
 * virtio-blk: blk_driver virtio-blk). Prepared once for a file's given
 * options, then checked per cell after expansion: a cell where the
 * shorthand holds and the given option says otherwise is refused with
 * both keys' places, so no label names a value the cell does not run.
 */
struct vmb_implied;
struct vmb_implied *vmb_implied_new(const struct vmb_given *given,
                                    size_t ngiven);
void vmb_implied_free(struct vmb_implied *im);
/* Returns 0, or -1 with *err set ("file:line:col: key: ..."). */
int vmb_implied_check(const struct vmb_implied *im, const char *file,
                      const struct vmb_cell *cell, struct vmb_error **err);

/* One axis of the matrix: an option and its values, in file order. */
struct vmb_axis {
    const struct vmb_section *sec;
    const struct vmb_option *opt;
    char *path;    /* canonical "guest.vcpus" */
    char *label;   /* "vcpus" for guest options, else the path */
    char **values; /* canonical formatted values */
    size_t nvalues;
    struct vmb_strmap index; /* value -> its index in values */
};

/* One entry of exclude: a value for some of the axes. */
struct vmb_exclude {
    size_t naxes;
    size_t *axis;  /* indexes into the axes */
    size_t *value; /* index of the value in its axis; SIZE_MAX: none */
    struct vmb_mpos pos;
};

void vmb_axes_free(struct vmb_axis *axes, size_t n);
void vmb_excludes_free(struct vmb_exclude *rules, size_t n);

/* What expansion needs; m receives cells, controls and warnings. */
struct vmb_expand {
    const char *file;
    struct vmb_error **err;
    struct vmb_matrix *m;
    const struct vmb_config *base;
    const struct vmb_axis *axes;
    size_t naxes;
    const struct vmb_exclude *rules;
    size_t nrules;
    struct vmb_mpos pos;           /* of matrix:, or of the file's start */
    const struct vmb_given *given; /* the options the file gives */
    size_t ngiven;
};

/*
 * Fills m->cells and m->controls: the product of the axes (last axis
 * fastest) less the excluded combinations. Refuses, before allocating
 * them, more cells, runs or phases than the limits of matrix.h, and a
 * matrix whose every combination is excluded. Time linear in the cells
 * (and the exclude entries / 64 per cell).
 */
int vmb_matrix_expand(const struct vmb_expand *x);

/*
 * The ids of many configs that differ from one template only in some
 * options (the holes), in cell_id.c: the text of the id between the
 * holes is hashed once, so an id costs the formatting of the holes, not
 * of every option. Gives the same ids as vmb_cell_id. Set kind, add the
 * holes, then init; a later option (.since) is no hole, its line is made
 * for each config.
 */
struct vmb_id_template {
    enum vmb_cell_kind kind;
    const struct vmb_option *holes[VMB_MATRIX_MAX_AXES + 2];
    const struct vmb_section *hsec[VMB_MATRIX_MAX_AXES + 2];
    size_t nholes;
    char *json;
    size_t *seg, *seglen; /* nholes + 1 pieces of json */
    bool ok;              /* json split as expected */
    /* The last id's holes (escaped) and the hash after piece i: the next
     * id starts again only from the first hole whose value changed. */
    struct vmb_buf *last;
    uint64_t *state;
    bool primed;
};

void vmb_id_template_hole(struct vmb_id_template *t,
                          const struct vmb_section *sec,
                          const struct vmb_option *opt);
void vmb_id_template_init(struct vmb_id_template *t,
                          const struct vmb_config *tmpl);
void vmb_id_template_free(struct vmb_id_template *t);

/* The id of cfg, which differs from t's template only in its holes;
 * scratch is a buffer to reuse. */
void vmb_id_of(struct vmb_id_template *t, const struct vmb_config *cfg,
               struct vmb_buf *scratch, char out[13]);

#endif
