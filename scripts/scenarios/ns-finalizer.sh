#!/usr/bin/env bash
# A namespace created with an extra spec.finalizers token that no controller will ever remove.
#   up <ns>    creates <ns> with spec.finalizers [kubernetes, platform.example.com/namespace-cleanup] and a
#              ConfigMap, deletes it, waits until the namespace controller has removed its own token
#   down <ns>  empties spec.finalizers through /finalize and waits until <ns> is gone
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
token=platform.example.com/namespace-cleanup

spec_finalizers_are() { [[ "$(k get namespace "$ns" -o 'jsonpath={.spec.finalizers}')" == "$1" ]]; }

up() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
spec:
  finalizers: [kubernetes, $token]
YAML
  k create configmap team-settings -n "$ns" --from-literal=owner=platform >/dev/null
  delete_ns_now "$ns"
  wait_for 90 "namespace controller removes its own finalizer from $ns" spec_finalizers_are "[\"$token\"]"
  scn_log "namespace $ns: spec.finalizers=$(k get namespace "$ns" -o 'jsonpath={.spec.finalizers}')"
}

down() {
  ns_gone "$ns" || finalize_ns "$ns"
  ns_gone "$ns" || wait_ns_gone "$ns" 60
  scn_log "namespace finalizer scenario removed"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
