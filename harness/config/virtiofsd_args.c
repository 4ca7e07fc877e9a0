#include "config/virtiofsd_args.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

enum value_kind {
    V_NONE,     /* a flag */
    V_INT,      /* =N, 0 to max */
    V_ANY,      /* =TEXT, passed on as it is */
    V_ENUM,     /* =one of values */
    V_OPT_ENUM, /* a flag, or =one of values; values[0] is the flag's */
};

/* A Kata value and the C daemon's: NULL has none, "" is what the C daemon
 * always does (the word is left out). */
struct fsd_value {
    const char *kata, *c;
};

struct fsd_word {
    const char *kata; /* the Rust daemon's option, without "=" */
    enum value_kind kind;
    /* The C daemon's spelling ("-o writeback", "-o sandbox=" takes the
     * value); "" when every accepted value says; NULL for none. */
    const char *c;
    const char *why; /* why a refused word or value is refused */
    const struct fsd_value *values;
    int64_t max;  /* V_INT */
    bool vmbench; /* vmbench sets it: refused with any daemon */
};

#define QEMU_NO "QEMU's C virtiofsd has no such option"

static const struct fsd_value sandbox_values[] = {
    {"namespace", "namespace"}, {"chroot", "chroot"}, {"none", NULL}, {0}};
static const struct fsd_value log_values[] = {{"error", "err"},
                                              {"warn", "warn"},
                                              {"info", "info"},
                                              {"debug", "debug"},
                                              {"trace", NULL},
                                              {"off", NULL},
                                              {0}};
static const struct fsd_value handle_values[] = {
    {"prefer", NULL}, {"never", ""}, {"mandatory", NULL}, {0}};
static const struct fsd_value seccomp_values[] = {
    {"kill", ""}, {"none", NULL}, {"log", NULL}, {"trap", NULL}, {0}};

/* A flag with a C spelling, and a word vmbench sets itself. */
#define FLAG(k, cs)                                                            \
    {                                                                          \
        .kata = k, .kind = V_NONE, .c = cs                                     \
    }
#define OURS(k, v, reason)                                                     \
    {                                                                          \
        .kata = k, .kind = v, .why = reason, .vmbench = true                   \
    }

static const struct fsd_word words[] = {
    {.kata = "--thread-pool-size",
     .kind = V_INT,
     .c = "--thread-pool-size=",
     .max = 1024},
    FLAG("--announce-submounts", "-o announce_submounts"),
    FLAG("--writeback", "-o writeback"),
    FLAG("--xattr", "-o xattr"),
    {.kata = "--xattrmap", .kind = V_ANY, .c = "-o xattrmap="},
    FLAG("--posix-acl", "-o posix_acl"),
    FLAG("--security-label", "-o security_label"),
    FLAG("--killpriv-v2", "-o killpriv_v2"),
    FLAG("--allow-direct-io", "-o allow_direct_io"),
    FLAG("--no-readdirplus", "-o no_readdirplus"),
    {.kata = "--sandbox",
     .kind = V_ENUM,
     .c = "-o sandbox=",
     .why = "QEMU's C virtiofsd always sandboxes itself (namespace or chroot)",
     .values = sandbox_values},
    {.kata = "--log-level",
     .kind = V_ENUM,
     .c = "-o log_level=",
     .why = "QEMU's C virtiofsd logs at err, warn, info or debug",
     .values = log_values},
    {.kata = "--rlimit-nofile",
     .kind = V_INT,
     .c = "--rlimit-nofile=",
     .max = 1 << 30},
    {.kata = "--modcaps", .kind = V_ANY, .c = "-o modcaps="},
    {.kata = "--inode-file-handles",
     .kind = V_OPT_ENUM,
     .c = "",
     .why = "QEMU's C virtiofsd keeps an O_PATH descriptor per inode and "
            "has no file handles",
     .values = handle_values},
    {.kata = "--seccomp",
     .kind = V_ENUM,
     .c = "",
     .why = "QEMU's C virtiofsd always installs its seccomp filter, which "
            "kills",
     .values = seccomp_values},
    FLAG("--preserve-noatime", NULL),
    {.kata = "--allow-mmap",
     .kind = V_NONE,
     .why = "QEMU's C virtiofsd has no DAX mappings"},
    OURS("--shared-dir", V_ANY,
         "vmbench shares the cell's data directory itself"),
    OURS("--fd", V_ANY, "vmbench passes the socket it listens on"),
    OURS("--socket-path", V_ANY, "vmbench passes the socket it listens on"),
    OURS("--socket-group", V_ANY,
         "vmbench gives the socket to QEMU's user itself"),
    OURS("--cache", V_ANY, "set virtio_fs_cache instead"),
    OURS("--syslog", V_NONE, "vmbench passes it already, as Kata does"),
};

