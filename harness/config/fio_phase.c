/*
 * The job file of a fio phase (fio_phase.h). The built-in jobs answer
 * the questions Kata users ask of storage (docs/fio.md): random 4k reads
 * and writes at queue depth 1 and 16, sequential 1M reads and writes, 4k
 * writes each synced before it completes (a database's log), and a 70/30
 * random mix; each in a file of an eighth of the data volume (at most 1 GiB),
 * buffered through libaio unless the cell's fio: options say otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"
#include "config/fio_phase.h"

static const struct {
    int op;
    const char *body;
} builtins[] = {
    {VMB_OP_FIO_RANDREAD_4K, "rw=randread\nbs=4k\niodepth=1\n"},
    {VMB_OP_FIO_RANDREAD_4K_QD16, "rw=randread\nbs=4k\niodepth=16\n"},
    {VMB_OP_FIO_RANDWRITE_4K, "rw=randwrite\nbs=4k\niodepth=1\n"},
    {VMB_OP_FIO_RANDWRITE_4K_QD16, "rw=randwrite\nbs=4k\niodepth=16\n"},
    {VMB_OP_FIO_SEQREAD_1M, "rw=read\nbs=1m\niodepth=1\n"},
    {VMB_OP_FIO_SEQWRITE_1M, "rw=write\nbs=1m\niodepth=1\n"},
    /* O_DSYNC: each write completes once its data is on stable storage,
     * so fio's completion latency holds the sync; with fsync=1 fio
     * reports the sync apart and the write alone would look fast. */
    {VMB_OP_FIO_FSYNC_WRITE_4K, "rw=write\nbs=4k\niodepth=1\nsync=dsync\n"},
    {VMB_OP_FIO_RANDRW_70_30, "rw=randrw\nrwmixread=70\nbs=4k\niodepth=1\n"},
};

#define MAX_BUILTIN_SIZE (UINT64_C(1) << 30)

static const char *
builtin_body(int op)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (builtins[i].op == op)
            return builtins[i].body;
    return NULL;
}

char *
vmb_fio_phase_path(const char *matrix_path, const char *rel)
{
    const char *slash = strrchr(matrix_path, '/');
    if (slash == NULL)
        return vmb_xstrdup(rel);
    return vmb_xasprintf("%.*s/%s", (int)(slash - matrix_path), matrix_path,
                         rel);
}

/* The cell's fio: options, as fio names them. */
static void
overrides(const struct vmb_fio_opts *f, const char *keys[4],
          const char *vals[4])
{
    keys[0] = "bs";
    vals[0] = f->bs;
    keys[1] = "iodepth";
    vals[1] = f->iodepth;
    keys[2] = "direct";
    vals[2] = f->direct;
    keys[3] = "ioengine";
    vals[3] = f->ioengine;
}

/* A duration option of the job file against the phase's, in us. */
static int
conflict_time(const struct vmb_fio_job *job, const char *key, uint64_t us,
              const char *phase_key, struct vmb_error **err)
{
    const struct vmb_fio_job_opt *o = vmb_fio_job_find(job, key);
    if (o == NULL || us == 0 || o->value == NULL)
        return 0;
    uint64_t v = 0;
    /* fio reads a bare number as seconds, as vmbench does. */
    if (vmb_parse_duration_us(o->value, &v) == 0 && v == us)
        return 0;
    char d[32];
    vmb_format_duration_us(us, d, sizeof(d));
    return vmb_error_set(err, VMB_ERR_INPUT, 0,
                         "%s:%d: option \"%s\" is \"%s\" and the phase's %s "
                         "is \"%s\"; set one of them",
                         job->name, o->line, o->key, o->value, phase_key, d);
}

