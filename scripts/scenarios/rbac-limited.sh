#!/usr/bin/env bash
# A user who may read only its own namespace, which is held by a custom resource finalizer it cannot see.
# Builds the crd-finalizer scenario on <ns>, then a user <ns>-viewer (client certificate from the local CA) with:
#   get on namespace <ns> only (resourceNames), and get/list/watch on core types (pods, services, configmaps, ...);
#   nothing on the CRD's group, on Secrets, on cluster-scoped objects (APIServices, nodes, webhooks, CRDs).
# The grant is a ClusterRoleBinding: a RoleBinding inside <ns> would be deleted with the namespace's content.
#   up <ns>    prints the user's kubeconfig path on stdout
#   down <ns>  removes the RBAC objects and the crd-finalizer scenario
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
user="$ns-viewer"
role="ns-doctor-scenario:$ns-viewer"

up() {
  bash "$scn_dir/crd-finalizer.sh" up "$ns"
  k apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "$role"}
rules:
- apiGroups: [""]
  resources: [namespaces]
  resourceNames: [$ns]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, services, endpoints, configmaps, serviceaccounts, persistentvolumeclaims, events,
              replicationcontrollers, podtemplates, limitranges, resourcequotas]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "$role"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "$role"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: $user}
YAML
  local kubeconfig
  kubeconfig="$(NS_DOCTOR_STATE_DIR="$state_dir" bash "$repo_root/scripts/control-plane/lib/user-kubeconfig.sh" "$user")"
  # RBAC caches take a moment; wait until the grant is effective before handing the kubeconfig out.
  wait_for 30 "RBAC for $user" "$KUBECTL" --kubeconfig "$kubeconfig" get namespace "$ns"
  scn_log "user $user can get namespace $ns; list databasebackups: $("$KUBECTL" --kubeconfig "$kubeconfig" auth can-i list databasebackups.example.ns-doctor.dev -n "$ns" 2>/dev/null || true)"
  echo "$kubeconfig"
}

down() {
  k delete clusterrolebinding "$role" --ignore-not-found >/dev/null
  k delete clusterrole "$role" --ignore-not-found >/dev/null
  bash "$scn_dir/crd-finalizer.sh" down "$ns"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
