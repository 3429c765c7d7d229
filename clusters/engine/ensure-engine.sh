#!/usr/bin/env bash
# ensure-engine.sh — make sure a Docker engine answers on this machine.
#
# Contract (the harness relies on it):
#   * If `docker info` already answers, print which engine it is and exit 0
#     without touching its configuration in any way.
#   * Otherwise (must run as root): install Debian's docker.io if dockerd is
#     missing, build the runc wrapper (runc-wrapper/, see README.md), start
#     dockerd in the background with the wrapper as its default runtime and a
#     config file of our own, and wait until `docker info` answers.
#   * Exit status 0 = an engine answers; non-zero = it does not, with the reason
#     (and the tail of the dockerd log) on stderr.
#   * Idempotent and safe to run concurrently (a lock file serialises starts).
#
# Environment:
#   PROBELAB_CACHE_DIR              state root (default $HOME/.cache/probelab);
#                                   engine files live in $PROBELAB_CACHE_DIR/engine/
#   PROBELAB_ENGINE_START_TIMEOUT   seconds to wait for dockerd to answer (default 90)
#
# Files under $PROBELAB_CACHE_DIR/engine/: daemon.json (dockerd --config-file),
# dockerd.pid (dockerd --pidfile; stop-engine.sh uses it), dockerd.log (+ .1 of
# the previous start), bin/runc-wrapper, lock.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_dir=${PROBELAB_CACHE_DIR:-$HOME/.cache/probelab}
engine_dir=$cache_dir/engine
config_file=$engine_dir/daemon.json
pid_file=$engine_dir/dockerd.pid
log_file=$engine_dir/dockerd.log
wrapper=$engine_dir/bin/runc-wrapper
runtime_name=probelab-runc
start_timeout=${PROBELAB_ENGINE_START_TIMEOUT:-90}

