# Helpers for the scenario builders. Source it from a scenario script.
# Talks to the cluster in $KUBECONFIG (default: the kubeconfig of the control plane in $NS_DOCTOR_STATE_DIR or
# <repo>/.cluster) with the kubectl in $KUBECTL (default: the one built by scripts/control-plane/build.sh).
# shellcheck shell=bash
set -euo pipefail
scn_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$scn_dir/../.." && pwd)"
state_dir="${NS_DOCTOR_STATE_DIR:-$repo_root/.cluster}"

if [[ -z "${KUBECONFIG:-}" ]]; then
  [[ -f "$state_dir/kubeconfig" ]] || { echo "scenario: set KUBECONFIG or start the control plane (npm run cluster:up)" >&2; exit 1; }
  export KUBECONFIG="$state_dir/kubeconfig"
fi
if [[ -z "${KUBECTL:-}" ]]; then
  KUBECTL="$(bash "$repo_root/scripts/control-plane/build.sh" --print-bin-dir)/kubectl"
fi

k() { "$KUBECTL" "$@"; }
scn_log() { printf '[scenario %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# RFC 3339 time N seconds ago.
ago() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }

# wait_for <timeout-s> <description> <command...>: polls every 0.5 s.
wait_for() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then scn_log "timed out after ${timeout}s waiting for: $what"; return 1; fi
    sleep 0.5
  done
}

ns_condition_is() {
  local got
  got="$(k get namespace "$1" -o "jsonpath={.status.conditions[?(@.type==\"$2\")].status}")"
  [[ "$got" == "$3" ]]
}

# wait_ns_condition <ns> <type> <status> [timeout-s]: waits for the namespace controller to write that condition.
wait_ns_condition() {
  wait_for "${4:-90}" "namespace $1 condition $2=$3" ns_condition_is "$1" "$2" "$3"
  scn_log "namespace $1: $2=$3 ($(k get namespace "$1" -o "jsonpath={.status.conditions[?(@.type==\"$2\")].message}"))"
}

apiservice_reason_is() {
  [[ "$(k get apiservice "$1" -o 'jsonpath={.status.conditions[?(@.type=="Available")].reason}')" == "$2" ]]
}

ns_gone() { ! k get namespace "$1" >/dev/null 2>&1; }

# An update event makes the namespace controller look again after 5 s, instead of waiting out its backoff (up to 60 s).
nudge_ns() { k annotate namespace "$1" --overwrite "ns-doctor.dev/nudge=$(date +%s%N)" >/dev/null 2>&1 || true; }

# Waits until the namespace is gone, nudging the controller now and then.
wait_ns_gone() {
  local ns="$1" timeout="${2:-90}" deadline
  deadline=$((SECONDS + timeout))
  while ! ns_gone "$ns"; do
    if ((SECONDS >= deadline)); then
      scn_log "namespace $ns still present after ${timeout}s"
      k get namespace "$ns" -o yaml >&2 || true
      return 1
    fi
    nudge_ns "$ns"
    sleep 2
  done
}

# No kubelet runs here, so a deleted pod bound to a node stays Terminating until it is force-deleted.
force_delete_pods() { k delete pods --all -n "$1" --force --grace-period=0 --ignore-not-found --wait=false >/dev/null 2>&1 || true; }

# Empties spec.finalizers through the /finalize subresource (what the namespace controller does for its own token).
finalize_ns() {
  local ns="$1" body
  body="$(k get namespace "$ns" -o json 2>/dev/null)" || return 0
  body="$(printf '%s' "$body" | sed -e ':a;N;$!ba' -e 's/"finalizers": *\[[^]]*\]/"finalizers": []/g')"
  printf '%s' "$body" | k replace --raw "/api/v1/namespaces/$ns/finalize" -f - >/dev/null
}

# ready_node <name>: a Node whose kubelet reports Ready (written through the status subresource: no kubelet runs here).
ready_node() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $1
  labels: {kubernetes.io/hostname: $1, kubernetes.io/os: linux}
YAML
  k patch node "$1" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"conditions":[
  {"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status","lastHeartbeatTime":"$(ago 0)","lastTransitionTime":"$(ago 86400)"}],
  "nodeInfo":{"kubeletVersion":"v1.34.4","kubeProxyVersion":"","osImage":"Debian GNU/Linux 12","kernelVersion":"6.1.0","containerRuntimeVersion":"containerd://2.0.0","operatingSystem":"linux","architecture":"amd64","machineID":"m","systemUUID":"s","bootID":"b"}}}
JSON
)" >/dev/null
  # Only a node lifecycle controller (not run here) lifts the not-ready taint a new Node is created with.
  k taint node "$1" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
}

