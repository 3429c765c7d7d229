#!/usr/bin/env bash
# smoke-test.sh — prove that the engine runs what kind needs: a --privileged
# container (all capabilities the host can grant) and a `docker exec --privileged`
# into it. Both fail with "unable to apply caps" on this VM when the engine's
# runtime is plain runc. Prints one PASS/FAIL line per check; exit 0 = all passed.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=$("$script_dir/busybox-image.sh")
host_bounding=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
container=probelab-engine-smoke-$$
trap 'docker rm -f "$container" >/dev/null 2>&1 || true' EXIT

failures=0
check() {
  local name=$1 output
  shift
  if output=$("$@" 2>&1); then
    echo "PASS $name: $output"
  else
    echo "FAIL $name: $output"
    failures=$((failures + 1))
  fi
}

# A privileged process gets every capability the host's bounding set allows.
effective_caps() { awk '/^CapEff:/ {print $2}' | tr -d '\n'; }
privileged_run() {
  local caps
  caps=$(docker run --rm --privileged "$image" cat /proc/self/status | effective_caps)
  [[ -n $caps ]] && (((16#$caps & ~16#$host_bounding) == 0)) && echo "CapEff $caps within host CapBnd $host_bounding"
}
privileged_exec() {
  docker run -d --name "$container" --privileged "$image" sleep 300 >/dev/null
  local caps
  caps=$(docker exec --privileged "$container" cat /proc/self/status | effective_caps)
  [[ -n $caps ]] && echo "CapEff $caps"
}

check "docker run --privileged" privileged_run
check "docker exec --privileged" privileged_exec
echo "$((2 - failures)) passed, $failures failed"
((failures == 0))
