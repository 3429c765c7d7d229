#!/usr/bin/env bash
# build.sh [--crds-only] — build Chaos Mesh's two images offline, from the Go module proxy and
# Debian packages only, and extract its CustomResourceDefinitions.
#
# Contract: the LAST line of stdout is the directory holding the CRDs,
#   $PROBELAB_CACHE_DIR/build/chaos-mesh/<hash12>/crds   (chaos-mesh.org_<plural>.yaml, one per CRD)
# Progress goes to stderr; the exit status is non-zero on any failure.
#
# Full build (the default) also leaves two images in the local engine, named as upstream names
# them so the same manifests work offline and online:
#   ghcr.io/chaos-mesh/chaos-mesh:$CHAOS_MESH_VERSION    /usr/local/bin/chaos-controller-manager
#   ghcr.io/chaos-mesh/chaos-daemon:$CHAOS_MESH_VERSION  /usr/local/bin/{chaos-daemon,nsexec,pause}
# both FROM probelab/chaos-mesh-base:<hash12> (a debootstrapped Debian with iptables-legacy, ipset,
# iproute2, stress-ng, util-linux, procps, tzdata: build-rootfs.sh) and labelled
# dev.probelab.content-hash=<hash>. No ENTRYPOINT: the workload names the binary, as upstream's chart does.
# --crds-only: only download the module and extract the CRDs (no Docker, no compiler), for clusters
# that pull upstream's images.
#
# Sources (versions in clusters/versions.env): github.com/chaos-mesh/chaos-mesh at
# CHAOS_MESH_MODULE_VERSION and its nested module .../api at CHAOS_MESH_API_MODULE_VERSION (the
# root module's `./api` replace; the nested directory is not in the root module's zip). The root
# module is built as the main module, from a writable copy, so its own replace directives apply.
# chaos-controller-manager: CGO_ENABLED=0. chaos-daemon: CGO_ENABLED=1 (ptrace wrappers), with the
# TimeChaos clock objects pkg/time/fakeclock/*.o compiled first, as upstream's Makefile does.
# nsexec and pause are our own (helpers/*.c, static), tested by helpers/test.sh on every build;
# upstream's Rust/Java helpers (toda, tproxy, memStress, byteman, libnsenter) and cdh are left out.
# See README.md.
#
# Caching: <hash> = sha256 over the versions.env keys CHAOS_MESH_VERSION, CHAOS_MESH_MODULE_VERSION,
# CHAOS_MESH_API_MODULE_VERSION and DEBIAN_SUITE and over this script, the Dockerfiles, helpers/ and
# build-rootfs.sh (../lib.sh). When both images carry it and the CRD directory exists, nothing is
# done. The base image has its own hash (build-rootfs.sh + DEBIAN_SUITE), so a change to the Go
# side does not re-run debootstrap; its rootfs tarball stays in the cache. Go's GOMODCACHE and
# GOCACHE are the defaults, so a rebuild of changed inputs compiles only what changed.
#
# Needs (full build): root, go (GOTOOLCHAIN=local; go >= the module's go line, 1.25.11), gcc and
# libc6-dev (apt-get installed when missing), debootstrap (likewise, by build-rootfs.sh), util-linux
# unshare, and a Docker engine answering `docker info` (never started or reconfigured here).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$here/../lib.sh"
PROBELAB_LOG_NAME=chaos-mesh-image
module=github.com/chaos-mesh/chaos-mesh
api_module=$module/api

# ---------------------------------------------------------------------------------------
# helpers (the flow is main, at the end)

# logged NAME DESCRIPTION COMMAND... — run COMMAND with its output in $out/logs/NAME.log, log its
# wall time, and on failure show the log's tail and stop. Run asynchronously and waited for: called
# as `cmd || rc=$?`, bash would ignore set -e inside COMMAND's functions.
logged() {
  local name=$1 description=$2 started=$SECONDS rc=0
  shift 2
  probelab_log "$description (log: $out/logs/$name.log)"
  "$@" >"$out/logs/$name.log" 2>&1 &
  wait $! || rc=$?
  if ((rc != 0)); then
    tail -n 40 "$out/logs/$name.log" >&2
    probelab_die "$description failed after $((SECONDS - started))s (exit $rc); full log: $out/logs/$name.log"
  fi
  probelab_log "$description: done in $((SECONDS - started))s"
}

