#!/usr/bin/env bash
# The namespace controller is not running: kube-controller-manager is restarted without namespace-controller, and
# <ns> is deleted. It stays Terminating with no deletion conditions at all.
#   up <ns>    restarts kube-controller-manager without namespace-controller, creates and deletes <ns>
#   down <ns>  restarts kube-controller-manager with its default controllers and waits until <ns> is gone
# Needs the control plane of scripts/control-plane/up.sh (NS_DOCTOR_STATE_DIR), since it restarts a process of it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
action="${1:-}" ns="${2:-}"
[[ -n "$ns" ]] || usage
kcm="$repo_root/scripts/control-plane/lib/kcm.sh"

up() {
  local current without
  current="$(NS_DOCTOR_STATE_DIR="$state_dir" bash "$kcm" controllers)"
  without="$(tr ',' '\n' <<< "$current" | grep -vx 'namespace-controller' | paste -sd, -)"
  NS_DOCTOR_STATE_DIR="$state_dir" bash "$kcm" restart "$without"
  k create namespace "$ns" >/dev/null
  k create configmap leftover -n "$ns" --from-literal=a=b >/dev/null
  delete_ns_now "$ns"
}

down() {
  NS_DOCTOR_STATE_DIR="$state_dir" bash "$kcm" restart
  ns_gone "$ns" || wait_ns_gone "$ns" 90
  scn_log "namespace controller restored"
}

case "$action" in up) up ;; down) down ;; *) usage ;; esac
