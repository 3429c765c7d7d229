#!/usr/bin/env bash
# build.sh — build, offline, every Kubernetes component a kind node needs, from the Go module
# proxy and Debian packages only, and save each as a docker image tarball tagged exactly as
# kubeadm and kind reference it.
#
# Usage: build.sh [--binaries-only] [STEP...]
#   STEPs (default: all, in this order): manifests pause podnet kube-binaries etcd coredns
#   metrics-server debian-iptables images. The Debian rootfs (debootstrap) runs in the
#   background beside the Go builds. --binaries-only leaves out `images`, the one step that
#   needs a Docker engine.
#
# Output (OUT=${PROBELAB_CACHE_DIR:-$HOME/.cache/probelab}/build/kubernetes):
#   OUT/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy,kubelet,kubeadm,
#            kubectl,etcd,coredns,metrics-server,pause,podnet}
#   OUT/images/<name>.tar         `docker save` archives (see OUT/images/index.tsv)
#   OUT/images/index.tsv          one line per archive: file<TAB>tag[,tag...]
#   OUT/manifests/default-cni.yaml  the pod network manifest for /kind/manifests/
#   OUT/stamps/<step>.key         content key of the last successful build of a step
#   OUT/logs/<step>.log, OUT/timings.tsv
#
# Caching: each step has a content key, sha256 over this script, the versions.env keys the
# step uses and the files of the directories it builds from. A step whose outputs exist and
# whose stamp matches its key is skipped, so a rebuild with nothing changed takes seconds.
# Go's own caches (GOMODCACHE, GOCACHE) make a changed step cheaper too.
#
# Needs: go (GOTOOLCHAIN=local; the go line of every module built must be <= the local go),
# root + debootstrap for debian-iptables, and a Docker engine answering `docker info` for the
# image steps (clusters/engine/ensure-engine.sh starts one; this script never does).
set -euo pipefail

script_path=$(readlink -f "${BASH_SOURCE[0]}")
here=$(dirname "$script_path")
clusters_dir=$(cd "$here/../.." && pwd)
components_dir=$clusters_dir/images/components
versions_file=$clusters_dir/versions.env
cache_root=${PROBELAB_CACHE_DIR:-$HOME/.cache/probelab}
out=$cache_root/build/kubernetes

export GOTOOLCHAIN=local CGO_ENABLED=0
# Legacy builder: this engine has no buildx plugin, and our Dockerfiles need nothing newer.
export DOCKER_BUILDKIT=0

log() { printf '[%s] build.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------
# versions.env

declare -A version
load_versions() {
  [[ -r $versions_file ]] || die "cannot read $versions_file; it pins every version this script builds"
  local line key value n=0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    [[ -z $line || $line == \#* ]] && continue
    [[ $line =~ ^([A-Z][A-Z0-9_]*)=([^[:space:]]*)$ ]] ||
      die "$versions_file line $n: '$line' is not KEY=value (no spaces, no quotes)"
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    version[$key]=$value
  done <"$versions_file"
  local required=(KUBERNETES_VERSION ETCD_VERSION COREDNS_VERSION PAUSE_VERSION KIND_SANDBOX_PAUSE_VERSION
    METRICS_SERVER_VERSION PODNET_VERSION DEBIAN_SUITE)
  for key in "${required[@]}"; do
    [[ -n ${version[$key]:-} ]] || die "$versions_file: $key is missing or empty; add e.g. $(example_for "$key")"
  done
  [[ ${version[KUBERNETES_VERSION]} =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] ||
    die "$versions_file: KUBERNETES_VERSION=${version[KUBERNETES_VERSION]} is not vMAJOR.MINOR.PATCH of Kubernetes 1.x (e.g. v1.34.10)"
  kube_minor=${BASH_REMATCH[1]} kube_patch=${BASH_REMATCH[2]}
  staging_version=v0.$kube_minor.$kube_patch
  for key in ETCD_VERSION COREDNS_VERSION METRICS_SERVER_VERSION PODNET_VERSION; do
    [[ ${version[$key]} =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
      die "$versions_file: $key=${version[$key]} is not a vMAJOR.MINOR.PATCH tag (e.g. $(example_for "$key"))"
  done
  for key in PAUSE_VERSION KIND_SANDBOX_PAUSE_VERSION; do
    [[ ${version[$key]} =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] ||
      die "$versions_file: $key=${version[$key]} is not a pause image tag without v (e.g. 3.10.1)"
  done
}

example_for() {
  case $1 in
    KUBERNETES_VERSION) echo KUBERNETES_VERSION=v1.34.10 ;;
    ETCD_VERSION) echo ETCD_VERSION=v3.6.5 ;;
    COREDNS_VERSION) echo COREDNS_VERSION=v1.12.1 ;;
    PAUSE_VERSION) echo PAUSE_VERSION=3.10.1 ;;
    KIND_SANDBOX_PAUSE_VERSION) echo KIND_SANDBOX_PAUSE_VERSION=3.10 ;;
    METRICS_SERVER_VERSION) echo METRICS_SERVER_VERSION=v0.9.0 ;;
    PODNET_VERSION) echo PODNET_VERSION=v0.1.0 ;;
    DEBIAN_SUITE) echo DEBIAN_SUITE=bookworm ;;
    *) echo "$1=..." ;;
  esac
}