log() { printf 'ensure-engine: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if ! [[ $start_timeout =~ ^[1-9][0-9]*$ ]]; then
  die "PROBELAB_ENGINE_START_TIMEOUT=$start_timeout is not a positive number of seconds; unset it or set e.g. PROBELAB_ENGINE_START_TIMEOUT=90"
fi

engine_answers() {
  command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1
}

# our_dockerd_pid prints the pid of the dockerd this script started, if it runs.
# A pid counts as ours only if its command line names our config file, so a
# stale pidfile whose pid was reused by another process is never trusted.
our_dockerd_pid() {
  [[ -s $pid_file ]] || return 1
  local pid
  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--config-file $config_file" || return 1
  printf '%s\n' "$pid"
}

describe_engine() {
  local info owner="not started by probelab (left as it is)"
  info=$(timeout 20 docker info --format \
    'server {{.ServerVersion}}, default runtime {{.DefaultRuntime}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}}), storage {{.Driver}}, root {{.DockerRootDir}}' 2>/dev/null) ||
    info="(docker info --format failed)"
  if pid=$(our_dockerd_pid); then
    owner="started by probelab, pid $pid, log $log_file"
  fi
  log "engine answers: $info; $owner"
}

# warn_if_privileged_will_fail points out an engine we did not configure whose
# --privileged containers will hit "unable to apply caps" on this host.
warn_if_privileged_will_fail() {
  local bounding runtime
  bounding=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  runtime=$(timeout 20 docker info --format '{{.DefaultRuntime}}' 2>/dev/null || true)
  if [[ $runtime != "$runtime_name" && -n $bounding && $((16#$bounding)) -ne $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)) ]]; then
    log "warning: this host's capability bounding set is $bounding (some capabilities missing) and the engine's default runtime is '$runtime', not $runtime_name; --privileged containers (kind nodes) may fail with 'unable to apply caps'. Stop that engine and rerun this script to get one with the wrapper."
  fi
}

if engine_answers; then
  describe_engine
  warn_if_privileged_will_fail
  exit 0
fi

[[ $EUID -eq 0 ]] || die "no Docker engine answers and starting one needs root; rerun as root (sudo $0)"

mkdir -p "$engine_dir/bin"
exec 9>"$engine_dir/lock"
flock -w 600 9 || die "another ensure-engine.sh holds $engine_dir/lock for over 600 s"

# Someone else may have started an engine while we waited for the lock.
if engine_answers; then
  describe_engine
  exit 0
fi

install_docker_io() {
  log "dockerd not found; installing Debian's docker.io"
  # Keep the package's init script from starting a system dockerd with the
  # default config: that engine would lack the wrapper.
  local made_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, written by probelab ensure-engine.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    made_policy=yes
  fi
  local status=0
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends docker.io >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends docker.io >&2; } || status=$?
  [[ -n $made_policy ]] && rm -f /usr/sbin/policy-rc.d
  [[ $status -eq 0 ]] || die "apt-get install docker.io failed (exit $status); see the apt output above"
}

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/go/bin:$PATH
command -v dockerd >/dev/null 2>&1 || install_docker_io
command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after installing docker.io"

if pid=$(our_dockerd_pid); then
  log "our dockerd (pid $pid) runs but does not answer yet; waiting for it"
else
  if other=$(pgrep -x dockerd | paste -sd " "); [[ -n $other ]]; then
    die "a dockerd not started by this script runs (pid(s) $other) but 'docker info' gets no answer; fix or stop it first — this script does not touch an engine it did not start"
  fi

  real_runc=$(command -v runc || true)
  [[ -n $real_runc ]] || die "runc not found in PATH ($PATH); install Debian's runc package"
  real_runc=$(readlink -f "$real_runc")
  [[ $real_runc != "$(readlink -f "$wrapper" 2>/dev/null || true)" ]] || die "runc in PATH is our wrapper ($real_runc); put the real runc first in PATH"
  command -v go >/dev/null 2>&1 || die "the Go toolchain (go) is needed to build the runc wrapper and is not in PATH"

  log "building the runc wrapper (real runc: $real_runc)"
  (cd "$script_dir/runc-wrapper" &&
    GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath \
      -ldflags "-X main.realRuncPath=$real_runc" -o "$wrapper.new" .) ||
    die "go build of $script_dir/runc-wrapper failed"
  mv -f "$wrapper.new" "$wrapper"

  # dockerd reads only this file (not /etc/docker/daemon.json) when given --config-file.
  cat >"$config_file.new" <<EOF
{
  "default-runtime": "$runtime_name",
  "runtimes": {
    "$runtime_name": { "path": "$wrapper" }
  }
}
EOF
  mv -f "$config_file.new" "$config_file"

  [[ -f $log_file ]] && mv -f "$log_file" "$log_file.1"
  log "starting dockerd (log: $log_file)"
  setsid nohup dockerd --config-file "$config_file" --pidfile "$pid_file" \
    </dev/null >>"$log_file" 2>&1 &
fi

show_log_tail() {
  log "last 30 lines of $log_file:"
  tail -n 30 "$log_file" >&2 || true
}

wait_started=$SECONDS
deadline=$((wait_started + start_timeout))
while ! engine_answers; do
  if ((SECONDS >= deadline)); then
    show_log_tail
    die "dockerd did not answer 'docker info' within ${start_timeout}s"
  fi
  # dockerd writes its pidfile early; once it has, its disappearance means it died.
  if ((SECONDS - wait_started > 5)) && ! our_dockerd_pid >/dev/null && ! pgrep -x dockerd >/dev/null; then
    show_log_tail
    die "dockerd exited during start-up"
  fi
  sleep 1
done

runtime=$(timeout 20 docker info --format '{{.DefaultRuntime}}')
[[ $runtime == "$runtime_name" ]] || die "dockerd answers but its default runtime is '$runtime', expected $runtime_name; see $config_file"
describe_engine
