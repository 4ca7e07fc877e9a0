/* `vmbench options`: every option of a matrix file, from the tables. */
#include <stdio.h>

#include "base/jsonw.h"
#include "base/util.h"
#include "cli.h"
#include "config/config.h"
#include "load/load.h"

const char vmb_usage_options[] =
    "usage: vmbench options [--json]\n\n"
    "Lists every option a matrix file accepts, by section, with its type,\n"
    "default (\"Kata default\" where the option is a Kata knob: the value of\n"
    "Kata's QEMU template), range or choices, Kata configuration.toml name,\n"
    "engine (for a database.engine's own settings, which a cell of another\n"
    "engine refuses) and help.\n\n"
    "  --json   print the same as JSON\n";

enum { OPT_JSON = 256 };

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {NULL, 0, NULL, 0},
};

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
    if (o->engines)
        printf(", engine: %s", o->engines);
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
    vmb_jw_kstr(w, "engines", o->engines);
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
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "unexpected argument \"%s\"; see `vmbench "
                                 "options --help`",
                                 args.arg);
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
