#include "report/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/paths.h"

#define GNUPLOT_TIMEOUT_S 60

void
vmb_plot_init(struct vmb_plot *p)
{
    memset(p, 0, sizeof(*p));
}

void
vmb_plot_free(struct vmb_plot *p)
{
    vmb_buf_free(&p->vars);
    vmb_buf_free(&p->data);
    free(p->bad);
    p->bad = NULL;
}

/*
 * gnuplot 5.4 reads a doubled quote right after the opening one as the
 * end of an empty string, so no doubled quote is written; nor "'", whose
 * quote its macro expansion takes for the start of a single-quoted
 * string, so that an @name later in the text would be expanded. A quote
 * is the piece "\047" and a newline "\n", joined to single-quoted runs of
 * the other characters with the . operator: the script has no quote
 * character but those that open and close the runs.
 */
char *
vmb_plot_quote(const char *text)
{
    struct vmb_buf b = {0};
    bool open = false; /* inside a single-quoted run */
    for (const char *s = text ? text : ""; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *piece = c == '\''   ? "\"\\047\""
                            : c == '\n' ? "\"\\n\""
                                        : NULL;
        if (piece != NULL) {
            if (open)
                vmb_buf_puts(&b, "'");
            if (b.len > 0)
                vmb_buf_puts(&b, ".");
            vmb_buf_puts(&b, piece);
            open = false;
            continue;
        }
        if (!open) {
            if (b.len > 0)
                vmb_buf_puts(&b, ".");
            vmb_buf_puts(&b, "'");
            open = true;
        }
        if (c < 0x20 || c == 0x7f)
            vmb_buf_puts(&b, " ");
        else
            vmb_buf_append(&b, s, 1);
    }
    if (open)
        vmb_buf_puts(&b, "'");
    if (b.len == 0)
        vmb_buf_puts(&b, "''");
    return vmb_buf_steal(&b);
}

void
vmb_plot_str(struct vmb_plot *p, const char *var, const char *text)
{
    autofree char *q = vmb_plot_quote(text);
    vmb_buf_printf(&p->vars, "%s = %s\n", var, q);
}

static void
put_num(struct vmb_buf *b, double v)
{
    if (isfinite(v))
        vmb_buf_printf(b, "%.10g", v);
    else
        vmb_buf_puts(b, "NaN");
}

void
vmb_plot_num(struct vmb_plot *p, const char *var, double v)
{
    vmb_buf_printf(&p->vars, "%s = ", var);
    put_num(&p->vars, v);
    vmb_buf_puts(&p->vars, "\n");
}

void
vmb_plot_strs(struct vmb_plot *p, const char *var, const char *const *texts,
              size_t n)
{
    /* gnuplot has no empty arrays; a 1-element one keeps templates simple. */
    vmb_buf_printf(&p->vars, "array %s[%zu]\n", var, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        autofree char *q = vmb_plot_quote(texts[i]);
        vmb_buf_printf(&p->vars, "%s[%zu] = %s\n", var, i + 1, q);
    }
}

void
vmb_plot_nums(struct vmb_plot *p, const char *var, const double *v, size_t n)
{
    vmb_buf_printf(&p->vars, "array %s[%zu]\n", var, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        vmb_buf_printf(&p->vars, "%s[%zu] = ", var, i + 1);
        put_num(&p->vars, v[i]);
        vmb_buf_puts(&p->vars, "\n");
    }
}

void
vmb_plot_axis_labels(struct vmb_plot *p, const char *var,
                     const char *const *texts, size_t n)
{
    size_t lines = 1;
    for (size_t i = 0; i < n; i++) {
        size_t l = 1;
        for (const char *s = texts[i] ? texts[i] : ""; *s; s++)
            l += *s == '\n';
        lines = l > lines ? l : lines;
    }
    vmb_plot_strs(p, var, texts, n);
    vmb_buf_printf(&p->vars, "%s_lines = %zu\n", var, lines);
}

void
vmb_plot_block_begin(struct vmb_plot *p, const char *name)
{
    vmb_buf_printf(&p->data, "$%s << EOD\n", name);
    p->in_block = 1;
    p->block_rows = 0;
    p->block_cols = 0;
    p->block_seen = 0;
}