# ---------------------------------------------------------------------------------------
# content keys and stamps

# content_key [--no-script] NAME [key:KEY|FILE|DIR]... prints sha256 over NAME, the given
# versions.env keys (as KEY=value), every regular file under the given paths and, unless
# --no-script (for steps whose whole recipe lives in their own directory), this script.
content_key() {
  local with_script=1
  [[ $1 == --no-script ]] && { with_script=0; shift; }
  local name=$1; shift
  {
    printf 'step %s\n' "$name"
    ((with_script)) && printf 'script %s\n' "$(sha256sum <"$script_path" | cut -d' ' -f1)"
    local arg
    for arg in "$@"; do
      if [[ $arg == key:* ]]; then
        printf 'version %s=%s\n' "${arg#key:}" "${version[${arg#key:}]:-}"
      else
        [[ -e $arg ]] || die "content_key $name: input $arg does not exist"
        (cd "$arg" 2>/dev/null && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) ||
          printf 'file %s %s\n' "$(basename "$arg")" "$(sha256sum <"$arg" | cut -d' ' -f1)"
      fi
    done
  } | sha256sum | cut -d' ' -f1
}

# up_to_date STEP KEY OUTPUT... succeeds when the stamp of STEP holds KEY and every OUTPUT exists.
up_to_date() {
  local step=$1 key=$2; shift 2
  [[ -f $out/stamps/$step.key && $(<"$out/stamps/$step.key") == "$key" ]] || return 1
  local output
  for output in "$@"; do [[ -e $output ]] || return 1; done
}

stamp() { printf '%s\n' "$2" >"$out/stamps/$1.key"; }

# timed STEP COMMAND... runs COMMAND with its output in OUT/logs/STEP.log and records the
# wall time in OUT/timings.tsv; on failure it shows the log's tail.
timed() {
  local step=$1; shift
  local started=$SECONDS rc=0
  log "$step: building (log: $out/logs/$step.log)"
  # Run asynchronously and wait: called as `cmd || rc=$?`, bash would ignore set -e inside the
  # step's functions and carry on after a failed command.
  "$@" >"$out/logs/$step.log" 2>&1 &
  wait $! || rc=$?
  local took=$((SECONDS - started))
  printf '%s\t%s\t%ss\t%s\n' "$(date -u +%FT%TZ)" "$step" "$took" "$([[ $rc == 0 ]] && echo ok || echo "failed($rc)")" >>"$out/timings.tsv"
  if [[ $rc != 0 ]]; then
    tail -n 30 "$out/logs/$step.log" >&2
    die "$step failed after ${took}s (exit $rc); full log: $out/logs/$step.log"
  fi
  log "$step: done in ${took}s"
}

# ---------------------------------------------------------------------------------------
# Go module helpers

