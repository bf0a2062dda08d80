#!/usr/bin/env bash
# Reconciliation paused on purpose (real-world cause 10: clusterctl move, a migration). CRD machines.cluster.x-k8s.io;
# the Cluster API controller in capi-system (ServiceAccount capi-manager allowed to update machines, its pod
# capi-controller-manager-7d4b9c6f8-m2x7q Running and Ready, labelled cluster.x-k8s.io/provider=cluster-api as the
# finalizer catalog expects; status through the status subresource, no kubelet here). Two Machines in <ns>, both
# held by machine.cluster.x-k8s.io:
#   md-0-7k2fp  annotated cluster.x-k8s.io/paused (the key alone pauses it; the value is empty): the controller leaves it
#   md-0-9xq4c  not paused: it waits on the running controller
# With SCENARIO_PAUSE=cluster instead: a Cluster prod-eu1 (finalizer cluster.cluster.x-k8s.io, spec.paused: true, as
# clusterctl move leaves it) that owns Machine md-0-5hz8w (finalizer machine.cluster.x-k8s.io, no annotation): the
# Machine is paused through its Cluster.
#   up <ns>    creates all that, deletes <ns>, waits for NamespaceFinalizersRemaining
#   down <ns>  removes the finalizers, waits until <ns> is gone, removes the controller (the CRD when no Machine is left)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
crd=machines.cluster.x-k8s.io
system=capi-system
node="node-$ns"
pod=capi-controller-manager-7d4b9c6f8-m2x7q

up() {
  apply_namespaced_crd cluster.x-k8s.io machines machine Machine
  running_controller "$ns-capi-manager" "$system" capi-manager "$node" "$pod" manager registry.k8s.io/cluster-api/cluster-api-controller:v1.9.4 \
    "{cluster.x-k8s.io/provider: cluster-api, control-plane: controller-manager}" 86400 <<'YAML'
- apiGroups: [cluster.x-k8s.io]
  resources: [machines, machines/finalizers, clusters, clusters/finalizers]
  verbs: [get, list, watch, update, patch]
YAML
  k create namespace "$ns" >/dev/null
  if [[ "${SCENARIO_PAUSE:-}" == cluster ]]; then
    paused_cluster
  else
    paused_machine
  fi
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceFinalizersRemaining True 90
  scn_log "paused-reconcile: $ns Terminating (${SCENARIO_PAUSE:-machine} paused)"
}

paused_cluster() {
  apply_namespaced_crd cluster.x-k8s.io clusters cluster Cluster
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: cluster.x-k8s.io/v1
kind: Cluster
metadata: {name: prod-eu1, finalizers: [cluster.cluster.x-k8s.io]}
spec: {paused: true, controlPlaneEndpoint: {host: 10.0.0.10, port: 6443}}
YAML
  local uid
  uid="$(k get clusters.cluster.x-k8s.io prod-eu1 -n "$ns" -o 'jsonpath={.metadata.uid}')"
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: cluster.x-k8s.io/v1
kind: Machine
metadata:
  name: md-0-5hz8w
  finalizers: [machine.cluster.x-k8s.io]
  ownerReferences: [{apiVersion: cluster.x-k8s.io/v1, kind: Cluster, name: prod-eu1, uid: $uid, controller: true}]
spec: {clusterName: prod-eu1}
YAML
}

paused_machine() {
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: cluster.x-k8s.io/v1
kind: Machine
metadata:
  name: md-0-7k2fp
  finalizers: [machine.cluster.x-k8s.io]
  annotations: {cluster.x-k8s.io/paused: ""}
spec: {clusterName: prod-eu1}
---
apiVersion: cluster.x-k8s.io/v1
kind: Machine
metadata:
  name: md-0-9xq4c
  finalizers: [machine.cluster.x-k8s.io]
spec: {clusterName: prod-eu1}
YAML
}

down() {
  for m in md-0-7k2fp md-0-9xq4c md-0-5hz8w; do
    k patch machines.cluster.x-k8s.io "$m" -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  k patch clusters.cluster.x-k8s.io prod-eu1 -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  remove_controller "$ns-capi-manager" "$system" "$node"
  if [[ -z "$(k get machines.cluster.x-k8s.io -A -o name 2>/dev/null)" ]]; then
    k delete crd "$crd" --ignore-not-found >/dev/null
  fi
  if [[ -z "$(k get clusters.cluster.x-k8s.io -A -o name 2>/dev/null)" ]]; then
    k delete crd clusters.cluster.x-k8s.io --ignore-not-found >/dev/null
  fi
  scn_log "paused-reconcile scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
