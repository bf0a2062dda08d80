#!/usr/bin/env bash
# Finalizers that no operator owns (issue 18 items 3 and 8), in two namespaces (pods are deleted first, so pods held
# by a finalizer would keep the Service from ever being deleted in the same namespace):
#   <ns>       Service shop-lb (type LoadBalancer) with service.kubernetes.io/load-balancer-cleanup: removed by the
#              service controller of a cloud-controller-manager, which does not run here (often off-cluster)
#   <ns>-pods  Pod batch-0 never scheduled, and Pod report-0 Failed on the Ready node node-<ns> (status through the
#              status subresource), both held only by example.ns-doctor.dev/pod-hold, whose controller is not installed
#   up <ns>    creates all that, deletes both namespaces, waits until the controller reports the Service's finalizer
#              and has deleted the pods
#   down <ns>  removes the finalizers, waits until both are gone, deletes the node
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
node="node-$ns"
pods="$ns-pods"

up() {
  ready_node "$node"
  k create namespace "$ns" >/dev/null
  k create namespace "$pods" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: shop-lb, finalizers: [service.kubernetes.io/load-balancer-cleanup]}
spec:
  type: LoadBalancer
  selector: {app: shop}
  ports: [{port: 443, targetPort: 8443}]
YAML
  k apply -n "$pods" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: batch-0, finalizers: [example.ns-doctor.dev/pod-hold]}
spec:
  nodeSelector: {pool: gone}
  containers: [{name: batch, image: registry.example/batch:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: report-0, finalizers: [example.ns-doctor.dev/pod-hold]}
spec:
  nodeName: $node
  restartPolicy: Never
  containers: [{name: report, image: registry.example/report:1.0}]
YAML
  k patch pod report-0 -n "$pods" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"phase":"Failed","startTime":"$(ago 600)","conditions":[{"type":"Ready","status":"False","reason":"PodFailed","lastTransitionTime":"$(ago 60)"}],
  "containerStatuses":[{"name":"report","ready":false,"restartCount":0,"image":"registry.example/report:1.0","imageID":"",
    "state":{"terminated":{"exitCode":1,"reason":"Error","startedAt":"$(ago 600)","finishedAt":"$(ago 60)"}}}]}}
JSON
)" >/dev/null
  delete_ns_now "$ns"
  delete_ns_now "$pods"
  wait_ns_condition "$ns" NamespaceFinalizersRemaining True 90
  wait_for 90 "pods of $pods deleted" pod_deleted "$pods" batch-0
  wait_for 90 "pods of $pods deleted" pod_deleted "$pods" report-0
}

down() {
  k patch service shop-lb -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  for p in batch-0 report-0; do
    k patch pod "$p" -n "$pods" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  force_delete_pods "$pods"
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  ns_gone "$pods" || wait_ns_gone "$pods" 120
  k delete node "$node" --ignore-not-found --wait=false >/dev/null
  scn_log "kubernetes-finalizers scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
