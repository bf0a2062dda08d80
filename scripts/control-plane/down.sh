#!/usr/bin/env bash
# Stops every process up.sh (or lib/kcm.sh) recorded in $STATE/pids: TERM, then KILL. Safe to run twice.
# Keeps the state dir (logs, certs) for inspection; --purge removes it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ ! -f "$PIDS_FILE" ]]; then
  cp_log "nothing to stop in $STATE"
else
  names=() pids=()
  while read -r name pid; do
    [[ -n "${pid:-}" ]] && ours "$pid" && names+=("$name") pids+=("$pid")
  done < "$PIDS_FILE"
  if ((${#pids[@]})); then
    stop_pids "${pids[@]}"
    for i in "${!pids[@]}"; do cp_log "stopped ${names[$i]} (pid ${pids[$i]})"; done
  else
    cp_log "nothing running from $STATE"
  fi
  rm -f "$PIDS_FILE"
fi
if [[ "${1:-}" == "--purge" ]]; then rm -rf "$STATE"; cp_log "removed $STATE"; fi
