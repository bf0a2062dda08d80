#!/usr/bin/env bash
# Runs a Windows executable under Wine, to test the windows/amd64 build on Linux.
#   wine.sh --setup        prepares Wine once (cached), then exits
#   wine.sh --available    exits 0 if Wine is prepared and can run here, else prints why and exits 1
#   wine.sh EXE [ARG]...   runs EXE under Wine; its exit code, stdout and stderr are EXE's
#
# Why a Debian trixie root and not the machine's own Wine: Node 24's V8 reserves its tables with
# VirtualAlloc2(MEM_RESERVE_PLACEHOLDER), which Wine 8.0 (Debian bookworm's) rejects ("Fatal process out of memory:
# SegmentedTable::InitializeTable"); Wine 10.0 (trixie's) runs it. trixie's Wine needs trixie's libc, so it lives
# in its own root made by debootstrap from Debian's archive (~1 min and ~1 min for Wine, 2 GB with the prefix),
# under ${XDG_CACHE_HOME:-~/.cache}/ns-doctor, entered with chroot in a private mount namespace (root only).
# /tmp and the work tree are bind-mounted at their own paths, so Z:\tmp\... (Wine maps / as Z:) names the same
# files inside and out; the network namespace is shared, so 127.0.0.1 is this machine's.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache_root="${NS_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ns-doctor}"
SUITE=trixie WINE_VERSION=10.0
rootfs="$cache_root/wine-$WINE_VERSION-$SUITE"
mirror="${NS_DOCTOR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { printf '[wine %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Runs a command inside the root, in a private mount namespace that disappears with it.
in_root() {
  unshare --mount --fork -- /bin/sh -euc '
    root="$1" repo="$2" cwd="$3"; shift 3
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --bind /tmp "$root/tmp"
    mount -t tmpfs -o mode=700 tmpfs "$root/run"   # XDG_RUNTIME_DIR: Wine complains without one
    mkdir -p "$root$repo"
    mount --bind "$repo" "$root$repo"
    # The caller'"'"'s directory when it exists inside (under /tmp or the work tree), else /.
    case "$cwd" in /tmp | /tmp/* | "$repo" | "$repo"/*) ;; *) cwd=/ ;; esac
    exec chroot "$root" /usr/bin/env -C "$cwd" XDG_RUNTIME_DIR=/run PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
      WINEPREFIX=/root/.wine WINEDEBUG=-all "$@"' sh "$rootfs" "$repo" "$PWD" "$@"
}

available() {
  [[ $EUID -eq 0 ]] || { echo "needs root (chroot into the Wine $WINE_VERSION root)"; return 1; }
  command -v unshare >/dev/null || { echo "unshare (util-linux) is missing"; return 1; }
  [[ -f "$rootfs/.ready" ]] || { echo "Wine $WINE_VERSION is not prepared: run bash scripts/package/wine.sh --setup"; return 1; }
}

setup() {
  [[ -f "$rootfs/.ready" ]] && return 0
  [[ $EUID -eq 0 ]] || { echo "wine.sh --setup: needs root" >&2; exit 1; }
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
  local tmp="$rootfs.tmp" t0=$SECONDS
  mkdir -p "$cache_root"
  rm -rf "$tmp"
  log "debootstrap $SUITE into $tmp"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -e "$keyring" ]] || keyring=""
  debootstrap --variant=minbase --include=ca-certificates ${keyring:+--keyring="$keyring"} "$SUITE" "$tmp" "$mirror" > "$cache_root/wine-setup.log" 2>&1 \
    || { tail -20 "$cache_root/wine-setup.log" >&2; exit 1; }
  log "installing Wine from $SUITE ($((SECONDS - t0)) s so far)"
  rootfs="$tmp" in_root /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends wine wine64 && apt-get clean && rm -rf /var/lib/apt/lists/*' >> "$cache_root/wine-setup.log" 2>&1 \
    || { tail -20 "$cache_root/wine-setup.log" >&2; exit 1; }
  rootfs="$tmp" in_root /bin/sh -c "wine --version | grep -q 'wine-$WINE_VERSION'" \
    || { echo "wine.sh: the $SUITE root does not have Wine $WINE_VERSION" >&2; exit 1; }
  log "creating the Wine prefix"
  rootfs="$tmp" in_root /bin/sh -c 'wine wineboot --init && wineserver -w' >> "$cache_root/wine-setup.log" 2>&1
  touch "$tmp/.ready"
  rm -rf "$rootfs"
  mv "$tmp" "$rootfs"
  log "Wine $WINE_VERSION ready in $rootfs ($((SECONDS - t0)) s)"
}

case "${1:-}" in
  --setup) setup ;;
  --available) available ;;
  "" | -*) echo "usage: wine.sh --setup | --available | EXE [ARG]..." >&2; exit 64 ;;
  *)
    why="$(available)" || { echo "wine.sh: $why" >&2; exit 1; }
    # Files, not pipes, as EXE's standard streams: a Unix pipe reaches a Windows program under Wine as a handle
    # that libuv (Node) cannot open ("Error: open EBADF" from process.stdout), which a real Windows console or
    # pipe never gives. wineserver -w: the Wine server this started is gone before we return (it lingers ~3 s).
    io="$(mktemp -d /tmp/ns-doctor-wine-io.XXXXXX)"
    trap 'rm -rf "$io"' EXIT
    rc=0
    in_root /bin/sh -c 'io="$1"; shift; wine "$@" < /dev/null > "$io/out" 2> "$io/err"; rc=$?; wineserver -w; exit $rc' \
      wine "$io" "$@" || rc=$?
    cat "$io/out"
    cat "$io/err" >&2
    exit "$rc" ;;
esac
