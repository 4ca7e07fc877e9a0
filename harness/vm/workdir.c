#include "vm/workdir.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "vm/rootfs.h"
#include "vm/virt.h"

int
vmb_vm_workdir_new(const char *tag, const char *fallback,
                   struct vmb_vm_workdir *out, struct vmb_error **err)
{
    out->path = NULL;
    out->owned = false;
    const char *dirs[] = {"/var/lib/vmbench", VMB_VM_WORKDIR_ROOT};
    bool ok = true;
    for (size_t i = 0; i < 2 && ok; i++)
        ok = (mkdir(dirs[i], 0755) == 0 || errno == EEXIST) &&
             chmod(dirs[i], 0755) == 0;
    if (ok) {
        char *p = vmb_xasprintf("%s/%s.XXXXXX", VMB_VM_WORKDIR_ROOT, tag);
        bool made = mkdtemp(p) != NULL;
        if (made && chmod(p, 0755) == 0) {
            vmb_virt_guard_dir(true, p);
            out->path = p;
            out->owned = true;
            return 0;
        }
        if (made)
            rmdir(p);
        free(p);
    }
    out->path = realpath(fallback, NULL);
    if (out->path == NULL)
        return vmb_error_sys(err, "resolve the work directory \"%s\"",
                             fallback);
    return 0;
}

void
vmb_vm_workdir_free(struct vmb_vm_workdir *w)
{
    if (w == NULL || w->path == NULL)
        return;
    if (w->owned) {
        vmb_rootfs_unmount_under(w->path);
        vmb_rm_rf(w->path, NULL);
        vmb_virt_guard_dir(false, w->path);
    }
    free(w->path);
    w->path = NULL;
    w->owned = false;
}