# module_origin_commit MODULE VERSION prints the VCS commit the proxy reports for a release
# (the .info Origin.Hash), or nothing when the proxy does not say.
module_origin_commit() {
  go list -m -json "$1@$2" 2>/dev/null | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)",\{0,1\}$/\1/p' | head -n1
}

# module_time MODULE VERSION prints the release time the proxy reports (RFC 3339, UTC).
module_time() {
  go list -m -json "$1@$2" | sed -n 's/^[[:space:]]*"Time": "\([^"]*\)",\{0,1\}$/\1/p' | head -n1
}

# module_gomod MODULE VERSION prints the path of that release's go.mod in the module cache.
module_gomod() {
  local json gomod
  json=$(go mod download -json "$1@$2" || true)
  gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  [[ -n $gomod && -f $gomod ]] ||
    die "cannot download $1@$2 from the Go module proxy (check the version in versions.env): $(grep '"Error"' <<<"$json" || echo "no go.mod in the answer")"
  printf '%s\n' "$gomod"
}

# ---------------------------------------------------------------------------------------
# steps

kube_commands=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl)

# k8s.io/kubernetes cannot be built with `go install pkg@version`: its go.mod requires the
# staging modules (k8s.io/api, ...) at v0.0.0 and maps them to ./staging with replace lines that
# only count in the main module. So we write a wrapper main module: require k8s.io/kubernetes,
# replace every staging module it requires at v0.0.0 with its published v0.MINOR.PATCH, copy the
# go and godebug lines (godebug only counts in the main module), and keep the seven commands
# in the build list with `tool` directives.
write_kube_wrapper_module() {
  local dir=$1 kube_version=${version[KUBERNETES_VERSION]}
  local gomod
  gomod=$(module_gomod k8s.io/kubernetes "$kube_version")
  rm -rf "$dir" && mkdir -p "$dir"
  {
    echo "// Generated by clusters/images/kubernetes/build.sh from k8s.io/kubernetes@$kube_version's go.mod."
    echo "module probelab.local/build/kubernetes"
    echo
    grep -E '^go [0-9]' "$gomod"
    grep -E '^godebug ' "$gomod" || true
    echo
    echo "require k8s.io/kubernetes $kube_version"
    echo
    echo "replace ("
    awk -v v="$staging_version" '$1 ~ /^k8s\.io\/[a-z0-9-]+$/ && $2 == "v0.0.0" { printf "\t%s => %s %s\n", $1, $1, v }' "$gomod" | sort -u
    echo ")"
  } >"$dir/go.mod"
  grep -q '=>' "$dir/go.mod" || die "found no staging modules at v0.0.0 in $gomod; the wrapper recipe no longer fits this Kubernetes version"
  local tools=()
  for cmd in "${kube_commands[@]}"; do tools+=("k8s.io/kubernetes/cmd/$cmd@$kube_version"); done
  (cd "$dir" && go get -tool "${tools[@]}")
}

kube_ldflags() {
  local kube_version=${version[KUBERNETES_VERSION]}
  local commit build_date tree_state flags=(-s -w)
  commit=$(module_origin_commit k8s.io/kubernetes "$kube_version")
  commit=${commit:-${version[KUBERNETES_GIT_COMMIT]:-}}
  # The tag's time, not the build's, so equal inputs give equal binaries.
  build_date=$(module_time k8s.io/kubernetes "$kube_version")
  # "archive": built from the module zip (the tagged tree), not from a git checkout.
  tree_state=archive
  local pkg
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=(-X "$pkg.gitVersion=$kube_version" -X "$pkg.gitMajor=1" -X "$pkg.gitMinor=$kube_minor"
      -X "$pkg.gitCommit=$commit" -X "$pkg.gitTreeState=$tree_state" -X "$pkg.buildDate=$build_date")
  done
  printf '%s\n' "${flags[*]}"
}

