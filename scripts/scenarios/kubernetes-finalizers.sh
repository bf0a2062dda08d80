#!/usr/bin/env bash
# Kubernetes' own finalizers that no operator owns (issue 18 items 3 and 8), in one namespace <ns>:
#   Service shop-lb (type LoadBalancer) with service.kubernetes.io/load-balancer-cleanup: removed by the service
#     controller of a cloud-controller-manager, which does not run here (on managed clusters it runs off-cluster)
#   Pod batch-0 never scheduled, and Pod report-0 Failed on the Ready node node-<ns> (status through the status
#     subresource), both held only by example.ns-doctor.dev/pod-hold, whose controller is not installed
#   up <ns>    creates all that, deletes <ns>, waits for NamespaceFinalizersRemaining=True
#   down <ns>  removes the finalizers, waits until <ns> is gone, deletes the node
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
node="node-$ns"

up() {
  ready_node "$node"
  k create namespace "$ns" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: shop-lb, finalizers: [service.kubernetes.io/load-balancer-cleanup]}
spec:
  type: LoadBalancer
  selector: {app: shop}
  ports: [{port: 443, targetPort: 8443}]
---
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
  k patch pod report-0 -n "$ns" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"phase":"Failed","startTime":"$(ago 600)","conditions":[{"type":"Ready","status":"False","reason":"PodFailed","lastTransitionTime":"$(ago 60)"}],
  "containerStatuses":[{"name":"report","ready":false,"restartCount":0,"image":"registry.example/report:1.0","imageID":"",
    "state":{"terminated":{"exitCode":1,"reason":"Error","startedAt":"$(ago 600)","finishedAt":"$(ago 60)"}}}]}}
JSON
)" >/dev/null
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceFinalizersRemaining True 90
}

down() {
  k patch service shop-lb -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  for p in batch-0 report-0; do
    k patch pod "$p" -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  force_delete_pods "$ns"
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  k delete node "$node" --ignore-not-found --wait=false >/dev/null
  scn_log "kubernetes-finalizers scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
