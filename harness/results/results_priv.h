/*
 * Reading a results directory, private to the results*.c files of
 * report/ (the only ones that include json-c): files read safely, and
 * every JSON value checked for its type and range before it is used.
 *
 * A results directory is untrusted input (it travels with blog posts and
 * bug reports): a file is read only when it is a regular file (no
 * symlink, FIFO or device is followed) and no larger than a limit, and a
 * value that a run could not have written is a bad field.
 */
#ifndef VMB_RESULTS_PRIV_H
#define VMB_RESULTS_PRIV_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "results/results.h"

/* The largest files read: plan.json lists every run of a large matrix. */
#define VMB_RES_JSON_MAX ((size_t)64 << 20)
#define VMB_RES_PLAN_MAX ((size_t)512 << 20)
#define VMB_RES_TEXT_MAX ((size_t)256 << 20)

/* What a path inside the results directory is, without following it. */
enum vmb_res_kind { VMB_RES_NONE, VMB_RES_FILE, VMB_RES_DIR, VMB_RES_OTHER };
enum vmb_res_kind vmb_res_kind_of(const char *path);

/*
 * Reads the regular file path (up to max bytes) into *text (malloc'd,
 * NUL-terminated). Anything else at path (a symlink, FIFO, device or
 * directory) fails with VMB_ERR_INPUT "...: not a regular file".
 */
int vmb_res_read_file(const char *path, size_t max, char **text, size_t *len,
                      struct vmb_error **err);

/*
 * Parses text (len bytes) as one JSON value with nothing but white space
 * after it: 0 and *out, or -1 with *why (static) and *at, the offset
 * where parsing stopped.
 */
int vmb_res_parse_json(const char *text, size_t len, struct json_object **out,
                       const char **why, size_t *at);

/*
 * Parses the JSON object file path (read as above): malformed JSON fails
 * with "path:line: malformed JSON: ...", a schema other than 1 likewise.
 */
int vmb_res_load_json(const char *path, size_t max, struct json_object **out,
                      struct vmb_error **err);

/* Appends a warning to r, made safe for a terminal. */
void vmb_res_warn(struct vmb_results *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Where values are read from, for naming a bad field. With r set, each
 * bad field is a warning ("path: field: why; left out") and its value is
 * dropped; without, the first bad field is kept in err and the caller
 * fails with it.
 */
struct vmb_res_ctx {
    const char *path;
    struct vmb_results *r;
    struct vmb_error *err;
};

/* Records a bad field pfx.key (pfx may be NULL or empty). */
void vmb_res_bad(struct vmb_res_ctx *c, const char *pfx, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* o's member key, or NULL when o is NULL or has no such member. */
struct json_object *vmb_res_member(struct json_object *o, const char *key);

/*
 * Typed members: NULL (or NAN, or false) when missing or null; a member
 * of another type, or out of range, is a bad field and reads as missing.
 */
struct json_object *vmb_res_obj(struct vmb_res_ctx *c, struct json_object *o,
                                const char *pfx, const char *key);
struct json_object *vmb_res_arr(struct vmb_res_ctx *c, struct json_object *o,
                                const char *pfx, const char *key);
/* A string, copied (caller frees). */
char *vmb_res_str(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
                  const char *key);
/* A finite number in [min, max]. */
double vmb_res_num(struct vmb_res_ctx *c, struct json_object *o,
                   const char *pfx, const char *key, double min, double max);
/* The same of a value itself (an array element), named pfx. */
double vmb_res_num_of(struct vmb_res_ctx *c, struct json_object *v,
                      const char *pfx, double min, double max);
/* An integer in [min, max], range-checked before any conversion. */
bool vmb_res_int(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
                 const char *key, int64_t min, int64_t max, int64_t *out);

/* A seed: an integer from 0 to 2^64 - 1. */
bool vmb_res_seed(struct vmb_res_ctx *c, struct json_object *o, const char *pfx,
                  const char *key, uint64_t *out);

/* A counter, rate, duration or latency: finite and not negative. */
#define VMB_RES_NONNEG 0.0, HUGE_VAL

/*
 * Whether id is an id vmbench makes (config/matrix.c, vmb_cell_id): 12
 * lowercase hexadecimal digits, and so safe as a path component.
 */
bool vmb_res_valid_id(const char *id);

/* The rep<k> directories of c->dir into c (results.c). */
void vmb_res_load_reps(struct vmb_results *r, struct vmb_res_cell *c);
/* Frees what c owns (results.c). */
void vmb_res_free_cell(struct vmb_res_cell *c);

/* run.json's "merged" member into r->hosts (run_json.c). */
void vmb_res_read_merged(struct vmb_res_ctx *x, struct json_object *run);
/* Each host's calibration copy, once r->hosts is read (results_hosts.c). */
void vmb_res_load_calibrations(struct vmb_results *r);
void vmb_res_hosts_free(struct vmb_results *r);

/* ---- results_res.c ---- */

/*
 * Reads result.json's "phase_resources", "probe" and "sampling" (o the
 * whole file) into rep, whose phases are read already; sets every figure
 * it does not find to NAN.
 */
void vmb_res_read_resources(struct vmb_res_ctx *c, struct json_object *o,
                            struct vmb_res_rep *rep);

/* ---- results_rep.c ---- */

/* Reads result.json's "phases" array ph into rep. */
void vmb_res_read_phases(struct vmb_res_ctx *c, struct json_object *ph,
                         struct vmb_res_rep *rep);

/* ---- result_json.c ---- */

/*
 * Reads config.json at path into c (options, cfg, label when c has
 * none). Fails naming the file and the option when it cannot be used.
 */
int vmb_res_read_config(const char *path, struct vmb_res_cell *c,
                        struct vmb_error **err);

/* Reads run.json's object o into x->r->run (run_json.c). */
void vmb_res_read_run(struct vmb_res_ctx *x, struct json_object *o);

/* The largest repetition number a results directory may hold. */
#define VMB_RES_MAX_REP 100000

/* The cell of a checked id (a path component), added when new. */
struct vmb_res_cell *vmb_res_add_cell(struct vmb_results *r, bool control,
                                      const char *id);
/* Notes run k of a known cell as "missing" unless it has one. */
void vmb_res_add_missing_run(struct vmb_results *r, bool control,
                             const char *id, int k);

/* plan.json's object into x->r: its name, order, repetitions, seed, shard,
 * axes and cells (plan_json.c); then, once the directories are walked,
 * the runs it lists that have none. */
void vmb_res_read_plan(struct vmb_res_ctx *x, struct json_object *plan);
void vmb_res_read_plan_runs(struct vmb_res_ctx *x, struct json_object *plan);

#endif
