#include "base/paths.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

/* The directory of the running binary, or NULL when it cannot be read. */
static char *
self_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    return vmb_xstrdup(exe[0] ? exe : "/");
}

char *
vmb_shipped_dir(const char *env, const char *rel, const char *fallback)
{
    const char *set = getenv(env);
    if (set != NULL && *set != '\0')
        return vmb_xstrdup(set);
    autofree char *dir = self_dir();
    if (dir != NULL) {
        autofree char *cand = vmb_xasprintf("%s/%s", dir, rel);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode)) {
            /* Without the "bin/..": the paths users see in messages. */
            char *real = realpath(cand, NULL);
            return real != NULL ? real : steal(&cand);
        }
    }
    return vmb_xstrdup(fallback);
}
