#!/usr/bin/env bash
# A pod stuck Terminating on a node that went away: no kubelet confirms the pod stopped, so it stays.
# Node node-<ns> (Ready=Unknown since 10 min, unreachable taints), pod <ns>/worker-6f7c9-qk2vd bound to it with a
# 2 s grace period.
#   up <ns>    creates node and pod, deletes <ns>, waits until the pod's grace period is over and the namespace
#              controller reports NamespaceDeletionContentFailure=True ("unexpected items still remain ... pods").
# While the grace period runs the controller reports NamespaceContentRemaining=True instead and waits; once the
# namespace has been deleted for longer than the pods' terminationGracePeriodSeconds its estimate drops to 0 and a
# pod still present becomes a content-deletion failure.
#   down <ns>  force-deletes the pod, deletes the node, waits until <ns> is gone
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
node="node-$ns"
pod=worker-6f7c9-qk2vd

up() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels: {kubernetes.io/hostname: $node, kubernetes.io/os: linux}
spec:
  taints:
  - {key: node.kubernetes.io/unreachable, effect: NoSchedule}
  - {key: node.kubernetes.io/unreachable, effect: NoExecute}
YAML
  k patch node "$node" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"conditions":[
  {"type":"Ready","status":"Unknown","reason":"NodeStatusUnknown","message":"Kubelet stopped posting node status.","lastHeartbeatTime":"$(ago 660)","lastTransitionTime":"$(ago 600)"}],
  "nodeInfo":{"kubeletVersion":"v1.34.4","kubeProxyVersion":"","osImage":"Debian GNU/Linux 12","kernelVersion":"6.1.0","containerRuntimeVersion":"containerd://2.0.0","operatingSystem":"linux","architecture":"amd64","machineID":"m","systemUUID":"s","bootID":"b"}}}
JSON
)" >/dev/null
  k create namespace "$ns" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  labels: {app: worker}
spec:
  nodeName: $node
  terminationGracePeriodSeconds: 2
  containers:
  - {name: worker, image: registry.example/worker:2.1.0}
YAML
  k patch pod "$pod" -n "$ns" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"phase":"Running","startTime":"$(ago 3600)",
  "conditions":[{"type":"Ready","status":"False","reason":"NodeNotReady","lastTransitionTime":"$(ago 540)"}],
  "containerStatuses":[{"name":"worker","ready":false,"restartCount":0,"image":"registry.example/worker:2.1.0","imageID":"","started":true,
    "state":{"running":{"startedAt":"$(ago 3600)"}}}]}}
JSON
)" >/dev/null
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceDeletionContentFailure True 90
  local dt
  dt="$(k get pod "$pod" -n "$ns" -o 'jsonpath={.metadata.deletionTimestamp}')"
  [[ -n "$dt" ]] || { scn_log "pod $pod has no deletionTimestamp"; return 1; }
  # deletionTimestamp is the end of the grace period; be safely past it.
  while (($(date +%s) < $(date -d "$dt" +%s) + 2)); do sleep 0.5; done
  scn_log "pod $ns/$pod Terminating since $dt on $node"
}

down() {
  force_delete_pods "$ns"
  k delete node "$node" --ignore-not-found --wait=false >/dev/null
  ns_gone "$ns" || wait_ns_gone "$ns" 90
  scn_log "stuck pod scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