int
vmb_fio_phase_check(const struct vmb_config *cfg, size_t index,
                    const struct vmb_fio_job *job, struct vmb_error **err)
{
    const struct vmb_phase *ph = &cfg->phases[index];
    if (!vmb_op_is_fio(ph->op))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s is not one of fio's jobs, which "
                             "database.engine: fio runs",
                             vmb_op_name(ph->op));
    const char *keys[4], *vals[4];
    overrides(&cfg->fio, keys, vals);
    for (int i = 0; i < 4; i++) {
        if (vals[i] == NULL || vals[i][0] == '\0')
            continue;
        if (vmb_fio_job_check_option(keys[i], vals[i],
                                     cfg->guest.data_size_bytes, err) < 0)
            return vmb_error_prefix(err, "fio.%s", keys[i]);
    }
    if (job == NULL)
        return 0;
    if (conflict_time(job, "runtime", ph->duration_us, "duration", err) < 0 ||
        conflict_time(job, "ramp_time", cfg->load.warmup_us, "warmup", err) < 0)
        return -1;
    const struct vmb_fio_job_opt *o = vmb_fio_job_find(job, "number_ios");
    if (o != NULL && ph->n > 0) {
        char n[32];
        snprintf(n, sizeof(n), "%" PRId64, ph->n);
        if (strcmp(n, o->value) != 0)
            return vmb_error_set(err, VMB_ERR_INPUT, 0,
                                 "%s:%d: option \"number_ios\" is \"%s\" and "
                                 "the phase's n is %s; set one of them",
                                 job->name, o->line, o->value, n);
    }
    if (ph->n > 0 && (o = vmb_fio_job_find(job, "time_based")) != NULL &&
        (o->value == NULL || strcmp(o->value, "1") == 0))
        return vmb_error_set(err, VMB_ERR_INPUT, 0,
                             "%s:%d: option \"time_based\" runs for a time "
                             "and the phase's n asks for %" PRId64
                             " operations; set one of them",
                             job->name, o->line, ph->n);
    return 0;
}

/* The cell's fio: options, at the end of a job section. */
static void
put_overrides(struct vmb_buf *b, const struct vmb_fio_opts *f)
{
    const char *keys[4], *vals[4];
    overrides(f, keys, vals);
    for (int i = 0; i < 4; i++)
        if (vals[i] != NULL && vals[i][0] != '\0')
            vmb_buf_printf(b, "%s=%s\n", keys[i], vals[i]);
}

/* The user's text, the overrides after each job section's last line. */
static void
put_user_text(struct vmb_buf *b, const struct vmb_fio_job *job,
              const struct vmb_fio_opts *f)
{
    bool in_job = false;
    const char *p = job->text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        const char *s = p;
        while (s < p + n && (*s == ' ' || *s == '\t'))
            s++;
        if (*s == '[') {
            if (in_job)
                put_overrides(b, f);
            in_job = strncmp(s, "[global]", 8) != 0;
        }
        vmb_buf_append(b, p, n);
        vmb_buf_puts(b, "\n");
        p += n;
        if (*p == '\n')
            p++;
    }
    if (in_job)
        put_overrides(b, f);
}

char *
vmb_fio_phase_text(const struct vmb_config *cfg, size_t index,
                   const struct vmb_fio_job *job, const char *dir)
{
    const struct vmb_phase *ph = &cfg->phases[index];
    struct vmb_buf b = {0};
    char d[32];
    vmb_buf_printf(&b, "; written by vmbench for phase %zu (%s)\n[global]\n",
                   index, vmb_op_name(ph->op));
    vmb_buf_printf(&b, "directory=%s\n", dir);
    if (ph->n > 0) {
        vmb_buf_printf(&b, "number_ios=%" PRId64 "\n", ph->n);
    } else if (ph->duration_us > 0) {
        /* fio's runtime takes whole seconds or a unit: microseconds are
         * exact. */
        vmb_buf_printf(&b, "time_based\nruntime=%" PRIu64 "us\n",
                       ph->duration_us);
    }
    if (cfg->load.warmup_us > 0)
        vmb_buf_printf(&b, "ramp_time=%" PRIu64 "us\n", cfg->load.warmup_us);
    const char *body = builtin_body(ph->op);
    if (job == NULL && body != NULL) {
        uint64_t size = cfg->guest.data_size_bytes / 8;
        if (size > MAX_BUILTIN_SIZE)
            size = MAX_BUILTIN_SIZE;
        vmb_format_size_bytes(size, d, sizeof(d));
        vmb_buf_printf(&b, "ioengine=libaio\ndirect=0\nsize=%s\n\n[%s]\n%s", d,
                       vmb_op_name(ph->op), body);
        put_overrides(&b, &cfg->fio);
    } else if (job != NULL) {
        vmb_buf_puts(&b, "\n");
        put_user_text(&b, job, &cfg->fio);
    }
    return vmb_buf_steal(&b);
}