step_kube_binaries() {
  local key outputs=()
  key=$(content_key kube-binaries key:KUBERNETES_VERSION key:KUBERNETES_GIT_COMMIT)
  for cmd in "${kube_commands[@]}"; do outputs+=("$out/bin/$cmd"); done
  if up_to_date kube-binaries "$key" "${outputs[@]}"; then log "kube-binaries: up to date"; return; fi
  build_kube_binaries() {
    local src=$out/src/kubernetes pkgs=()
    time write_kube_wrapper_module "$src"
    for cmd in "${kube_commands[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$cmd"); done
    local ldflags
    ldflags=$(kube_ldflags)
    echo "ldflags: $ldflags"
    (cd "$src" && time go build -trimpath -ldflags "$ldflags" -o "$out/bin/" "${pkgs[@]}")
    "$out/bin/kubeadm" version -o short
  }
  timed kube-binaries build_kube_binaries
  check_kubeadm_image_list
  stamp kube-binaries "$key"
}

# kubeadm_image_tag NAME prints the tag kubeadm uses for registry.k8s.io/NAME.
kubeadm_image_tag() {
  "$out/bin/kubeadm" config images list --kubernetes-version "${version[KUBERNETES_VERSION]}" 2>/dev/null |
    sed -n "s|^registry\.k8s\.io/$1:||p"
}

# The etcd, CoreDNS and pause tags are kubeadm's choice, compiled into kubeadm; versions.env
# must agree with it, or the node would hold images kubeadm never asks for.
check_kubeadm_image_list() {
  local listed
  listed=$("$out/bin/kubeadm" config images list --kubernetes-version "${version[KUBERNETES_VERSION]}")
  printf '%s\n' "$listed" >"$out/kubeadm-images.txt"
  local etcd_tag coredns_tag pause_tag
  etcd_tag=$(kubeadm_image_tag etcd) coredns_tag=$(kubeadm_image_tag coredns/coredns) pause_tag=$(kubeadm_image_tag pause)
  [[ $etcd_tag == "${version[ETCD_VERSION]#v}-0" ]] ||
    die "kubeadm ${version[KUBERNETES_VERSION]} uses registry.k8s.io/etcd:$etcd_tag but versions.env has ETCD_VERSION=${version[ETCD_VERSION]}; set ETCD_VERSION=v${etcd_tag%-*}"
  [[ $coredns_tag == "${version[COREDNS_VERSION]}" ]] ||
    die "kubeadm ${version[KUBERNETES_VERSION]} uses registry.k8s.io/coredns/coredns:$coredns_tag but versions.env has COREDNS_VERSION=${version[COREDNS_VERSION]}; set COREDNS_VERSION=$coredns_tag"
  [[ $pause_tag == "${version[PAUSE_VERSION]}" ]] ||
    die "kubeadm ${version[KUBERNETES_VERSION]} uses registry.k8s.io/pause:$pause_tag but versions.env has PAUSE_VERSION=${version[PAUSE_VERSION]}; set PAUSE_VERSION=$pause_tag"
  log "kubeadm image list agrees with versions.env (etcd $etcd_tag, coredns $coredns_tag, pause $pause_tag)"
}

# etcd's server module has replace lines pointing into its own repository, so `go install`
# refuses it; as a dependency of a wrapper module those are ignored and its pinned requires
# (api, client/pkg, client/v3, pkg at the same tag) resolve from the proxy.
step_etcd() {
  local key
  key=$(content_key etcd key:ETCD_VERSION)
  if up_to_date etcd "$key" "$out/bin/etcd"; then log "etcd: up to date"; return; fi
  build_etcd() {
    local src=$out/src/etcd etcd_version=${version[ETCD_VERSION]} gomod commit
    gomod=$(module_gomod go.etcd.io/etcd/server/v3 "$etcd_version")
    rm -rf "$src" && mkdir -p "$src"
    {
      echo "// Generated by clusters/images/kubernetes/build.sh."
      echo "module probelab.local/build/etcd"
      echo
      grep -E '^go [0-9]' "$gomod"
    } >"$src/go.mod"
    (cd "$src" && time go get -tool "go.etcd.io/etcd/server/v3@$etcd_version")
    commit=$(module_origin_commit go.etcd.io/etcd/server/v3 "$etcd_version")
    (cd "$src" && time go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:9}" \
      -o "$out/bin/etcd" go.etcd.io/etcd/server/v3)
    "$out/bin/etcd" --version
  }
  timed etcd build_etcd
  stamp etcd "$key"
}

