#!/usr/bin/env bash
# stop-engine.sh — stop the dockerd that ensure-engine.sh started, and only that one.
#
# The pid comes from $PROBELAB_CACHE_DIR/engine/dockerd.pid and is trusted only
# if that process's command line names our config file; an engine started any
# other way is never touched. dockerd stops its running containers on SIGTERM
# (up to its shutdown timeout), so this waits for it to exit.
#
# Environment: PROBELAB_CACHE_DIR (default $HOME/.cache/probelab),
#              PROBELAB_ENGINE_STOP_TIMEOUT seconds before SIGKILL (default 60).
# Exit 0 when no engine of ours runs afterwards.
set -euo pipefail

cache_dir=${PROBELAB_CACHE_DIR:-$HOME/.cache/probelab}
engine_dir=$cache_dir/engine
config_file=$engine_dir/daemon.json
pid_file=$engine_dir/dockerd.pid
stop_timeout=${PROBELAB_ENGINE_STOP_TIMEOUT:-60}

log() { printf 'stop-engine: %s\n' "$*" >&2; }

if ! [[ $stop_timeout =~ ^[1-9][0-9]*$ ]]; then
  log "error: PROBELAB_ENGINE_STOP_TIMEOUT=$stop_timeout is not a positive number of seconds; unset it or set e.g. 60"
  exit 1
fi

if [[ ! -s $pid_file ]]; then
  log "no dockerd started by probelab ($pid_file absent); nothing to stop"
  exit 0
fi
pid=$(<"$pid_file")
if ! [[ $pid =~ ^[0-9]+$ ]] || [[ ! -r /proc/$pid/cmdline ]] ||
  ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--config-file $config_file"; then
  log "pid file $pid_file names '$pid', which is not our running dockerd; removing the stale pid file"
  rm -f "$pid_file"
  exit 0
fi

# A zombie (exited, not yet reaped by its new parent) counts as stopped.
running() {
  [[ -r /proc/$1/stat ]] && [[ $(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1) != Z ]]
}

log "stopping dockerd pid $pid"
kill -TERM "$pid"
for ((waited = 0; waited < stop_timeout; waited++)); do
  if ! running "$pid"; then
    log "dockerd pid $pid stopped"
    exit 0
  fi
  sleep 1
done
log "dockerd pid $pid still runs after ${stop_timeout}s; sending SIGKILL (its containerd shims may linger)"
kill -KILL "$pid" 2>/dev/null || true
sleep 1
! running "$pid"
