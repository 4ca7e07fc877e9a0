#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/report.h"
#include "base/util.h"

int
vmb_cmd_report(int argc, char **argv, struct vmb_error **err)
{
    const char *dir = NULL;
    struct vmb_report_opts opts = {.charts = true};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-charts") == 0)
            opts.charts = false;
        else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
            opts.quiet = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "unknown option \"%s\"; see `vmbench report "
                                 "--help`",
                                 argv[i]);
        else if (dir == NULL)
            dir = argv[i];
        else
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "one results directory at a time, got "
                                 "\"%s\" and \"%s\"",
                                 dir, argv[i]);
    }
    if (dir == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "missing RESULTS_DIR; see `vmbench report "
                             "--help`");
    struct vmb_buf warnings = {0};
    int rc = vmb_report_write(dir, &opts, &warnings, err);
    if (warnings.len > 0) {
        char *save = NULL;
        for (char *l = strtok_r(warnings.data, "\n", &save); l != NULL;
             l = strtok_r(NULL, "\n", &save))
            fprintf(stderr, "vmbench report: note: %s\n", l);
    }
    vmb_buf_free(&warnings);
    if (!opts.quiet) {
        printf("%s/summary.csv\n%s/report.md\n%s/report.html\n", dir, dir,
               dir);
        if (rc == 0 && opts.charts)
            printf("%s/plots/\n", dir);
    }
    return rc < 0 ? -1 : 0;
}
