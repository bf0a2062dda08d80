#!/usr/bin/env bash
# A dead finalizer next to an unrelated controller that RBAC lets update the same type (issue 18 item 2).
# ConfigMap <ns>/export-state with finalizer backup.example.com/export, whose controller is not installed; in
# <ns>-ingress an ingress controller (ServiceAccount ingress-nginx, ClusterRole <ns>-ingress-nginx: update configmaps
# for its leader election) with a Running, Ready pod on node node-<ns>. RBAC alone must never make it the owner.
#   up <ns>    creates all that, deletes <ns>, waits for NamespaceFinalizersRemaining=True
#   down <ns>  removes the finalizer, waits until <ns> is gone, removes the ingress controller
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
system="$ns-ingress"
node="node-$ns"
pod=ingress-nginx-controller-6f8b9c7d5-m4x9q

up() {
  running_controller "$ns-ingress-nginx" "$system" ingress-nginx "$node" "$pod" controller registry.k8s.io/ingress-nginx/controller:v1.11.2 \
    "{app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}" 7200 <<'YAML'
- apiGroups: [""]
  resources: [configmaps, endpoints, pods, secrets]
  verbs: [list, watch]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, create, update]
YAML
  k create namespace "$ns" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: export-state, finalizers: [backup.example.com/export]}
data: {lastExport: "2026-12-01T02:00:00Z"}
YAML
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceFinalizersRemaining True 90
}

down() {
  k patch configmap export-state -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  remove_controller "$ns-ingress-nginx" "$system" "$node"
  scn_log "rbac-only-owner scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
