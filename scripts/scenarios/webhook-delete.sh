#!/usr/bin/env bash
# A validating admission webhook with failurePolicy Fail on DELETE of ConfigMaps in <ns>, whose backend Service
# (<ns>-policy/policy-webhook) has no endpoints: every DELETE the namespace controller sends is refused.
#   up <ns>    creates backend namespace + Service (no pods), the webhook configuration <ns>-deny-delete, <ns> with
#              ConfigMaps, deletes <ns> and waits for NamespaceDeletionContentFailure=True
#   down <ns>  deletes the webhook configuration and the backend namespace, waits until <ns> is gone
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
backend_ns="$ns-policy"
vwc="$ns-deny-delete"

up() {
  k create namespace "$backend_ns" >/dev/null
  k apply -n "$backend_ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: policy-webhook}
spec:
  selector: {app: policy-webhook}
  ports: [{name: https, port: 443, targetPort: 9443}]
YAML
  k create namespace "$ns" >/dev/null
  k create configmap app-config -n "$ns" --from-literal=feature=on >/dev/null
  k apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: $vwc
webhooks:
- name: deny-delete.policy.example.com
  clientConfig:
    service: {namespace: $backend_ns, name: policy-webhook, path: /validate, port: 443}
  rules:
  - {operations: [DELETE], apiGroups: [""], apiVersions: [v1], resources: [configmaps], scope: Namespaced}
  namespaceSelector:
    matchLabels: {kubernetes.io/metadata.name: $ns}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
YAML
  delete_ns_now "$ns"
  wait_ns_condition "$ns" NamespaceDeletionContentFailure True 90
}

down() {
  k delete validatingwebhookconfiguration "$vwc" --ignore-not-found >/dev/null
  k delete namespace "$backend_ns" --ignore-not-found --wait=false >/dev/null
  ns_gone "$ns" || wait_ns_gone "$ns" 90
  ns_gone "$backend_ns" || wait_ns_gone "$backend_ns" 90
  scn_log "webhook scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
