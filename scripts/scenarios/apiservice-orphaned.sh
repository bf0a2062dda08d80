#!/usr/bin/env bash
# An APIService left behind by an uninstall: prometheus-adapter was removed, its APIService
# v1beta1.custom.metrics.k8s.io still points at monitoring/prometheus-adapter, which no longer exists.
#   up <ns>    registers the APIService, waits for Available=False ServiceNotFound, deletes <ns> (with some content)
#              and waits for NamespaceDeletionDiscoveryFailure=True
#   down <ns>  deletes the APIService and waits until <ns> is gone
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
apiservice=v1beta1.custom.metrics.k8s.io

up() {
  k apply -f - >/dev/null <<YAML
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: $apiservice
  labels: {app.kubernetes.io/name: prometheus-adapter, app.kubernetes.io/managed-by: Helm}
  annotations: {meta.helm.sh/release-name: prometheus-adapter, meta.helm.sh/release-namespace: monitoring}
spec:
  group: custom.metrics.k8s.io
  version: v1beta1
  service: {name: prometheus-adapter, namespace: monitoring, port: 443}
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
YAML
  wait_for 60 "APIService $apiservice Available=False ServiceNotFound" apiservice_reason_is "$apiservice" ServiceNotFound
  scn_log "APIService $apiservice: $(k get apiservice "$apiservice" -o 'jsonpath={.status.conditions[?(@.type=="Available")].reason}: {.status.conditions[?(@.type=="Available")].message}')"
  k create namespace "$ns" >/dev/null
  k create configmap app-config -n "$ns" --from-literal=mode=batch >/dev/null
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceDeletionDiscoveryFailure True 90
}

down() {
  k delete apiservice "$apiservice" --ignore-not-found >/dev/null
  ns_gone "$ns" || wait_ns_gone "$ns" 90
  scn_log "orphaned APIService removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
