#!/usr/bin/env bash
# The KubeCon story: metrics-server is OOM-killed on a NotReady node, so APIService v1beta1.metrics.k8s.io is
# unavailable, so the namespace controller cannot discover every API and keeps every deleted namespace Terminating.
#   up <ns>    builds the broken metrics-server in kube-system, fills <ns> with some content, deletes <ns> and waits
#              until the real namespace controller has set NamespaceDeletionDiscoveryFailure=True
#   down <ns>  removes the APIService and the metrics-server objects and waits until <ns> is gone
# Env: SCENARIO_NODE (default ip-10-0-3-7.ec2.internal), SCENARIO_RESTARTS (default 14).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
node="${SCENARIO_NODE:-ip-10-0-3-7.ec2.internal}"
restarts="${SCENARIO_RESTARTS:-14}"
rs=metrics-server-7d9f8c6b5d
pod=$rs-x2k4p
apiservice=v1beta1.metrics.k8s.io

up() {
  scn_log "node $node: Ready=False for 3 days, on an old kubelet"
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels:
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    node.kubernetes.io/instance-type: m5.large
spec:
  taints:
  - key: node.kubernetes.io/not-ready
    effect: NoSchedule
YAML
  k patch node "$node" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{
  "conditions":[
    {"type":"MemoryPressure","status":"False","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available","lastHeartbeatTime":"$(ago 259200)","lastTransitionTime":"$(ago 2592000)"},
    {"type":"Ready","status":"False","reason":"KubeletNotReady","message":"PLEG is not healthy: pleg was last seen active 3m12s ago; threshold is 3m0s","lastHeartbeatTime":"$(ago 30)","lastTransitionTime":"$(ago 259200)"}],
  "nodeInfo":{"kubeletVersion":"v1.27.16","kubeProxyVersion":"v1.27.16","osImage":"Amazon Linux 2","kernelVersion":"5.4.0-1103-aws","containerRuntimeVersion":"containerd://1.6.6","operatingSystem":"linux","architecture":"amd64","machineID":"ec2a1b","systemUUID":"ec2a1b","bootID":"b00t"},
  "capacity":{"cpu":"2","memory":"8Gi","pods":"110"},
  "allocatable":{"cpu":"1930m","memory":"7Gi","pods":"110"}}}
JSON
)" >/dev/null

  scn_log "kube-system/metrics-server: Deployment -> ReplicaSet -> Pod on $node"
  k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {k8s-app: metrics-server}
spec:
  replicas: 1
  selector:
    matchLabels: {k8s-app: metrics-server}
  template:
    metadata:
      labels: {k8s-app: metrics-server}
    spec:
      containers:
      - name: metrics-server
        image: registry.k8s.io/metrics-server/metrics-server:v0.7.2
        args: [--secure-port=10250, --kubelet-preferred-address-types=InternalIP]
        ports: [{name: https, containerPort: 10250, protocol: TCP}]
        resources:
          requests: {cpu: 100m, memory: 50Mi}
          limits: {memory: 50Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {k8s-app: metrics-server}
spec:
  selector: {k8s-app: metrics-server}
  ports: [{name: https, port: 443, targetPort: https, protocol: TCP}]
YAML
  local deploy_uid rs_uid pod_uid
  deploy_uid="$(k get deployment metrics-server -n kube-system -o 'jsonpath={.metadata.uid}')"
  k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: $rs
  namespace: kube-system
  labels: {k8s-app: metrics-server, pod-template-hash: 7d9f8c6b5d}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: metrics-server, uid: $deploy_uid, controller: true, blockOwnerDeletion: true}
spec:
  replicas: 1
  selector:
    matchLabels: {k8s-app: metrics-server, pod-template-hash: 7d9f8c6b5d}
  template:
    metadata:
      labels: {k8s-app: metrics-server, pod-template-hash: 7d9f8c6b5d}
    spec:
      containers:
      - name: metrics-server
        image: registry.k8s.io/metrics-server/metrics-server:v0.7.2
        ports: [{name: https, containerPort: 10250, protocol: TCP}]
        resources:
          requests: {cpu: 100m, memory: 50Mi}
          limits: {memory: 50Mi}
YAML
  rs_uid="$(k get replicaset "$rs" -n kube-system -o 'jsonpath={.metadata.uid}')"
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  namespace: kube-system
  labels: {k8s-app: metrics-server, pod-template-hash: 7d9f8c6b5d}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: $rs, uid: $rs_uid, controller: true, blockOwnerDeletion: true}
spec:
  nodeName: $node
  tolerations:
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  containers:
  - name: metrics-server
    image: registry.k8s.io/metrics-server/metrics-server:v0.7.2
    args: [--secure-port=10250, --kubelet-preferred-address-types=InternalIP]
    ports: [{name: https, containerPort: 10250, protocol: TCP}]
    resources:
      requests: {cpu: 100m, memory: 50Mi}
      limits: {memory: 50Mi}
