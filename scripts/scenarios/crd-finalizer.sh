#!/usr/bin/env bash
# A custom resource whose finalizer belongs to an operator that is not running (uninstalled).
# CRD databasebackups.example.ns-doctor.dev, CR <ns>/nightly with finalizer example.ns-doctor.dev/snapshot-cleanup.
#   up <ns>    creates the CRD (if needed) and the CR, deletes <ns>, waits for NamespaceFinalizersRemaining=True
#   down <ns>  removes the finalizer, waits until <ns> is gone, deletes the CRD when no CR is left
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
crd=databasebackups.example.ns-doctor.dev
finalizer=example.ns-doctor.dev/snapshot-cleanup

up() {
  apply_namespaced_crd example.ns-doctor.dev databasebackups databasebackup DatabaseBackup
  k create namespace "$ns" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: example.ns-doctor.dev/v1
kind: DatabaseBackup
metadata:
  name: nightly
  finalizers: [$finalizer]
spec: {database: orders, schedule: "0 2 * * *"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: backup-settings}
data: {retention: 7d}
YAML
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceFinalizersRemaining True 90
}

down() {
  local name
  for name in $(k get databasebackups -n "$ns" -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null); do
    k patch databasebackup "$name" -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
  done
  ns_gone "$ns" || wait_ns_gone "$ns" 90
  if [[ -z "$(k get databasebackups -A -o name 2>/dev/null)" ]]; then
    k delete crd "$crd" --ignore-not-found >/dev/null
  fi
  scn_log "custom resource finalizer scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
