# shellcheck shell=sh
# Shared helpers for the project's build scripts (sourced, POSIX sh).
FADUMP_CACHE=${FADUMP_CACHE:-$HOME/.cache/fadump}
export FADUMP_CACHE
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
DEBIAN_ARCHIVE="$REPO_ROOT/scripts/debian-archive"
# The suites a download falls back to when its pinned file is gone, in order.
# shellcheck disable=SC2034 # used by the scripts that source this file
FALLBACK_SUITES="trixie sid"

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# archive_url -> the Debian archive to use: FADUMP_ARCHIVE, else the first
# non-security http(s) URI of the machine's apt sources (deb822 or one-line).
archive_url() {
  if [ -n "${FADUMP_ARCHIVE:-}" ]; then echo "${FADUMP_ARCHIVE%/}"; return 0; fi
  u=$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
         sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
           /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; } |
       tr ' ' '\n' | grep -E '^https?://' | grep -v -e '-security' -e 'security\.' | head -n 1 || true)
  [ -n "$u" ] || die "cannot find a Debian archive in the machine's apt sources (set FADUMP_ARCHIVE)"
  echo "${u%/}"
}

# fetch_pinned NAME:ARCH -> prints the verified file (a .deb), or the .dsc of
# a source package (NAME:source) with its files beside it. See scripts/fetch-pinned.
fetch_pinned() { "$REPO_ROOT/scripts/fetch-pinned" "$1"; }

# deb_version FILE.deb -> the package version inside.
deb_version() { dpkg-deb -f "$1" Version; }

hash_files() { cat "$@" | sha256sum | cut -c1-16; }
