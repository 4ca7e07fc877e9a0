# Two "hosts" on this machine for the tests of hosts: (docs/remote.md),
# sourced after lib.sh. twohosts_up makes two network namespaces joined by
# a veth pair: "here" (10.231.X.1), where vmbench runs, and "there"
# (10.231.X.2), with an sshd of the test's own: host key and client key
# made here, its /run and /tmp private (a mount namespace of its own), so
# nothing there is shared with this host by accident. It listens on
#   port 22    the engine's programs as installed (known host key);
#   port 2222  redis-server hidden (known host key);
#   port 2223  as port 22, but with a host key in no known_hosts.
# twohosts_here CMD... runs a command in "here" with a private /root whose
# .ssh holds the client key, known_hosts and config; twohosts_there CMD...
# runs one in the mount and network namespaces of "there".
# twohosts_cgroup_up mounts this host's cgroup memory controller there.
# twohosts_libvirt_up starts a libvirtd (and virtlogd) in "there", on
# libvirt's default socket in its private /run, with its own copy of
# /etc/libvirt and tmpfs over libvirt's state, cache and log directories
# (as scripts/sandbox.sh) and over /var/lib/vmbench (where vmbench makes a
# VM's shared directory there), so qemu+ssh://root@$TH_THERE/system
# reaches it through sshd and virt-ssh-helper there.
# twohosts_down (always, from the caller's trap) stops every process of
# both namespaces and removes them. Nothing leaves the namespaces.
# shellcheck shell=bash

TH_A="" TH_B="" TH_DIR=""