# CoreDNS and metrics-server have no replace directives: `go install module/pkg@version`
# builds them with exactly the dependency versions their releases pin.
step_coredns() {
  local key
  key=$(content_key coredns key:COREDNS_VERSION)
  if up_to_date coredns "$key" "$out/bin/coredns"; then log "coredns: up to date"; return; fi
  build_coredns() {
    local commit
    commit=$(module_origin_commit github.com/coredns/coredns "${version[COREDNS_VERSION]}")
    GOBIN=$out/bin go install -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=${commit:0:12}" \
      "github.com/coredns/coredns@${version[COREDNS_VERSION]}"
    "$out/bin/coredns" -version
  }
  timed coredns build_coredns
  stamp coredns "$key"
}

step_metrics_server() {
  local key
  key=$(content_key metrics-server key:METRICS_SERVER_VERSION)
  if up_to_date metrics-server "$key" "$out/bin/metrics-server"; then log "metrics-server: up to date"; return; fi
  build_metrics_server() {
    local v=${version[METRICS_SERVER_VERSION]} commit build_date pkg=k8s.io/client-go/pkg/version
    commit=$(module_origin_commit sigs.k8s.io/metrics-server "$v")
    build_date=$(module_time sigs.k8s.io/metrics-server "$v")
    GOBIN=$out/bin go install -trimpath \
      -ldflags "-s -w -X $pkg.gitVersion=$v -X $pkg.gitCommit=$commit -X $pkg.buildDate=$build_date" \
      "sigs.k8s.io/metrics-server/cmd/metrics-server@$v"
    "$out/bin/metrics-server" --version
  }
  timed metrics-server build_metrics_server
  stamp metrics-server "$key"
}

step_pause() {
  local key
  key=$(content_key pause key:PAUSE_VERSION "$components_dir/pause")
  if up_to_date pause "$key" "$out/bin/pause"; then log "pause: up to date"; return; fi
  build_pause() {
    (cd "$components_dir/pause" && go test ./... &&
      go build -trimpath -ldflags "-s -w -X main.pauseVersion=${version[PAUSE_VERSION]}" -o "$out/bin/pause" .)
    "$out/bin/pause" -v
  }
  timed pause build_pause
  stamp pause "$key"
}

step_podnet() {
  local key
  key=$(content_key podnet key:PODNET_VERSION "$components_dir/podnet")
  if up_to_date podnet "$key" "$out/bin/podnet"; then log "podnet: up to date"; return; fi
  build_podnet() {
    (cd "$components_dir/podnet" && go vet ./... && go test ./... &&
      go build -trimpath -ldflags "-s -w -X main.podnetVersion=${version[PODNET_VERSION]}" -o "$out/bin/podnet" .)
    "$out/bin/podnet" --version
  }
  timed podnet build_podnet
  stamp podnet "$key"
}

debian_iptables_key() { content_key --no-script debian-iptables key:DEBIAN_SUITE "$components_dir/debian-iptables"; }
debian_iptables_image() { echo "probelab/debian-iptables:$(debian_iptables_key | cut -c1-12)"; }

# The Debian root filesystem is a tarball in the cache (debootstrap is the slow part, and needs
# no engine, so it runs while Go builds); the image is imported from it whenever the engine
# lacks it.
step_debian_iptables_rootfs() {
  local key rootfs
  key=$(debian_iptables_key)
  rootfs=$out/rootfs/debian-iptables-${key:0:12}.tar
  if up_to_date debian-iptables "$key" "$rootfs"; then log "debian-iptables: rootfs up to date"; return; fi
  mkdir -p "$out/rootfs"
  timed debian-iptables "$components_dir/debian-iptables/build-rootfs.sh" "$rootfs" "${version[DEBIAN_SUITE]}"
  find "$out/rootfs" -name 'debian-iptables-*.tar' ! -name "$(basename "$rootfs")" -delete
  stamp debian-iptables "$key"
}

