/* `vmbench run`: arguments to struct vmb_run_opts. */
#include <string.h>

#include "cli.h"
#include "run/run.h"

static int
usage_error(struct vmb_error **err, const char *what, const char *word)
{
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "%s \"%s\"; see `vmbench run --help`", what, word);
}

int
vmb_cmd_run(int argc, char **argv, struct vmb_error **err)
{
    struct vmb_run_opts o = {.only = VMB_RUN_ALL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--out") == 0 && has_value) {
            o.out = argv[++i];
        } else if (strcmp(a, "--resume") == 0 && has_value) {
            o.resume = argv[++i];
        } else if (strcmp(a, "--only") == 0 && has_value) {
            const char *v = argv[++i];
            if (strcmp(v, "vm") == 0)
                o.only = VMB_RUN_ONLY_VM;
            else if (strcmp(v, "baremetal") == 0 || strcmp(v, "control") == 0)
                o.only = VMB_RUN_ONLY_BAREMETAL;
            else
                return usage_error(err, "--only takes vm or baremetal, got", v);
        } else if (strcmp(a, "--dry-run") == 0) {
            o.dry_run = true;
        } else if (strcmp(a, "--no-report") == 0) {
            o.no_report = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(err, "unknown option", a);
        } else if (o.matrix == NULL) {
            o.matrix = a;
        } else {
            return usage_error(err, "unexpected argument", a);
        }
    }
    if (o.matrix == NULL && o.resume == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "a matrix file is needed; see `vmbench run "
                             "--help`");
    if (o.resume != NULL && o.out != NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "--out and --resume cannot be used together");
    return vmb_run(&o, err);
}
