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

# use_ccache: the project's own CMake builds (build/, build-asan/,
# build-fuzz/, the package's fadump-lab) compile through ccache, in the cache
# QEMU's builds use, so a clean clone recompiles only what changed since this
# machine's last build. Paths are taken relative to the clone
# (CCACHE_BASEDIR): a build directory inside the clone hits from a clone
# elsewhere too, one outside it (the package's) only from the same clone
# path. Sets CCACHE_LAUNCHER to the flags cmake takes; empty without ccache.
use_ccache() {
  CCACHE_LAUNCHER=
  command -v ccache > /dev/null || return 0
  export CCACHE_DIR="${CCACHE_DIR:-$FADUMP_CACHE/ccache}" CCACHE_BASEDIR="$REPO_ROOT" CCACHE_NOHASHDIR=1
  # shellcheck disable=SC2034 # used by the scripts that call this
  CCACHE_LAUNCHER="-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
}

# The content-addressed download store: $DOWNLOAD_STORE/SHA256/FILE.
# shellcheck disable=SC2034 # used by the scripts that source this file
DOWNLOAD_STORE="$FADUMP_CACHE/downloads/sha256"

# store_cached SHA FILE -> prints the verified stored path; discards a file
# whose SHA-256 is not SHA. A file verified once it is 2 s old is sealed
# (seal, below): its seal (.FILE.verified beside it) keeps the size, inode, mtime and ctime it was verified with, and
# while they hold it is not hashed again (a write, a copy over it, a restored
# mtime all change the ctime; hashing linux-source's 147 MB .deb took each
# matrix cell 0.5-0.9 s).
store_cached() {
  f="$DOWNLOAD_STORE/$1/$2"
  [ -e "$f" ] || return 1
  if [ -e "$(seal_path "$1" "$2")" ] && [ "$(cat "$(seal_path "$1" "$2")")" = "$(file_stamp "$f")" ]; then
    echo "$f"
    return 0
  fi
  if [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$1" ]; then
    seal "$1" "$2"
    echo "$f"
    return 0
  fi
  say "discarding $f: its SHA-256 is not the pinned $1"
  rm -f "$f" "$(seal_path "$1" "$2")"
  return 1
}

# file_stamp FILE -> what a seal keeps: size, inode, mtime, ctime.
file_stamp() { stat -L -c '%s %i %Y %Z' "$1"; }

# seal_path SHA FILE -> where the stored FILE's seal lives.
seal_path() { echo "$DOWNLOAD_STORE/$1/.$2.verified"; }

# seal SHA FILE: the stored FILE was just verified against SHA. A stamp
# holds whole seconds: a file changed in the last 2 s is not sealed yet (a
# second change within the same second, same size, would keep its stamp);
# its next use hashes it again and seals it then.
seal() {
  seal_f="$DOWNLOAD_STORE/$1/$2"
  [ $(($(date +%s) - $(stat -L -c %Z "$seal_f"))) -ge 2 ] || return 0
  file_stamp "$seal_f" > "$(seal_path "$1" "$2")"
}

# store_download SIZE SHA POOLPATH -> fetches the archive's POOLPATH into the
# store with apt's own downloader (the machine's proxies apply), verified
# against SHA. Returns 0 fetched and verified, 3 gone from the pool, 4 hash
# mismatch (printed), 5 any other failure (printed). Two builds may fetch the
# same file at once (scripts/test builds two guests side by side): each
# writes its own part file and renames it over the other's, the same bytes.
store_download() {
  base=${3##*/}
  mkdir -p "$DOWNLOAD_STORE/$2"
  tmp="$DOWNLOAD_STORE/$2/.$base.$$.part"
  rm -f "$tmp"
  url="$(archive_url)/$3"
  say "fetching $url ($1 bytes)"
  log=$(/usr/lib/apt/apt-helper -o APT::Sandbox::User=root -o Acquire::Retries=3 \
        download-file "$url" "$tmp" "SHA256:$2" 2>&1) && { mv "$tmp" "$DOWNLOAD_STORE/$2/$base"; return 0; }
  rm -f "$tmp"
  case "$log" in
    *"Hash Sum mismatch"* | *"Size mismatch"*)
      say "error: SHA-256 mismatch for $url"
      printf '%s\n' "$log" | grep -E '^ +- (SHA256|Filesize)' | sed 's/^ */    /' | sort -u >&2
      say "the archive (or a proxy on the way) served a file that is not the pinned one; it was not used."
      say "If the archive really replaced it, refresh the pin (scripts/refresh-manifest; a guest's lock: docs/lab.md)"
      return 4 ;;
    *"404"* | *"Not Found"* | *"No such file"* | *"File not found"*)
      say "$url is gone from the pool"
      return 3 ;;
    *)
      say "cannot fetch $url:"
      printf '%s\n' "$log" | grep -E '^(E|Err|W):' | sed 's/^/    /' | head -n 4 >&2
      return 5 ;;
  esac
}

