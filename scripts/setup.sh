#!/usr/bin/env bash
# Installs every Debian package vmbench needs to build, test and run.
# Idempotent: packages already present are left alone.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: must run as root (it installs Debian packages)" >&2
    exit 2
fi

PACKAGES=(
    # build
    build-essential cmake pkg-config git clang libclang-rt-14-dev clang-format
    binutils
    # libraries, one module each
    libyaml-dev libjson-c-dev libvirt-dev libcriterion-dev
    # a bzImage's compressed payload (harness/vm/kernel_unpack.c)
    zlib1g-dev liblzma-dev libzstd-dev
    # the virtual machines
    libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
    dnsmasq-base iproute2 bridge-utils
    # the guest: kernel, initramfs tools, root disk
    linux-image-amd64 kmod cpio zstd xz-utils e2fsprogs
    # the databases and their standard tools (pgbench comes with
    # postgresql-15, pg_basebackup with postgresql-client-15; libpq-dev for
    # the load generator's PostgreSQL protocol and the database driver;
    # tzdata for the guest image's time zone file)
    redis-server redis-tools postgresql-15 postgresql-client-15 libpq-dev
    tzdata
    # MariaDB: the server (mariadbd, mariadb-install-db), its client,
    # Connector/C (libmariadb-dev) for the load generator's MySQL
    # protocol and the driver, sysbench for bench/sysbench.sh
    mariadb-server mariadb-client libmariadb-dev sysbench
    # plots
    gnuplot-nox
    # scripts and tests; static analysis (scripts/check-static.sh)
    procps psmisc util-linux jq python3 cppcheck
    # the storage workload (database.engine: fio) and its tests
    fio
    # a control node on another host (hosts.control_node2) is started
    # over ssh; its test runs an sshd of its own in a network namespace
    openssh-client openssh-server
    # the schedulers the scale-out recipes (examples/scale-out/) are
    # tested with: GNU parallel, Ansible, a single-node Slurm and munge
    parallel ansible slurm-wlm munge
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The distribution's redis-server service would hold port 6379 and write
# to /var/lib/redis; vmbench starts its own servers. The Slurm recipe's
# test starts its own munged, slurmctld and slurmd, on its own key,
# socket and ports: the packages' services are not needed.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
    systemctl disable --now slurmd slurmctld munge >/dev/null 2>&1 || true
fi

# Debian's postgresql package makes and starts a cluster of its own on
# port 5432 (the "main" cluster of postgresql-common); vmbench runs its
# own servers, so that one is stopped and does not start at boot
# (start.conf "manual": pg_ctlcluster still starts it by hand).
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r ver name _port status _rest; do
        if [ "$status" = online ]; then
            pg_ctlcluster "$ver" "$name" stop || true
        fi
        conf="/etc/postgresql/$ver/$name/start.conf"
        if [ -f "$conf" ] && ! grep -qxE 'manual|disabled' "$conf"; then
            echo manual > "$conf"
        fi
    done
fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now postgresql >/dev/null 2>&1 || true
fi

# Debian's mariadb-server service would hold port 3306 and its data in
# /var/lib/mysql; vmbench starts its own servers.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now mariadb >/dev/null 2>&1 || true
fi

# libvirt's network code expects this directory.
mkdir -p /var/lib/libvirt/dnsmasq
echo "setup.sh: all packages present"
