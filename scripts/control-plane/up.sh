#!/usr/bin/env bash
# Starts etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 (free ports), writes $STATE/kubeconfig.
# State dir: $NS_DOCTOR_STATE_DIR (default <repo>/.cluster). Stop with down.sh (same state dir).
# Env: NS_DOCTOR_APISERVER_EXTRA_ARGS (word-split, appended to kube-apiserver's flags),
#      NS_DOCTOR_KCM_CONTROLLERS (comma list for kube-controller-manager --controllers).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$cp_dir/lib/certs.sh"
source "$cp_dir/versions.env"

start=$SECONDS
BIN_DIR="$(bash "$cp_dir/build.sh" --print-bin-dir)"
built=$((SECONDS - start))

if [[ -f "$PIDS_FILE" ]]; then
  while read -r name pid; do
    pid_alive "$pid" && cp_die "$name (pid $pid) from $STATE is still running; run down.sh first"
  done < "$PIDS_FILE"
fi
rm -rf "$STATE/etcd" "$STATE/logs" "$PKI" "$STATE/kcm-certs" "$STATE/users" "$PIDS_FILE"
mkdir -p "$STATE" "$LOG_DIR" "$PKI" "$STATE/kcm-certs" "$STATE/users"
STATE="$(cd "$STATE" && pwd)"
PIDS_FILE="$STATE/pids" LOG_DIR="$STATE/logs" PKI="$STATE/pki"
: > "$PIDS_FILE"

# Anything that fails from here on leaves no process behind.
# A free port can still be taken by someone else before our process binds it: then start over on new ports.
attempt="${NS_DOCTOR_UP_ATTEMPT:-1}"
on_exit() {
  local rc=$?
  ((rc == 0)) && return 0
  cp_log "startup failed; stopping what was started"
  bash "$cp_dir/down.sh" >/dev/null 2>&1 || true
  if ((attempt < 3)) && grep -qs "address already in use" "$LOG_DIR"/*.log; then
    cp_log "a port was taken meanwhile; retrying (attempt $((attempt + 1)) of 3)"
    NS_DOCTOR_UP_ATTEMPT=$((attempt + 1)) exec bash "$cp_dir/up.sh"
  fi
}
trap on_exit EXIT

t0=$SECONDS
gen_ca
gen_cert "$PKI/admin" "/O=system:masters/CN=ns-doctor-admin" client
gen_cert "$PKI/serving" "/CN=kube-apiserver" server "DNS:localhost,IP:127.0.0.1"
gen_cert "$PKI/front-proxy-client" "/CN=front-proxy-client" client
gen_sa_keys
cp_log "certificates ready ($((SECONDS - t0)) s)"

ETCD_PORT=$(free_port) ETCD_PEER_PORT=$(free_port) APISERVER_PORT=$(free_port) KCM_PORT=$(free_port)
cat > "$STATE/env" <<ENV
BIN_DIR=$BIN_DIR
ETCD_PORT=$ETCD_PORT
APISERVER_PORT=$APISERVER_PORT
KCM_PORT=$KCM_PORT
KUBECONFIG=$STATE/kubeconfig
KUBECTL=$BIN_DIR/kubectl
ENV
write_kubeconfig "$STATE/kubeconfig" ns-doctor-admin "$PKI/admin"

etcd_pid=$(start_process etcd "$BIN_DIR/etcd" \
  --name=ns-doctor --data-dir="$STATE/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="ns-doctor=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --quota-backend-bytes=$((4 * 1024 * 1024 * 1024)) --log-level=warn)
etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"; }
wait_until 60 "$etcd_pid" etcd etcd_healthy
cp_log "etcd ready on 127.0.0.1:$ETCD_PORT (pid $etcd_pid)"

apiserver_pid=$(start_apiserver kube-apiserver "$APISERVER_PORT")
wait_until 90 "$apiserver_pid" kube-apiserver apiserver_ready "$APISERVER_PORT"
cp_log "kube-apiserver ready on https://127.0.0.1:$APISERVER_PORT (pid $apiserver_pid, $((SECONDS - t0)) s after certificates)"

start_kcm "${NS_DOCTOR_KCM_CONTROLLERS:-$DEFAULT_KCM_CONTROLLERS}"

trap - EXIT
cp_log "control plane up in $((SECONDS - start)) s (locating/building binaries: ${built} s, starting: $((SECONDS - start - built)) s)"
cat <<MSG
export KUBECONFIG=$STATE/kubeconfig
export PATH=$BIN_DIR:\$PATH   # kubectl $K8S_VERSION and the control-plane binaries
logs: $LOG_DIR   stop: NS_DOCTOR_STATE_DIR=$STATE bash $cp_dir/down.sh
MSG
