/*
 * The fio job-file checker: what it accepts (comments, [global], aliases,
 * sizes within the volume) and every class it refuses, each with the
 * file, the line and the option in the message.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/fio_job.h"

#define GIB (UINT64_C(1) << 30)

static struct vmb_fio_job *
accept_job(const char *text)
{
    struct vmb_fio_job *j = NULL;
    struct vmb_error *err = NULL;
    int rc = vmb_fio_job_parse("mine.fio", text, strlen(text), GIB, &j, &err);
    cr_assert_eq(rc, 0, "refused: %s", err ? err->msg : "");
    cr_assert_null(err);
    return j;
}

static char *
refuse_job(const char *text)
{
    struct vmb_fio_job *j = NULL;
    struct vmb_error *err = NULL;
    int rc = vmb_fio_job_parse("mine.fio", text, strlen(text), GIB, &j, &err);
    cr_assert_lt(rc, 0, "accepted: %s", text);
    cr_assert_null(j);
    cr_assert_not_null(err);
    cr_assert_eq(err->kind, VMB_ERR_INPUT);
    char *msg = vmb_xstrdup(err->msg);
    vmb_error_free(err);
    return msg;
}

/* A realistic job: comments of both kinds, [global], blanks around '=',
 * CRLF line ends, a bare flag, an alias; the text is kept as read. */
Test(fio_job, accepts_a_usual_job_file)
{
    const char *text = "; random reads\r\n"
                       "# like the Kata issue's\n"
                       "[global]\n"
                       "ioengine = libaio\n"
                       "direct=1\n"
                       "time_based\n"
                       "  runtime=30s\n"
                       "\n"
                       "[rand-read]\n"
                       "readwrite=randread\n"
                       "blocksize=4k\n"
                       "iodepth=16\n"
                       "size=512m\n"
                       "bssplit=4k/10:64k/90\n"
                       "rate_iops=1000,500\n"
                       "random_distribution=zipf:1.2\n";
    struct vmb_fio_job *j = accept_job(text);
    cr_assert_eq(j->nsections, 2);
    cr_assert_eq(j->njobs, 1);
    cr_assert_str_eq(j->text, text);
    const struct vmb_fio_job_opt *o = vmb_fio_job_find(j, "rw");
    cr_assert_not_null(o);
    cr_assert_str_eq(o->key, "readwrite");
    cr_assert_str_eq(o->value, "randread");
    cr_assert_str_eq(o->section, "rand-read");
    cr_assert_eq(o->line, 10);
    o = vmb_fio_job_find(j, "time_based");
    cr_assert_not_null(o);
    cr_assert_null(o->value);
    cr_assert_eq(o->line, 6);
    o = vmb_fio_job_find(j, "timeout"); /* runtime's alias */
    cr_assert_not_null(o);
    cr_assert_str_eq(o->value, "30s");
    cr_assert_null(vmb_fio_job_find(j, "number_ios"));
    vmb_fio_job_free(j);
}

struct refusal {
    const char *text;
    const char *want; /* a substring of the message */
};

