#!/usr/bin/env bash
# build.sh — build the kind node image offline (kind's `build node-image` needs a registry).
#
# Usage: build.sh [--base-only] [--kubernetes-dir DIR]
#   --base-only          build (or find) only the Debian base stage
#   --kubernetes-dir DIR where the Kubernetes build put its outputs
#                        (default $PROBELAB_CACHE_DIR/build/kubernetes, see "Inputs")
# Prints the resulting image reference on stdout (one line); progress on stderr.
# Run as root (debootstrap, and the engine if none answers).
#
# Stages, each cached as a Docker image labelled dev.probelab.content-hash=<hash>
# and skipped when an image with its tag and hash exists (../lib.sh):
#   1. probelab/node-base:<hash12>  base/build-base.sh — Debian rootfs, units, entrypoint.
#      hash: versions.env DEBIAN_SUITE + PAUSE_VERSION, base/
#   2. probelab/node:<KUBERNETES_VERSION>  this script — base + Kubernetes binaries + images.
#      hash: stage-1 hash, all of versions.env, this script, every input file
#
# Inputs of stage 2 (DIR = --kubernetes-dir):
#   DIR/bin/kubeadm, DIR/bin/kubelet, DIR/bin/kubectl   linux/amd64 executables whose
#       `--version` reports KUBERNETES_VERSION from versions.env
#   DIR/images/*.tar    `docker save` archives; every image `kubeadm config images list
#       --kubernetes-version KUBERNETES_VERSION` names and registry.k8s.io/pause:PAUSE_VERSION
#       must be among their tags (checked)
#   DIR/manifests/default-cni.yaml   optional; becomes /kind/manifests/default-cni.yaml
#       (without it, clusters need networking.disableDefaultCNI: true); every `image:`
#       it names must be among the archives' tags (checked)
#   DIR/bin/crictl      optional; installed as /usr/bin/crictl
set -euo pipefail

node_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$node_dir/../lib.sh"
PROBELAB_LOG_NAME=node-image

base_only=""
kubernetes_dir=$PROBELAB_CACHE_DIR/build/kubernetes
while (($#)); do
  case $1 in
    --base-only) base_only=yes ;;
    --kubernetes-dir)
      [[ $# -ge 2 ]] || probelab_die "--kubernetes-dir needs a directory argument"
      kubernetes_dir=$2
      shift
      ;;
    *) probelab_die "unknown argument '$1'; usage: build.sh [--base-only] [--kubernetes-dir DIR]" ;;
  esac
  shift
done

"$PROBELAB_CLUSTERS_DIR/engine/ensure-engine.sh"

# ---- stage 1: Debian base -------------------------------------------------------
base_hash=$(probelab_content_hash -k DEBIAN_SUITE -k PAUSE_VERSION "$node_dir/base")
base_image=probelab/node-base:${base_hash:0:12}
if probelab_image_is_current "$base_image" "$base_hash"; then
  probelab_log "base stage up to date: $base_image"
else
  "$node_dir/base/build-base.sh" "$base_image" "$base_hash"
fi
if [[ -n $base_only ]]; then
  printf '%s\n' "$base_image"
  exit 0
fi

# ---- stage 2: Kubernetes --------------------------------------------------------
kubernetes_version=$(probelab_version KUBERNETES_VERSION)
pause_image=registry.k8s.io/pause:$(probelab_version PAUSE_VERSION)
bin_dir=$kubernetes_dir/bin
images_dir=$kubernetes_dir/images
cni_manifest=$kubernetes_dir/manifests/default-cni.yaml

for binary in kubeadm kubelet kubectl; do
  [[ -x $bin_dir/$binary ]] || probelab_die "$bin_dir/$binary is missing or not executable; build the Kubernetes binaries first (clusters/images/kubernetes) or pass --kubernetes-dir"
done
reported=$("$bin_dir/kubelet" --version 2>&1 | awk '{print $2}')
[[ $reported == "$kubernetes_version" ]] ||
  probelab_die "$bin_dir/kubelet reports version '$reported' but versions.env has KUBERNETES_VERSION=$kubernetes_version; rebuild the binaries or fix versions.env"
shopt -s nullglob
image_archives=("$images_dir"/*.tar)
shopt -u nullglob
((${#image_archives[@]})) || probelab_die "no image archives (*.tar) in $images_dir; build the component images first"

hash_inputs=("$node_dir/build.sh" "$bin_dir/kubeadm" "$bin_dir/kubelet" "$bin_dir/kubectl" "${image_archives[@]}")
[[ -f $cni_manifest ]] && hash_inputs+=("$cni_manifest")
[[ -x $bin_dir/crictl ]] && hash_inputs+=("$bin_dir/crictl")
node_hash=$(printf '%s %s\n' "$base_hash" "$(probelab_content_hash "${hash_inputs[@]}")" | sha256sum | cut -d' ' -f1)
node_image=probelab/node:$kubernetes_version
if probelab_image_is_current "$node_image" "$node_hash"; then
  probelab_log "node image up to date: $node_image"
  printf '%s\n' "$node_image"
  exit 0
fi

# normalize_image_name NAME — the name containerd stores for a docker-style reference.
normalize_image_name() {
  local name=$1 first=${1%%/*}
  if [[ $name != */* ]]; then
    name=docker.io/library/$name
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    name=docker.io/$name
  fi
  printf '%s\n' "$name"
}

