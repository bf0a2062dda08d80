#!/usr/bin/env bash
# A pod inside its grace period on a Ready node: the namespace is progressing, and waits for the pod.
# Node node-<ns> (Ready=True), pod <ns>/web-7c9f5d8b6-k2x4p bound to it with terminationGracePeriodSeconds
# $SCENARIO_GRACE (default 30), Running and Ready; a ConfigMap and a Service that on 1.33+ wait for the pod (the
# namespace controller deletes pods first).
#   up <ns>    creates node, pod and content, deletes <ns>, waits until the namespace controller has deleted the pod
#              (its deletionTimestamp is then the end of its grace period). No kubelet runs here, so nothing ever
#              confirms the pod stopped: past its grace period it is stuck.
# With SCENARIO_PENDING_FINALIZER=1 also an Export <ns>/nightly (CRD exports.backup.ns-doctor.dev) with finalizer
# backup.ns-doctor.dev/export, whose controller is not installed: the namespace controller deletes it only after the
# pod, and then it holds the namespace for good.
#   down <ns>  force-deletes the pod, removes that finalizer, deletes the node, waits until <ns> is gone
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
node="node-$ns"
pod=web-7c9f5d8b6-k2x4p
grace="${SCENARIO_GRACE:-30}"

up() {
  ready_node "$node"
  k create namespace "$ns" >/dev/null
  if [[ -n "${SCENARIO_PENDING_FINALIZER:-}" ]]; then
    apply_namespaced_crd backup.ns-doctor.dev exports export Export
    k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: backup.ns-doctor.dev/v1
kind: Export
metadata: {name: nightly, finalizers: [backup.ns-doctor.dev/export]}
spec: {bucket: exports-prod}
YAML
  fi
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  labels: {app: web}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: $grace
  containers:
  - {name: web, image: registry.example/web:3.4.1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {listen: ":8080"}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
YAML
  pod_running_ready "$ns" "$pod" 3600
  delete_ns_now "$ns"
  wait_for 60 "the namespace controller deletes pod $pod" pod_deleted "$ns" "$pod"
  scn_log "pod $ns/$pod deleted by the namespace controller, grace period ends $(k get pod "$pod" -n "$ns" -o 'jsonpath={.metadata.deletionTimestamp}')"
}


down() {
  force_delete_pods "$ns"
  k patch exports.backup.ns-doctor.dev nightly -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  k delete node "$node" --ignore-not-found --wait=false >/dev/null
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  if [[ -n "${SCENARIO_PENDING_FINALIZER:-}" && -z "$(k get exports.backup.ns-doctor.dev -A -o name 2>/dev/null)" ]]; then
    k delete crd exports.backup.ns-doctor.dev --ignore-not-found >/dev/null
  fi
  scn_log "pod grace scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