/* Every refused class, with the line it names and the words it uses. */
static const struct refusal cases[] = {
    /* a file, a raw device, a directory */
    {"[j]\nrw=write\nfilename=/dev/sda\n",
     "mine.fio:3: option \"filename\" names a file or device"},
    {"[j]\ndirectory=/\n", "mine.fio:2: option \"directory\" names a "
                           "directory"},
    {"[j]\nopendir=/etc\n", "mine.fio:2: option \"opendir\" names a "
                            "directory"},
    {"[j]\nwrite_lat_log=lat\n", "mine.fio:2: option \"write_lat_log\" "
                                 "names a file"},
    {"[j]\nread_iolog=trace\n", "mine.fio:2: option \"read_iolog\""},
    /* a command */
    {"[global]\nexec_prerun=rm -rf /\n[j]\n",
     "mine.fio:2: option \"exec_prerun\" names a command"},
    {"[j]\nexec_postrun=reboot\n", "names a command"},
    /* a library */
    {"[j]\nioengine=external:/tmp/evil.so\n",
     "mine.fio:2: option \"ioengine\" names a library"},
    /* an engine that needs an outside object */
    {"[j]\nioengine=rbd\n", "mine.fio:2: option \"ioengine\" has value "
                            "\"rbd\""},
    /* not on the list */
    {"[j]\ncpus_allowed=0\n", "mine.fio:2: option \"cpus_allowed\" is "
                              "not on vmbench's list"},
    {"[j]\ngtod_reduce=1\n", "option \"gtod_reduce\" is not on"},
    /* include and expansions */
    {"[j]\ninclude other.fio\n", "mine.fio:2: \"include\" is refused"},
    {"[j]\nsize=${SIZE}\n", "mine.fio:2: environment variable "
                            "\"${SIZE}\" is refused"},
    {"[j]\nsize=$mb_memory\n", "mine.fio:2: expansion \"$mb_memory\""},
    /* sizes beyond the volume (1 GiB here) */
    {"[j]\nsize=2g\n", "mine.fio:2: option \"size\" is \"2g\", larger "
                       "than the data volume (\"1G\""},
    {"[j]\nfilesize=1025m\n", "option \"filesize\" is \"1025m\""},
    {"[j]\noffset=4g\n", "option \"offset\" is \"4g\""},
    /* values of the wrong shape: a path hidden in a value, a
     * trailing comment, a range out of bounds */
    {"[j]\nbs=4k/../x\n", "mine.fio:2: option \"bs\" has value"},
    {"[j]\nrw=randread ; reads\n", "option \"rw\" has value"},
    {"[j]\nrwmixread=101\n", "option \"rwmixread\" has value \"101\""},
    {"[j]\nnumjobs=65\n", "option \"numjobs\" has value \"65\""},
    /* processes over all sections: a [global] numjobs counts for every
     * job after it, a section's own for itself, even when two sections
     * share a name */
    {"[global]\nnumjobs=40\n[a]\n[b]\n",
     "mine.fio: the job sections start 80 fio processes, more than 64"},
    {"[a]\nnumjobs=64\n[a]\nnumjobs=64\n[c]\n",
     "mine.fio:5: the job sections start 128 fio processes"},
    {"[j]\ndirect=yes\n", "option \"direct\" has value \"yes\""},
    /* every job section's processes lay out their own files: numjobs x
     * size over all sections against the volume (1 GiB), the refusal at
     * the line of the size that set it */
    {"[global]\nsize=512m\n[a]\nnumjobs=2\n[b]\n",
     "mine.fio:2: option \"size\" brings the files of the job sections "
     "(numjobs x size each) to 1536M, larger than the data volume (\"1G\""},
    {"[a]\nsize=600m\n[b]\nsize=600m\n",
     "mine.fio:4: option \"size\" brings the files"},
    {"[a]\nnumjobs=4\nfilesize=64m\nnrfiles=8\n",
     "mine.fio:4: option \"nrfiles\" brings the files of the job sections "
     "(numjobs x size each) to 2G"},
    {"[global]\nsize=60%\n[a]\n[b]\n", "mine.fio:2: option \"size\" brings"},
    /* fio lays each file out up to where its I/O starts plus its size:
     * offset, and offset_increment once per later process, count too
     * (the sum saturates rather than wrapping round to a small one) */
    {"[j]\nsize=600m\noffset=600m\n",
     "mine.fio:3: option \"offset\" brings the files of the job sections "
     "(numjobs x size each) to 1200M"},
    {"[global]\noffset=400m\n[j]\nnumjobs=2\nsize=200m\n",
     "mine.fio:5: option \"size\" brings the files of the job sections "
     "(numjobs x size each) to 1200M"},
    {"[j]\nnumjobs=2\nsize=4k\noffset_increment=1g\n",
     "mine.fio:4: option \"offset_increment\" brings the files"},
    {"[j]\nnumjobs=64\nsize=4k\noffset_increment=4194304t\n",
     "mine.fio:4: option \"offset_increment\" brings the files"},
    /* values fio refuses, or reads as something else */
    {"[j]\nbssplit=4k/60:64k/50\n",
     "mine.fio:2: option \"bssplit\" has value \"4k/60:64k/50\", whose "
     "percentages for reads add up to more than 100"},
    {"[j]\nbssplit=4k/50:64k/50,4k/90:8k/20\n",
     "percentages for writes add up to more than 100"},
    {"[j]\nbssplit=4k/1000\n", "for reads add up to more than 100"},
    {"[j]\nbssplit=0/50:4k/50\n", "option \"bssplit\" has value "
                                  "\"0/50:4k/50\", a block size of 0"},
    {"[j]\nbs=4k,0\n", "mine.fio:2: option \"bs\" has value \"4k,0\", a "
                       "block size of 0; fio takes at least 1 byte"},
    {"[j]\nbsrange=0-64k\n", "option \"bsrange\" has value \"0-64k\", a "
                             "block size of 0"},
    {"[j]\niodepth=0\n", "mine.fio:2: option \"iodepth\" is \"0\", below 1, "
                         "the least fio takes"},
    {"[j]\nnumjobs=0\n", "option \"numjobs\" is \"0\", below 1"},
    {"[j]\nnrfiles=0\n", "option \"nrfiles\" is \"0\", below 1"},
    {"[j]\niodepth\n", "mine.fio:2: option \"iodepth\" needs a value"},
    {"[j]\nruntime=forever\n", "option \"runtime\" has value"},
    /* structure */
    {"rw=read\n[j]\n", "mine.fio:1: option \"rw\" comes before any "
                       "section"},
    {"[j\n", "mine.fio:1: section header \"[j\""},
    {"[../j]\n", "mine.fio:1: section name \"../j\""},
    {"[global]\nrw=read\n", "mine.fio: no job section"},
    {"; nothing\n", "mine.fio: no job section"},
    {"[j]\n=4k\n", "mine.fio:2: a value with no option"},
    {"[j]\nfile name=x\n", "mine.fio:2: \"file name\" is not an option"},
};

