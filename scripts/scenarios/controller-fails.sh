#!/usr/bin/env bash
# A live controller that fails (issue 18 item 1). CRD buckets.s3.ns-doctor.dev (status subresource); the operator in
# <ns>-system: ServiceAccount s3-operator, allowed by ClusterRole <ns>-s3-operator to update buckets, its pod
# s3-operator-5c8d7b9f6-x7k2p Running and Ready (3 restarts) on node node-<ns> (status through the status
# subresource; no kubelet here). Three Buckets in <ns>, each deleted and held by its own finalizer:
#   assets      s3.example.com/cleanup    status.conditions Ready=False DeleteFailed "AccessDenied: … s3:DeleteBucket"
#   audit-logs  s3.example.com/retention  a Warning Event about it in <ns>-system (the dying namespace refuses Events)
#   usage       s3.example.com/usage      Synced=False with the API server's own refusal to create in <ns> (Crossplane
#                                         v2's ProviderConfigUsage case), as the real server words it
#   up <ns>    creates all that, deletes <ns>, waits for NamespaceFinalizersRemaining, then writes the status/Event
#   down <ns>  removes the finalizers, waits until <ns> is gone, removes the operator (the CRD when no Bucket is left)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
crd=buckets.s3.ns-doctor.dev
system="$ns-system"
node="node-$ns"
pod=s3-operator-5c8d7b9f6-x7k2p

up() {
  k apply -f - >/dev/null <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: $crd}
spec:
  group: s3.ns-doctor.dev
  scope: Namespaced
  names: {plural: buckets, singular: bucket, kind: Bucket}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
  k wait --for=condition=Established "crd/$crd" --timeout=60s >/dev/null
  wait_for 30 "buckets served" k get buckets -A
  running_controller "$ns-s3-operator" "$system" s3-operator "$node" "$pod" manager registry.example/s3-operator:2.3.1 "{app: s3-operator}" 7200 <<'YAML'
- apiGroups: [s3.ns-doctor.dev]
  resources: [buckets, buckets/status, buckets/finalizers]
  verbs: [get, list, watch, update, patch]
YAML
  k patch pod "$pod" -n "$system" --subresource=status --type=json \
    -p '[{"op":"replace","path":"/status/containerStatuses/0/restartCount","value":3}]' >/dev/null
  k create namespace "$ns" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: s3.ns-doctor.dev/v1
kind: Bucket
metadata: {name: assets, finalizers: [s3.example.com/cleanup]}
spec: {bucketName: assets-prod-eu1}
---
apiVersion: s3.ns-doctor.dev/v1
kind: Bucket
metadata: {name: audit-logs, finalizers: [s3.example.com/retention]}
spec: {bucketName: audit-logs-prod-eu1}
---
apiVersion: s3.ns-doctor.dev/v1
kind: Bucket
metadata: {name: usage, finalizers: [s3.example.com/usage]}
spec: {bucketName: usage-prod-eu1}
YAML
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceFinalizersRemaining True 90

  # What the operator writes once its DeleteBucket call is refused.
  k patch bucket assets -n "$ns" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"conditions":[
  {"type":"Ready","status":"False","reason":"DeleteFailed","lastTransitionTime":"$(ago 0)",
   "message":"AccessDenied: User: arn:aws:sts::123456789012:assumed-role/s3-operator is not authorized to perform: s3:DeleteBucket on resource: arn:aws:s3:::assets-prod-eu1"}]}}
JSON
)" >/dev/null

  # The refusal a controller meets when it must create an object in the dying namespace, as the API server words it.
  local refused
  refused="$(k create configmap providerconfigusage-usage -n "$ns" 2>&1 || true)"
  [[ "$refused" == *"because it is being terminated"* ]] || { scn_log "expected the API server to refuse, got: $refused"; return 1; }
  refused="${refused#error: failed to create configmap: }"
  refused="${refused//\"/\\\"}"
  k patch bucket usage -n "$ns" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"conditions":[
  {"type":"Ready","status":"False","reason":"Deleting","lastTransitionTime":"$(ago 0)"},
  {"type":"Synced","status":"False","reason":"ReconcileError","lastTransitionTime":"$(ago 0)",
   "message":"cannot track ProviderConfig usage: $refused"}]}}
JSON
)" >/dev/null

  # The operator records its failure as an Event in its own namespace: <ns> refuses new objects.
  k apply -f - >/dev/null <<YAML
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: audit-logs.retention-failed, namespace: $system}
eventTime: "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)"
type: Warning
reason: CleanupFailed
action: DeleteBucket
note: "cannot delete bucket audit-logs-prod-eu1: BucketNotEmpty: object lock retention until 2027-06-01 denies deletion"
reportingController: s3.example.com/s3-operator
reportingInstance: $pod
regarding: {apiVersion: s3.ns-doctor.dev/v1, kind: Bucket, name: audit-logs, namespace: $ns, uid: $(k get bucket audit-logs -n "$ns" -o 'jsonpath={.metadata.uid}')}
YAML
  scn_log "controller-fails: status and Event written"
}

down() {
  for b in assets audit-logs usage; do
    k patch bucket "$b" -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  remove_controller "$ns-s3-operator" "$system" "$node"
  if [[ -z "$(k get buckets.s3.ns-doctor.dev -A -o name 2>/dev/null)" ]]; then
    k delete crd "$crd" --ignore-not-found >/dev/null
  fi
  scn_log "controller-fails scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
