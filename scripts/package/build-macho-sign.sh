#!/usr/bin/env bash
# Builds macho-sign (scripts/package/macho-sign: ad-hoc signing of Mach-O executables on Linux, with
# github.com/blacktop/go-macho from the Go module proxy) into a cache outside the work tree, once per source
# version. `--print-bin` prints the binary's path alone on stdout.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/macho-sign" && pwd)"
cache_root="${NS_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ns-doctor}"
key="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)"
bin="$cache_root/macho-sign-$key/macho-sign"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { echo "build-macho-sign.sh: Go is required to sign the macOS executables" >&2; exit 1; }
  printf '[package] building macho-sign into %s\n' "$bin" >&2
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" \
    go build -trimpath -ldflags "-s -w" -o "$bin.tmp" . >&2) && mv "$bin.tmp" "$bin"
fi
[[ "${1:-}" == "--print-bin" ]] && echo "$bin"
exit 0