step_debian_iptables_image() {
  local key image
  key=$(debian_iptables_key)
  image=$(debian_iptables_image)
  docker image inspect "$image" >/dev/null 2>&1 && return
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' "$out/rootfs/debian-iptables-${key:0:12}.tar" "$image" >/dev/null
  log "debian-iptables: imported $image"
}

# image_spec NAME prints "DOCKERFILE_DIR|BINARIES|TAGS|BUILD_ARGS" for every image we save.
image_names=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns pause metrics-server podnet)
image_spec() {
  local kube=${version[KUBERNETES_VERSION]}
  case $1 in
    kube-apiserver | kube-controller-manager | kube-scheduler)
      echo "kube-control-plane|$1|registry.k8s.io/$1:$kube|BINARY=$1" ;;
    kube-proxy) echo "kube-proxy|kube-proxy|registry.k8s.io/kube-proxy:$kube|BASE_IMAGE=$(debian_iptables_image)" ;;
    etcd) echo "etcd|etcd|registry.k8s.io/etcd:${version[ETCD_VERSION]#v}-0|" ;;
    coredns) echo "coredns|coredns|registry.k8s.io/coredns/coredns:${version[COREDNS_VERSION]}|" ;;
    # kubeadm asks for PAUSE_VERSION; kind's containerd config names KIND_SANDBOX_PAUSE_VERSION
    # as sandbox_image. One image, both tags.
    pause) echo "pause|pause|registry.k8s.io/pause:${version[PAUSE_VERSION]},registry.k8s.io/pause:${version[KIND_SANDBOX_PAUSE_VERSION]}|" ;;
    metrics-server) echo "metrics-server|metrics-server|registry.k8s.io/metrics-server/metrics-server:${version[METRICS_SERVER_VERSION]}|" ;;
    podnet) echo "podnet|podnet|docker.io/probelab/podnet:${version[PODNET_VERSION]}|BASE_IMAGE=$(debian_iptables_image)" ;;
    *) die "no image spec for $1" ;;
  esac
}

build_image() {
  local name=$1 spec dockerfile_dir binary tags build_arg key tar
  spec=$(image_spec "$name")
  IFS='|' read -r dockerfile_dir binary tags build_arg <<<"$spec"
  local binary_key_step=$binary
  [[ $binary == kube-* ]] && binary_key_step="kube-binaries"
  # The binary enters through its step's stamp (the content key it was built from).
  key=$(content_key "image-$name" "$components_dir/$dockerfile_dir" "$out/stamps/$binary_key_step.key")
  key=$(printf '%s %s\n' "$key" "$spec" | sha256sum | cut -d' ' -f1)
  tar=$out/images/$name.tar
  if up_to_date "image-$name" "$key" "$tar"; then log "image $name: up to date"; return; fi
  local context tag_args=() tag_list
  IFS=',' read -r -a tag_list <<<"$tags"
  for tag in "${tag_list[@]}"; do tag_args+=(-t "$tag"); done
  context=$(mktemp -d "${TMPDIR:-/tmp}/probelab-image-$name.XXXXXX")
  cp "$components_dir/$dockerfile_dir/Dockerfile" "$context/Dockerfile"
  cp "$out/bin/$binary" "$context/$binary"
  local build_args=()
  [[ -n $build_arg ]] && build_args=(--build-arg "$build_arg")
  save_image() {
    docker build --pull=false "${build_args[@]}" "${tag_args[@]}" "$context"
    docker save -o "$tar.partial" "${tag_list[@]}"
    chmod 0644 "$tar.partial"
    mv "$tar.partial" "$tar"
  }
  timed "image-$name" save_image
  rm -rf "$context"
  stamp "image-$name" "$key"
}

step_images() {
  docker info >/dev/null 2>&1 ||
    die "no Docker engine answers 'docker info'; start one with clusters/engine/ensure-engine.sh (as root), or run with --binaries-only"
  step_debian_iptables_rootfs
  step_debian_iptables_image
  local name
  for name in "${image_names[@]}"; do build_image "$name"; done
  write_image_index
}

