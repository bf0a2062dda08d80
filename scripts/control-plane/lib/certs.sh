# Certificate helpers (openssl, EC P-256). Source after common.sh.
# shellcheck shell=bash

_new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; chmod 600 "$1"; }

gen_ca() {
  _new_key "$PKI/ca.key"
  openssl req -x509 -new -key "$PKI/ca.key" -out "$PKI/ca.crt" -days 3650 -subj "/CN=ns-doctor-local-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
}

# gen_cert <file-stem> <subject> <client|server> [subjectAltName]
gen_cert() {
  local stem="$1" subject="$2" usage="$3" san="${4:-}" ext
  _new_key "$stem.key"
  openssl req -new -key "$stem.key" -subj "$subject" -out "$stem.csr"
  ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$([[ $usage == server ]] && echo serverAuth || echo clientAuth)"
  [[ -n "$san" ]] && ext+=$'\n'"subjectAltName=$san"
  openssl x509 -req -in "$stem.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 365 -extfile <(echo "$ext") -out "$stem.crt" 2>/dev/null
  rm -f "$stem.csr"
}

gen_sa_keys() {
  _new_key "$PKI/sa.key"
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
}

# write_kubeconfig <file> <user> <cert-stem> [port]
write_kubeconfig() {
  local file="$1" user="$2" stem="$3" port="${4:-$APISERVER_PORT}"
  cat > "$file" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: ns-doctor-local
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $PKI/ca.crt
users:
- name: $user
  user:
    client-certificate: $stem.crt
    client-key: $stem.key
contexts:
- name: $user@ns-doctor-local
  context:
    cluster: ns-doctor-local
    user: $user
current-context: $user@ns-doctor-local
KUBECONFIG
  chmod 600 "$file"
}