void
vmb_plot_row(struct vmb_plot *p, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            vmb_buf_puts(&p->data, " ");
        put_num(&p->data, v[i]);
        if (i < 64 && isfinite(v[i]))
            p->block_seen |= (uint64_t)1 << i;
    }
    vmb_buf_puts(&p->data, "\n");
    p->block_rows++;
    if (n > p->block_cols)
        p->block_cols = n;
}

void
vmb_plot_block_gap(struct vmb_plot *p)
{
    vmb_buf_puts(&p->data, "\n\n");
}

void
vmb_plot_block_end(struct vmb_plot *p)
{
    vmb_buf_puts(&p->data, "EOD\n");
    p->in_block = 0;
    /*
     * gnuplot 5.4 crashes on `with labels` over a column with no value,
     * and fails on a plot with no point: such data is never drawn.
     */
    if (p->bad != NULL)
        return;
    if (p->block_rows == 0)
        p->bad = vmb_xstrdup("a data block has no rows");
    for (size_t i = 0; p->bad == NULL && i < p->block_cols && i < 64; i++)
        if (!(p->block_seen & ((uint64_t)1 << i)))
            p->bad =
                vmb_xasprintf("column %zu of a data block has no value", i + 1);
}

char *
vmb_plot_templates_dir(void)
{
    return vmb_shipped_dir("VMB_PLOTS_DIR", VMB_PLOTS_REL, VMB_PLOTS_BUILD);
}

int
vmb_plot_find_gnuplot(char **path, struct vmb_error **err)
{
    const char *want = getenv("VMB_GNUPLOT");
    if (want == NULL || *want == '\0')
        want = "gnuplot";
    if (strchr(want, '/') != NULL) {
        if (access(want, X_OK) == 0) {
            *path = vmb_xstrdup(want);
            return 0;
        }
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "gnuplot \"%s\" (from VMB_GNUPLOT) is not an "
                             "executable file",
                             want);
    }
    const char *env = getenv("PATH");
    autofree char *dirs = vmb_xstrdup(env ? env : "/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        autofree char *p = vmb_xasprintf("%s/%s", *d ? d : ".", want);
        if (access(p, X_OK) == 0) {
            *path = steal(&p);
            return 0;
        }
    }
    return vmb_error_set(err, VMB_ERR_RUN, 0,
                         "gnuplot not found on PATH; install it "
                         "(apt-get install gnuplot-nox) or set VMB_GNUPLOT");
}

static int
read_template(const char *name, struct vmb_buf *out, struct vmb_error **err)
{
    autofree char *dir = vmb_plot_templates_dir();
    autofree char *path = vmb_xasprintf("%s/%s.gp", dir, name);
    autofree char *text = NULL;
    size_t len;
    if (vmb_read_file(path, &text, &len, err) < 0)
        return vmb_error_prefix(err, "chart template");
    vmb_buf_append(out, text, len);
    if (len && text[len - 1] != '\n')
        vmb_buf_puts(out, "\n");
    return 0;
}

static char *
build_script(const struct vmb_plot *p, const char *common, const char *body,
             const char *base)
{
    struct vmb_buf s = {0};
    vmb_buf_printf(&s,
                   "# Written by vmbench report. Redraw from this directory "
                   "with: gnuplot %s.gp\n",
                   base);
    if (p->vars.len)
        vmb_buf_append(&s, p->vars.data, p->vars.len);
    if (p->data.len)
        vmb_buf_append(&s, p->data.data, p->data.len);
    vmb_buf_puts(&s, common);
    static const char *const terms[][2] = {
        {"pngcairo", "png"},
        {"svg", "svg"},
    };
    for (size_t i = 0; i < 2; i++) {
        autofree char *out = vmb_xasprintf("%s.%s", base, terms[i][1]);
        autofree char *q = vmb_plot_quote(out);
        vmb_buf_printf(&s,
                       "set terminal %s size %d,%d font 'sans,%d' "
                       "noenhanced background rgb 'white'%s\n"
                       "set output %s\n",
                       terms[i][0], p->width > 0 ? p->width : VMB_PLOT_WIDTH,
                       p->height > 0 ? p->height : VMB_PLOT_HEIGHT, 13,
                       i == 0 ? "" : " fixed", q);
        vmb_buf_puts(&s, body);
        vmb_buf_puts(&s, "unset output\n");
    }
    return vmb_buf_steal(&s);
}

