/*
 * `vmbench stress URL PHASE [key=value ...]`: the load generator alone,
 * against any Redis server. Options are the matrix's `load:` section and
 * phase options, parsed by the same tables.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config/config.h"
#include "load/load.h"
#include "base/util.h"

struct stress_args {
    const char *url;
    const char *replica_url;
    const char *json_path;
    const char *csv_path;
    const char *hgrm_path;
    bool quiet;
    struct vmb_load_flags flags;
};

static int
apply_word(const char *word, struct vmb_load_opts *opts,
           struct vmb_phase *phase, struct vmb_error **err)
{
    const char *eq = strchr(word, '=');
    if (eq == NULL || eq == word)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected key=value, got \"%s\"", word);
    autofree char *key = vmb_xstrndup(word, (size_t)(eq - word));
    const char *value = eq + 1;
    const struct vmb_section *load = vmb_section_find("load");
    const struct vmb_option *opt =
        vmb_option_find(vmb_phase_options, vmb_nphase_options, key);
    void *base = phase;
    if (opt == NULL) {
        opt = vmb_option_find(load->options, load->noptions, key);
        base = opts;
    }
    if (opt == NULL) {
        const char *hint =
            vmb_option_suggest(load->options, load->noptions, key);
        if (hint == NULL)
            hint =
                vmb_option_suggest(vmb_phase_options, vmb_nphase_options, key);
        if (hint)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "unknown option \"%s\"; did you mean "
                                 "\"%s\"?",
                                 key, hint);
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "unknown option \"%s\"; see `vmbench stress "
                             "--help`",
                             key);
    }
    if (vmb_option_parse(opt, value, base, err) < 0)
        return vmb_error_prefix(err, "option \"%s\"", key);
    return 0;
}

static int
parse_args(int argc, char **argv, struct stress_args *a,
           struct vmb_load_opts *opts, struct vmb_phase *phase,
           struct vmb_error **err)
{
    int positional = 0;
    bool have_n = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **dest = NULL;
        if (strcmp(arg, "--json") == 0)
            dest = &a->json_path;
        else if (strcmp(arg, "--csv") == 0)
            dest = &a->csv_path;
        else if (strcmp(arg, "--hgrm") == 0)
            dest = &a->hgrm_path;
        else if (strcmp(arg, "--replica") == 0)
            dest = &a->replica_url;
        if (dest != NULL) {
            if (i + 1 >= argc)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "\"%s\" needs a value", arg);
            *dest = argv[++i];
            continue;
        }
        if (strcmp(arg, "--no-latency") == 0) {
            a->flags.no_latency = true;
            continue;
        }
        if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            a->quiet = true;
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-')
            return vmb_error_set(err, VMB_ERR_INPUT, 0, "unknown flag \"%s\"",
                                 arg);
        if (positional == 0) {
            a->url = arg;
            positional++;
        } else if (positional == 1) {
            const struct vmb_option *op =
                vmb_option_find(vmb_phase_options, vmb_nphase_options, "op");
            if (vmb_option_parse(op, arg, phase, err) < 0)
                return vmb_error_prefix(err, "phase \"%s\"", arg);
            positional++;
        } else {
            if (apply_word(arg, opts, phase, err) < 0)
                return -1;
            if (vmb_str_has_prefix(arg, "n=") ||
                vmb_str_has_prefix(arg, "duration="))
                have_n = true;
        }
    }
    if (positional < 2)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "expected URL and PHASE; see `vmbench stress "
                             "--help`");
    if (!have_n || (phase->n == 0 && phase->duration_us == 0))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "give the phase a length: n=COUNT or "
                             "duration=TIME");
    return 0;
}

static void
on_progress(void *ctx, const struct vmb_load_progress *p)
{
    (void)ctx;
    char line[160];
    snprintf(line, sizeof(line),
             "\r%s %6.0fs %s %12llu ops %10.0f op/s %8llu errors",
             vmb_op_name(p->op), p->elapsed_s, p->warmup ? "warmup " : "",
             (unsigned long long)p->ops, p->ops_per_s,
             (unsigned long long)p->errors);
    fputs(line, stderr);
    fflush(stderr);
}

static int
write_buf(const char *path, struct vmb_buf *b, struct vmb_error **err)
{
    autofree char *data = vmb_buf_steal(b);
    if (vmb_write_file_atomic(path, data, strlen(data), err) < 0)
        return vmb_error_prefix(err, "write \"%s\"", path);
    return 0;
}

int
vmb_cmd_stress(int argc, char **argv, struct vmb_error **err)
{
    const struct vmb_section *load = vmb_section_find("load");
    struct vmb_load_opts opts;
    struct vmb_phase phase;
    struct stress_args a = {0};
    struct vmb_load_target primary, replica;
    struct vmb_load_result *res = NULL;
    int rc = -1;

    memset(&opts, 0, sizeof(opts));
    memset(&phase, 0, sizeof(phase));
    vmb_options_defaults(load->options, load->noptions, &opts);
    vmb_options_defaults(vmb_phase_options, vmb_nphase_options, &phase);
    if (parse_args(argc, argv, &a, &opts, &phase, err) < 0)
        goto out;
    if (vmb_load_target_parse(a.url, &primary, err) < 0)
        goto out;
    if (a.replica_url &&
        vmb_load_target_parse(a.replica_url, &replica, err) < 0)
        goto out;

    vmb_signals_install();
    bool tty = !a.quiet && isatty(STDERR_FILENO);
    if (vmb_load_run_phase_flags(
            &opts, &phase, 0, &primary, a.replica_url ? &replica : NULL,
            &a.flags, tty ? on_progress : NULL, NULL, &res, err) < 0) {
        if (tty)
            fputs("\n", stderr);
        vmb_error_prefix(err, "%s against \"%s\"", vmb_op_name(phase.op),
                         primary.name);
        goto out;
    }
    if (tty)
        fputs("\n", stderr);

    struct vmb_buf b = {0};
    if (!a.quiet) {
        vmb_load_result_summary(&b, res);
        fputs(b.data, stdout);
        vmb_buf_free(&b);
    }
    if (a.json_path) {
        struct vmb_jw w;
        vmb_jw_init(&w, true);
        vmb_load_result_to_json(&w, res);
        vmb_buf_append(&w.buf, "\n", 1);
        if (write_buf(a.json_path, &w.buf, err) < 0)
            goto out;
        vmb_jw_free(&w);
    }
    if (a.csv_path) {
        vmb_load_csv_header(&b);
        vmb_load_result_to_csv(&b, res);
        if (write_buf(a.csv_path, &b, err) < 0)
            goto out;
    }
    if (a.hgrm_path) {
        vmb_load_result_to_hgrm(&b, res);
        if (write_buf(a.hgrm_path, &b, err) < 0)
            goto out;
    }
    rc = vmb_load_result_interrupted(res) || vmb_load_result_errors(res) > 0
             ? 1
             : 0;
out:
    vmb_load_result_free(res);
    vmb_options_free(load->options, load->noptions, &opts);
    vmb_options_free(vmb_phase_options, vmb_nphase_options, &phase);
    return rc;
}
