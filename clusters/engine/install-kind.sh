#!/usr/bin/env bash
# install-kind.sh — install the kind CLI pinned in clusters/versions.env (KIND_VERSION)
# from the Go module proxy into $PROBELAB_CACHE_DIR/bin (default ~/.cache/probelab/bin).
# Prints the path of the kind binary on stdout; skips the build when that binary
# already reports KIND_VERSION. Needs the Go toolchain (GOTOOLCHAIN=local is forced:
# no toolchain download).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../images/lib.sh
source "$script_dir/../images/lib.sh"
PROBELAB_LOG_NAME=install-kind

kind_version=$(probelab_version KIND_VERSION)
bin_dir=$PROBELAB_CACHE_DIR/bin
kind=$bin_dir/kind

if [[ -x $kind ]] && [[ $("$kind" version 2>/dev/null | awk '{print $2}') == "$kind_version" ]]; then
  probelab_log "kind $kind_version already installed"
  printf '%s\n' "$kind"
  exit 0
fi

export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || probelab_die "the Go toolchain (go) is not in PATH; install Go to build kind"
mkdir -p "$bin_dir"
probelab_log "go install sigs.k8s.io/kind@$kind_version"
GOTOOLCHAIN=local GOBIN=$bin_dir CGO_ENABLED=0 go install "sigs.k8s.io/kind@$kind_version"
reported=$("$kind" version | awk '{print $2}')
[[ $reported == "$kind_version" ]] || probelab_die "$kind reports version '$reported', expected $kind_version"
probelab_log "installed $("$kind" version)"
printf '%s\n' "$kind"
