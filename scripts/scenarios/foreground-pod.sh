#!/usr/bin/env bash
# An owner deleted in the foreground while its dependent pod is inside its grace period, then the namespace deleted.
# ConfigMap <ns>/owner; Pod <ns>/worker-0 (ownerReference with blockOwnerDeletion, terminationGracePeriodSeconds
# $SCENARIO_GRACE, default 60) Running on the Ready node node-<ns>.
#   up <ns>    deletes the owner with --cascade=foreground (the garbage collector deletes the pod), then <ns>; waits
#              until the namespace controller has acted. On 1.33+ it deletes pods first and touches nothing else while
#              they remain, so the owner keeps foregroundDeletion until the pod is gone.
#   down <ns>  force-deletes the pod, waits until <ns> is gone, deletes the node
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
node="node-$ns"
grace="${SCENARIO_GRACE:-60}"

up() {
  ready_node "$node"
  k create namespace "$ns" >/dev/null
  k -n "$ns" create configmap owner >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: worker-0
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: $(k -n "$ns" get configmap owner -o 'jsonpath={.metadata.uid}'), blockOwnerDeletion: true}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: $grace
  containers:
  - {name: worker, image: registry.example/worker:2.1.0}
YAML
  pod_running_ready "$ns" worker-0 600
  k -n "$ns" delete configmap owner --cascade=foreground --wait=false >/dev/null
  wait_for 60 "the garbage collector deletes worker-0" pod_deleted "$ns" worker-0
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceDeletionContentFailure False 60
}


down() {
  force_delete_pods "$ns"
  ns_gone "$ns" || wait_ns_gone "$ns" 120
  k delete node "$node" --ignore-not-found --wait=false >/dev/null
  scn_log "foreground pod scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
