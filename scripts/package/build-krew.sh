#!/usr/bin/env bash
# Builds krew and krew's manifest validator from the Go module proxy at the pinned KREW_VERSION, into a
# cache outside the work tree, once. `--print-bin-dir` prints the bin dir alone on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/control-plane/versions.env
source "$here/../control-plane/versions.env"

cache_root="${NS_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ns-doctor}"
bin_dir="$cache_root/krew-$KREW_VERSION/bin"
wanted=(krew validate-krew-manifest)

all_present() { for b in "${wanted[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done; }

if all_present; then
  [[ "${1:-}" == "--print-bin-dir" ]] && echo "$bin_dir"
  exit 0
fi
[[ "${1:-}" == "--print-bin-dir" ]] && exec 3>&1 1>&2

command -v go >/dev/null || { echo "build-krew.sh: Go is required to build krew (https://go.dev)" >&2; exit 1; }
log() { printf '[krew build %(%H:%M:%S)T] %s\n' -1 "$*"; }
log "building krew $KREW_VERSION into $bin_dir"
mkdir -p "$bin_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

cd "$work"
go mod init ns-doctor.local/krew >/dev/null 2>&1
go get "sigs.k8s.io/krew@$KREW_VERSION" >/dev/null 2>&1 || go get "sigs.k8s.io/krew@$KREW_VERSION"
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "sigs.k8s.io/krew/cmd/krew"
	_ "sigs.k8s.io/krew/cmd/validate-krew-manifest"
)
GO
go mod tidy -e >/dev/null 2>&1 || true
# No version stamp on purpose: an unstamped krew counts as a development build and never runs its
# upgrade check, which would call a public API from tests.
go build -trimpath -ldflags "-s -w" -o "$bin_dir/" sigs.k8s.io/krew/cmd/krew sigs.k8s.io/krew/cmd/validate-krew-manifest
all_present || { echo "build-krew.sh: some binaries are missing in $bin_dir" >&2; exit 1; }
log "krew ready in $bin_dir"
if [[ "${1:-}" == "--print-bin-dir" ]]; then echo "$bin_dir" >&3; fi
