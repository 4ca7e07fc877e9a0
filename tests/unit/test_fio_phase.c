/*
 * fio phases of a matrix (database.engine: fio): the job text a phase
 * runs (vmbench's [global], the built-in job or the user's file, the
 * cell's fio: options at the end of each job section) and what the
 * matrix loader refuses: fio's jobs under another engine and the
 * reverse, job-file paths outside the matrix's directory, a job file
 * whose times contradict the phase, a bad fio: value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/fio_phase.h"
#include "config/matrix.h"

static char dir[] = "/tmp/vmb-fio-phase-XXXXXX";

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    autofree char *jobs = vmb_xasprintf("%s/jobs", dir);
    cr_assert_eq(mkdir(jobs, 0755), 0);
}

static void
teardown(void)
{
    vmb_rm_rf(dir, NULL);
}

static void
put(const char *name, const char *text)
{
    autofree char *path = vmb_xasprintf("%s/%s", dir, name);
    cr_assert_eq(vmb_write_file_atomic(path, text, strlen(text), NULL), 0);
}

/* Loads matrix text (written as m.yaml in dir); returns the error or NULL
 * with *m set. */
static char *
load(const char *yaml, struct vmb_matrix **m)
{
    put("m.yaml", yaml);
    autofree char *path = vmb_xasprintf("%s/m.yaml", dir);
    struct vmb_error *err = NULL;
    *m = NULL;
    if (vmb_matrix_load(path, m, &err) == 0)
        return NULL;
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    char *msg = vmb_xstrdup(err->msg);
    vmb_error_free(err);
    return msg;
}

static void
assert_refused(const char *yaml, const char *want)
{
    struct vmb_matrix *m = NULL;
    autofree char *msg = load(yaml, &m);
    cr_assert_not_null(msg, "accepted:\n%s", yaml);
    cr_assert(strstr(msg, want) != NULL, "want: %s\ngot:  %s", want, msg);
}

#define HEAD "name: t\ndatabase:\n  engine: fio\nload:\n  warmup: 2s\n"

TestSuite(fio_phase, .init = setup, .fini = teardown);

/* A built-in job: vmbench's [global] with the phase's time and warm-up,
 * the job's own lines, then the cell's fio: options. */
Test(fio_phase, builtin_job_text)
{
    struct vmb_matrix *m = NULL;
    autofree char *msg =
        load(HEAD "  phases:\n    - { op: randread-4k-qd16, duration: 30s }\n"
                  "    - { op: seqwrite-1m, n: 500 }\n"
                  "fio:\n  direct: \"1\"\n  ioengine: io_uring\n",
             &m);
    cr_assert_null(msg, "%s", msg);
    const struct vmb_config *c = &m->cells[0].cfg;
    cr_assert_eq(vmb_fio_phase_check(c, 0, NULL, NULL), 0);
    autofree char *t = vmb_fio_phase_text(c, 0, NULL, "/data");
    const char *want = "[global]\ndirectory=/data\ntime_based\n"
                       "runtime=30000000us\nramp_time=2000000us\n"
                       "ioengine=libaio\ndirect=0\nsize=256M\n\n"
                       "[randread-4k-qd16]\nrw=randread\nbs=4k\n"
                       "iodepth=16\ndirect=1\nioengine=io_uring\n";
    cr_assert(strstr(t, want) != NULL, "%s", t);
    autofree char *t2 = vmb_fio_phase_text(c, 1, NULL, "/data");
    cr_assert(strstr(t2, "number_ios=500\n") != NULL, "%s", t2);
    cr_assert(strstr(t2, "time_based") == NULL, "%s", t2);
    vmb_matrix_free(m);
}

/* The control runs the VM's job: guest.data_size, which sizes fio's
 * files, stays in the control (one control per data_size value), where
 * for a database it is the VM's volume alone. */
Test(fio_phase, control_keeps_data_size)
{
    struct vmb_matrix *m = NULL;
    autofree char *msg =
        load(HEAD "  phases:\n    - { op: randread-4k, duration: 1s }\n"
                  "guest:\n  data_size: 64M\n"
                  "matrix:\n  shared_fs: [virtio-fs, virtio-9p]\n",
             &m);
    cr_assert_null(msg, "%s", msg);
    cr_assert_eq(m->ncontrols, 1);
    autofree char *vm = vmb_fio_phase_text(&m->cells[0].cfg, 0, NULL, "/d");
    autofree char *bm = vmb_fio_phase_text(&m->controls[0].cfg, 0, NULL, "/d");
    cr_assert(strstr(vm, "size=8M\n") != NULL, "%s", vm);
    cr_assert_str_eq(vm, bm);
    vmb_matrix_free(m);
    msg = load(HEAD "  phases:\n    - { op: randread-4k, duration: 1s }\n"
                    "matrix:\n  guest.data_size: [64M, 128M]\n",
               &m);
    cr_assert_null(msg, "%s", msg);
    cr_assert_eq(m->ncontrols, 2);
    cr_assert_eq(m->controls[m->cells[1].control].cfg.guest.data_size_bytes,
                 128ull << 20);
    vmb_matrix_free(m);
    msg = load("name: t\nmatrix:\n  guest.data_size: [64M, 128M]\n", &m);
    cr_assert_null(msg, "%s", msg);
    cr_assert_eq(m->ncontrols, 1, "a database's data_size is the VM's alone");
    vmb_matrix_free(m);
}

