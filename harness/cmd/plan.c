/* `vmbench plan`: arguments to the matrix loader and the plan. */
#include <inttypes.h>
#include <stdio.h>

#include "base/util.h"
#include "cli.h"
#include "config/config.h"
#include "config/kata.h"
#include "config/matrix.h"
#include "config/plan.h"
#include "config/shard.h"
#include "results/plan_json.h"
#include "runtime/preflight.h"

const char vmb_usage_plan[] =
    "usage: vmbench plan MATRIX.yaml [--kata configuration.toml] [--json]\n"
    "                    [--shards N | --shard K/N]\n\n"
    "Validates the matrix file and prints its cells (id, label, the Kata\n"
    "configuration.toml values each corresponds to), the bare-metal control\n"
    "runs, the repetitions, the order the runs would go in and a rough\n"
    "duration. Nothing is started.\n\n"
    "It also checks what each cell needs from this host (vhost-net, huge\n"
    "pages, memory for both VMs, traffic shaping, virtiofsd, the engine's\n"
    "programs) and lists every shortfall with its fix on stderr, as\n"
    "`vmbench run` would before refusing; --json carries the same verdicts\n"
    "in its \"preflight\" member, which is not part of the plan (plan.json\n"
    "in a results directory has no such member). It says too which channel\n"
    "the guest agents of cells with agent_transport auto get here, vsock\n"
    "(where /dev/vhost-vsock and the guest kernel allow it) or virtio-serial,\n"
    "and why (\"preflight\".\"agent_transport\" with --json).\n\n"
    "  --kata FILE  a Kata configuration.toml as the base of every cell,\n"
    "               in place of the matrix's own `kata:` key; its keys\n"
    "               vmbench does not model are listed\n"
    "  --json       print the same as JSON\n"
    "  --shards N   the partition into N shards (for N hosts; `vmbench run\n"
    "               --shard K/N` runs one): each shard's controls, cells,\n"
    "               runs and estimated time. Whole control groups (a\n"
    "               control and the VM cells compared with it) go to one\n"
    "               shard, largest first to the least loaded; the first\n"
    "               control also runs on every other shard, as that host's\n"
    "               calibration. The same matrix and vmbench give the same\n"
    "               shards on every host\n"
    "  --shard K/N  the plan of shard K (0 to N-1) alone\n\n"
    "exit status: 0 valid (whatever this host lacks), 2 the file has an\n"
    "error (file:line:col named).\n";

enum { OPT_JSON = 256, OPT_KATA, OPT_SHARDS, OPT_SHARD };

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"kata", required_argument, NULL, OPT_KATA},
    {"shards", required_argument, NULL, OPT_SHARDS},
    {"shard", required_argument, NULL, OPT_SHARD},
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
print_setting(const struct vmb_kata_setting *s)
{
    fputs("        ", stdout);
    fputs(s->key, stdout);
    fputs(" = ", stdout);
    fputs(s->value, stdout);
    fputc('\n', stdout);
}

/* The host: settings a cell's runs change (and restore), if any. */
static void
print_host(const struct vmb_config *cfg)
{
    if (!vmb_config_changes_host(cfg))
        return;
    const struct vmb_section *s = vmb_section_find("host");
    const void *base = (const char *)cfg + s->offset;
    fputs("      host settings, applied before each run and restored after:",
          stdout);
    for (size_t i = 0; i < s->noptions; i++) {
        if (vmb_option_at_default(&s->options[i], base))
            continue;
        autofree char *v = vmb_option_format(&s->options[i], base);
        printf(" host.%s=%s", s->options[i].name, v);
    }
    fputs("\n", stdout);
}

static void
print_plan(const struct vmb_matrix *m, const struct vmb_plan *p)
{
    static const char *orders[] = {"interleaved", "sequential", "random"};
    printf("matrix %s, name \"%s\"\n", m->path, m->name);
    size_t ncells = 0, ncontrols = 0;
    for (size_t i = 0; i < m->ncells; i++)
        ncells += p->cell_in == NULL || p->cell_in[i];
    for (size_t i = 0; i < m->ncontrols; i++)
        ncontrols += p->control_in == NULL || p->control_in[i];
    if (p->nshards > 0)
        printf("shard %zu of %zu (0-based; plan %s)\n", p->shard, p->nshards,
               p->id);
    printf("%zu VM cell%s, %zu control%s, %" PRId64 " repetition%s: %zu runs, "
           "about ",
           ncells, ncells == 1 ? "" : "s", ncontrols, ncontrols == 1 ? "" : "s",
           m->base.top.repetitions, m->base.top.repetitions == 1 ? "" : "s",
           p->nruns);
    print_duration(p->estimate_s);
    printf(" (rough)\n");
    if (m->kata_path != NULL)
        printf("kata base %s\n", m->kata_path);
    if (m->naxes > 0) {
        printf("axes:");
        for (size_t i = 0; i < m->naxes; i++) {
            const struct vmb_section *sec = NULL;
            const struct vmb_option *opt = NULL;
            printf(" %s", m->axis_paths[i]);
            /* An engine's own setting says whose it is. */
            if (vmb_option_resolve(m->axis_paths[i], &sec, &opt) == 0 &&
                opt != NULL && opt->engines != NULL)
                printf(" (%s)", opt->engines);
        }
        printf("\n");
    }
    printf("\ncells\n");
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_cell *c = &m->cells[i];
        if (p->cell_in != NULL && !p->cell_in[i])
            continue;
        printf("  %s  %s\n", c->id, c->label);
        if (c->control != SIZE_MAX)
            printf("      control %s\n", m->controls[c->control].id);
        print_host(&c->cfg);
        if (vmb_config_nodes(&c->cfg) == 1)
            printf("      one node: one VM, node 2 not started "
                   "(database.engine %s has no replica)\n",
                   vmb_engine_name(c->cfg.database.engine));
        struct vmb_kata_setting *s = NULL;
        size_t n = vmb_kata_settings(&c->cfg, &s);
        /* Pieces, not printf: this runs for every cell. */
        fputs("      configuration.toml [hypervisor.qemu]:\n", stdout);
        for (size_t k = 0; k < n; k++)
            if (s[k].table == NULL)
                print_setting(&s[k]);
        fputs("      configuration.toml [runtime]:\n", stdout);
        for (size_t k = 0; k < n; k++)
            if (s[k].table != NULL)
                print_setting(&s[k]);
        vmb_kata_settings_free(s, n);
    }
    printf("\ncontrols (bare metal)\n");
    if (m->ncontrols == 0)
        printf("  none (control.baremetal is off)\n");
    for (size_t i = 0; i < m->ncontrols; i++) {
        if (p->control_in != NULL && !p->control_in[i])
            continue;
        printf("  %s  %s%s%s\n", m->controls[i].id, m->controls[i].label,
               m->controls[i].cfg.control.match_resources
                   ? " (pinned and capped like one VM)"
                   : "",
               p->control_in != NULL && p->control_in[i] == 2
                   ? " (this host's calibration)"
                   : "");
        print_host(&m->controls[i].cfg);
    }
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

