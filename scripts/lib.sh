# Shared helpers for the project's build scripts (sourced, POSIX sh).
FADUMP_CACHE=${FADUMP_CACHE:-$HOME/.cache/fadump}
export FADUMP_CACHE
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEBIAN_ARCHIVE="$REPO_ROOT/scripts/debian-archive"

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# fetch_deb PKG PINNED_VERSION DIR -> prints the .deb path.
# Downloads PKG=PINNED_VERSION; when the archive no longer has that version,
# falls back to the newest version trixie has and says so.
fetch_deb() {
  pkg=$1 pin=$2 dir=$3
  mkdir -p "$dir"
  name=${pkg%%:*}
  found=$(ls "$dir"/"${name}"_*.deb 2>/dev/null | head -n 1 || true)
  if [ -n "$found" ]; then echo "$found"; return 0; fi
  if ! (cd "$dir" && "$DEBIAN_ARCHIVE" get -q download "$pkg=$pin" >&2); then
    say "$pkg $pin has left the archive; using trixie's current version"
    (cd "$dir" && "$DEBIAN_ARCHIVE" get -q -t trixie download "$pkg" >&2) || die "cannot download $pkg"
  fi
  ls "$dir"/"${name}"_*.deb | head -n 1
}

# deb_version FILE.deb -> the package version inside.
deb_version() { dpkg-deb -f "$1" Version; }

hash_files() { cat "$@" | sha256sum | cut -c1-16; }
