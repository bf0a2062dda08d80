#!/usr/bin/env bash
# Builds the one-file executable kubectl-ns_doctor for the platform it runs on, as a Node.js Single
# Executable Application (SEA), plus the krew archive and its sha256, into out/. Works offline.
# --no-build packages the existing dist/cli.cjs instead of rebuilding it (tests running beside others
# that execute dist/cli.cjs must not rewrite it under them).
#
# The Node.js embedded is the Node 24 binary of the npm package `node` (devDependency), unless
# NS_DOCTOR_SEA_NODE names another one (the release workflow passes setup-node's binary, since the
# npm package has no binary for every platform). The SEA blob is made by that same binary: a blob
# only loads in the Node version that wrote it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

log() { printf '[package] %s\n' "$*" >&2; }
die() { printf 'package.sh: %s\n' "$*" >&2; exit 1; }

sea_node="${NS_DOCTOR_SEA_NODE:-$root/node_modules/node/bin/node}"
[[ -x "$sea_node" ]] || die "no Node binary at $sea_node (run npm install, or set NS_DOCTOR_SEA_NODE)"
read -r node_version platform arch < <("$sea_node" -p 'process.version + " " + process.platform + " " + process.arch')
[[ "$node_version" == v24.* ]] || die "$sea_node is Node $node_version; the executable must embed Node 24 LTS"
# postject and the build script run on the same Node, whatever node is first on PATH.
sea_node_dir="$(dirname "$sea_node")"
export PATH="$sea_node_dir:$root/node_modules/.bin:$PATH"

case "$platform" in
  linux | darwin) exe="kubectl-ns_doctor" ;;
  win32) exe="kubectl-ns_doctor.exe"; platform="windows" ;;
  *) die "unsupported platform $platform" ;;
esac
case "$arch" in
  x64) arch="amd64" ;;
  arm64) ;;
  *) die "unsupported architecture $arch" ;;
esac
version="$("$sea_node" -p 'require("./package.json").version')"
[[ -f LICENSE ]] || die "LICENSE is missing"

if [[ "${1:-}" == "--no-build" ]]; then
  [[ -f dist/ns-doctor.cjs ]] || die "--no-build: dist/ns-doctor.cjs does not exist"
else
  log "building dist/cli.cjs (ns-doctor $version)"
  "$sea_node" scripts/build.mjs
fi

out="$root/out"
# Relative paths inside out/: the SEA config is read by a native Node, which on Windows does not
# understand Git Bash's /c/... paths.
work="out/.work"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

log "making the SEA blob with Node $node_version ($platform/$arch)"
# The same heap flags the npm bin's shebang carries (package.json nodeFlags), embedded in the executable.
exec_argv="$("$sea_node" -p "JSON.stringify(require('./package.json').nodeFlags)")"
cat > "$work/sea-config.json" <<JSON
{
  "main": "dist/ns-doctor.cjs",
  "output": "$work/sea-prep.blob",
  "disableExperimentalSEAWarning": true,
  "useCodeCache": true,
  "execArgv": $exec_argv
}
JSON
"$sea_node" --experimental-sea-config "$work/sea-config.json"

bin="$out/$exe"
rm -f "$bin"
cp "$sea_node" "$bin"
chmod 755 "$bin"
if [[ "$platform" == linux ]] && command -v strip >/dev/null; then
  # The npm package's Node keeps its symbol tables (~18 MB); a CLI has no use for them.
  strip "$bin"
fi
postject_args=("$bin" NODE_SEA_BLOB "$work/sea-prep.blob" --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2)
if [[ "$platform" == darwin ]]; then
  # Node's SEA recipe for macOS: drop the signature, inject into its own segment, sign ad hoc again.
  codesign --remove-signature "$bin"
  postject_args+=(--macho-segment-name NODE_SEA)
fi
log "injecting the blob into $bin"
# npx --no: use the postject devDependency, never fetch one. LIEF's "string offset" warnings are harmless.
npx --no postject "${postject_args[@]}" 2> >(grep -v "Can't find string offset for section name" >&2) >/dev/null
if [[ "$platform" == darwin ]]; then codesign --sign - "$bin"; fi

got="$("$bin" --version)"
[[ "$got" == *"$version"* ]] || die "$bin --version printed '$got', expected $version"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

archive="kubectl-ns_doctor_${platform}_${arch}.tar.gz"
log "archiving $archive"
stage="$work/archive"
mkdir -p "$stage"
cp "$bin" "$stage/$exe"
cp LICENSE "$stage/LICENSE"
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  # Fixed order, owner and time, and no name or time in the gzip header: the archive adds no variation
  # of its own to the binary's.
  mtime="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$exe" LICENSE \
    | gzip -9n > "$out/$archive"
else
  tar -C "$stage" -cf - "$exe" LICENSE | gzip -9n > "$out/$archive"
fi

for f in "$bin" "$out/$archive"; do
  printf '%s  %s\n' "$(sha256 "$f" | tr 'A-F' 'a-f')" "$(basename "$f")" > "$f.sha256"
done

log "done: $(du -h "$bin" | cut -f1) $bin, $(du -h "$out/$archive" | cut -f1) $out/$archive"
printf '%s\n' "$bin" "$out/$archive" "$out/$archive.sha256"