Test(fio_job, refuses)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct refusal *c = &cases[i];
        char *msg = refuse_job(c->text);
        cr_expect_not_null(strstr(msg, c->want), "for %s\nwant: %s\ngot:  %s",
                           c->text, c->want, msg);
        free(msg);
    }
}

/* A size refusal needs a volume: with none given, 2g passes. */
Test(fio_job, size_bound_is_the_volume)
{
    struct vmb_fio_job *j = NULL;
    struct vmb_error *err = NULL;
    const char *t = "[j]\nsize=2g\n";
    cr_assert_eq(vmb_fio_job_parse("a.fio", t, strlen(t), 0, &j, &err), 0);
    vmb_fio_job_free(j);
    j = accept_job("[j]\nsize=1g\noffset=50%\n");
    vmb_fio_job_free(j);
    j = accept_job("[global]\nnumjobs=32\n[a]\n[b]\nnumjobs=16\n[c]\n"
                   "numjobs=16\n");
    vmb_fio_job_free(j);
    /* The files of every section together may fill the volume exactly;
     * with no volume given there is no bound. */
    j = accept_job("[global]\nsize=256m\n[a]\nnumjobs=2\n[b]\n[c]\n");
    vmb_fio_job_free(j);
    j = accept_job("[a]\nfilesize=64m\nnrfiles=4\nnumjobs=4\n");
    vmb_fio_job_free(j);
    const char *many = "[a]\nsize=1g\nnumjobs=64\n";
    cr_assert_eq(vmb_fio_job_parse("a.fio", many, strlen(many), 0, &j, &err),
                 0);
    vmb_fio_job_free(j);
    /* bssplit up to 100 per direction, a 0% entry, edge block sizes. */
    j = accept_job("[j]\nbssplit=4k/0:8k/100,64k/50:1m/50\nbs=1,4k\n"
                   "bsrange=1-64k\n");
    vmb_fio_job_free(j);
}

/* A file over the limit is refused whole, before any line is read; a NUL
 * byte too. */
