#!/usr/bin/env bash
# npm run demo: a real control plane on 127.0.0.1, the KubeCon metrics-server story built on it, and the real
# `kubectl ns-doctor` report on the namespace it leaves stuck. Everything is stopped again on exit.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ns="${1:-payments}"
state="$(mktemp -d "${TMPDIR:-/tmp}/ns-doctor-demo-XXXXXX")"
export NS_DOCTOR_STATE_DIR="$state"

cleanup() {
  echo
  echo "== stopping the control plane"
  bash "$repo_root/scripts/control-plane/down.sh" || true
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n== %s\n' "$*"; }

step "building the plugin (dist/cli.cjs)"
"$repo_root/node_modules/.bin/node" "$repo_root/scripts/build.mjs"
mkdir -p "$state/plugin-bin"
printf '#!/bin/sh\nPATH="%s:$PATH" exec "%s" "$@"\n' "$repo_root/node_modules/.bin" "$repo_root/dist/cli.cjs" \
  > "$state/plugin-bin/kubectl-ns_doctor"
chmod +x "$state/plugin-bin/kubectl-ns_doctor"

step "starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 (the first run builds them: 10-25 min)"
bash "$repo_root/scripts/control-plane/up.sh" >/dev/null
# shellcheck source=/dev/null
source "$state/env"
export KUBECONFIG PATH="$state/plugin-bin:$BIN_DIR:$PATH"

step "metrics-server gets OOM-killed on a NotReady node; namespace $ns is deleted"
KUBECTL="$BIN_DIR/kubectl" bash "$repo_root/scripts/scenarios/metrics-server.sh" up "$ns"

step "kubectl get namespace $ns"
kubectl get namespace "$ns"

step "kubectl ns-doctor $ns"
rc=0
kubectl ns-doctor "$ns" || rc=$?
case "$rc" in
  0 | 1 | 2) echo; echo "(kubectl ns-doctor exited $rc: 0 not stuck, 1 blocked, 2 incomplete)" ;;
  *) echo "demo: kubectl ns-doctor failed with exit code $rc" >&2; exit "$rc" ;;
esac