# ppc64el_tool NAME PROGRAM PKG... -> prints a wrapper that runs the ppc64el
# PROGRAM (a path inside the packages, /usr/bin/crash) under qemu-user, its
# arguments passed on. The pinned .debs PKG... (scripts/downloads.manifest)
# are unpacked into a sysroot under $FADUMP_CACHE/tools/NAME/KEY, KEY the
# hash of the pinned files (their cache paths hold each SHA-256), so this
# keys by content. The wrapper's comment names the first package's version.
# A sysroot whose PROGRAM does not answer --version is not published.
ppc64el_tool() {
  t_name=$1 t_prog=$2
  shift 2
  t_qemu=$(command -v qemu-ppc64le) ||
    die "qemu-ppc64le is not installed (Debian package qemu-user; scripts/install-host-deps installs it)"
  t_debs=""
  for p in "$@"; do
    d=$(fetch_pinned "$p:ppc64el") || die "cannot get $p:ppc64el"
    t_debs="$t_debs $d"
  done
  # shellcheck disable=SC2086 # the list of .debs, paths without spaces
  t_key=$(printf '%s\n' $t_debs | sha256sum | cut -c1-16)
  t_out="$FADUMP_CACHE/tools/$t_name/$t_key"
  if [ -x "$t_out/$t_name" ] && [ -x "$t_out/sysroot$t_prog" ]; then echo "$t_out/$t_name"; return 0; fi
  t_tmp="$t_out.tmp" && rm -rf "$t_tmp" && mkdir -p "$t_tmp/sysroot"
  for d in $t_debs; do
    dpkg-deb -x "$d" "$t_tmp/sysroot"
  done
  # trixie's packages install into /usr only; the ELF interpreter is
  # /lib64/ld64.so.2 (usr-merge links, made by base-files on a real system).
  for l in lib lib64 bin sbin; do
    [ -e "$t_tmp/sysroot/$l" ] || ln -s "usr/$l" "$t_tmp/sysroot/$l"
  done
  # shellcheck disable=SC2086
  t_first=$(printf '%s\n' $t_debs | head -n 1)
  cat > "$t_tmp/$t_name" <<WRAPPER
#!/bin/sh
# $t_name $(dpkg-deb -f "$t_first" Version) (ppc64el) under $("$t_qemu" --version | head -n 1)
exec "$t_qemu" -L "$t_out/sysroot" "$t_out/sysroot$t_prog" "\$@"
WRAPPER
  chmod 755 "$t_tmp/$t_name"
  rm -rf "$t_out" && mv "$t_tmp" "$t_out"
  if ! t_v=$("$t_out/$t_name" --version 2>&1 | head -n 2) || [ -z "$t_v" ]; then
    rm -rf "$t_out"
    die "$t_name does not run under $t_qemu: $t_v"
  fi
  echo "$t_out/$t_name"
}