# pod_running_ready <ns> <pod> <age-s>: what a kubelet would report for a pod whose one container runs and is Ready.
pod_running_ready() {
  local container image
  container="$(k get pod "$2" -n "$1" -o 'jsonpath={.spec.containers[0].name}')"
  image="$(k get pod "$2" -n "$1" -o 'jsonpath={.spec.containers[0].image}')"
  k patch pod "$2" -n "$1" --subresource=status --type=merge -p "$(cat <<JSON
{"status":{"phase":"Running","startTime":"$(ago "$3")",
  "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"$(ago $(($3 - 100)))"}],
  "containerStatuses":[{"name":"$container","ready":true,"restartCount":0,"image":"$image","imageID":"","started":true,
    "state":{"running":{"startedAt":"$(ago "$3")"}}}]}}
JSON
)" >/dev/null
}

# pod_deleted <ns> <pod>: the pod has a deletionTimestamp.
pod_deleted() { [[ -n "$(k get pod "$2" -n "$1" -o 'jsonpath={.metadata.deletionTimestamp}')" ]]; }

delete_ns_now() { k delete namespace "$1" --wait=false >/dev/null; scn_log "deleted namespace $1"; }

usage() { echo "usage: $(basename "$0") up|down <namespace>" >&2; exit 64; }

# apply_namespaced_crd <group> <plural> <singular> <kind>: a v1 CRD with a free-form spec, Established and served
# through discovery before it returns.
apply_namespaced_crd() {
  local group="$1" plural="$2" singular="$3" kind="$4"
  k apply -f - >/dev/null <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: $plural.$group
spec:
  group: $group
  scope: Namespaced
  names: {plural: $plural, singular: $singular, kind: $kind}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
  k wait --for=condition=Established "crd/$plural.$group" --timeout=60s >/dev/null
  # A freshly established CRD can take a moment to be served through discovery.
  wait_for 30 "$plural served" k get "$plural" -A
}

# running_controller <role> <namespace> <service-account> <node> <pod> <container> <image> <labels> <age-s>, with the
# ClusterRole's rules (YAML list items) on stdin: a controller as the API shows one (no kubelet runs here): its
# namespace and ServiceAccount, ClusterRole <role> with those rules bound to it, a Ready node, and its pod Running and
# Ready for <age-s> seconds. <labels> is a YAML flow map, e.g. "{app: s3-operator}".
running_controller() {
  local role="$1" system="$2" sa="$3" node="$4" pod="$5" container="$6" image="$7" labels="$8" age="$9" rules
  rules="$(cat)"
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: $sa, namespace: $system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $role}
rules:
$rules
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $role}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $role}
subjects:
- {kind: ServiceAccount, name: $sa, namespace: $system}
YAML
  ready_node "$node"
  k apply -n "$system" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  labels: $labels
spec:
  nodeName: $node
  serviceAccountName: $sa
  containers:
  - {name: $container, image: $image}
YAML
  pod_running_ready "$system" "$pod" "$age"
}

# remove_controller <role> <namespace> <node>: undoes running_controller and waits until its namespace is gone.
remove_controller() {
  local role="$1" system="$2" node="$3"
  force_delete_pods "$system"
  k delete namespace "$system" --ignore-not-found --wait=false >/dev/null
  k delete clusterrolebinding "$role" --ignore-not-found >/dev/null
  k delete clusterrole "$role" --ignore-not-found >/dev/null
  k delete node "$node" --ignore-not-found --wait=false >/dev/null
  ns_gone "$system" || wait_ns_gone "$system" 120
}
