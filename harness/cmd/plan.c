/* `vmbench plan` and `vmbench options`. */
#include <inttypes.h>
#include <stdio.h>

#include "base/util.h"
#include "cli.h"
#include "config/config.h"
#include "config/kata.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "runtime/preflight.h"

const char vmb_usage_plan[] =
    "usage: vmbench plan MATRIX.yaml [--kata configuration.toml] [--json]\n\n"
    "Validates the matrix file and prints its cells (id, label, the Kata\n"
    "configuration.toml values each corresponds to), the bare-metal control\n"
    "runs, the repetitions, the order the runs would go in and a rough\n"
    "duration. Nothing is started.\n\n"
    "It also checks what each cell needs from this host (vhost-net, huge\n"
    "pages, memory for both VMs, traffic shaping, virtiofsd, the engine's\n"
    "programs) and lists every shortfall with its fix on stderr, as\n"
    "`vmbench run` would before refusing; --json carries the same verdicts\n"
    "in its \"preflight\" member, which is not part of the plan (plan.json\n"
    "in a results directory has no such member).\n\n"
    "  --kata FILE  a Kata configuration.toml as the base of every cell,\n"
    "               in place of the matrix's own `kata:` key; its keys\n"
    "               vmbench does not model are listed\n"
    "  --json       print the same as JSON\n\n"
    "exit status: 0 valid (whatever this host lacks), 2 the file has an\n"
    "error (file:line:col named).\n";

const char vmb_usage_options[] =
    "usage: vmbench options [--json]\n\n"
    "Lists every option a matrix file accepts, by section, with its type,\n"
    "default (\"Kata default\" where the option is a Kata knob: the value of\n"
    "Kata's QEMU template), range or choices, Kata configuration.toml name\n"
    "and help.\n\n"
    "  --json   print the same as JSON\n";

enum { OPT_JSON = 256, OPT_KATA };

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {NULL, 0, NULL, 0},
};

static const struct option plan_longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"kata", required_argument, NULL, OPT_KATA},
    {NULL, 0, NULL, 0},
};

static int
usage_error(struct vmb_error **err, const char *cmd, const char *word)
{
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "unexpected argument \"%s\"; see `vmbench %s --help`",
                         word, cmd);
}

static void
print_duration(double s)
{
    if (s < 120)
        printf("%.0fs", s);
    else if (s < 7200)
        printf("%.0fm", s / 60);
    else
        printf("%.1fh", s / 3600);
}

static void
print_plan(const struct vmb_matrix *m, const struct vmb_plan *p)
{
    static const char *orders[] = {"interleaved", "sequential", "random"};
    printf("matrix %s, name \"%s\"\n", m->path, m->name);
    printf("%zu VM cell%s, %zu control%s, %" PRId64 " repetition%s: %zu runs, "
           "about ",
           m->ncells, m->ncells == 1 ? "" : "s", m->ncontrols,
           m->ncontrols == 1 ? "" : "s", m->base.top.repetitions,
           m->base.top.repetitions == 1 ? "" : "s", p->nruns);
    print_duration(p->estimate_s);
    printf(" (rough)\n");
    if (m->kata_path != NULL)
        printf("kata base %s\n", m->kata_path);
    if (m->naxes > 0) {
        printf("axes:");
        for (size_t i = 0; i < m->naxes; i++)
            printf(" %s", m->axis_paths[i]);
        printf("\n");
    }
    printf("\ncells\n");
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_cell *c = &m->cells[i];
        printf("  %s  %s\n", c->id, c->label);
        if (c->control != SIZE_MAX)
            printf("      control %s\n", m->controls[c->control].id);
        struct vmb_kata_setting *s = NULL;
        size_t n = vmb_kata_settings(&c->cfg, &s);
        printf("      configuration.toml [hypervisor.qemu]:\n");
        for (size_t k = 0; k < n; k++)
            if (s[k].table == NULL)
                printf("        %s = %s\n", s[k].key, s[k].value);
        printf("      configuration.toml [runtime]:\n");
        for (size_t k = 0; k < n; k++)
            if (s[k].table != NULL)
                printf("        %s = %s\n", s[k].key, s[k].value);
        vmb_kata_settings_free(s, n);
    }
    printf("\ncontrols (bare metal)\n");
    if (m->ncontrols == 0)
        printf("  none (control.baremetal is off)\n");
    for (size_t i = 0; i < m->ncontrols; i++)
        printf("  %s  %s%s\n", m->controls[i].id, m->controls[i].label,
               m->controls[i].cfg.control.match_resources
                   ? " (pinned and capped like one VM)"
                   : "");
    printf("\norder: %s", orders[p->order]);
    if (p->order == VMB_ORDER_RANDOM)
        printf(", seed %" PRIu64, p->seed);
    printf("\n");
    for (size_t i = 0; i < p->nruns; i++) {
        const struct vmb_plan_run *r = &p->runs[i];
        printf("  %4zu  rep %-3d %-9s %s  %s\n", i + 1, r->rep,
               r->cell->kind == VMB_CELL_VM ? "vm" : "baremetal", r->cell->id,
               r->cell->label);
    }
}