# module_dir MODULE VERSION — download MODULE@VERSION (verified against the checksum database) and
# print its read-only directory in the module cache.
module_dir() {
  local json dir
  json=$(go mod download -json "$1@$2" 2>&1) || true
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  [[ -n $dir && -d $dir ]] ||
    probelab_die "cannot download $1@$2 from the Go module proxy (check versions.env): $(grep -m1 '"Error"' <<<"$json" || printf '%s' "$json")"
  printf '%s\n' "$dir"
}

# ensure_debian_packages PACKAGE... — apt-get install whichever of them is not installed.
ensure_debian_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  probelab_log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; } ||
    probelab_die "apt-get install ${missing[*]} failed; see the apt output above"
}

images_current() {
  probelab_image_is_current "$controller_image" "$hash" && probelab_image_is_current "$daemon_image" "$hash"
}

# extract_crds ROOT_DIR — copy the chart's CRDs into $crds_dir (complete or absent: built aside,
# renamed into place), then drop the CRD directories of other hashes.
extract_crds() {
  local crds_src=$1/helm/chaos-mesh/crds crd_files file
  mapfile -t crd_files < <(find "$crds_src" -maxdepth 1 -type f -name '*.yaml' 2>/dev/null | LC_ALL=C sort)
  ((${#crd_files[@]})) || probelab_die "$module@$module_version has no helm/chaos-mesh/crds/*.yaml; the CRD layout changed"
  for file in "${crd_files[@]}"; do
    grep -q '^kind: CustomResourceDefinition$' "$file" || probelab_die "$file is not a CustomResourceDefinition"
  done
  rm -rf "$crds_dir.partial" && mkdir -p "$crds_dir.partial"
  cp "${crd_files[@]}" "$crds_dir.partial/"
  chmod 0644 "$crds_dir.partial"/*.yaml # module cache copies are read-only
  printf '%s %s\n' "$module" "$module_version" >"$crds_dir.partial/.extracted"
  rm -rf "$crds_dir" && mv "$crds_dir.partial" "$crds_dir"
  probelab_log "CRDs: ${#crd_files[@]} files from $module@$module_version helm/chaos-mesh/crds"
  local dir
  for dir in "$out"/*/; do
    dir=${dir%/}
    [[ ${dir##*/} =~ ^[0-9a-f]{12}$ && ${dir##*/} != "${hash:0:12}" ]] && rm -rf "$dir"
  done
  return 0
}

# The Debian root filesystem is the slow, network-bound part and needs neither Go nor Docker:
# start_rootfs_build runs build-rootfs.sh in the background, beside the CPU-bound compile, in its own
# process group (setsid), so that an early exit of ours stops debootstrap too.
start_rootfs_build() {
  mkdir -p "$out/rootfs"
  probelab_log "debootstrap $suite rootfs: started in the background (log: $out/logs/rootfs.log)"
  rootfs_started=$SECONDS
  DEBOOTSTRAP_CACHE_DIR=$out/debootstrap-debs setsid "$here/build-rootfs.sh" "$rootfs_tar" "$suite" \
    >"$out/logs/rootfs.log" 2>&1 &
  rootfs_pid=$!
  trap stop_rootfs_build EXIT
}
# shellcheck disable=SC2317 # run through trap or logged
stop_rootfs_build() {
  local rc=$?
  if [[ -n $rootfs_pid ]]; then
    kill -TERM -- "-$rootfs_pid" 2>/dev/null
    wait "$rootfs_pid" 2>/dev/null
  fi
  exit "$rc"
}

# ensure_base_image — probelab/chaos-mesh-base:<base hash12>, imported from the cached rootfs tarball.
ensure_base_image() {
  probelab_image_is_current "$base_image" "$base_hash" && return
  if [[ -n $rootfs_pid ]]; then
    probelab_log "waiting for debootstrap"
    local rc=0
    wait "$rootfs_pid" || rc=$?
    rootfs_pid=
    if ((rc != 0)); then
      tail -n 30 "$out/logs/rootfs.log" >&2
      probelab_die "the Debian rootfs build failed (exit $rc); full log: $out/logs/rootfs.log"
    fi
    probelab_log "debootstrap rootfs: done in $((SECONDS - rootfs_started))s"
    find "$out/rootfs" -name 'chaos-mesh-base-*.tar' ! -name "${rootfs_tar##*/}" -delete
  fi
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' --change "LABEL $PROBELAB_HASH_LABEL=$base_hash" \
    "$rootfs_tar" "$base_image" >/dev/null
  probelab_log "imported $base_image"
}

# prepare_source — a writable copy of the root module as main module, its `./api` replace (the
# nested directory is not in the module zip) pointed at the downloaded api module (read-only is
# fine: nothing is written there). A stable path, though -trimpath keeps it out of the binaries.
prepare_source() {
  src=$out/src/chaos-mesh
  bin=$out/bin
  rm -rf "$src" "$bin"
  mkdir -p "$(dirname "$src")" "$bin"
  cp -r "$root_dir" "$src"
  chmod -R u+w "$src"
  (cd "$src" && go mod edit -replace "$api_module=$api_dir")

  # A pseudo-version's middle part is the commit time (UTC): the build date, so equal inputs give
  # equal version strings. gitVersion is the exact module version built (upstream prints
  # branch-commit for untagged commits); the images are tagged CHAOS_MESH_VERSION.
  local commit=${module_version##*-} stamp=${module_version%-*} build_date version_pkg=$module/pkg/version
  stamp=${stamp##*[.-]}
  [[ $stamp =~ ^[0-9]{14}$ ]] ||
    probelab_die "CHAOS_MESH_MODULE_VERSION=$module_version is not a pseudo-version (vX.Y.Z-[0.]YYYYMMDDhhmmss-commit)"
  build_date=${stamp:0:4}-${stamp:4:2}-${stamp:6:2}T${stamp:8:2}:${stamp:10:2}:${stamp:12:2}Z
  ldflags="-s -w -X $version_pkg.gitVersion=$module_version -X $version_pkg.gitCommit=$commit -X $version_pkg.buildDate=$build_date"
}

# shellcheck disable=SC2317 # run through trap or logged
build_helpers() {
  local helper
  for helper in nsexec pause; do
    cc -static -O2 -Wall -Wextra -o "$bin/$helper" "$here/helpers/$helper.c"
  done
  "$here/helpers/test.sh" "$bin/nsexec" "$bin/pause"
}
# shellcheck disable=SC2317 # run through trap or logged
build_controller() {
  cd "$src"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/chaos-controller-manager" ./cmd/chaos-controller-manager
  "$bin/chaos-controller-manager" --version
}
# shellcheck disable=SC2317 # run through trap or logged
build_daemon() {
  cd "$src"
  # TimeChaos: the clock_gettime/gettimeofday replacements chaos-daemon injects, embedded with
  # //go:embed fakeclock/*.o (without them only an empty placeholder is embedded).
  local object
  for object in fake_clock_gettime fake_gettimeofday; do
    cc -c "pkg/time/fakeclock/$object.c" -fPIE -O2 -o "pkg/time/fakeclock/$object.o"
  done
  CGO_ENABLED=1 CC=cc go build -trimpath -ldflags "$ldflags" -o "$bin/chaos-daemon" ./cmd/chaos-daemon
  "$bin/chaos-daemon" --version
}

# build_image NAME DOCKERFILE_DIR FILE... — docker build into the candidate tag
# probelab/chaos-mesh-candidate:NAME-<hash12>; the upstream tag is only given after the smoke test.
candidate() { printf 'probelab/chaos-mesh-candidate:%s-%s\n' "$1" "${hash:0:12}"; }
build_image() {
  local name=$1 dockerfile_dir=$2 context file
  shift 2
  context=$(mktemp -d "${TMPDIR:-/tmp}/probelab-chaos-mesh-$name.XXXXXX")
  cp "$dockerfile_dir/Dockerfile" "$context/Dockerfile"
  for file in "$@"; do cp "$bin/$file" "$context/$file"; done
  DOCKER_BUILDKIT=0 docker build --pull=false --build-arg "BASE_IMAGE=$base_image" \
    --label "$PROBELAB_HASH_LABEL=$hash" --label "dev.probelab.chaos-mesh-module=$module@$module_version" \
    -t "$(candidate "$name")" "$context" >"$out/logs/image-$name.log" 2>&1 || {
    tail -n 20 "$out/logs/image-$name.log" >&2
    rm -rf "$context"
    probelab_die "docker build of $name failed; full log: $out/logs/image-$name.log"
  }
  rm -rf "$context"
}

# Smoke test in the images themselves: the binaries start (the daemon's dynamic libraries resolve
# against the base image's libc) and every tool chaos-daemon execs is on PATH.
# shellcheck disable=SC2317 # run through trap or logged
smoke() {
  local controller daemon
  controller=$(candidate chaos-mesh) daemon=$(candidate chaos-daemon)
  docker run --rm "$controller" /usr/local/bin/chaos-controller-manager --version
  docker run --rm "$daemon" /usr/local/bin/chaos-daemon --version
  docker run --rm "$daemon" sh -euc '
    for tool in chaos-daemon nsexec pause iptables ipset ip tc nsenter choom stress-ng ps; do
      path=$(command -v "$tool") || { echo "missing from the image: $tool"; exit 1; }
      printf "%-12s %s\n" "$tool" "$path"
    done
    iptables --version | grep -q legacy || { echo "iptables is not the legacy backend: $(iptables --version)"; exit 1; }
    nsexec -- true
    echo "nsexec runs; $(iptables --version)"
  '
}

# promote NAME IMAGE — give the tested candidate its upstream tag; the image the tag leaves behind
# is removed when nothing else names it (best effort: a container may still use it).
promote() {
  local previous
  previous=$(docker image inspect -f '{{.Id}}' "$2" 2>/dev/null) || previous=
  docker tag "$(candidate "$1")" "$2"
  docker rmi "$(candidate "$1")" >/dev/null
  if [[ -n $previous && $previous != "$(docker image inspect -f '{{.Id}}' "$2")" &&
    -z $(docker image inspect -f '{{join .RepoTags ""}}' "$previous" 2>/dev/null) ]]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
  probelab_log "built $2 ($(docker image inspect -f '{{.Size}}' "$2" | numfmt --to=si)B)"
}

# ---------------------------------------------------------------------------------------

main() {
  trap 'exit 130' INT TERM # so the EXIT trap (stop_rootfs_build) runs
  crds_only=0
  while (($#)); do
    case $1 in
      --crds-only) crds_only=1 ;;
      -h | --help)
        sed -n '2,/^set -euo pipefail/p' "$here/build.sh" | sed -n 's/^# \{0,1\}//p'
        exit 0
        ;;
      *) probelab_die "unknown argument '$1'; usage: build.sh [--crds-only]" ;;
    esac
    shift
  done

  chaos_version=$(probelab_version CHAOS_MESH_VERSION)
  module_version=$(probelab_version CHAOS_MESH_MODULE_VERSION)
  api_module_version=$(probelab_version CHAOS_MESH_API_MODULE_VERSION)
  suite=$(probelab_version DEBIAN_SUITE)
  hash=$(probelab_content_hash -k CHAOS_MESH_VERSION -k CHAOS_MESH_MODULE_VERSION -k CHAOS_MESH_API_MODULE_VERSION \
    -k DEBIAN_SUITE "$here/build.sh" "$here/chaos-mesh/Dockerfile" "$here/chaos-daemon/Dockerfile" \
    "$here/helpers" "$here/build-rootfs.sh")
  base_hash=$(probelab_content_hash -k DEBIAN_SUITE "$here/build-rootfs.sh")
  controller_image=ghcr.io/chaos-mesh/chaos-mesh:$chaos_version
  daemon_image=ghcr.io/chaos-mesh/chaos-daemon:$chaos_version
  base_image=probelab/chaos-mesh-base:${base_hash:0:12}
  out=$PROBELAB_CACHE_DIR/build/chaos-mesh
  crds_dir=$out/${hash:0:12}/crds
  rootfs_tar=$out/rootfs/chaos-mesh-base-${base_hash:0:12}.tar
  rootfs_pid=

  # .extracted is written last: the directory is complete.
  if [[ -f $crds_dir/.extracted ]] && { ((crds_only)) || images_current; }; then
    ((crds_only)) || probelab_log "$controller_image and $daemon_image are current"
    probelab_log "CRDs: $(find "$crds_dir" -name '*.yaml' | wc -l) files (cached)"
    printf '%s\n' "$crds_dir"
    return
  fi

  # One build at a time (the harness and a person may start one together): wait for the other,
  # then look again, since it may have built exactly this.
  mkdir -p "$out/logs"
  exec 9>"$out/build.lock"
  if ! flock -n 9; then
    probelab_log "another chaos-mesh build.sh is running; waiting for it"
    flock 9
    if [[ -f $crds_dir/.extracted ]] && { ((crds_only)) || images_current; }; then
      probelab_log "built meanwhile by the other run"
      printf '%s\n' "$crds_dir"
      return
    fi
  fi

  export PATH=$PATH:/usr/local/go/bin GOTOOLCHAIN=local
  command -v go >/dev/null || probelab_die "the Go toolchain (go) is not in PATH; install Go 1.26 (GOTOOLCHAIN=local is enforced)"
  if ((!crds_only)); then
    [[ $EUID -eq 0 ]] ||
      probelab_die "the image build needs root (debootstrap, and helpers/test.sh enters namespaces); rerun as root, or use --crds-only"
    docker info >/dev/null 2>&1 ||
      probelab_die "no Docker engine answers 'docker info'; start one with clusters/engine/ensure-engine.sh (as root), or use --crds-only"
    command -v unshare >/dev/null || probelab_die "util-linux unshare is missing"
    ensure_debian_packages gcc libc6-dev
  fi
  if ((!crds_only)) && ! probelab_image_is_current "$base_image" "$base_hash" && [[ ! -f $rootfs_tar ]]; then
    start_rootfs_build
  fi

  local started=$SECONDS
  probelab_log "go mod download $module@$module_version"
  root_dir=$(module_dir "$module" "$module_version")
  [[ -f $crds_dir/.extracted ]] || extract_crds "$root_dir"
  if ((crds_only)); then
    printf '%s\n' "$crds_dir"
    return
  fi
  probelab_log "go mod download $api_module@$api_module_version"
  api_dir=$(module_dir "$api_module" "$api_module_version")
  probelab_log "modules ready in $((SECONDS - started))s"

  prepare_source
  logged helpers "nsexec and pause: gcc -static, then helpers/test.sh" build_helpers
  logged controller "go build chaos-controller-manager (CGO_ENABLED=0)" build_controller
  logged daemon "go build chaos-daemon (CGO_ENABLED=1, with the fakeclock objects)" build_daemon
  ensure_base_image
  build_image chaos-mesh "$here/chaos-mesh" chaos-controller-manager
  build_image chaos-daemon "$here/chaos-daemon" chaos-daemon nsexec pause
  logged smoke "smoke test of both images" smoke
  promote chaos-mesh "$controller_image"
  promote chaos-daemon "$daemon_image"
  probelab_log "done in ${SECONDS}s"
  printf '%s\n' "$crds_dir"
}

# One line, so an edit to this file while it runs cannot feed bash new commands.
main "$@"; exit
