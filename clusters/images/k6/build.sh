#!/usr/bin/env bash
# build.sh — build the k6 load generator pinned in clusters/versions.env (K6_VERSION) from the Go
# module proxy into $PROBELAB_CACHE_DIR/bin/k6 (default ~/.cache/probelab/bin/k6), static
# (CGO_ENABLED=0) and with the local toolchain only (GOTOOLCHAIN=local). Prints the binary's path on
# stdout, progress on stderr. Skips the build when that binary already reports K6_VERSION.
#
# Why not `go install go.k6.io/k6/v2@VERSION`: go install looks up the module's deprecation through
# the proxy's version list, which the proxy does not serve for go.k6.io/k6/v2 (404), and then fails
# falling back to go.k6.io itself, which is out of reach. So the build goes through a throwaway module
# that requires k6 at the pinned version (`go get` verifies every module against sum.golang.org) and
# builds k6's main package from it, with exactly the dependency versions k6's own go.mod selects.
#
# Running it: probelab always starts k6 with K6_NO_USAGE_REPORT=true (same as --no-usage-report: no
# anonymous usage report is sent) and K6_AUTO_EXTENSION_RESOLUTION=false (k6 v2 would otherwise try to
# provision a k6 binary with the extensions a script imports from Grafana's build service; there is no
# command-line flag for it, and K6_BINARY_PROVISIONING no longer exists in v2). See
# harness/core/load/plan.ts (K6_ENV).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$here/../lib.sh"
PROBELAB_LOG_NAME='k6 build'

k6_version=$(probelab_version K6_VERSION)
bin_dir=$PROBELAB_CACHE_DIR/bin
k6=$bin_dir/k6

reported_version() { "$1" version 2>/dev/null | awk '$1 == "k6" {print $2; exit}'; }

if [[ -x $k6 ]] && [[ $(reported_version "$k6") == "$k6_version" ]]; then
  probelab_log "k6 $k6_version already installed"
  printf '%s\n' "$k6"
  exit 0
fi

export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || probelab_die "the Go toolchain (go) is not in PATH; install Go 1.26 to build k6"
major=${k6_version#v}
major=${major%%.*}
module_path=go.k6.io/k6
((major >= 2)) && module_path=$module_path/v$major # Go's major-version suffix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$bin_dir"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
probelab_log "go get $module_path@$k6_version (in a throwaway module)"
if ! (cd "$work" && go mod init probelab.local/k6-build && go get "$module_path@$k6_version") >"$work/go-get.log" 2>&1; then
  cat "$work/go-get.log" >&2
  probelab_die "go get $module_path@$k6_version failed (output above)"
fi
probelab_log "go build $module_path (static; takes about 2 minutes on 2 cores)"
(cd "$work" && go build -trimpath -ldflags "-s -w" -o "$work/k6" "$module_path")
reported=$(reported_version "$work/k6")
[[ $reported == "$k6_version" ]] || probelab_die "the built k6 reports version '$reported', expected $k6_version"
mv -f "$work/k6" "$k6"
probelab_log "installed $("$k6" version)"
printf '%s\n' "$k6"
