#!/usr/bin/env bash
# build-rootfs.sh OUT_TAR [SUITE] — a minimal Debian root filesystem with the netfilter tools
# that node-level agents need (iptables + ip6tables in both backends, iproute2, conntrack,
# ipset), with our iptables-wrapper standing in for the six iptables commands. The result is
# a tarball for `docker import`; build.sh imports it as probelab/debian-iptables:<content key>.
#
# Needs root and debootstrap. Packages come from DEBIAN_MIRROR (default: Debian's CDN).
set -euo pipefail

out_tar=${1:?usage: build-rootfs.sh OUT_TAR [SUITE]}
suite=${2:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packages=iptables,iproute2,conntrack,ipset

[[ $(id -u) == 0 ]] || { echo "build-rootfs.sh: debootstrap needs root; run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || {
  echo "build-rootfs.sh: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2 ||
    { echo "build-rootfs.sh: debootstrap is missing and could not be installed; apt-get install -y debootstrap" >&2; exit 1; }
}

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/debian-iptables-rootfs.XXXXXX")
# debootstrap mounts /proc (and more) inside the target while it installs; never delete the
# tree with anything still mounted in it.
cleanup() {
  findmnt -rn -o TARGET | grep -F "$rootfs/" | sort -r | xargs -r -n1 umount -l || true
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror"

# Trim what a container never uses; keep dpkg's database so later images can apt-get on top.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log \
  "$rootfs"/var/log/apt/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/tmp/*

install -m 0755 "$here/iptables-wrapper" "$rootfs/usr/sbin/iptables-wrapper"
for cmd in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -sf iptables-wrapper "$rootfs/usr/sbin/$cmd"
done

tar --numeric-owner --sort=name -C "$rootfs" -cf "$out_tar.partial" .
mv "$out_tar.partial" "$out_tar"