const char *
vmb_virtiofsd_flavour_name(enum vmb_virtiofsd_flavour f)
{
    return f == VMB_VIRTIOFSD_RUST   ? "rust"
           : f == VMB_VIRTIOFSD_QEMU ? "qemu"
                                     : "unknown";
}

enum vmb_virtiofsd_flavour
vmb_virtiofsd_flavour_of_help(const char *help)
{
    if (help == NULL)
        return VMB_VIRTIOFSD_UNKNOWN;
    if (strstr(help, "--shared-dir") != NULL)
        return VMB_VIRTIOFSD_RUST;
    if (strstr(help, "-o source=") != NULL)
        return VMB_VIRTIOFSD_QEMU;
    return VMB_VIRTIOFSD_UNKNOWN;
}

/* One word of virtio_fs_extra_args, resolved to a row and its value. */
struct parsed {
    const struct fsd_word *w;
    const char *value; /* NULL: none given */
    char *shown;       /* the word as the user wrote it ("-o x" for two) */
};

static const struct fsd_word *
find_kata(const char *name, size_t len)
{
    for (size_t i = 0; i < VMB_NELEMS(words); i++)
        if (strlen(words[i].kata) == len &&
            strncmp(words[i].kata, name, len) == 0)
            return &words[i];
    return NULL;
}

/* The row whose C spelling is "-o NAME" (or "-o NAME=" with a value),
 * for the older Kata files that wrote the C daemon's words. */
static const struct fsd_word *
find_c(const char *o, const char **value)
{
    const char *eq = strchr(o, '=');
    size_t len = eq ? (size_t)(eq - o) : strlen(o);
    for (size_t i = 0; i < VMB_NELEMS(words); i++) {
        const char *c = words[i].c;
        if (c == NULL || strncmp(c, "-o ", 3) != 0)
            continue;
        c += 3;
        bool takes = c[strlen(c) - 1] == '=';
        size_t clen = strlen(c) - (takes ? 1 : 0);
        if (clen == len && strncmp(c, o, len) == 0 && takes == (eq != NULL)) {
            *value = eq ? eq + 1 : NULL;
            return &words[i];
        }
    }
    return NULL;
}

static char *
known_list(void)
{
    struct vmb_buf b = {0};
    for (size_t i = 0; i < VMB_NELEMS(words); i++) {
        if (words[i].vmbench)
            continue;
        vmb_buf_printf(&b, "%s%s%s", b.len ? ", " : "", words[i].kata,
                       words[i].kind == V_INT   ? "=N"
                       : words[i].kind == V_ANY ? "=VALUE"
                       : words[i].kind == V_ENUM || words[i].kind == V_OPT_ENUM
                           ? "=MODE"
                           : "");
    }
    return vmb_buf_steal(&b);
}

static char *
values_list(const struct fsd_value *v)
{
    struct vmb_buf b = {0};
    for (; v->kata; v++)
        vmb_buf_printf(&b, "%s%s", b.len ? ", " : "", v->kata);
    return vmb_buf_steal(&b);
}

/* The Kata value of a C one ("err" is Kata's "error"); c itself if none. */
static const char *
kata_value_of_c(const struct fsd_word *w, const char *c)
{
    for (const struct fsd_value *v = w->values; v && v->kata; v++)
        if (v->c && *v->c && strcmp(v->c, c) == 0)
            return v->kata;
    return c;
}

static int
bad_value(struct parsed *p, struct vmb_error **err)
{
    const struct fsd_word *w = p->w;
    autofree char *list = w->values ? values_list(w->values) : NULL;
    if (w->kind == V_INT)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtio_fs_extra_args: \"%s\" needs an integer "
                             "from 0 to %" PRId64 " (%s=N)",
                             p->shown, w->max, w->kata);
    if (w->kind == V_ANY)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtio_fs_extra_args: \"%s\" needs a value "
                             "(%s=VALUE)",
                             p->shown, w->kata);
    if (w->kind == V_NONE)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtio_fs_extra_args: \"%s\" takes no value",
                             p->shown);
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "virtio_fs_extra_args: \"%s\" needs one of %s",
                         p->shown, list);
}

static bool
value_ok(const struct fsd_word *w, const char *v)
{
    switch (w->kind) {
    case V_NONE:
        return v == NULL;
    case V_INT: {
        char *end = NULL;
        if (v == NULL || *v < '0' || *v > '9')
            return false;
        long long n = strtoll(v, &end, 10);
        return *end == '\0' && n >= 0 && n <= w->max;
    }
    case V_ANY:
        return v != NULL && *v != '\0';
    case V_ENUM:
    case V_OPT_ENUM:
        if (v == NULL)
            return w->kind == V_OPT_ENUM;
        for (const struct fsd_value *x = w->values; x->kata; x++)
            if (strcmp(x->kata, v) == 0)
                return true;
        return false;
    }
    return false;
}

