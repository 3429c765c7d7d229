#!/usr/bin/env bash
# build-base.sh IMAGE HASH — build the Debian part of the kind node image (the
# slow, Kubernetes-independent stage) and docker-import it as IMAGE with the
# label dev.probelab.content-hash=HASH. Called by ../build.sh, which decides
# whether the stage is needed; run as root with a Docker engine answering.
#
# Steps: debootstrap a minbase rootfs with the packages in ./packages from the
# Debian mirror apt already uses here; apply bookworm-updates/-security in a
# chroot; copy ./files in; run ./configure-rootfs.sh in the chroot; trim; import.
#
# Environment: PROBELAB_DEBIAN_MIRROR, PROBELAB_DEBIAN_SECURITY_MIRROR override
# the mirrors read from /etc/apt/sources.list{,.d/*}.
set -euo pipefail

base_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
source "$base_dir/../../lib.sh"
PROBELAB_LOG_NAME=node-base

[[ $# -eq 2 ]] || probelab_die "usage: build-base.sh IMAGE HASH"
image=$1
hash=$2
[[ $EUID -eq 0 ]] || probelab_die "debootstrap and chroot need root; rerun as root"

suite=$(probelab_version DEBIAN_SUITE)
pause_version=$(probelab_version PAUSE_VERSION)

# apt_source_uri SUITE — the first URI apt on this machine uses for SUITE
# (one-line .list and deb822 .sources files both understood).
apt_source_uri() {
  local suite=$1 file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $file ]] || continue
    awk -v suite="$suite" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' "$file"
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] || continue
    awk -v suite="$suite" '
      function flush() { if (is_deb && uris != "" && (" " suites " ") ~ (" " suite " ")) { split(uris, u, " "); print u[1]; found = 1 } }
      /^[[:space:]]*$/ { flush(); if (found) exit; is_deb = 0; uris = ""; suites = ""; next }
      /^Types:/ { is_deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      END { if (!found) flush() }' "$file"
  done
}

mirror=${PROBELAB_DEBIAN_MIRROR:-$(apt_source_uri "$suite" | head -n 1)}
security_mirror=${PROBELAB_DEBIAN_SECURITY_MIRROR:-$(apt_source_uri "$suite-security" | head -n 1)}
[[ -n $mirror ]] || probelab_die "no apt source for suite $suite in /etc/apt/sources.list*; set PROBELAB_DEBIAN_MIRROR=http://<mirror>/debian"

packages=$(sed -e 's/#.*//' "$base_dir/packages" | xargs | tr ' ' ',')
[[ -n $packages ]] || probelab_die "$base_dir/packages lists no package"

work_dir=$PROBELAB_CACHE_DIR/build/node/base-${hash:0:12}
deb_cache=$PROBELAB_CACHE_DIR/build/node/debootstrap-debs
rootfs=$work_dir/rootfs
# Every mount this script makes lives in a private mount namespace (unshare), so
# nothing can be left mounted below $work_dir; still, never rm -rf across a mount.
remove_work_dir() {
  if grep -qF " $work_dir/" /proc/self/mountinfo; then
    probelab_log "warning: something is mounted below $work_dir; leaving it in place"
    return 1
  fi
  rm -rf "$work_dir"
}
cleanup() { remove_work_dir || true; }
trap cleanup EXIT
remove_work_dir || probelab_die "cannot clear $work_dir"
mkdir -p "$rootfs" "$deb_cache"

command -v debootstrap >/dev/null || {
  probelab_log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2
}

started=$SECONDS
probelab_log "debootstrap $suite from $mirror ($(tr ',' '\n' <<<"$packages" | wc -l) packages + dependencies)"
# debootstrap mounts /proc and /sys in the target; keep those mounts private.
unshare --mount --propagation private -- \
  debootstrap --variant=minbase --components=main --include="$packages" \
  --cache-dir="$deb_cache" "$suite" "$rootfs" "$mirror" >"$work_dir/debootstrap.log" 2>&1 || {
  tail -n 30 "$work_dir/debootstrap.log" >&2
  probelab_die "debootstrap failed; the last lines of its log are above"
}
debootstrap_seconds=$((SECONDS - started))

# apt sources of the node (used for the update pass below; handy when debugging a node).
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$suite" "$suite"
  if [[ -n $security_mirror ]]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$security_mirror" "$suite"
  fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"
rm -f "$rootfs/etc/apt/sources.list"

cp -r --preserve=mode --no-preserve=ownership "$base_dir/files/." "$rootfs/"
sed -i "s/@PAUSE_VERSION@/$pause_version/" "$rootfs/etc/containerd/config.toml"
cp "$base_dir/configure-rootfs.sh" "$rootfs/tmp/configure-rootfs.sh"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"

# A private mount namespace: /proc and /dev mounted for the chroot vanish with it.
started=$SECONDS
probelab_log "applying $suite-updates/-security and configuring the rootfs (chroot)"
# shellcheck disable=SC2016 # expanded by the inner bash
unshare --mount --propagation private -- bash -euo pipefail -c '
  rootfs=$1
  mount -t proc proc "$rootfs/proc"
  mount --rbind /dev "$rootfs/dev"
  # No service may start inside the chroot.
  printf "#!/bin/sh\nexit 101\n" >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive LC_ALL=C bash -euo pipefail -c "
    apt-get update -qq
    apt-get upgrade -y -qq --no-install-recommends
    apt-get clean
    bash /tmp/configure-rootfs.sh
  "
  rm -f "$rootfs/usr/sbin/policy-rc.d"
' _ "$rootfs" >"$work_dir/configure.log" 2>&1 || {
  tail -n 30 "$work_dir/configure.log" >&2
  probelab_die "configuring the rootfs failed; the last lines of its log are above"
}
configure_seconds=$((SECONDS - started))

# Trim what a node never reads. Keep copyright files (licences).
rm -rf "${rootfs:?}/tmp/"* "$rootfs/var/tmp/"* "$rootfs/var/lib/apt/lists/"* \
  "$rootfs/var/cache/apt/"*.bin "$rootfs/var/cache/apt/archives/"*.deb \
  "$rootfs/var/cache/debconf/"*-old "$rootfs/var/log/"*.log "$rootfs/var/log/apt/"* \
  "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/locale" \
  "${rootfs:?}/run/"* "${rootfs:?}/dev/"*
find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
: >"$rootfs/etc/resolv.conf"

started=$SECONDS
probelab_log "importing the rootfs as $image"
rootfs_image=probelab/node-base-rootfs:${hash:0:12}
tar --numeric-owner -C "$rootfs" -c . | docker import - "$rootfs_image" >/dev/null
# Image metadata through a Dockerfile: Docker 20.10's import/commit --change does
# not accept STOPSIGNAL. The legacy builder works offline from a local image.
DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" - >/dev/null 2>"$work_dir/docker-build.log" <<EOF || {
FROM $rootfs_image
ENV container=docker
# systemd shuts down cleanly on SIGRTMIN+3.
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
LABEL $PROBELAB_HASH_LABEL=$hash dev.probelab.debian-suite=$suite
EOF
  cat "$work_dir/docker-build.log" >&2
  probelab_die "docker build of the base image metadata failed"
}
docker rmi "$rootfs_image" >/dev/null
import_seconds=$((SECONDS - started))
size=$(docker image inspect --format '{{.Size}}' "$image")
probelab_log "built $image: $((size / 1024 / 1024)) MiB; debootstrap ${debootstrap_seconds}s, update+configure ${configure_seconds}s, import ${import_seconds}s"