/* A user's job: the fio: options after each job section's lines, none
 * in its [global] (where a job section's own value would win). */
Test(fio_phase, user_job_text)
{
    put("jobs/two.fio", "[global]\nbs=8k\n[a]\nrw=read\nsize=1m\n"
                        "[b]\nrw=write\nsize=1m\n");
    struct vmb_matrix *m = NULL;
    autofree char *msg =
        load(HEAD "  phases:\n    - { fio: jobs/two.fio, duration: 1s }\n"
                  "matrix:\n  fio.bs: [4k, 64k]\n",
             &m);
    cr_assert_null(msg, "%s", msg);
    cr_assert_eq(m->ncells, 2);
    const struct vmb_config *c = &m->cells[1].cfg;
    cr_assert_eq(c->phases[0].op, VMB_OP_FIO_JOB);
    struct vmb_fio_job *job = NULL;
    autofree char *path = vmb_fio_phase_path(m->path, c->phases[0].fio);
    cr_assert_eq(vmb_fio_job_load(path, c->guest.data_size_bytes, &job, NULL),
                 0);
    autofree char *t = vmb_fio_phase_text(c, 0, job, "/data");
    cr_assert(strstr(t, "\n[global]\nbs=8k\n[a]\nrw=read\nsize=1m\nbs=64k\n"
                        "[b]\nrw=write\nsize=1m\nbs=64k\n") != NULL,
              "%s", t);
    vmb_fio_job_free(job);
    vmb_matrix_free(m);
}