builder=probelab-node-build-$$
containerd_pid_file=/run/probelab-import-containerd.pid
stderr_file=$(mktemp)
cleanup() {
  docker rm -f "$builder" >/dev/null 2>&1 || true
  rm -f "$stderr_file"
}
trap cleanup EXIT

started=$SECONDS
probelab_log "assembling $node_image from $base_image and $kubernetes_dir"
# /run and /tmp are tmpfs so containerd's runtime state never lands in the image.
docker run -d --name "$builder" --privileged --cgroupns=private --tmpfs /run --tmpfs /tmp \
  --entrypoint /bin/sleep "$base_image" infinity >/dev/null
for binary in kubeadm kubelet kubectl; do
  docker cp "$bin_dir/$binary" "$builder:/usr/bin/$binary"
done
[[ -x $bin_dir/crictl ]] && docker cp "$bin_dir/crictl" "$builder:/usr/bin/crictl"
docker exec "$builder" bash -c 'chown root:root /usr/bin/kube* && chmod 0755 /usr/bin/kube*'
printf '%s\n' "$kubernetes_version" | docker exec -i "$builder" bash -c 'cat >/kind/version'
if [[ -f $cni_manifest ]]; then
  docker cp "$cni_manifest" "$builder:/kind/manifests/default-cni.yaml"
else
  probelab_log "no $cni_manifest: the image has no default CNI; use networking.disableDefaultCNI: true"
fi

# Preload the images the way kind does: content only (--no-unpack); containerd's
# CRI unpacks an image into a snapshot the first time a pod uses it. (The build
# container's rootfs is overlayfs, where the overlayfs snapshotter cannot unpack.)
docker exec -d "$builder" bash -c "echo \$\$ >$containerd_pid_file; exec containerd --config /etc/containerd/config.toml >/tmp/containerd.log 2>&1"
for _ in $(seq 1 60); do
  docker exec "$builder" ctr version >/dev/null 2>&1 && break
  sleep 0.5
done
docker exec "$builder" ctr version >/dev/null || {
  docker exec "$builder" tail -n 20 /tmp/containerd.log >&2 || true
  probelab_die "containerd did not start in the build container"
}
import_started=$SECONDS
expected=()
for archive in "${image_archives[@]}"; do
  probelab_log "importing $(basename "$archive") ($(($(stat -c %s "$archive") / 1024 / 1024)) MiB)"
  docker exec -i "$builder" ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests - <"$archive" >/dev/null ||
    probelab_die "ctr images import of $archive failed"
  mapfile -t -O "${#expected[@]}" expected < <(tar -xOf "$archive" manifest.json | jq -r '.[].RepoTags[]?')
done
import_seconds=$((SECONDS - import_started))

stored=$(docker exec "$builder" ctr --namespace=k8s.io images ls -q)
required=("${expected[@]}" "$pause_image")
kubeadm_images=$(docker exec "$builder" kubeadm config images list --kubernetes-version "$kubernetes_version" 2>"$stderr_file") ||
  probelab_die "kubeadm config images list --kubernetes-version $kubernetes_version failed in the node: $(<"$stderr_file")"
mapfile -t -O "${#required[@]}" required <<<"$kubeadm_images"
# The default CNI's own images must be preloaded too: nothing can pull them.
if [[ -f $cni_manifest ]]; then
  mapfile -t -O "${#required[@]}" required < <(sed -n 's/^[[:space:]]*-\{0,1\}[[:space:]]*image:[[:space:]]*["'\'']\{0,1\}\([^"'\'' ]*\).*/\1/p' "$cni_manifest")
fi
missing=()
for name in "${required[@]}"; do
  grep -qxF "$(normalize_image_name "$name")" <<<"$stored" || missing+=("$name")
done
((${#missing[@]} == 0)) ||
  probelab_die "images required but not in $images_dir/*.tar: ${missing[*]} (kubeadm's list, $pause_image, the images of default-cni.yaml and the archives' own tags must all be present)"

docker exec "$builder" bash -c "kill \$(cat $containerd_pid_file); while kill -0 \$(cat $containerd_pid_file) 2>/dev/null; do sleep 0.2; done"

docker commit \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  --change 'CMD []' \
  --change "LABEL $PROBELAB_HASH_LABEL=$node_hash" \
  --change "LABEL dev.probelab.kubernetes-version=$kubernetes_version" \
  "$builder" "$node_image" >/dev/null
size=$(docker image inspect --format '{{.Size}}' "$node_image")
probelab_log "built $node_image: $((size / 1024 / 1024)) MiB; image import ${import_seconds}s, stage total $((SECONDS - started))s"
printf '%s\n' "$node_image"
