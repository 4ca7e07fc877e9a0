/*
 * run.json, the provenance of a results directory, both ways: the
 * writer takes a vmb_run_doc (plain data that `run` gathers from the host,
 * the runtimes and the doctor, or that `merge` reads back with
 * vmb_run_json_read and amends), the reader (results.c's walk) fills the
 * results' vmb_res_run and, in a merged directory, its hosts. Every key of
 * run.json is spelled in run_json.c alone; docs/results-format.md
 * describes the file.
 */
#ifndef VMB_RUN_JSON_H
#define VMB_RUN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"

/* The host that ran the session; NULL strings are written as null. */
struct vmb_run_host {
    const char *hostname, *cpu, *kernel, *governor, *thp, *ksm;
    long cpus;
    uint64_t memory_bytes;
};

/* "versions": what ran, as "qemu" -> "7.2.9", in this order. */
struct vmb_run_version {
    const char *key, *value;
};

/* One check of `vmbench doctor`; fix NULL when the check is ok. */
struct vmb_run_check {
    const char *check, *status, *detail, *fix;
};

/*
 * The accelerator and what the session measured of it. Until a VM
 * environment was opened (vm_env false) only requested and note are
 * known, and used is null.
 */
struct vmb_run_accel {
    bool vm_env;
    const char *requested, *used, *note;
    bool fallback;
    double probe_s;
    bool vhost_net;   /* /dev/vhost-net usable */
    bool vhost_vsock; /* /dev/vhost-vsock usable */
    /* What agent_transport auto gives ("virtio-serial", "vsock") and why
     * not vsock (NULL when it is). */
    const char *agent_transport, *agent_transport_why;
    /* Under TCG, how much slower the guest's compute loop ran than the
     * host's (0: not measured), and the calibration's figures: medians
     * of `rounds` rounds of `iters` iterations, seconds; vcpu_s < 0 when
     * the vCPU threads' CPU time could not be read. */
    double tcg_slowdown;
    uint64_t iters;
    int rounds;
    int pinned_cpu; /* -1: the host's side ran unpinned */
    double host_cpu_s, vcpu_s, guest_clock_s, request_s;
};

/* A cell whose tenants need more CPUs than the host has (run.json
 * "oversubscribed"): its figures measure contention. */
struct vmb_run_oversub {
    const char *id, *kind; /* kind "vm" or "baremetal" */
    int64_t tenants, cpus_needed;
};

/* A shard of a merged directory (run.json "merged"): where its copy of
 * the first control lives, the host that ran it, what it ran and owns. */
struct vmb_run_merged_shard {
    size_t index;
    const char *dir; /* "hosts/shard-K" */
    struct vmb_run_host host;
    const char **cells, **controls; /* ids */
    size_t ncells, ncontrols;
    const char *calibration; /* the first control's id; NULL: none */
};

/* What `vmbench merge` made of count shards, those given and those
 * missing (indexes). */
struct vmb_run_merged {
    size_t count;
    const size_t *missing;
    size_t nmissing;
    const struct vmb_run_merged_shard *shards;
    size_t nshards;
};

struct vmb_run_doc {
    const char *version, *git; /* vmbench's */
    const char *matrix, *name; /* the copied matrix file, its name */
    const char *started;       /* RFC 3339 */
    const char *finished;      /* NULL while the run goes on */
    const char *resumed_items; /* raw JSON items of "resumed"; NULL: none */
    uint64_t seed;
    const char *plan_id; /* the plan's identity (plan.json "id") */
    bool has_shard;      /* the session ran one shard of the plan */
    size_t shard_index, shard_count;
    const char *kata_base;       /* the user's configuration.toml; NULL: none */
    const char *kata_unmodelled; /* its settings vmbench does not model */
    struct vmb_run_host host;
    const struct vmb_run_version *versions;
    size_t nversions;
    struct vmb_run_accel accel;
    int host_cpus;
    const struct vmb_run_oversub *oversub;
    size_t noversub;
    bool has_doctor;
    const struct vmb_run_check *checks;
    size_t nchecks;
    /* A merged directory knows the runs on disk, not those that did not
     * start: runs_not_started is left out when merged is set. */
    uint64_t runs_total, runs_ok, runs_failed, runs_not_started;
    bool interrupted;
    const struct vmb_run_merged *merged; /* NULL: not a merge */
};

/* Writes run.json's document (one object) into w. */
void vmb_run_json_write(struct vmb_jw *w, const struct vmb_run_doc *d);

/*
 * run.json read back whole (for `vmbench merge`, which writes it again):
 * doc points into what the struct owns. Every value is checked as the
 * results reader checks it; one it cannot hold fails naming the file and
 * the field. A merged run.json's own "merged" is not read.
 */
struct vmb_run_file {
    struct vmb_run_doc doc;
    struct vmb_run_version *versions;
    struct vmb_run_check *checks;
    struct vmb_run_oversub *oversub;
    char **strs; /* every string doc points to */
    size_t nstrs;
};

int vmb_run_json_read(const char *path, struct vmb_run_file *f,
                      struct vmb_error **err);
void vmb_run_file_free(struct vmb_run_file *f);

/* Writes doctor checks as run.json's "doctor" array holds them (also the
 * output of `vmbench doctor --json`). */
void vmb_run_json_checks(struct vmb_jw *w, const struct vmb_run_check *c,
                         size_t n);

#endif