/* First line of gnuplot's stderr that says what went wrong. */
static char *
error_line(const char *text)
{
    const char *best = NULL;
    for (const char *l = text; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (memmem(l, n, "line ", 5) != NULL || memmem(l, n, "rror", 4)) {
            best = l;
            break;
        }
        l = e ? e + 1 : NULL;
    }
    if (best == NULL)
        best = text;
    while (*best == ' ' || *best == '\t' || *best == '\n')
        best++;
    const char *e = strchr(best, '\n');
    size_t n = e ? (size_t)(e - best) : strlen(best);
    while (n > 0 && (best[n - 1] == ' ' || best[n - 1] == '\r'))
        n--;
    return n ? vmb_xstrndup(best, n) : vmb_xstrdup("no message");
}

static bool
file_nonempty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static int
write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * Runs gnuplot on script in workdir (where its outputs land); its error
 * output goes to *msgs (up to 64 KiB).
 */
static int
run_gnuplot(const char *gnuplot, const char *script, const char *workdir,
            char **msgs, struct vmb_error **err)
{
    char errpath[] = "/tmp/vmb-gnuplot-XXXXXX";
    autoclose int errfd = mkstemp(errpath);
    if (errfd < 0)
        return vmb_error_sys(err, "create a file for gnuplot's messages");
    unlink(errpath);
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return vmb_error_sys(err, "create a pipe to gnuplot");
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        return vmb_error_sys(err, "start gnuplot");
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (dup2(in[0], 0) < 0 || devnull < 0 || dup2(devnull, 1) < 0 ||
            dup2(errfd, 2) < 0 || chdir(workdir) < 0)
            _exit(126);
        execl(gnuplot, "gnuplot", (char *)NULL);
        dprintf(2, "cannot run \"%s\": %s\n", gnuplot, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    /* gnuplot may stop reading after an error: no SIGPIPE for us then. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    int werr = write_all(in[1], script, strlen(script)) < 0 ? errno : 0;
    close(in[1]);
    sigaction(SIGPIPE, &old, NULL);

    int status = 0;
    uint64_t deadline =
        vmb_now_ns() + (uint64_t)GNUPLOT_TIMEOUT_S * 1000000000ULL;
    bool killed = false;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return vmb_error_sys(err, "wait for gnuplot");
        if (!killed && vmb_now_ns() > deadline) {
            kill(pid, SIGKILL);
            killed = true;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }

    off_t size = lseek(errfd, 0, SEEK_END);
    if (size > 0) {
        size_t cap = size > 65536 ? 65536 : (size_t)size;
        *msgs = vmb_xcalloc(1, cap + 1);
        if (pread(errfd, *msgs, cap, 0) < 0)
            (*msgs)[0] = '\0';
    }
    if (killed)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "gnuplot ran for more than %d s and was killed",
                             GNUPLOT_TIMEOUT_S);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        autofree char *raw = error_line(*msgs ? *msgs : "");
        autofree char *line = vmb_term_safe(raw);
        if (WIFEXITED(status))
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "gnuplot exited with status %d: %s",
                                 WEXITSTATUS(status), line);
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "gnuplot was killed by signal %d: %s",
                             WTERMSIG(status), line);
    }
    if (werr != 0)
        return vmb_error_set(err, VMB_ERR_RUN, werr, "write to gnuplot");
    return 0;
}

/* gnuplot's messages of a chart that was drawn, one warning each. */
static void
add_warnings(char *msgs, const char *base, struct vmb_buf *warnings)
{
    char *save = NULL;
    for (char *l = strtok_r(msgs, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        while (*l == ' ')
            l++;
        if (*l == '\0')
            continue;
        /* gnuplot echoes script lines, which hold labels from the files. */
        autofree char *safe = vmb_term_safe(l);
        vmb_buf_printf(warnings, "%s: gnuplot: %s\n", base, safe);
    }
}

/*
 * Moves work/base.<ext> to outdir/base.<ext> for each ext, once all are
 * there; a non-regular file in the way is left as it is.
 */
static int
move_into_place(const char *work, const char *outdir, const char *base,
                struct vmb_error **err)
{
    static const char *const exts[] = {"png", "svg"};
    for (size_t i = 0; i < 2; i++) {
        autofree char *tmp = vmb_xasprintf("%s/%s.%s", work, base, exts[i]);
        autofree char *path = vmb_xasprintf("%s/%s.%s", outdir, base, exts[i]);
        if (!file_nonempty(tmp))
            return vmb_error_set(err, VMB_ERR_RUN, 0,
                                 "gnuplot exited without writing \"%s.%s\"",
                                 base, exts[i]);
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "\"%s\" exists and is not a regular file; "
                                 "it is left as it is",
                                 path);
    }
    for (size_t i = 0; i < 2; i++) {
        autofree char *tmp = vmb_xasprintf("%s/%s.%s", work, base, exts[i]);
        autofree char *path = vmb_xasprintf("%s/%s.%s", outdir, base, exts[i]);
        if (rename(tmp, path) < 0)
            return vmb_error_sys(err, "rename \"%s\"", tmp);
    }
    return 0;
}

static int
render(const struct vmb_plot *p, const char *gnuplot, const char *common,
       const char *body, const char *outdir, const char *base,
       struct vmb_buf *warnings, struct vmb_error **err)
{
    autofree char *kept = build_script(p, common, body, base);
    autofree char *gp = vmb_xasprintf("%s/%s.gp", outdir, base);
    if (vmb_write_file_atomic(gp, kept, strlen(kept), err) < 0)
        return -1;
    /*
     * gnuplot opens its outputs by name, following whatever is there: it
     * writes into a fresh directory of ours, and the files are renamed.
     */
    autofree char *work = vmb_xasprintf("%s/.%s.XXXXXX", outdir, base);
    if (mkdtemp(work) == NULL)
        return vmb_error_sys(err, "create a directory in \"%s\"", outdir);
    autofree char *msgs = NULL;
    int rc = run_gnuplot(gnuplot, kept, work, &msgs, err);
    if (rc == 0)
        rc = move_into_place(work, outdir, base, err);
    vmb_rm_rf(work, NULL);
    if (rc == 0 && msgs != NULL && warnings != NULL)
        add_warnings(msgs, base, warnings);
    return rc;
}

/* A name the caller made: nothing that could leave outdir. */
static bool
safe_base(const char *base)
{
    if (base == NULL || base[0] == '\0' || base[0] == '.' || strlen(base) > 200)
        return false;
    for (const char *s = base; *s; s++)
        if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
            !(*s >= '0' && *s <= '9') && strchr("-_.", *s) == NULL)
            return false;
    return true;
}

int
vmb_plot_render(const struct vmb_plot *p, const char *gnuplot, const char *tmpl,
                const char *outdir, const char *base, struct vmb_buf *warnings,
                struct vmb_error **err)
{
    if (!safe_base(base))
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "chart name \"%.60s\" is not a file name", base);
    if (p->bad != NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0, "chart \"%s\": not drawn: %s",
                             base, p->bad);
    struct vmb_buf common = {0}, body = {0};
    int rc = -1;
    if (read_template("common", &common, err) == 0 &&
        read_template(tmpl, &body, err) == 0)
        rc = render(p, gnuplot, common.data ? common.data : "",
                    body.data ? body.data : "", outdir, base, warnings, err);
    vmb_buf_free(&common);
    vmb_buf_free(&body);
    if (rc < 0)
        return vmb_error_prefix(err, "chart \"%s\"", base);
    return 0;
}

/*
 * dir/plots, made when missing; anything else there than a directory of
 * ours (a symlink above all, which would lead the charts elsewhere) is
 * refused.
 */
int
vmb_plot_dir(const char *plots, struct vmb_error **err)
{
    struct stat st;
    if (lstat(plots, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "\"%s\" exists and is not a directory (a "
                             "symlink is not followed); it is left as it is",
                             plots);
    }
    if (mkdir(plots, 0755) < 0 && errno != EEXIST)
        return vmb_error_sys(err, "create directory \"%s\"", plots);
    return 0;
}