twohosts_up() { # scratch-dir
    TH_DIR=$1
    local n=$(($$ % 200 + 20))
    TH_A="vmb-rh-$$-a" TH_B="vmb-rh-$$-b"
    TH_HERE="10.231.$n.1" TH_THERE="10.231.$n.2" TH_IF="vmbrh$$"
    ip netns add "$TH_A"
    ip netns add "$TH_B"
    ip link add "$TH_IF" netns "$TH_A" type veth peer name eth0 netns "$TH_B"
    ip -n "$TH_A" link set lo up
    ip -n "$TH_B" link set lo up
    ip -n "$TH_A" addr add "$TH_HERE/24" dev "$TH_IF"
    ip -n "$TH_B" addr add "$TH_THERE/24" dev eth0
    ip -n "$TH_A" link set "$TH_IF" up
    ip -n "$TH_B" link set eth0 up
    mkdir -p "$TH_DIR/there" "$TH_DIR/here"
    ssh-keygen -q -t ed25519 -N '' -C vmb-host -f "$TH_DIR/there/hostkey"
    ssh-keygen -q -t ed25519 -N '' -C vmb-host -f "$TH_DIR/there/hostkey2"
    ssh-keygen -q -t ed25519 -N '' -C vmb-test -f "$TH_DIR/here/id_ed25519"
    cp "$TH_DIR/here/id_ed25519.pub" "$TH_DIR/there/authorized_keys"
    local key
    key=$(cut -d' ' -f1,2 "$TH_DIR/there/hostkey.pub")
    printf '%s %s\n[%s]:2222 %s\n' "$TH_THERE" "$key" "$TH_THERE" "$key" \
        >"$TH_DIR/here/known_hosts"
    printf 'Host *\n  IdentityFile /root/.ssh/id_ed25519\n  User root\n' \
        >"$TH_DIR/here/config"
    local p
    for p in 22 2222 2223; do
        cat >"$TH_DIR/there/sshd_$p" <<CONF
ListenAddress $TH_THERE:$p
HostKey /run/vmb/$([ "$p" = 2223 ] && echo hostkey2 || echo hostkey)
AuthorizedKeysFile /run/vmb/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
CONF
    done
    # shellcheck disable=SC2016 # expanded by the inner shell
    # One mount namespace for the three: /run and /tmp private, and, for
    # port 2222 only, a second one where redis-server is not executable.
    ip netns exec "$TH_B" unshare -m --propagation private bash -c '
        set -e
        mount -t tmpfs -o mode=0755 vmb-there /run
        mkdir -m 0755 /run/sshd /run/vmb
        cp "$1"/* /run/vmb/
        chmod 0600 /run/vmb/hostkey /run/vmb/hostkey2
        mount -t tmpfs -o mode=1777 vmb-there /tmp
        /usr/sbin/sshd -D -e -f /run/vmb/sshd_22 2>>/run/vmb/sshd.log &
        /usr/sbin/sshd -D -e -f /run/vmb/sshd_2223 2>>/run/vmb/sshd.log &
        : >/run/vmb/not-a-program
        unshare -m --propagation private bash -c "
            mount --bind /run/vmb/not-a-program \"\$(command -v redis-server)\"
            exec /usr/sbin/sshd -D -e -f /run/vmb/sshd_2222 2>>/run/vmb/sshd.log" &
        echo $$ >/run/vmb/ns-pid
        wait' bash "$TH_DIR/there" &
    for _ in $(seq 1 100); do
        if [ "$(ip netns exec "$TH_B" ss -Hltn | wc -l)" -ge 3 ]; then
            return 0
        fi
        sleep 0.1
    done
    fail "the sshd of \"there\" did not listen within 10 s"
}

twohosts_here() { # command...
    # shellcheck disable=SC2016 # expanded by the inner shell
    ip netns exec "$TH_A" unshare -m --propagation private bash -c '
        set -e
        mount -t tmpfs -o mode=0700 vmb-here /root
        install -d -m 0700 /root/.ssh
        install -m 0600 "$1"/id_ed25519 "$1"/known_hosts "$1"/config /root/.ssh/
        shift
        exec "$@"' bash "$TH_DIR/here" "$@"
}

# The mount namespace of "there" is that of the shell that started sshd.
twohosts_there() { # command...
    local pid="" p
    for p in $(ip netns pids "$TH_B"); do
        # The listener names itself "sshd: /usr/sbin/sshd ... [listener]".
        case "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" in
        *"/run/vmb/sshd_22 [listener]"*)
            pid=$p
            break
            ;;
        esac
    done
    [ -n "$pid" ] || fail "no sshd in \"there\""
    nsenter -t "$pid" -m -n -- "$@"
}

# Mounts this host's cgroup memory controller in "there" (v2, or v1's
# memory hierarchy), which `ip netns exec` leaves unmounted in the fresh
# /sys it gives a namespace; nothing where this host has none.
twohosts_cgroup_up() {
    local cgfs
    cgfs=$(stat -fc %T /sys/fs/cgroup)
    # shellcheck disable=SC2016 # expanded by the inner shell
    twohosts_there sh -c '
        if [ "$1" = cgroup2fs ]; then
            mount -t cgroup2 vmb-there /sys/fs/cgroup
        elif awk '"'"'$1 == "memory" && $2 != 0 { f = 1 } END { exit !f }'"'"' /proc/cgroups; then
            mount -t tmpfs -o mode=0755 vmb-there /sys/fs/cgroup &&
                mkdir /sys/fs/cgroup/memory &&
                mount -t cgroup -o memory vmb-there /sys/fs/cgroup/memory
        fi' sh "$cgfs"
}

twohosts_libvirt_up() {
    # shellcheck disable=SC2016 # expanded by the inner shell
    twohosts_there bash -c '
        set -e
        e=/run/vmb/etc
        mkdir -p "$e"
        cp -a /etc/libvirt "$e/libvirt"
        rm -rf "$e/libvirt/qemu" "$e/libvirt/storage" "$e/libvirt/secrets" \
            "$e/libvirt/nodedev"
        mkdir -p "$e/libvirt/qemu/networks/autostart"
        mount --bind "$e/libvirt" /etc/libvirt
        for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt \
            /var/lib/vmbench; do
            mkdir -p "$d"
            mount -t tmpfs -o mode=0755 vmb-there "$d"
        done
        install -d -m 0755 /var/lib/libvirt/dnsmasq /var/lib/libvirt/network \
            /var/log/libvirt/qemu /var/cache/libvirt/qemu
        install -d -m 0711 /var/lib/libvirt/images /var/lib/libvirt/boot
        # libvirt locks a console'"'"'s pty in /var/lock, which is /run/lock.
        install -d -m 1777 /run/lock
        caps=/var/cache/vmbench/libvirt-qemu-caps
        if [ -d "$caps" ]; then cp -r "$caps" /var/cache/libvirt/qemu/capabilities; fi
        virtlogd -d -p /run/vmb/virtlogd.pid
        libvirtd -d -p /run/vmb/libvirtd.pid'
    for _ in $(seq 1 600); do
        if twohosts_there virsh -q -c qemu:///system uri >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    fail "the libvirtd of \"there\" did not answer within 60 s"
}

# Processes of "there" other than its sshd listeners and their shells.
twohosts_there_left() {
    local p comm
    for p in $(ip netns pids "$TH_B" 2>/dev/null); do
        comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
        case "$comm" in bash | unshare) continue ;; esac
        if [ "$comm" = sshd ] && grep -qa -- '-D' "/proc/$p/cmdline"; then
            continue
        fi
        echo "$p $comm"
    done
}

twohosts_down() {
    local ns p sig
    for ns in "$TH_A" "$TH_B"; do
        [ -n "$ns" ] || continue
        for sig in TERM KILL; do
            for p in $(ip netns pids "$ns" 2>/dev/null); do
                kill -s "$sig" "$p" 2>/dev/null || true
            done
            sleep 0.2
        done
        ip netns del "$ns" 2>/dev/null || true
    done
}