/*
 * The next word of *save into p: a Kata word, or "-o X" (two words) in
 * the C daemon's spelling. 0 at the end, 1 for a word, -1 on error.
 */
static int
next_word(char **save, struct parsed *p, struct vmb_error **err)
{
    free(p->shown);
    memset(p, 0, sizeof(*p));
    char *w = strtok_r(NULL, " \t", save);
    if (w == NULL)
        return 0;
    if (strcmp(w, "-o") == 0) {
        char *o = strtok_r(NULL, " \t", save);
        p->shown = o ? vmb_xasprintf("-o %s", o) : vmb_xstrdup("-o");
        if (o != NULL)
            p->w = find_c(o, &p->value);
    } else {
        p->shown = vmb_xstrdup(w);
        const char *eq = strchr(w, '=');
        if (strncmp(w, "--", 2) == 0)
            p->w = find_kata(w, eq ? (size_t)(eq - w) : strlen(w));
        p->value = eq ? eq + 1 : NULL;
    }
    autofree char *shown = vmb_option_shown(p->shown);
    free(p->shown);
    p->shown = steal(&shown);
    if (p->w == NULL) {
        autofree char *list = known_list();
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtio_fs_extra_args: \"%s\" is no virtiofsd "
                             "option vmbench knows; it takes Kata's words %s "
                             "(or their \"-o\" spelling)",
                             p->shown, list);
    }
    if (p->w->vmbench)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtio_fs_extra_args: \"%s\" is set by vmbench: "
                             "%s",
                             p->shown, p->w->why);
    /* QEMU's C daemon splits an -o argument at commas: "-o
     * modcaps=x,source=/" would share the host's root. */
    if (p->w->kind == V_ANY && p->value != NULL && strchr(p->value, ','))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtio_fs_extra_args: \"%s\" holds a ',', "
                             "which QEMU's C virtiofsd reads as the start of "
                             "another option",
                             p->shown);
    if (p->value != NULL && p->w->values != NULL &&
        strncmp(p->shown, "-o", 2) == 0)
        p->value = kata_value_of_c(p->w, p->value);
    if (!value_ok(p->w, p->value))
        return bad_value(p, err);
    return 1;
}

int
vmb_virtiofsd_args_check(const char *words_text, struct vmb_error **err)
{
    autofree char *copy = vmb_xstrdup(words_text ? words_text : "");
    char *save = NULL;
    struct parsed p = {0};
    /* strtok_r starts on the string, then goes on from *save. */
    save = copy;
    int r;
    while ((r = next_word(&save, &p, err)) > 0)
        ;
    free(p.shown);
    return r;
}

/* The cell's virtio_fs_extra_args, copied for next_word to walk from
 * save; the caller frees copy. */
struct cfg_words {
    char *copy, *save;
};

static void
cfg_words_begin(struct cfg_words *cw, const struct vmb_config *cfg)
{
    const char *w = cfg->guest.virtio_fs_extra_args;
    cw->copy = vmb_xstrdup(w ? w : "");
    cw->save = cw->copy;
}

static void
push(char ***argv, size_t *n, char *word)
{
    *argv = vmb_xrealloc(*argv, (*n + 2) * sizeof(**argv));
    (*argv)[(*n)++] = word;
    (*argv)[*n] = NULL;
}

/* Appends p's word in the C daemon's spelling, or fails with why not. */
static int
push_c(char ***argv, size_t *n, const struct parsed *p, const char *daemon,
       struct vmb_error **err)
{
    const struct fsd_word *w = p->w;
    const char *c = w->c;
    const char *value = p->value;
    if (c != NULL && w->values != NULL) {
        const char *v = value ? value : w->values[0].kata;
        const struct fsd_value *x = w->values;
        while (x->kata && strcmp(x->kata, v) != 0)
            x++;
        if (x->c == NULL)
            c = NULL;
        else if (*x->c == '\0')
            return 0;
        value = x->c;
    }
    if (c == NULL)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "virtio_fs_extra_args: \"%s\" has no equivalent "
                             "in QEMU's C virtiofsd \"%s\": %s",
                             p->shown, daemon, w->why ? w->why : QEMU_NO);
    bool o = strncmp(c, "-o ", 3) == 0;
    if (o)
        push(argv, n, vmb_xstrdup("-o"));
    push(argv, n,
         vmb_xasprintf("%s%s", o ? c + 3 : c,
                       w->kind == V_NONE || value == NULL ? "" : value));
    return 0;
}

