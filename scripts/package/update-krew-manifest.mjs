#!/usr/bin/env node
// Writes the plugin version and, for each archive given, that platform's uri and sha256 into the krew
// manifest, so the manifest never drifts from the artifacts. Platforms without an archive here keep the
// values they have (those of the last release), unless --only-given drops them.
//
//   node scripts/package/update-krew-manifest.mjs [options] out/kubectl-ns_doctor_<os>_<arch>.tar.gz ...
//     --manifest FILE    manifest to read (default: krew-manifest.yaml)
//     --output FILE      where to write (default: the manifest itself)
//     --base-url URL     where the archives are downloaded from
//                        (default: https://github.com/<repo>/releases/download/v<version>, where <repo> is
//                        $GITHUB_REPOSITORY or taken from the manifest's homepage)
//     --only-given       keep only the platforms an archive was given for (a manifest for a local test)
//
// Only the `version`, `uri` and `sha256` lines are rewritten; everything else in the manifest stays as written.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

const ARCHIVE = /^kubectl-ns_doctor_(linux|darwin|windows)_(amd64|arm64)\.(tar\.gz|zip)$/;

function fail(message) {
  process.stderr.write(`update-krew-manifest: ${message}\n`);
  process.exit(1);
}

const { values: opts, positionals: archives } = parseArgs({
  allowPositionals: true,
  options: {
    manifest: { type: 'string', default: 'krew-manifest.yaml' },
    output: { type: 'string' },
    'base-url': { type: 'string' },
    'only-given': { type: 'boolean', default: false },
  },
});

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const version = `v${pkg.version}`;
const lines = readFileSync(opts.manifest, 'utf8').split('\n');

function baseUrl() {
  if (opts['base-url']) return opts['base-url'].replace(/\/+$/, '');
  let repo = process.env.GITHUB_REPOSITORY;
  if (!repo) {
    const homepage = lines.map((l) => l.match(/^\s+homepage:\s*(\S+)/)).find(Boolean)?.[1];
    repo = homepage?.match(/^https:\/\/github\.com\/([^/]+\/[^/]+?)\/?$/)?.[1];
  }
  if (!repo) fail('cannot tell the GitHub repository: pass --base-url or set GITHUB_REPOSITORY');
  return `https://github.com/${repo}/releases/download/${version}`;
}

const updates = new Map(); // "os/arch" -> { uri, sha256 }
for (const path of archives) {
  const m = basename(path).match(ARCHIVE);
  if (!m) fail(`${path}: expected a name like kubectl-ns_doctor_linux_amd64.tar.gz`);
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  updates.set(`${m[1]}/${m[2]}`, { uri: `${baseUrl()}/${basename(path)}`, sha256 });
}

// Platform entries are the "- " items under spec.platforms; the list ends at the first line that is
// indented less than its items, or as much but is not an item.
const platformsAt = lines.findIndex((l) => /^\s+platforms:\s*$/.test(l));
if (platformsAt < 0) fail(`${opts.manifest}: no spec.platforms`);
const blocks = [];
let itemIndent = -1;
for (let i = platformsAt + 1; i <= lines.length; i++) {
  const line = lines[i] ?? '';
  if (i < lines.length && (line.trim() === '' || line.trim().startsWith('#'))) continue;
  const indent = i < lines.length ? line.search(/\S/) : -1;
  const isItem = line.trimStart().startsWith('- ');
  if (itemIndent < 0 && isItem) itemIndent = indent;
  if (indent < itemIndent || (indent === itemIndent && !isItem) || i === lines.length) {
    if (blocks.length) blocks.at(-1).end = i;
    break;
  }
  if (indent === itemIndent && isItem) {
    if (blocks.length) blocks.at(-1).end = i;
    blocks.push({ start: i, end: lines.length });
  }
}

const label = (block, key) =>
  lines.slice(block.start, block.end).map((l) => l.match(new RegExp(`^\\s+(?:- )?${key}:\\s*(\\S+)`))).find(Boolean)?.[1];
const seen = new Set();
const drop = new Set();
for (const block of blocks) {
  const platform = `${label(block, 'os')}/${label(block, 'arch')}`;
  if (seen.has(platform)) fail(`${opts.manifest}: ${platform} appears twice`);
  seen.add(platform);
  const update = updates.get(platform);
  if (!update) {
    if (opts['only-given']) drop.add(block);
    else process.stderr.write(`update-krew-manifest: no archive for ${platform}, keeping its uri and sha256\n`);
    continue;
  }
  for (let i = block.start; i < block.end; i++) {
    lines[i] = lines[i]
      .replace(/^(\s+(?:- )?uri:\s*).*$/, `$1${update.uri}`)
      .replace(/^(\s+(?:- )?sha256:\s*).*$/, `$1"${update.sha256}"`);
  }
}
for (const platform of updates.keys()) {
  if (!seen.has(platform)) fail(`${opts.manifest} has no platform entry for ${platform}`);
}

let versionSet = false;
const out = lines
  .map((l) => {
    const m = l.match(/^(\s+version:\s*).*$/);
    if (m && !versionSet) {
      versionSet = true;
      return `${m[1]}${version}`;
    }
    return l;
  })
  .filter((_, i) => ![...drop].some((b) => i >= b.start && i < b.end));
if (!versionSet) fail(`${opts.manifest}: no spec.version`);

const target = opts.output ?? opts.manifest;
writeFileSync(target, out.join('\n'));
process.stderr.write(
  `update-krew-manifest: ${target}: ${version}, ${[...updates.keys()].join(', ') || 'no platform'} updated\n`,
);
