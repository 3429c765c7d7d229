#!/usr/bin/env bash
# build.sh — build the sample service image (services/sample) offline: a static Go binary in a
# FROM scratch image. Prints the image reference on stdout; progress on stderr.
#
# Tags: probelab.dev/sample:<hash12> (what runs use, so a changed service rolls out) and
# probelab.dev/sample:latest. Cached by content hash (../lib.sh): the Go sources, go.mod, go.sum,
# the Dockerfile and this script; an unchanged service is not rebuilt.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$here/../lib.sh"
PROBELAB_LOG_NAME=sample-image

service_dir=$(cd "$here/../../../services/sample" && pwd)
repository=probelab.dev/sample
mapfile -t inputs < <(find "$service_dir" -maxdepth 1 -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name Dockerfile \) | sort)
hash=$(probelab_content_hash -k DEBIAN_SUITE "$here/build.sh" "${inputs[@]}")
image=$repository:${hash:0:12}

if probelab_image_is_current "$image" "$hash"; then
  probelab_log "$image is current"
  docker tag "$image" "$repository:latest"
  printf '%s\n' "$image"
  exit 0
fi

export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || probelab_die "the Go toolchain (go) is not in PATH; install Go 1.26 to build the sample service"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/bin"
probelab_log "go build (static) of $service_dir"
(cd "$service_dir" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$context/bin/sample" .)
cp "$service_dir/Dockerfile" "$context/Dockerfile"
probelab_log "docker build $image"
DOCKER_BUILDKIT=0 docker build --quiet --label "$PROBELAB_HASH_LABEL=$hash" -t "$image" -t "$repository:latest" "$context" >&2
printf '%s\n' "$image"
