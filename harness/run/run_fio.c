#include "run/run_fio.h"

#include <string.h>

#include "base/util.h"
#include "config/fio_phase.h"
#include "results/fio_json.h"

/* Past the phase's own time: fio lays out its files first. */
#define FIO_MARGIN_US (120ull * 1000000)
/* An n phase without phase_timeout. */
#define FIO_N_TIMEOUT_US (600ull * 1000000)

static uint64_t
timeout_of(const struct vmb_config *cfg, const struct vmb_phase *ph)
{
    if (ph->phase_timeout_us > 0)
        return ph->phase_timeout_us;
    if (ph->n > 0)
        return FIO_N_TIMEOUT_US;
    return cfg->load.warmup_us + 2 * ph->duration_us + FIO_MARGIN_US;
}

static int
write_artefact(const char *dir, size_t index, const char *op, const char *ext,
               const char *text, size_t len, struct vmb_error **err)
{
    autofree char *path =
        vmb_xasprintf("%s/fio-%zu-%s.%s", dir, index, op, ext);
    return vmb_write_file_atomic(path, text, len, err);
}

int
vmb_run_fio_phase(struct vmb_runtime *rt, const char *matrix_path, size_t index,
                  const char *dir, struct vmb_run_phase_out *out,
                  struct vmb_error **err)
{
    const struct vmb_config *cfg = rt->cfg;
    const struct vmb_phase *ph = &cfg->phases[index];
    const char *op = vmb_op_name(ph->op);
    if (rt->ops->run_fio == NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "the %s runtime cannot run fio", rt->ops->name);
    const char *data = rt->nodes[0].data_dir;
    /* fio reads ':' in directory= as a list of directories. */
    if (data == NULL || strpbrk(data, ":\n") != NULL)
        return vmb_error_set(err, VMB_ERR_RUN, 0,
                             "fio cannot use the data directory \"%s\"",
                             data ? data : "");
    struct vmb_fio_job *job = NULL;
    if (ph->op == VMB_OP_FIO_JOB) {
        autofree char *file = vmb_fio_phase_path(matrix_path, ph->fio);
        if (vmb_fio_job_load(file, cfg->guest.data_size_bytes, &job, err) < 0)
            return -1;
    }
    int rc = vmb_fio_phase_check(cfg, index, job, err);
    autofree char *text =
        rc == 0 ? vmb_fio_phase_text(cfg, index, job, data) : NULL;
    vmb_fio_job_free(job);
    if (rc < 0 ||
        write_artefact(dir, index, op, "job", text, strlen(text), err) < 0)
        return -1;
    autofree char *json = NULL;
    size_t len = 0;
    uint64_t start = vmb_now_ns() + cfg->load.warmup_us * 1000;
    if (rt->ops->run_fio(rt, text, timeout_of(cfg, ph), &json, &len, err) < 0)
        return -1;
    if (write_artefact(dir, index, op, "json", json, len, err) < 0)
        return -1;
    autofree char *name = vmb_xasprintf("fio-%zu-%s.json", index, op);
    struct vmb_fio_out fo;
    rc = vmb_fio_out_parse(name, json, len, &fo, err);
    if (rc == 0) {
        struct vmb_load_result *res =
            vmb_fio_out_result(&fo, (int)index, ph->op, start);
        rc = vmb_run_phase_record(res, dir, out, err);
        vmb_load_result_free(res);
    }
    vmb_fio_out_fini(&fo);
    return rc;
}

int
vmb_run_fio_copy_jobs(const struct vmb_config *cfg, const char *matrix_from,
                      const char *matrix_to, struct vmb_error **err)
{
    for (size_t i = 0; i < cfg->nphases; i++) {
        const struct vmb_phase *ph = &cfg->phases[i];
        if (ph->op != VMB_OP_FIO_JOB)
            continue;
        autofree char *from = vmb_fio_phase_path(matrix_from, ph->fio);
        autofree char *to = vmb_fio_phase_path(matrix_to, ph->fio);
        autofree char *text = NULL;
        size_t len = 0;
        if (vmb_read_file_max(from, VMB_FIO_JOB_MAX_BYTES, &text, &len, err) <
            0)
            return vmb_error_prefix(err, "keep the fio job file");
        autofree char *parent = vmb_xstrdup(to);
        *strrchr(parent, '/') = '\0';
        if (vmb_mkdir_p(parent, err) < 0 ||
            vmb_write_file_atomic(to, text, len, err) < 0)
            return vmb_error_prefix(err, "keep the fio job file");
    }
    return 0;
}