int
vmb_virtiofsd_argv(const struct vmb_config *cfg,
                   enum vmb_virtiofsd_flavour flavour, const char *daemon,
                   const char *dir, int fd, bool syslog, char ***out,
                   struct vmb_error **err)
{
    *out = NULL;
    if (flavour != VMB_VIRTIOFSD_RUST && flavour != VMB_VIRTIOFSD_QEMU)
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" is no virtiofsd vmbench knows: its --help "
                             "names neither --shared-dir nor -o source=",
                             daemon);
    bool rust = flavour == VMB_VIRTIOFSD_RUST;
    int cache = cfg->guest.virtio_fs_cache;
    const char *mode = cache == VMB_FSCACHE_ALWAYS  ? "always"
                       : cache == VMB_FSCACHE_NEVER ? (rust ? "never" : "none")
                                                    : "auto";
    char **argv = NULL;
    size_t n = 0;
    push(&argv, &n, vmb_xstrdup(daemon));
    if (syslog)
        push(&argv, &n, vmb_xstrdup("--syslog"));
    if (rust) {
        push(&argv, &n, vmb_xasprintf("--cache=%s", mode));
        push(&argv, &n, vmb_xasprintf("--shared-dir=%s", dir));
    } else {
        push(&argv, &n, vmb_xstrdup("-o"));
        push(&argv, &n, vmb_xasprintf("cache=%s", mode));
        push(&argv, &n, vmb_xstrdup("-o"));
        push(&argv, &n, vmb_xasprintf("source=%s", dir));
    }
    push(&argv, &n, vmb_xasprintf("--fd=%d", fd));
    struct cfg_words cw;
    cfg_words_begin(&cw, cfg);
    struct parsed p = {0};
    int r;
    while ((r = next_word(&cw.save, &p, err)) > 0) {
        if (rust)
            push(&argv, &n,
                 p.value ? vmb_xasprintf("%s=%s", p.w->kata, p.value)
                         : vmb_xstrdup(p.w->kata));
        else if (push_c(&argv, &n, &p, daemon, err) < 0)
            r = -1;
        if (r < 0)
            break;
    }
    free(p.shown);
    free(cw.copy);
    if (r < 0) {
        vmb_virtiofsd_argv_free(argv);
        return -1;
    }
    *out = argv;
    return 0;
}

int
vmb_virtiofsd_libvirt(const struct vmb_config *cfg,
                      struct vmb_virtiofsd_libvirt *out, struct vmb_error **err)
{
    int cache = cfg->guest.virtio_fs_cache;
    *out = (struct vmb_virtiofsd_libvirt){
        .cache = cache == VMB_FSCACHE_ALWAYS  ? "always"
                 : cache == VMB_FSCACHE_NEVER ? "none"
                                              : NULL,
        .threads = -1,
    };
    struct cfg_words cw;
    cfg_words_begin(&cw, cfg);
    struct parsed p = {0};
    int r;
    while ((r = next_word(&cw.save, &p, err)) > 0) {
        const char *k = p.w->kata;
        if (strcmp(k, "--thread-pool-size") == 0)
            out->threads = atoi(p.value);
        else if (strcmp(k, "--xattr") == 0)
            out->xattr = true;
        else if (strcmp(k, "--sandbox") == 0 && strcmp(p.value, "none") != 0)
            out->sandbox =
                strcmp(p.value, "chroot") == 0 ? "chroot" : "namespace";
        else if (strcmp(k, "--announce-submounts") != 0)
            /* --sandbox=none too: libvirt's daemon always sandboxes. */
            r = vmb_error_set(err, VMB_ERR_INPUT, 0,
                              "virtio_fs_extra_args: \"%s\": libvirt starts "
                              "the virtiofsd of a node on another host, and "
                              "its <binary> element takes only "
                              "--thread-pool-size, --xattr, "
                              "--sandbox=namespace|chroot and "
                              "--announce-submounts of Kata's words",
                              p.shown);
        if (r < 0)
            break;
    }
    free(p.shown);
    free(cw.copy);
    return r < 0 ? -1 : 0;
}

void
vmb_virtiofsd_argv_free(char **argv)
{
    if (argv == NULL)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

char *
vmb_virtiofsd_argv_line(char *const *argv)
{
    struct vmb_buf b = {0};
    vmb_buf_puts(&b, "");
    for (char *const *a = argv; a && *a; a++)
        vmb_buf_printf(&b, "%s%s", a == argv ? "" : " ", *a);
    return vmb_buf_steal(&b);
}
