#!/usr/bin/env bash
# build-rootfs.sh OUT_TAR [SUITE] — the Debian root filesystem under both Chaos Mesh images: what
# chaos-daemon execs (see README.md, "What chaos-daemon execs"): iptables, ipset, iproute2 (ip, tc),
# stress-ng, util-linux (nsenter, choom; Essential, so always present), procps, tzdata, and sh.
# iptables is switched to the legacy backend, as upstream's daemon image does: chaos-daemon only
# writes rules inside target pods' network namespaces, where nothing else chooses a backend.
# The result is a tarball for `docker import`; build.sh imports it as probelab/chaos-mesh-base:<key>.
#
# Needs root and debootstrap (installed with apt-get when missing). Packages come from DEBIAN_MIRROR
# (default: Debian's CDN); DEBOOTSTRAP_CACHE_DIR, when set, keeps the downloaded .debs for the next run.
set -euo pipefail

out_tar=${1:?usage: build-rootfs.sh OUT_TAR [SUITE]}
suite=${2:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=iptables,ipset,iproute2,stress-ng,procps,tzdata

[[ $(id -u) == 0 ]] || { echo "build-rootfs.sh: debootstrap needs root; run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || {
  echo "build-rootfs.sh: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2 ||
    { echo "build-rootfs.sh: debootstrap is missing and could not be installed; apt-get install -y debootstrap" >&2; exit 1; }
}
cache_args=()
if [[ -n ${DEBOOTSTRAP_CACHE_DIR:-} ]]; then
  mkdir -p "$DEBOOTSTRAP_CACHE_DIR"
  cache_args=(--cache-dir="$(cd "$DEBOOTSTRAP_CACHE_DIR" && pwd)")
fi

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/chaos-mesh-rootfs.XXXXXX")
# debootstrap mounts /proc (and more) inside the target while it installs. It runs in a private
# mount namespace, so those mounts vanish with it; still, never delete the tree with anything
# mounted in it.
cleanup() {
  findmnt -rn -o TARGET | grep -F "$rootfs/" | sort -r | xargs -r -n1 umount -l || true
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unshare --mount --propagation private -- \
  debootstrap --variant=minbase --include="$packages" "${cache_args[@]}" "$suite" "$rootfs" "$mirror"
chroot "$rootfs" update-alternatives --set iptables /usr/sbin/iptables-legacy >&2
chroot "$rootfs" update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >&2
for tool in iptables ipset tc nsenter choom stress-ng sh; do
  chroot "$rootfs" sh -c "command -v $tool" >/dev/null ||
    { echo "build-rootfs.sh: $tool is missing from the root filesystem; add its package to packages=" >&2; exit 1; }
done

# Trim what a container never uses; keep dpkg's database so the contents stay inspectable.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log \
  "$rootfs"/var/log/apt/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/tmp/*

tar --numeric-owner --sort=name -C "$rootfs" -cf "$out_tar.partial" .
mv "$out_tar.partial" "$out_tar"
