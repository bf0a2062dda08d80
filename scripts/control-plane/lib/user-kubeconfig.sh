#!/usr/bin/env bash
# Issues a client certificate for a user (CN=<user>, O=<group> for each group) signed by the local CA and writes a
# kubeconfig for it. Prints the kubeconfig path.   usage: user-kubeconfig.sh <user> [group...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$cp_dir/lib/certs.sh"
load_env
user="${1:?usage: user-kubeconfig.sh <user> [group...]}"; shift
[[ "$user" =~ ^[a-z0-9][a-z0-9.@_-]*$ ]] || cp_die "unsupported user name: $user"
subject=""
for g in "$@"; do subject+="/O=$g"; done
subject+="/CN=$user"
mkdir -p "$STATE/users"
gen_cert "$STATE/users/$user" "$subject" client
write_kubeconfig "$STATE/users/$user.kubeconfig" "$user" "$STATE/users/$user"
echo "$STATE/users/$user.kubeconfig"
