#!/usr/bin/env bash
# Stops or restarts only kube-controller-manager of a running control plane (same state dir as up.sh).
#   kcm.sh restart [controllers]   default: $NS_DOCTOR_KCM_CONTROLLERS or the up.sh default set
#   kcm.sh stop
#   kcm.sh controllers             prints the controllers it runs now
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
load_env
case "${1:-}" in
  restart) stop_kcm; start_kcm "${2:-${NS_DOCTOR_KCM_CONTROLLERS:-$DEFAULT_KCM_CONTROLLERS}}" ;;
  stop) stop_kcm; rm -f "$STATE/kcm-controllers"; cp_log "kube-controller-manager stopped" ;;
  controllers) cat "$STATE/kcm-controllers" 2>/dev/null || true ;;
  *) echo "usage: $0 restart [controllers] | stop | controllers" >&2; exit 64 ;;
esac
