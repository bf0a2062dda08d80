#!/usr/bin/env bash
# A custom resource whose finalizer belongs to an operator that runs: the namespace is progressing, waiting for it.
# CRD objectbuckets.storage.ns-doctor.dev; CR <ns>/photos with finalizer storage.ns-doctor.dev/bucket-cleanup; the
# operator in <ns>-system: ServiceAccount bucket-operator, allowed by ClusterRole <ns>-bucket-operator to update
# objectbuckets, and its pod bucket-operator-6b7f9c5d4-q8m2z Running and Ready on node node-<ns> (status written
# through the status subresource; no kubelet here). The operator's work itself — removing the finalizer once the
# bucket is cleaned up — is done by the test (test/e2e/progress.test.ts), as a live controller would.
#   up <ns>    creates all that, deletes <ns>, waits until the namespace controller reports the finalizer
#   down <ns>  removes the finalizer if still there, waits until <ns> is gone, removes the operator and the CRD
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
crd=objectbuckets.storage.ns-doctor.dev
finalizer=storage.ns-doctor.dev/bucket-cleanup
system="$ns-system"
node="node-$ns"
pod=bucket-operator-6b7f9c5d4-q8m2z

up() {
  apply_namespaced_crd storage.ns-doctor.dev objectbuckets objectbucket ObjectBucket
  running_controller "$ns-bucket-operator" "$system" bucket-operator "$node" "$pod" manager registry.example/bucket-operator:1.8.0 "{app: bucket-operator}" 7200 <<'YAML'
- apiGroups: [storage.ns-doctor.dev]
  resources: [objectbuckets, objectbuckets/finalizers]
  verbs: [get, list, watch, update, patch]
YAML
  k create namespace "$ns" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: storage.ns-doctor.dev/v1
kind: ObjectBucket
metadata:
  name: photos
  finalizers: [$finalizer]
spec: {bucketName: photos-prod-eu1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: gallery-settings}
data: {thumbnails: "256"}
YAML
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceFinalizersRemaining True 90
}

down() {
  if k get objectbucket photos -n "$ns" >/dev/null 2>&1; then
    k patch objectbucket photos -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  fi
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  remove_controller "$ns-bucket-operator" "$system" "$node"
  if [[ -z "$(k get objectbuckets -A -o name 2>/dev/null)" ]]; then
    k delete crd "$crd" --ignore-not-found >/dev/null
  fi
  scn_log "live finalizer controller scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