YAML
  pod_uid="$(k get pod "$pod" -n kube-system -o 'jsonpath={.metadata.uid}')"
  # What the kubelet would report: crash-looping, last killed by the OOM killer. The pod IP is never dialed: the
  # endpoint is not ready, and the aggregator checks readiness before any network call.
  k patch pod "$pod" -n kube-system --subresource=status --type=merge -p "$(cat <<JSON
{"status":{
  "phase":"Running",
  "hostIP":"10.0.3.7","hostIPs":[{"ip":"10.0.3.7"}],
  "podIP":"10.244.3.17","podIPs":[{"ip":"10.244.3.17"}],
  "startTime":"$(ago 259300)",
  "qosClass":"Burstable",
  "conditions":[
    {"type":"PodScheduled","status":"True","lastTransitionTime":"$(ago 259300)"},
    {"type":"Initialized","status":"True","lastTransitionTime":"$(ago 259290)"},
    {"type":"ContainersReady","status":"False","reason":"ContainersNotReady","message":"containers with unready status: [metrics-server]","lastTransitionTime":"$(ago 259200)"},
    {"type":"Ready","status":"False","reason":"ContainersNotReady","message":"containers with unready status: [metrics-server]","lastTransitionTime":"$(ago 259200)"}],
  "containerStatuses":[{
    "name":"metrics-server","ready":false,"started":false,"restartCount":$restarts,
    "image":"registry.k8s.io/metrics-server/metrics-server:v0.7.2",
    "imageID":"registry.k8s.io/metrics-server/metrics-server@sha256:ffcb2bf004d6aa0a17d90e0247cf94f2865c8901dcab4427034c341951c239f9",
    "containerID":"containerd://5f1c0de2a9b1",
    "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m0s restarting failed container=metrics-server pod=${pod}_kube-system($pod_uid)"}},
    "lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled","startedAt":"$(ago 420)","finishedAt":"$(ago 400)","containerID":"containerd://5f1c0de2a9b1"}}}]}}
JSON
)" >/dev/null
  k patch deployment metrics-server -n kube-system --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"observedGeneration":1,"replicas":1,"updatedReplicas":1,"unavailableReplicas":1,
  "conditions":[{"type":"Available","status":"False","reason":"MinimumReplicasUnavailable","message":"Deployment does not have minimum availability.","lastUpdateTime":"$(ago 259200)","lastTransitionTime":"$(ago 259200)"}]}}
JSON
)" >/dev/null
  k patch replicaset "$rs" -n kube-system --subresource=status --type=merge \
    -p '{"status":{"observedGeneration":1,"replicas":1,"fullyLabeledReplicas":1}}' >/dev/null

  scn_log "APIService $apiservice -> kube-system/metrics-server:443"
  k apply -f - >/dev/null <<YAML
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: $apiservice
  labels: {k8s-app: metrics-server}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system, port: 443}
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
YAML
  # The real endpointslice controller publishes the pod as a not-ready endpoint; the aggregator then says
  # MissingEndpoints. Anything else (e.g. FailedDiscoveryCheck) would mean an endpoint counted as ready.
  wait_for 60 "APIService $apiservice Available=False MissingEndpoints" apiservice_reason_is "$apiservice" MissingEndpoints
  scn_log "APIService $apiservice: $(k get apiservice "$apiservice" -o 'jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason}: {.status.conditions[?(@.type=="Available")].message}')"

  scn_log "namespace $ns with some content, then deleted"
  k create namespace "$ns" >/dev/null
  k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: payments-config}
data: {currency: EUR}
---
apiVersion: v1
kind: Secret
metadata: {name: payments-db}
stringData: {password: not-a-real-one}
---
apiVersion: v1
kind: Service
metadata: {name: payments-api}
spec:
  selector: {app: payments-api}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-api}
spec:
  replicas: 2
  selector: {matchLabels: {app: payments-api}}
  template:
    metadata: {labels: {app: payments-api}}
    spec:
      containers: [{name: api, image: registry.example/payments-api:1.4.2}]
YAML
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceDeletionDiscoveryFailure True 90
}

down() {
  k delete apiservice "$apiservice" --ignore-not-found >/dev/null
  k delete pod "$pod" -n kube-system --force --grace-period=0 --ignore-not-found >/dev/null 2>&1
  k delete deployment metrics-server -n kube-system --ignore-not-found --wait=false >/dev/null
  k delete replicaset "$rs" -n kube-system --ignore-not-found --wait=false >/dev/null
  k delete service metrics-server -n kube-system --ignore-not-found --wait=false >/dev/null
  k delete node "$node" --ignore-not-found --wait=false >/dev/null
  if ! ns_gone "$ns"; then
    force_delete_pods "$ns"
    wait_ns_gone "$ns" 90
  fi
  scn_log "metrics-server story removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
