#!/usr/bin/env bash
# A second kube-apiserver on the running control plane's etcd, for tests that kill an API server mid-request
# without taking the shared one down: `start` prints "<port> <pid>" and writes a kubeconfig pointing at it to
# $STATE/kubeconfig-extra; `stop` stops it by pid. It is recorded in $STATE/pids, so down.sh stops it too.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$cp_dir/lib/certs.sh"
load_env
case "${1:-}" in
  start)
    port=$(free_port)
    pid=$(start_apiserver kube-apiserver-extra "$port")
    wait_until 90 "$pid" kube-apiserver-extra apiserver_ready "$port"
    write_kubeconfig "$STATE/kubeconfig-extra" ns-doctor-admin "$PKI/admin" "$port"
    echo "$port $pid"
    ;;
  stop)
    pid="$(pid_of kube-apiserver-extra)"
    if [[ -n "$pid" ]]; then stop_pids "$pid"; fi
    forget_pid kube-apiserver-extra
    ;;
  *) cp_die "usage: extra-apiserver.sh start|stop" ;;
esac