static void
print_shards(const struct vmb_matrix *m, const struct vmb_plan *p,
             const struct vmb_shards *s)
{
    printf("matrix %s, name \"%s\", plan %s\n", m->path, m->name, p->id);
    printf("%zu shards (run one with `vmbench run MATRIX --shard K/%zu`)\n",
           s->n, s->n);
    for (size_t k = 0; k < s->n; k++) {
        printf("\nshard %zu/%zu: %zu runs, about ", k, s->n, s->nruns[k]);
        print_duration(s->estimate_s[k]);
        printf(" (rough)\n");
        for (size_t i = 0; i < m->ncontrols; i++) {
            const struct vmb_cell *c = &m->controls[i];
            if (vmb_shards_runs(s, m, k, c))
                printf("  control %s  %s%s\n", c->id, c->label,
                       vmb_shards_is_calibration(s, m, k, c) ? " (calibration)"
                                                             : "");
        }
        for (size_t i = 0; i < m->ncells; i++)
            if (s->cell_shard[i] == k)
                printf("  cell    %s  %s\n", m->cells[i].id, m->cells[i].label);
    }
}

/* The host's verdicts, beside the plan: not part of its identity. */
static void
preflight_member(struct vmb_jw *w, const void *ctx)
{
    vmb_jw_key(w, "preflight");
    vmb_preflight_to_json(w, ctx);
}

int
vmb_cmd_plan(int argc, char **argv, struct vmb_error **err)
{
    const char *path = NULL, *kata = NULL;
    bool json = false, one = false;
    size_t nshards = 0, shard = 0;
    struct vmb_cli_parse args = {.cmd = "plan", .longopts = longopts};
    int opt;
    while ((opt = vmb_cli_next(&args, argc, argv, err)) > 0) {
        if (opt == OPT_JSON)
            json = true;
        else if (opt == OPT_KATA)
            kata = args.arg;
        else if (opt == OPT_SHARDS || opt == OPT_SHARD) {
            if (nshards > 0)
                return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                     "give one of --shards and --shard, "
                                     "once");
            one = opt == OPT_SHARD;
            if ((one ? vmb_shard_parse(args.arg, &shard, &nshards, err)
                     : vmb_shards_parse_count(args.arg, &nshards, err)) < 0)
                return -1;
        } else if (path != NULL)
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
    struct vmb_shards *sh = NULL;
    if (nshards > 0 && vmb_shards_build(m, nshards, &sh, err) < 0) {
        vmb_plan_free(p);
        vmb_matrix_free(m);
        return -1;
    }
    if (one)
        vmb_plan_restrict(p, m, sh, shard);
    struct vmb_preflight *pf = vmb_preflight_check(NULL, m, NULL, NULL);
    int rc = 0;
    if (sh != NULL && !one && json) {
        struct vmb_jw w;
        vmb_jw_init(&w, true);
        vmb_shards_to_json(&w, m, p, sh);
        if (vmb_jw_flush(&w, stdout, true) < 0)
            rc = vmb_error_sys(err, "write the partition");
        vmb_jw_free(&w);
    } else if (sh != NULL && !one) {
        print_shards(m, p, sh);
    } else if (json) {
        rc = vmb_plan_write_json(stdout, m, p, preflight_member, pf, err);
    } else {
        print_plan(m, p);
    }
    vmb_shards_free(sh);
    vmb_preflight_print_notes(stderr, pf);
    vmb_preflight_print_transport(stderr, pf);
    vmb_preflight_print_lacks(stderr, pf);
    vmb_preflight_free(pf);
    vmb_plan_free(p);
    vmb_matrix_free(m);
    return rc;
}
