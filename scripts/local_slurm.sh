#!/usr/bin/env bash
# A real single-node SLURM on this machine, for vmk's SLURM tests and for trying the sbatch/srun lines of
# the README: munged, slurmctld and slurmd (Debian's slurm-wlm), all state under one folder.
#
#   scripts/local_slurm.sh up     install the packages when missing, write slurm.conf, start the daemons,
#                                 wait until the node is idle; prints `export SLURM_CONF=...`
#   scripts/local_slurm.sh down   stop exactly the daemons `up` started (their PIDs are recorded)
#
# VMK_SLURM_DIR (default /tmp/vmk-slurm) holds slurm.conf, the logs, the spool and state, and the PIDs.
# Needs root (apt-get, munge's key, slurmd); there is no systemd here, so the daemons are started by hand.
set -euo pipefail
dir="${VMK_SLURM_DIR:-/tmp/vmk-slurm}"
conf="$dir/slurm.conf"

say() { echo "local_slurm: $*" >&2; }

install_packages() {
    command -v slurmctld >/dev/null && command -v munged >/dev/null && return
    say "installing slurm-wlm and munge (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_conf() {
    local cpus mem_mb
    cpus=$(nproc)
    # Sane node memory: what the machine has, less 1 GiB for the system; without RealMemory SLURM
    # refuses every job that asks for memory ("Memory specification can not be satisfied").
    mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
    mkdir -p "$dir"/{spool,state,log}
    cat > "$conf" <<CONF
ClusterName=vmk-local
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
JobRequeue=1
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
KillWait=30
InactiveLimit=0
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
}

start_munge() {
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    fi
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown -R munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        say "munged already runs (not started by this script, so not stopped by it)"
        return
    fi
    local sock_dir=/run/munge
    if command -v runuser >/dev/null && id munge >/dev/null 2>&1; then
        runuser -u munge -- munged --force
    else
        munged --force
    fi
    for _ in $(seq 50); do
        [ -s "$sock_dir/munged.pid" ] && break
        sleep 0.1
    done
    cat "$sock_dir/munged.pid" > "$dir/munged.started"
}

record() {  # remember the PID of a daemon this script started, or stop what it started and fail
    local daemon=$1
    for _ in $(seq 50); do
        if [ -s "$dir/$daemon.pid" ] && kill -0 "$(cat "$dir/$daemon.pid")" 2>/dev/null; then
            cp "$dir/$daemon.pid" "$dir/$daemon.started"
            return
        fi
        sleep 0.1
    done
    say "$daemon did not start; the end of its log:"
    tail -n 5 "$dir/log/$daemon.log" >&2 || true
    down
    exit 1
}

wait_idle() {
    for _ in $(seq 100); do
        if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            return 0
        fi
        sleep 0.2
    done
    say "the node did not become idle; see $dir/log/"
    sinfo -N 2>&1 | tail -3 >&2 || true
    return 1
}

up() {
    if [ -f "$dir/slurmctld.started" ] && kill -0 "$(cat "$dir/slurmctld.started")" 2>/dev/null; then
        say "already up ($conf)"
        echo "export SLURM_CONF=$conf"
        return
    fi
    install_packages
    write_conf
    export SLURM_CONF="$conf"
    start_munge
    slurmctld -f "$conf" -i
    record slurmctld
    slurmd -f "$conf" -N localhost
    record slurmd
    wait_idle || { down; exit 1; }
    say "up: 1 node, $(nproc) CPUs; SLURM_CONF=$conf"
    echo "export SLURM_CONF=$conf"
}

down() {
    local stopped=0
    for daemon in slurmd slurmctld munged; do
        local record="$dir/$daemon.started"
        [ -f "$record" ] || continue
        local pid
        pid=$(cat "$record")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
            stopped=$((stopped + 1))
        fi
        rm -f "$record"
    done
    say "down: stopped $stopped daemon(s)"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