int
vmb_cmd_plan(int argc, char **argv, struct vmb_error **err)
{
    const char *path = NULL, *kata = NULL;
    bool json = false;
    struct vmb_cli_parse args = {.cmd = "plan", .longopts = plan_longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        if (opt == OPT_JSON)
            json = true;
        else if (opt == OPT_KATA)
            kata = args.arg;
        else if (path != NULL)
            return usage_error(err, "plan", args.arg);
        else
            path = args.arg;
    }
    if (opt < 0)
        return -1;
    if (path == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "missing MATRIX.yaml; see `vmbench plan --help`");
    struct vmb_matrix *m = NULL;
    if (vmb_matrix_load_kata(path, kata, &m, err) < 0)
        return -1;
    for (size_t i = 0; i < m->nwarnings; i++)
        fprintf(stderr, "%s\n", m->warnings[i]);
    if (m->kata_path != NULL && m->kata_unmodelled[0] != '\0')
        fprintf(stderr, "vmbench: %s: not modelled: %s\n", m->kata_path,
                m->kata_unmodelled);
    struct vmb_plan *p = NULL;
    if (vmb_plan_build(m, &p, err) < 0) {
        vmb_matrix_free(m);
        return -1;
    }
    struct vmb_preflight *pf = vmb_preflight_check(NULL, m, NULL, NULL);
    if (json) {
        struct vmb_jw w;
        vmb_jw_init(&w, true);
        vmb_jw_obj_begin(&w);
        vmb_plan_json_members(&w, m, p);
        /* The host's verdicts, beside the plan: not part of its identity. */
        vmb_jw_key(&w, "preflight");
        vmb_preflight_to_json(&w, pf);
        vmb_jw_obj_end(&w);
        autofree char *s = vmb_jw_steal(&w);
        fputs(s, stdout);
    } else {
        print_plan(m, p);
    }
    vmb_preflight_print_notes(stderr, pf);
    vmb_preflight_print_lacks(stderr, pf);
    vmb_preflight_free(pf);
    vmb_plan_free(p);
    vmb_matrix_free(m);
    return 0;
}

static const char *
type_name(enum vmb_opt_type t)
{
    switch (t) {
    case VMB_OPT_BOOL:
        return "bool";
    case VMB_OPT_INT:
        return "int";
    case VMB_OPT_SIZE:
        return "size";
    case VMB_OPT_MIB:
        return "MiB";
    case VMB_OPT_DURATION:
        return "duration";
    case VMB_OPT_RATE:
        return "rate";
    case VMB_OPT_DOUBLE:
        return "number";
    case VMB_OPT_STRING:
        return "string";
    case VMB_OPT_ENUM:
        return "choice";
    }
    return "?";
}