Test(fio_phase, refusals)
{
    put("jobs/long.fio", "[j]\nrw=read\nsize=1m\nruntime=5s\n");
    put("jobs/ramp.fio", "[j]\nrw=read\nsize=1m\nramp_time=1s\n");
    put("jobs/n.fio", "[j]\nrw=read\nsize=1m\nnumber_ios=10\n");
    put("jobs/tb.fio", "[j]\nrw=read\nsize=1m\ntime_based\n");
    put("jobs/big.fio", "[j]\nrw=read\nsize=4g\n");
    put("jobs/ok.fio", "[j]\nrw=read\nsize=1m\nruntime=1s\n");
    assert_refused(HEAD "  phases:\n    - { op: write, n: 10 }\n",
                   "load.phases[0]: write is not one of fio's jobs");
    assert_refused("name: t\nload:\n  phases:\n"
                   "    - { op: randread-4k, duration: 1s }\n",
                   "randread-4k is one of fio's jobs, for database.engine: "
                   "fio; cell");
    assert_refused(HEAD "  phases:\n    - { op: fio-job, duration: 1s }\n",
                   "op fio-job needs a job file");
    assert_refused(HEAD "  phases:\n    - { fio: ../x.fio, duration: 1s }\n",
                   "must be a file ending in .fio below the matrix");
    assert_refused(HEAD "  phases:\n    - { fio: /etc/x.fio, duration: 1s }\n",
                   "must be a file ending in .fio");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/a/../../x.fio, "
                        "duration: 1s }\n",
                   "must be a file ending in .fio");
    assert_refused(HEAD "  phases:\n    - { fio: m.yaml, duration: 1s }\n",
                   "must be a file ending in .fio");
    assert_refused(HEAD "  phases:\n    - { op: read, fio: jobs/ok.fio, "
                        "duration: 1s }\n",
                   "a phase with a fio job file is op fio-job, not read");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/long.fio, duration: 1s "
                        "}\n",
                   "jobs/long.fio:4: option \"runtime\" is \"5s\" and the "
                   "phase's duration is \"1s\"");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/ramp.fio, duration: 1s "
                        "}\n",
                   "jobs/ramp.fio:4: option \"ramp_time\" is \"1s\" and the "
                   "phase's warmup is \"2s\"");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/n.fio, n: 20 }\n",
                   "jobs/n.fio:4: option \"number_ios\" is \"10\" and the "
                   "phase's n is 20");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/tb.fio, n: 20 }\n",
                   "jobs/tb.fio:4: option \"time_based\" runs for a time");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/big.fio, duration: 1s "
                        "}\n",
                   "jobs/big.fio:3: option \"size\" is \"4g\", larger than "
                   "the data volume (\"2G\"");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/none.fio, duration: 1s "
                        "}\n",
                   "fio job file");
    assert_refused(HEAD "  phases:\n    - { op: randread-4k, duration: 1s }\n"
                        "matrix:\n  fio.ioengine: [libaio, rbd]\n",
                   "fio.ioengine: option \"ioengine\" has value \"rbd\"");
    assert_refused(HEAD "  phases:\n    - { op: randread-4k, duration: 1s }\n"
                        "fio:\n  bs: \"4k/../x\"\n",
                   "fio.bs: option \"bs\" has value");
    /* plan refuses, per cell, files over the cell's volume and values
     * fio refuses, from a job file or a fio: axis */
    put("jobs/wide.fio", "[global]\nsize=24m\n[a]\nnumjobs=2\n[b]\n");
    put("jobs/split.fio", "[j]\nrw=randread\nsize=1m\n"
                          "bssplit=4k/70:64k/40\n");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/wide.fio, duration: 1s "
                        "}\nmatrix:\n  guest.data_size: [128M, 64M]\n",
                   "jobs/wide.fio:2: option \"size\" brings "
                   "the files of the job sections (numjobs x size each) to "
                   "72M, larger than the data volume (\"64M\", data_size)");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/split.fio, duration: 1s "
                        "}\n",
                   "jobs/split.fio:4: option \"bssplit\" has value "
                   "\"4k/70:64k/40\", whose percentages for reads add up "
                   "to more than 100");
    assert_refused(HEAD "  phases:\n    - { op: randread-4k, duration: 1s }\n"
                        "matrix:\n  fio.iodepth: [1, 0]\n",
                   "fio.iodepth: option \"iodepth\" is \"0\", below 1");
    /* O_DIRECT in guest memory, from fio.direct or a job file: fio
     * refuses it, so plan does, naming the cell; buffered passes */
    put("jobs/direct.fio", "[j]\nrw=randread\nsize=1m\n[k]\nrw=read\n"
                           "size=1m\nbuffered=0\n");
    assert_refused(HEAD "  phases:\n    - { op: randread-4k, duration: 1s }\n"
                        "matrix:\n  storage: [local, tmpfs]\n"
                        "  fio.direct: [\"0\", \"1\"]\n",
                   "load.phases[0]: fio's direct I/O (direct=1) does not run "
                   "on storage tmpfs, which has no O_DIRECT, in cell "
                   "\"storage=tmpfs fio.direct=1\"");
    assert_refused(HEAD "  phases:\n    - { fio: jobs/direct.fio, duration: "
                        "1s }\nguest:\n  storage: tmpfs\n",
                   "does not run on storage tmpfs");
    struct vmb_matrix *mt = NULL;
    autofree char *mmsg =
        load(HEAD "  phases:\n    - { op: randread-4k, duration: 1s }\n"
                  "guest:\n  storage: tmpfs\n",
             &mt);
    cr_assert_null(mmsg, "%s", mmsg);
    vmb_matrix_free(mt);
    /* the same file, agreeing with the phase, passes */
    struct vmb_matrix *m = NULL;
    autofree char *msg =
        load(HEAD "  phases:\n    - { fio: jobs/ok.fio, duration: 1s }\n", &m);
    cr_assert_null(msg, "%s", msg);
    vmb_matrix_free(m);
}

/* configs/fio-kata.yaml, the shipped storage matrix: 9p at two msizes,
 * virtio-fs in three cache modes, block, each direct and buffered, and
 * one control per fio.direct value, every cell one VM. */
Test(fio_phase, shipped_fio_kata_matrix)
{
    struct vmb_matrix *m = NULL;
    struct vmb_error *err = NULL;
    int rc =
        vmb_matrix_load(VMB_TEST_DATA "/../configs/fio-kata.yaml", &m, &err);
    cr_assert_eq(rc, 0, "%s", err ? err->msg : "");
    cr_assert_eq(m->ncells, 12);
    cr_assert_eq(m->ncontrols, 2);
    size_t fs9p = 0, vfs = 0, block = 0, direct = 0;
    for (size_t i = 0; i < m->ncells; i++) {
        const struct vmb_config *c = &m->cells[i].cfg;
        cr_assert_eq(vmb_config_nodes(c), 1);
        int place = vmb_config_placement(c);
        fs9p += place == VMB_STORAGE_9P;
        vfs += place == VMB_STORAGE_VIRTIOFS;
        block += place == VMB_STORAGE_VIRTIO_BLK;
        autofree char *t = vmb_fio_phase_text(c, 2, NULL, "/data");
        cr_assert(strstr(t, "sync=dsync\n") != NULL, "%s", t);
        direct += strstr(t, "direct=1\n") != NULL;
    }
    cr_assert_eq(fs9p, 4);
    cr_assert_eq(vfs, 6);
    cr_assert_eq(block, 2);
    cr_assert_eq(direct, 6);
    vmb_matrix_free(m);
}