write_image_index() {
  local name spec dockerfile_dir binary tags build_arg
  {
    printf '# file\ttags (comma-separated) — written by clusters/images/kubernetes/build.sh\n'
    for name in "${image_names[@]}"; do
      spec=$(image_spec "$name")
      IFS='|' read -r dockerfile_dir binary tags build_arg <<<"$spec"
      printf '%s.tar\t%s\n' "$name" "$tags"
    done
  } >"$out/images/index.tsv"
}

# default-cni.yaml (kept verbatim for /kind/manifests/) and the metrics-server addon name our
# images by tag; they must be the tags we build. The copy under OUT/manifests is what the node-image stage installs.
step_manifests() {
  local src=$here/default-cni.yaml want images
  want="docker.io/probelab/podnet:${version[PODNET_VERSION]}"
  images=$(sed -n 's/^[[:space:]]*image:[[:space:]]*//p' "$src" | sort -u)
  [[ $images == "$want" ]] ||
    die "$src references image(s) '$images' but versions.env builds $want; make the manifest's image: line '$want'"
  grep -q 'would you kindly template this file' "$src" && grep -q '{{ .PodSubnet }}' "$src" ||
    die "$src lost kind's template marker or the {{ .PodSubnet }} placeholder; kind would not fill POD_SUBNET"
  local addon=$clusters_dir/addons/metrics-server/metrics-server.yaml
  want="registry.k8s.io/metrics-server/metrics-server:${version[METRICS_SERVER_VERSION]}"
  images=$(sed -n 's/^[[:space:]]*image:[[:space:]]*//p' "$addon" | sort -u)
  [[ $images == "$want" ]] ||
    die "$addon references image(s) '$images' but versions.env builds $want; make the manifest's image: line '$want'"
  cp "$src" "$out/manifests/default-cni.yaml.partial"
  mv "$out/manifests/default-cni.yaml.partial" "$out/manifests/default-cni.yaml"
}

# ---------------------------------------------------------------------------------------

main() {
  binaries_only=0
  local steps=()
  while (($#)); do
    case $1 in
      --binaries-only) binaries_only=1 ;;
      -h | --help) sed -n '2,/^set -euo pipefail/p' "$script_path" | sed -n 's/^# \{0,1\}//p'; exit 0 ;;
      kube-binaries | etcd | coredns | metrics-server | pause | podnet | debian-iptables | images | manifests) steps+=("$1") ;;
      *) die "unknown argument '$1'; steps are kube-binaries etcd coredns metrics-server pause podnet debian-iptables images manifests (see --help)" ;;
    esac
    shift
  done
  if ((${#steps[@]} == 0)); then
    steps=(manifests pause podnet kube-binaries etcd coredns metrics-server debian-iptables)
    ((binaries_only)) || steps+=(images)
  fi
  command -v go >/dev/null || die "go is not on PATH; install Go ${GO_MIN:-1.26} (GOTOOLCHAIN=local is enforced)"
  load_versions
  mkdir -p "$out"/{bin,images,stamps,logs,src,manifests}
  local started=$SECONDS step rootfs_pid=
  # debootstrap is network- and disk-bound; run it beside the CPU-bound Go builds.
  if [[ " ${steps[*]} " == *" debian-iptables "* ]]; then
    step_debian_iptables_rootfs &
    rootfs_pid=$!
  fi
  for step in "${steps[@]}"; do
    case $step in
      kube-binaries) step_kube_binaries ;;
      etcd) step_etcd ;;
      coredns) step_coredns ;;
      metrics-server) step_metrics_server ;;
      pause) step_pause ;;
      podnet) step_podnet ;;
      debian-iptables) wait "$rootfs_pid" || die "debian-iptables rootfs build failed; see $out/logs/debian-iptables.log" ;;
      images) step_images ;;
      manifests) step_manifests ;;
    esac
  done
  log "all requested steps done in $((SECONDS - started))s; outputs under $out"
}

# One line, so an edit to this file while it runs cannot feed bash new commands.
main "$@"; exit