static void
option_text(const char *section, const struct vmb_option *o)
{
    autofree char *path = section[0] ? vmb_xasprintf("%s.%s", section, o->name)
                                     : vmb_xstrdup(o->name);
    printf("  %-26s %-8s %s %s", path, type_name(o->type),
           o->alias ? "Kata default" : "default", o->def[0] ? o->def : "\"\"");
    if (o->type == VMB_OPT_ENUM) {
        printf(", one of");
        for (int i = 0; o->choices[i].name; i++)
            printf("%s %s", i ? "," : "", o->choices[i].name);
    } else if (o->min != 0 || o->max != 0) {
        printf(", %.15g to %.15g", o->min, o->max);
    }
    if (o->alias)
        printf(", Kata: %s", o->alias);
    printf("\n      %s\n", o->help);
}

static void
option_json(struct vmb_jw *w, const char *section, const struct vmb_option *o)
{
    autofree char *path = section[0] ? vmb_xasprintf("%s.%s", section, o->name)
                                     : vmb_xstrdup(o->name);
    vmb_jw_obj_begin(w);
    vmb_jw_kstr(w, "path", path);
    vmb_jw_kstr(w, "type", type_name(o->type));
    vmb_jw_kstr(w, "default", o->def);
    if (o->type == VMB_OPT_ENUM) {
        vmb_jw_key(w, "choices");
        vmb_jw_arr_begin(w);
        for (int i = 0; o->choices[i].name; i++)
            vmb_jw_str(w, o->choices[i].name);
        vmb_jw_arr_end(w);
    } else if (o->min != 0 || o->max != 0) {
        vmb_jw_kdouble(w, "min", o->min);
        vmb_jw_kdouble(w, "max", o->max);
    }
    vmb_jw_kstr(w, "kata", o->alias);
    vmb_jw_kbool(w, "kata_default", o->alias != NULL);
    vmb_jw_kstr(w, "help", o->help);
    vmb_jw_obj_end(w);
}

int
vmb_cmd_options(int argc, char **argv, struct vmb_error **err)
{
    bool json = false;
    struct vmb_cli_parse args = {.cmd = "options", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        if (opt == OPT_JSON)
            json = true;
        else
            return usage_error(err, "options", args.arg);
    }
    if (opt < 0)
        return -1;
    if (json) {
        struct vmb_jw w;
        vmb_jw_init(&w, true);
        vmb_jw_arr_begin(&w);
        for (size_t s = 0; s < vmb_nsections; s++)
            for (size_t i = 0; i < vmb_sections[s].noptions; i++)
                option_json(&w, vmb_sections[s].name,
                            &vmb_sections[s].options[i]);
        for (size_t i = 0; i < vmb_nphase_options; i++)
            option_json(&w, "load.phases[]", &vmb_phase_options[i]);
        vmb_jw_arr_end(&w);
        autofree char *s = vmb_jw_steal(&w);
        fputs(s, stdout);
        return 0;
    }
    for (size_t s = 0; s < vmb_nsections; s++) {
        printf("%s\n",
               vmb_sections[s].name[0] ? vmb_sections[s].name : "top level");
        for (size_t i = 0; i < vmb_sections[s].noptions; i++)
            option_text(vmb_sections[s].name, &vmb_sections[s].options[i]);
        printf("\n");
    }
    printf("load.phases: a list of phases, each with\n");
    for (size_t i = 0; i < vmb_nphase_options; i++)
        option_text("load.phases[]", &vmb_phase_options[i]);
    printf(
        "\nmatrix: option: [values] turns options into axes, by dotted path\n"
        "(load.connections), Kata name (default_vcpus) or, for guest\n"
        "options, the bare name (vcpus, memory, iothreads, storage).\n"
        "exclude: a list of { axis: value, ... } combinations to drop.\n"
        "units: durations 250us 500ms 5s 2m 1h; sizes 4k 512M 3G;\n"
        "rates and counts 20000 20k 1.5M; booleans true/false on/off "
        "yes/no.\n");
    return 0;
}
