#!/usr/bin/env bash
# busybox-image.sh — make sure a tiny local test image exists and print its reference.
# The image is Debian's busybox-static (one static binary plus applet links) imported
# FROM scratch, tagged probelab/busybox:<Debian package version>, with the content-hash
# label of ../images/lib.sh. It exists to prove that containers run (engine smoke test,
# nested containers in a node); there is no registry to pull a real one from.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../images/lib.sh
source "$script_dir/../images/lib.sh"
PROBELAB_LOG_NAME=busybox-image

version=$(apt-cache policy busybox-static | awk '/Candidate:/ {print $2}')
if [[ -z $version || $version == "(none)" ]]; then
  apt-get update -qq >&2
  version=$(apt-cache policy busybox-static | awk '/Candidate:/ {print $2}')
fi
[[ -n $version && $version != "(none)" ]] || probelab_die "apt knows no busybox-static package; check /etc/apt/sources.list*"
image=probelab/busybox:$(tr -c 'A-Za-z0-9_.\n-' '_' <<<"${version#*:}")
hash=$(printf 'busybox-static %s\n' "$version" | sha256sum | cut -d' ' -f1)
if probelab_image_is_current "$image" "$hash"; then
  printf '%s\n' "$image"
  exit 0
fi

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
# apt's sandbox user must be able to write the download directory.
chmod 0755 "$work_dir"
(cd "$work_dir" && apt-get download -q "busybox-static=$version" >&2)
mkdir -p "$work_dir/rootfs"
dpkg-deb -x "$work_dir"/busybox-static_*.deb "$work_dir/rootfs"
rm -rf "$work_dir/rootfs/usr/share"
for applet in $("$work_dir/rootfs/bin/busybox" --list); do
  [[ -e $work_dir/rootfs/bin/$applet ]] || ln -s busybox "$work_dir/rootfs/bin/$applet"
done
mkdir -p "$work_dir/rootfs/"{tmp,proc,sys,dev,etc}
tar --numeric-owner --owner=0 --group=0 -C "$work_dir/rootfs" -c . |
  docker import --change 'CMD ["/bin/sh"]' --change "LABEL $PROBELAB_HASH_LABEL=$hash" - "$image" >/dev/null
probelab_log "imported $image from Debian busybox-static $version"
printf '%s\n' "$image"
