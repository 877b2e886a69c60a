#!/usr/bin/env bash
# A throw-away one-node SLURM cluster on this machine, to try `-m hydra/launcher=slurm` for real
# and to run tests/test_slurm.py (Debian/Ubuntu, as root, no systemd needed).
#
#   scripts/slurm_cluster.sh up       # install packages if missing, start, wait for an idle node
#   scripts/slurm_cluster.sh status   # daemons, node state, queue; exit 0 only when a node is idle
#   scripts/slurm_cluster.sh down     # cancel our jobs, stop only the daemons `up` started
#
#   python scripts/run.py -m hydra/launcher=slurm hydra.launcher.partition=debug \
#       hydra.launcher.cpus_per_task=1 seed=1,2
#
# One partition `debug` (the default) holding this host, daemons bound to 127.0.0.1, MariaDB +
# slurmdbd for accounting: submitit asks `sacct` about jobs that die without writing a result,
# and without it waits forever. Packages: slurmctld slurmd slurm-client munge slurmdbd
# mariadb-server (apt, about 1-2 min the first time; `up` itself takes ~3-10 s).
# State, logs and PID files live in ${SLURM_CI_DIR:-/tmp/hydratune-slurm}; the cluster's
# config goes to /etc/slurm (where the clients look), and an /etc/slurm/slurm.conf that this
# script did not write is never overwritten. Call `down` from a `trap ... EXIT`: the daemons
# detach and outlive the shell that started them.
set -euo pipefail

BASE=${SLURM_CI_DIR:-/tmp/hydratune-slurm}
CONF=/etc/slurm/slurm.conf
DBD_CONF=/etc/slurm/slurmdbd.conf
MARK="# written by hydratune scripts/slurm_cluster.sh"
PACKAGES="slurmctld slurmd slurm-client munge slurmdbd mariadb-server"
DAEMONS="slurmd slurmctld slurmdbd mariadb munged" # stop order: newest first

say() { echo "slurm_cluster: $*" >&2; }
die() { say "$*"; exit 1; }

alive() { # alive PID: running and not a zombie
  [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

ours_alive() { # ours_alive DAEMON: the daemon `up` started is still running
  local f="$BASE/run/$1.pid"
  [ -s "$f" ] && alive "$(cat "$f")"
}

node_idle() { [ -n "$(timeout 20 sinfo -h -t idle -o %n 2>/dev/null)" ]; }

wait_for() { # wait_for SECONDS WHAT CMD...: poll CMD every 0.25 s
  local tries=$(($1 * 4)) what=$2
  shift 2
  for _ in $(seq "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  say "gave up waiting for $what; last log lines:"
  tail -n 20 "$BASE"/log/*.log "$BASE"/mysql/*.err >&2 2>/dev/null || true
  return 1
}

install_packages() {
  # shellcheck disable=SC2086  # a list of package names
  dpkg -s $PACKAGES >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null || die "missing packages ($PACKAGES) and no apt-get to install them"
  say "installing $PACKAGES"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
}

start_munge() {
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge
  if ! (munge -n | unmunge) >/dev/null 2>&1; then # a running munged (not ours) is reused
    runuser -u munge -- /usr/sbin/munged
    wait_for 10 munged test -s /run/munge/munged.pid
    cp /run/munge/munged.pid "$BASE/run/munged.pid"
  fi
  wait_for 10 munge sh -c 'munge -n | unmunge'
}

write_slurm_conf() {
  if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script: not touching it"
  fi
  # NodeName=<hostname -s> CPUs=.. RealMemory=..: slurmd only serves the node named like its host
  local node
  node=$(slurmd -C | head -n 1)
  mkdir -p /etc/slurm
  cat >"$CONF" <<CONF
$MARK ($BASE)
ClusterName=hydratune
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
# a requeued job waits out its credential's lifetime before it starts again (default 120 s):
# 30 s lets the time-limit requeue test run three attempts in a few minutes
AuthInfo=cred_expire=30
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
MpiDefault=none
# no cgroups in a container: track processes by parent, bind nothing
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
# a CPU (not a whole core) per requested CPU, memory not consumable: two 1-CPU jobs on 2 CPUs
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start_accounting() {
  # MariaDB on its default socket, no TCP; slurmdbd reaches it as root through that socket.
  # It runs as mysql: its pid and log files go to its own (mysql-owned) data dir.
  (mariadb-admin ping >/dev/null 2>&1) && die "a MariaDB server already answers on this host"
  install -d -o mysql -g mysql /run/mysqld "$BASE/mysql"
  mariadb-install-db --user=mysql --datadir="$BASE/mysql" --skip-test-db \
    --auth-root-authentication-method=socket >"$BASE/log/mariadb-install.log" 2>&1
  mariadbd --user=mysql --datadir="$BASE/mysql" --skip-networking \
    --socket=/run/mysqld/mysqld.sock --pid-file="$BASE/mysql/mariadbd.pid" \
    --log-error="$BASE/mysql/mariadbd.err" --innodb-buffer-pool-size=64M \
    </dev/null >/dev/null 2>&1 &
  echo $! >"$BASE/run/mariadb.pid"
  wait_for 60 MariaDB mariadb-admin ping
  cat >"$DBD_CONF" <<CONF
$MARK ($BASE)
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
PidFile=$BASE/run/slurmdbd.pid
LogFile=$BASE/log/slurmdbd.log
CONF
  chmod 600 "$DBD_CONF"
  slurmdbd
  wait_for 60 slurmdbd sacctmgr -n list cluster
  sacctmgr -i add cluster hydratune >/dev/null
}

up() {
  [ "$(id -u)" = 0 ] || die "run as root (installs packages, starts system daemons)"
  if ours_alive slurmctld; then
    say "already up ($BASE)"
    sinfo
    return 0
  fi
  # shellcheck disable=SC2009  # pgrep also matches zombies, which stopped daemons leave for a while
  ps -C slurmctld -o stat= | grep -qv '^Z' && die "a slurmctld not started by this script is running"
  local t0=$SECONDS
  install_packages
  down_daemons # leftovers of a half-started cluster
  rm -rf "$BASE"
  mkdir -p "$BASE"/{state,spool,log,run}
  start_munge
  write_slurm_conf
  start_accounting
  slurmctld
  slurmd
  wait_for 60 "an idle node" node_idle
  sinfo
  say "up in $((SECONDS - t0)) s; stop with: $0 down"
}

down_daemons() {
  local d f pid
  for d in $DAEMONS; do
    f="$BASE/run/$d.pid"
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    if alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 80); do alive "$pid" || break; sleep 0.25; done
      alive "$pid" && kill -9 "$pid"
    fi
    rm -f "$f"
  done
}

down() {
  if ours_alive slurmctld; then
    scancel --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  down_daemons
  say "down"
}

status() {
  local d
  for d in $DAEMONS; do
    if ours_alive "$d"; then
      echo "$d: running (pid $(cat "$BASE/run/$d.pid"))"
    else
      echo "$d: not running"
    fi
  done
  command -v sinfo >/dev/null || { echo "sinfo: not installed"; return 1; }
  timeout 20 sinfo 2>&1 || true
  timeout 20 squeue 2>&1 || true
  node_idle
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*)
  echo "usage: $0 up|down|status   (state in \${SLURM_CI_DIR:-/tmp/hydratune-slurm})" >&2
  exit 2
  ;;
esac
