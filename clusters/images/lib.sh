# shellcheck shell=bash
# lib.sh — helpers shared by the offline image builds in clusters/images/*/build.sh.
# Source it; it defines functions and PROBELAB_* variables and changes no shell options.
#
# The cache rule every build follows:
#   hash  = probelab_content_hash [-k KEY]... PATH...
#           (versions.env, or only the listed keys of it, + every file under PATHs)
#   image = <repo>:<tag> carrying the label dev.probelab.content-hash=<hash>
#   If probelab_image_is_current <repo>:<tag> <hash> succeeds, the build is skipped.

PROBELAB_CLUSTERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROBELAB_VERSIONS_FILE=$PROBELAB_CLUSTERS_DIR/versions.env
PROBELAB_CACHE_DIR=${PROBELAB_CACHE_DIR:-$HOME/.cache/probelab}
PROBELAB_HASH_LABEL=dev.probelab.content-hash

probelab_log() { printf '%s: %s\n' "${PROBELAB_LOG_NAME:-${0##*/}}" "$*" >&2; }
probelab_die() {
  probelab_log "error: $*"
  exit 1
}

# probelab_version KEY — print the value of KEY from versions.env; fails naming
# the key and the file when it is missing or empty.
probelab_version() {
  local key=$1 value
  value=$(sed -n "s/^$key=//p" "$PROBELAB_VERSIONS_FILE" | tail -n 1)
  [[ -n $value ]] || probelab_die "$key is not set in $PROBELAB_VERSIONS_FILE; add a line $key=<version>"
  printf '%s\n' "$value"
}

# probelab_content_hash [-k KEY]... PATH... — print a sha256 over
#   * versions.env: the whole file, or with -k only the KEY=value lines named
#     (so e.g. a Kubernetes bump does not rebuild a Debian base), and
#   * every regular file under each PATH (files or directories, symlinks followed): its name
#     (relative to clusters/ when inside it, else relative to the PATH's parent
#     directory), its executable bit and its content.
# Paths are sorted, so the result does not depend on the checkout location or
# on the order of the arguments.
#
# File digests are memoized in $PROBELAB_CACHE_DIR/content-hash.memo by path and
# stat signature (size, inode, mtime and ctime in ns), the way make and git trust
# a file they have seen: a cache hit of the node image hashed 700 MB of binaries
# and archives (5 s) on every run before. ctime cannot be set back by tools like
# touch, so a rewritten file is always seen as new.
probelab_content_hash() {
  local keys=() paths=()
  while (($#)); do
    case $1 in
      -k)
        keys+=("$2")
        shift 2
        ;;
      *)
        paths+=("$1")
        shift
        ;;
    esac
  done
  local memo_file=$PROBELAB_CACHE_DIR/content-hash.memo
  local -A memo=()
  local memo_changed="" line
  if [[ -f $memo_file ]]; then
    while IFS= read -r line; do
      memo[${line%%$'\t'*}]=${line#*$'\t'}
    done <"$memo_file"
  fi
  local path base file name mode signature digest files=() entries=()
  for path in "${paths[@]}"; do
    [[ -e $path ]] || probelab_die "content hash input $path does not exist"
    path=$(cd "$(dirname "$path")" && pwd)/$(basename "$path")
    base=$(dirname "$path")
    [[ $path == "$PROBELAB_CLUSTERS_DIR"/* ]] && base=$PROBELAB_CLUSTERS_DIR
    mapfile -d '' files < <(find -L "$path" -type f -print0)
    for file in "${files[@]}"; do
      name=${file#"$base"/}
      mode=-
      [[ -x $file ]] && mode=x
      signature=$(stat -L -c '%s %i %.9Y %.9Z' "$file")
      digest=${memo[$file]-}
      if [[ ${digest% *} == "$signature" ]]; then
        digest=${digest##* }
      else
        digest=$(sha256sum <"$file" | cut -d' ' -f1)
        memo[$file]="$signature $digest"
        memo_changed=yes
      fi
      entries+=("$name $mode $digest")
    done
  done
  if [[ -n $memo_changed ]]; then
    mkdir -p "$PROBELAB_CACHE_DIR"
    # Written aside and renamed: a concurrent build loses at most its own entries, never the file.
    local key
    for key in "${!memo[@]}"; do printf '%s\t%s\n' "$key" "${memo[$key]}"; done >"$memo_file.$$"
    mv -f "$memo_file.$$" "$memo_file"
  fi
  {
    if ((${#keys[@]})); then
      local key
      for key in "${keys[@]}"; do
        printf 'versions.env %s=%s\n' "$key" "$(probelab_version "$key")"
      done
    else
      printf 'versions.env '
      sha256sum <"$PROBELAB_VERSIONS_FILE"
    fi
    ((${#entries[@]})) && printf '%s\n' "${entries[@]}" | LC_ALL=C sort
  } | sha256sum | cut -d' ' -f1
}

# probelab_image_is_current IMAGE HASH — succeed when IMAGE exists locally and
# carries the content-hash label HASH.
probelab_image_is_current() {
  local label
  label=$(docker image inspect --format "{{ index .Config.Labels \"$PROBELAB_HASH_LABEL\" }}" "$1" 2>/dev/null) || return 1
  [[ $label == "$2" ]]
}
