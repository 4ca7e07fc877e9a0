/*
 * Where a results directory keeps a VM cell's QEMU command line
 * (cells/<id>/rep<k>/node1.qemu.cmdline, written by vm/vm.c's
 * vmb_vm_cell_save), found for `vmbench kata-diff`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "results/results.h"

static bool
is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A cell id or prefix names a directory entry, never a path. */
static bool
plain_name(const char *s)
{
    if (s[0] == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int
find_cell(const char *dir, const char *cell, char **id, struct vmb_error **err)
{
    autofree char *cells = vmb_xasprintf("%s/cells", dir);
    /* No symlink is followed out of the results directory. */
    DIR *d = is_dir(cells) ? opendir(cells) : NULL;
    if (d == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, errno,
                             "\"%s\" is not a results directory with VM cells "
                             "(no cells/)",
                             dir);
    autofree char *found = NULL;
    int matches = 0;
    bool exact = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !exact) {
        if (e->d_name[0] == '.')
            continue;
        if (strcmp(e->d_name, cell) == 0) {
            free(found);
            found = vmb_xstrdup(e->d_name);
            exact = true;
        } else if (strlen(cell) >= 4 &&
                   strncmp(e->d_name, cell, strlen(cell)) == 0) {
            matches++;
            free(found);
            found = vmb_xstrdup(e->d_name);
        }
    }
    closedir(d);
    if (!exact && matches > 1)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "cell \"%s\" matches more than one cell in "
                             "\"%s\"; give more of its id",
                             cell, dir);
    if (found == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "no cell \"%s\" in \"%s\"; `vmbench report` "
                             "lists them",
                             cell, dir);
    *id = steal(&found);
    return 0;
}

int
vmb_results_cell_qemu_cmdline(const char *dir, const char *cell, char **path,
                              struct vmb_error **err)
{
    if (!plain_name(cell))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "cell \"%s\" is not a cell id", cell);
    autofree char *control = vmb_xasprintf("%s/control/%s", dir, cell);
    if (is_dir(control))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is the bare-metal control, which runs "
                             "no QEMU",
                             cell);
    autofree char *id = NULL;
    if (find_cell(dir, cell, &id, err) < 0)
        return -1;
    autofree char *cdir = vmb_xasprintf("%s/cells/%s", dir, id);
    if (!is_dir(cdir))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is not a directory (a symlink?); "
                             "kata-diff never follows one out of a results "
                             "directory",
                             cdir);
    /* The lowest repetition that saved one: rep1 unless it failed early. */
    for (int k = 1; k <= 1000; k++) {
        autofree char *rep = vmb_xasprintf("%s/rep%d", cdir, k);
        if (!is_dir(rep))
            continue;
        autofree char *p = vmb_xasprintf("%s/node1.qemu.cmdline", rep);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            *path = steal(&p);
            return 0;
        }
    }
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "cell \"%s\" in \"%s\" saved no QEMU command line "
                         "(rep<k>/node1.qemu.cmdline)",
                         id, dir);
}
