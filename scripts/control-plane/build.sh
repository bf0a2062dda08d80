#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from pinned Go module versions
# into a cache outside the work tree, once. A second run with the cache present returns at once.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${NS_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ns-doctor}"
bin_dir="$cache_root/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/bin"
wanted=(kube-apiserver kube-controller-manager kubectl etcd)

all_present() { for b in "${wanted[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done; }

if all_present; then
  [[ "${1:-}" == "--print-bin-dir" ]] && echo "$bin_dir"
  exit 0
fi
[[ "${1:-}" == "--print-bin-dir" ]] && exec 3>&1 1>&2   # progress to stderr, the path alone to stdout

command -v go >/dev/null || { echo "build.sh: Go is required to build the control plane (https://go.dev)" >&2; exit 1; }
log() { printf '[control-plane build %(%H:%M:%S)T] %s\n' -1 "$*"; }
log "building Kubernetes $K8S_VERSION and etcd $ETCD_VERSION into $bin_dir (cold build: 10-25 min on 2 cores)"
mkdir -p "$bin_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

build_etcd() {
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init ns-doctor.local/etcd >/dev/null 2>&1
  log "etcd: resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1 || go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  log "etcd: compiling"
  go build -trimpath -ldflags "-s -w" -o "$bin_dir/etcd" go.etcd.io/etcd/server/v3
  log "etcd: done"
}

build_kubernetes() {
  mkdir -p "$work/k8s" && cd "$work/k8s"
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local staging="v0.${K8S_VERSION#v1.}"
  go mod init ns-doctor.local/k8s >/dev/null 2>&1
  log "kubernetes: downloading k8s.io/kubernetes@$K8S_VERSION go.mod"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  # k8s.io/kubernetes replaces its staging modules with ./staging paths; point each at its published version instead.
  local count=0
  for m in $(sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*|\1|p' "$gomod"); do
    go mod edit "-replace=$m=$m@$staging"; count=$((count + 1))
  done
  log "kubernetes: replaced $count staging modules with $staging"
  grep -E '^godebug' "$gomod" >> go.mod || true
  go mod edit "-require=k8s.io/kubernetes@$K8S_VERSION"
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  log "kubernetes: resolving modules (downloads a few hundred MB the first time)"
  go mod tidy -e >/dev/null 2>&1 || true
  go mod download
  local X=k8s.io/component-base/version C=k8s.io/client-go/pkg/version
  local ldf="-s -w -X $X.gitVersion=$K8S_VERSION -X $X.gitMajor=1 -X $X.gitMinor=$minor -X $X.gitTreeState=clean -X $C.gitVersion=$K8S_VERSION -X $C.gitMajor=1 -X $C.gitMinor=$minor"
  log "kubernetes: compiling kube-apiserver, kube-controller-manager, kubectl (the long part)"
  go build -trimpath -tags=selinux,notest -ldflags "$ldf" -o "$bin_dir/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
  log "kubernetes: done"
}

start=$SECONDS
[[ -x "$bin_dir/etcd" ]] || build_etcd
cd "$here"
[[ -x "$bin_dir/kube-apiserver" && -x "$bin_dir/kube-controller-manager" && -x "$bin_dir/kubectl" ]] || build_kubernetes
all_present || { echo "build.sh: some binaries are missing in $bin_dir" >&2; exit 1; }
log "all binaries ready in $bin_dir ($((SECONDS - start)) s)"
if [[ "${1:-}" == "--print-bin-dir" ]]; then echo "$bin_dir" >&3; fi
