#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted scripts run inside the node
# verify-boot.sh IMAGE — boot a node image the way kind v0.30 does (docker provider
# flags, user-defined network) and check what kind and kubelet rely on:
#   1. the log line kind waits for (`Reached target .*Multi-User System.*|detected cgroup v1`)
#      within kind's 30 s;
#   2. systemd reaches multi-user.target with no failed unit;
#   3. containerd answers `ctr version`;
#   4. a nested container runs under the node's containerd (busybox, imported with ctr);
#   5. the node resolves a container name through the rewritten Docker DNS;
#   6. kubelet's cgroup root exists in every cgroup v1 hierarchy;
#   7. /kind/version is one line (only for full node images; skipped for the base);
#   8. `docker restart` (SIGRTMIN+3 to systemd) is quick and the node comes back to
#      multi-user.target (the entrypoint is safe to run again).
# Prints PASS/FAIL lines and timings, removes everything it created, exit 0 = all passed.
set -euo pipefail

[[ $# -eq 1 ]] || {
  echo "usage: verify-boot.sh IMAGE" >&2
  exit 2
}
image=$1
node_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
clusters_dir=$(cd "$node_dir/../.." && pwd)
busybox=$("$clusters_dir/engine/busybox-image.sh")

suffix=$$
network=probelab-verify-$suffix
node=probelab-verify-node-$suffix
cleanup() {
  docker rm -f -v "$node" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
}
trap cleanup EXIT

failures=0
passes=0
pass() {
  echo "PASS $*"
  passes=$((passes + 1))
}
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
in_node() { docker exec --privileged "$node" "$@"; }

docker network create -d bridge "$network" >/dev/null
started=$(date +%s.%N)
# The flags kind v0.30 passes for a control-plane node (provision.go).
docker run --detach --tty --name "$node" --hostname "$node" --net "$network" \
  --label io.x-k8s.kind.cluster=probelab-verify --label io.x-k8s.kind.role=control-plane \
  --privileged --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --tmpfs /tmp --tmpfs /run --volume /var --volume /lib/modules:/lib/modules:ro \
  --restart=on-failure:1 --init=false --cgroupns=private \
  -e KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER -e KUBECONFIG=/etc/kubernetes/admin.conf \
  "$image" >/dev/null

elapsed() { awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1fs", e - s}'; }

# 1. kind's readiness line
ready=""
for _ in $(seq 1 300); do
  if docker logs "$node" 2>&1 | grep -Eq 'Reached target .*Multi-User System.*|detected cgroup v1'; then
    ready=$(elapsed)
    break
  fi
  sleep 0.1
done
if [[ -n $ready ]]; then
  pass "kind readiness line after $ready: $(docker logs "$node" 2>&1 | grep -Eo 'Reached target .*Multi-User System|detected cgroup v1' | head -n 1)"
else
  fail "kind readiness line not seen within 30s; log:"
  docker logs "$node" 2>&1 | tail -n 20
fi

# 2. multi-user.target
multi_user=""
for _ in $(seq 1 600); do
  if in_node systemctl is-active --quiet multi-user.target 2>/dev/null; then
    multi_user=$(elapsed)
    break
  fi
  sleep 0.1
done
if [[ -n $multi_user ]]; then
  pass "multi-user.target active after $multi_user (from docker run)"
else
  fail "multi-user.target not active within 60s: $(in_node systemctl is-system-running 2>&1 || true)"
fi
failed_units=$(in_node systemctl list-units --failed --plain --no-legend 2>&1 | awk '{print $1}' | xargs)
if [[ -z $failed_units ]]; then
  pass "no failed systemd units ($(in_node systemctl is-system-running 2>&1 || true))"
else
  fail "failed systemd units: $failed_units"
fi

# 3. containerd
if version=$(in_node ctr version 2>&1); then
  pass "ctr version: $(awk '/Server:/ {s = 1} s && /Version:/ {print $2; exit}' <<<"$version")"
else
  fail "ctr version: $version"
fi

# 4. nested container
if docker save "$busybox" | docker exec -i --privileged "$node" ctr --namespace probelab-verify images import - >/dev/null 2>&1 &&
  output=$(in_node ctr --namespace probelab-verify run --rm "docker.io/$busybox" nested-$suffix sh -c 'echo nested-ok; cat /proc/self/cgroup | head -n 1' 2>&1) &&
  grep -q nested-ok <<<"$output"; then
  pass "nested container under the node's containerd: $(xargs <<<"$output")"
else
  fail "nested container: ${output:-import failed}"
fi

# 5. Docker DNS from inside the node
if resolved=$(in_node getent hosts "$node" 2>&1); then
  pass "node resolves its container name via $(in_node awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf): $(xargs <<<"$resolved")"
else
  fail "node cannot resolve $node: $resolved"
fi

# 6. kubelet cgroup root (cgroup v1)
if in_node test -f /sys/fs/cgroup/cgroup.controllers; then
  pass "cgroup v2 node: /kubelet is created by kubelet's ExecStartPre"
else
  missing=$(in_node bash -c 'for h in $(findmnt -rn -t cgroup -o TARGET | grep -E "^/sys/fs/cgroup/[^/]+$"); do [[ -d $h/kubelet.slice && -d $h/kubelet ]] || echo "$h"; done')
  if [[ -z $missing ]] && in_node /kind/bin/prepare-kubelet-cgroups &&
    [[ -z $(in_node find /sys/fs/cgroup/memory/kubelet.slice -mindepth 1 -maxdepth 1 -name 'kubelet*') ]]; then
    pass "kubelet and kubelet.slice cgroups exist in every v1 hierarchy; kubelet's ExecStartPre succeeds"
  else
    fail "kubelet cgroups missing in: $missing"
  fi
fi

# 7. /kind/version
if in_node test -f /kind/version; then
  lines=$(in_node wc -l /kind/version | awk '{print $1}')
  content=$(in_node cat /kind/version)
  if [[ $lines == 1 ]]; then pass "/kind/version: $content"; else fail "/kind/version has $lines lines"; fi
else
  echo "SKIP /kind/version absent (base image)"
fi

# 8. restart
restart_started=$(date +%s.%N)
docker restart --time 30 "$node" >/dev/null
stop_start=$(awk -v s="$restart_started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1fs", e - s}')
back=""
for _ in $(seq 1 600); do
  if in_node systemctl is-active --quiet multi-user.target 2>/dev/null; then
    back=$(awk -v s="$restart_started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1fs", e - s}')
    break
  fi
  sleep 0.1
done
if [[ -n $back ]]; then
  pass "docker restart took $stop_start; multi-user.target again after $back"
else
  fail "after docker restart ($stop_start) multi-user.target is not active: $(docker logs --tail 5 "$node" 2>&1 | xargs)"
fi

echo "$passes passed, $failures failed"
((failures == 0))