Test(fio_job, refuses_big_files_and_nul_bytes)
{
    size_t n = VMB_FIO_JOB_MAX_BYTES + 1;
    char *big = vmb_xmalloc(n + 1);
    memset(big, '#', n);
    big[n] = '\0';
    char *msg = refuse_job(big);
    cr_assert_str_eq(msg, "mine.fio: job file is larger than 65536 bytes");
    free(msg);
    free(big);

    struct vmb_fio_job *j = NULL;
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_fio_job_parse("mine.fio", "[j]\n\0x", 6, 0, &j, &err), 0);
    cr_assert_str_eq(err->msg, "mine.fio: job file holds a NUL byte");
    vmb_error_free(err);
}

/* The file on disk: read with a bound, the path in the message. */
Test(fio_job, load_names_the_path)
{
    char path[] = "/tmp/vmb-fio-job-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *t = "[j]\nrw=randwrite\n\nwrite_iops_log=x\n";
    cr_assert_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    close(fd);
    struct vmb_fio_job *j = NULL;
    struct vmb_error *err = NULL;
    cr_assert_lt(vmb_fio_job_load(path, GIB, &j, &err), 0);
    char *want = vmb_xasprintf("%s:4: option \"write_iops_log\"", path);
    cr_assert(vmb_str_has_prefix(err->msg, want), "%s", err->msg);
    free(want);
    vmb_error_free(err);
    unlink(path);
    err = NULL;
    cr_assert_lt(vmb_fio_job_load(path, GIB, &j, &err), 0);
    cr_assert_not_null(strstr(err->msg, "fio job file"));
    vmb_error_free(err);
}

/* A job file the matrix names as a FIFO (or a device) is refused at
 * once: reading a FIFO nobody writes would wait forever. */
Test(fio_job, refuses_what_is_not_a_regular_file, .timeout = 10)
{
    char dir[] = "/tmp/vmb-fio-job-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *fifo = vmb_xasprintf("%s/j.fio", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {fifo, "/dev/null"};
    for (size_t i = 0; i < 2; i++) {
        struct vmb_fio_job *j = NULL;
        struct vmb_error *err = NULL;
        cr_assert_lt(vmb_fio_job_load(paths[i], GIB, &j, &err), 0);
        char *want = vmb_xasprintf("fio job file \"%s\" is not a regular file",
                                   paths[i]);
        cr_assert_str_eq(err->msg, want);
        free(want);
        vmb_error_free(err);
    }
    /* A symlink, even to a good job file: it could lead out of a results
     * directory that is resumed (run --resume reads its jobs/). */
    char *real = vmb_xasprintf("%s/real.fio", dir);
    char *link = vmb_xasprintf("%s/link.fio", dir);
    const char body[] = "[j]\nrw=read\nsize=1m\n";
    cr_assert_eq(vmb_write_file_atomic(real, body, strlen(body), NULL), 0);
    cr_assert_eq(symlink(real, link), 0);
    struct vmb_fio_job *j = NULL;
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_fio_job_load(real, GIB, &j, &err), 0, "%s",
                 err ? err->msg : "");
    vmb_fio_job_free(j);
    j = NULL;
    cr_assert_lt(vmb_fio_job_load(link, GIB, &j, &err), 0);
    cr_assert_not_null(strstr(err->msg, "is a symlink"), "%s", err->msg);
    vmb_error_free(err);
    unlink(link);
    unlink(real);
    free(link);
    free(real);
    unlink(fifo);
    rmdir(dir);
    free(fifo);
}

/* One option from outside a file (a matrix axis) gets the same check. */
Test(fio_job, single_options)
{
    struct vmb_error *err = NULL;
    cr_assert_eq(vmb_fio_job_check_option("bs", "64k", GIB, &err), 0);
    cr_assert_eq(vmb_fio_job_check_option("ioengine", "io_uring", GIB, &err),
                 0);
    cr_assert_lt(vmb_fio_job_check_option("ioengine", "rdma", GIB, &err), 0);
    cr_assert_str_eq(err->msg, "option \"ioengine\" has value \"rdma\", "
                               "expected one of the choices docs/fio.md "
                               "lists");
    vmb_error_free(err);
    err = NULL;
    cr_assert_lt(vmb_fio_job_check_option("filename", "x", GIB, &err), 0);
    vmb_error_free(err);
}
