# Shared by up.sh, down.sh, kcm.sh and user-kubeconfig.sh. Source it; it defines paths and helpers only.
# shellcheck shell=bash
cp_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "$cp_dir/../.." && pwd)"
STATE="${NS_DOCTOR_STATE_DIR:-$repo_root/.cluster}"
# Absolute, as in the command lines of the processes (see ours()).
if [[ -d "$STATE" ]]; then STATE="$(cd "$STATE" && pwd)"; fi
PIDS_FILE="$STATE/pids"
LOG_DIR="$STATE/logs"
PKI="$STATE/pki"
DEFAULT_KCM_CONTROLLERS="namespace-controller,garbage-collector-controller,persistentvolumeclaim-protection-controller,persistentvolume-protection-controller,pod-garbage-collector-controller,endpointslice-controller,serviceaccount-controller,root-ca-certificate-publisher-controller"

cp_log() { printf '[control-plane %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
cp_die() { cp_log "ERROR: $*"; exit 1; }

# A port nothing listens on now, below the kernel's ephemeral range (so no outgoing connection holds it);
# ports handed out earlier in this run are never reused.
_cp_taken=" "
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 12000 + (RANDOM * 32768 + RANDOM) % 20000 ))
    [[ "$_cp_taken" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      _cp_taken+="$p "
      echo "$p"
      return 0
    fi
  done
  cp_die "no free port found"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# Records "<name> <pid>" so down.sh can stop exactly what was started.
record_pid() { echo "$1 $2" >> "$PIDS_FILE"; }
pid_of() { [[ -f "$PIDS_FILE" ]] || return 0; awk -v n="$1" '$1 == n { p = $2 } END { if (p) print p }' "$PIDS_FILE"; }
forget_pid() { [[ -f "$PIDS_FILE" ]] || return 0; awk -v n="$1" '$1 != n' "$PIDS_FILE" > "$PIDS_FILE.tmp" && mv "$PIDS_FILE.tmp" "$PIDS_FILE"; }

# A recorded pid counts as ours only while its command line still names this state dir (pids get reused).
ours() { pid_alive "$1" && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF "$STATE/"; }

# TERM all given pids at once, wait up to $STOP_GRACE seconds (default 10) for all, then KILL the rest.
stop_pids() {
  local pid i left
  local -a mine=()
  for pid in "$@"; do ours "$pid" && mine+=("$pid"); done
  ((${#mine[@]})) || return 0
  kill -TERM "${mine[@]}" 2>/dev/null || true
  for ((i = 0; i < ${STOP_GRACE:-10} * 10; i++)); do
    left=0
    for pid in "${mine[@]}"; do pid_alive "$pid" && left=1; done
    ((left)) || return 0
    sleep 0.1
  done
  for pid in "${mine[@]}"; do
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  for ((i = 0; i < 50; i++)); do
    left=0
    for pid in "${mine[@]}"; do pid_alive "$pid" && left=1; done
    ((left)) || return 0
    sleep 0.1
  done
  return 0
}

# Starts a binary in its own session, detached from the caller's terminal and stdio, logging to $LOG_DIR/<name>.log.
# setsid execs in place (we are never a process-group leader here), so $! is the binary's own pid.
start_process() {
  local name="$1"; shift
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  record_pid "$name" "$!"
  echo "$!"
}

show_logs() {
  local f
  for f in "$LOG_DIR"/*.log; do
    [[ -f "$f" ]] || continue
    echo "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

# Polls until "$@" succeeds; dies (with logs) if pid $2 exits or $1 seconds pass.
wait_until() {
  local timeout="$1" pid="$2" what="$3"; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$pid"; then show_logs; cp_die "$what exited during startup"; fi
    if ((SECONDS >= deadline)); then show_logs; cp_die "$what not ready after ${timeout}s"; fi
    sleep 0.2
  done
}

load_env() {
  [[ -f "$STATE/env" ]] || cp_die "no control plane state in $STATE (run scripts/control-plane/up.sh first)"
  # shellcheck source=/dev/null
  source "$STATE/env"
}

# --enable-aggregator-routing: the aggregator and admission webhooks resolve a Service through its ready
# EndpointSlice addresses instead of its ClusterIP; with no ready endpoint they fail without dialing anything.
# --endpoint-reconciler-type=none: 127.0.0.1 is not a valid Endpoints address for the "kubernetes" Service.
# NS_DOCTOR_APISERVER_EXTRA_ARGS (word-split) is appended.
start_apiserver() {
  local name="$1" port="$2"
  local -a extra_args
  read -r -a extra_args <<< "${NS_DOCTOR_APISERVER_EXTRA_ARGS:-}"
  start_process "$name" "$BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port" \
    --tls-cert-file="$PKI/serving.crt" --tls-private-key-file="$PKI/serving.key" \
    --client-ca-file="$PKI/ca.crt" \
    --authorization-mode=RBAC \
    --service-cluster-ip-range=10.0.0.0/24 \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --requestheader-client-ca-file="$PKI/ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --enable-aggregator-routing=true \
    --endpoint-reconciler-type=none \
    --allow-privileged=true \
    --disable-admission-plugins=ServiceAccount \
    --profiling=false \
    "${extra_args[@]}"
}

apiserver_ready() {
  curl -sf --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$1/readyz"
}

kcm_args() {
  local controllers="$1"
  printf '%s\n' \
    --kubeconfig="$STATE/kubeconfig" \
    --authentication-kubeconfig="$STATE/kubeconfig" \
    --authorization-kubeconfig="$STATE/kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --cert-dir="$STATE/kcm-certs" \
    --leader-elect=false \
    --use-service-account-credentials=false \
    --controllers="$controllers" \
    --root-ca-file="$PKI/ca.crt" \
    --service-account-private-key-file="$PKI/sa.key" \
    --cluster-signing-cert-file="$PKI/ca.crt" \
    --cluster-signing-key-file="$PKI/ca.key"
}

kcm_healthy() { curl -sfk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"; }

start_kcm() {
  local controllers="${1:-${NS_DOCTOR_KCM_CONTROLLERS:-$DEFAULT_KCM_CONTROLLERS}}" pid
  local -a args
  mapfile -t args < <(kcm_args "$controllers")
  echo "--- $(date -u +%FT%TZ) starting with controllers=$controllers" >> "$LOG_DIR/kube-controller-manager.log"
  pid=$(start_process kube-controller-manager "$BIN_DIR/kube-controller-manager" "${args[@]}")
  echo "$controllers" > "$STATE/kcm-controllers"
  wait_until 60 "$pid" kube-controller-manager kcm_healthy
  cp_log "kube-controller-manager ready (pid $pid, controllers: $controllers)"
}

stop_kcm() {
  local pid
  pid="$(pid_of kube-controller-manager)"
  if [[ -n "$pid" ]]; then stop_pids "$pid"; fi
  forget_pid kube-controller-manager
}
