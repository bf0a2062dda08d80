// Builds the container image of `kubectl ns-doctor watch` from the single-file executable (scripts/package), with no
// Docker and no registry: an OCI image layout (out/image/: oci-layout, index.json, blobs/sha256/...) and the same
// layout as one tar (out/ns-doctor-image.oci.tar) that `docker load` (25+), `podman load` and
// `skopeo copy oci-archive:` take.
//   node scripts/image/build-image.mjs [--binary out/linux_amd64/kubectl-ns_doctor] [--out out] [--tag ns-doctor:VERSION]
//
// The base is minimal and built here: the executable is a Node.js binary linked against glibc, so the image holds it,
// the glibc/libstdc++/libgcc shared objects it needs (as `ldd` names them, copied from this machine, with their
// copyright files), /etc/passwd and /etc/group with the user nonroot (65532), /etc/nsswitch.conf, /tmp, and
// LICENSE. No shell, no package manager, no CA bundle (Node carries its own; in a pod the service account's CA is
// used). One layer, written by a tar writer of our own: every entry root-owned unless said, mtime from
// SOURCE_DATE_EPOCH (default 0), entries sorted — the same inputs give the same digests.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const root = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const binary = path.resolve(flag('--binary', path.join(root, 'out/linux_amd64/kubectl-ns_doctor')));
const outDir = path.resolve(flag('--out', path.join(root, 'out')));
const tag = flag('--tag', `ns-doctor:${version}`);
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 0);
const NONROOT = 65532;

function die(message) {
  process.stderr.write(`build-image: ${message}\n`);
  process.exit(1);
}
if (!existsSync(binary)) die(`no executable at ${binary} (build it: bash scripts/package/package.sh --platform linux/amd64)`);

/** Shared objects the executable loads, as the dynamic loader resolves them here: [path in the image, file here]. */
function sharedObjects(executable) {
  const out = execFileSync('ldd', [executable], { encoding: 'utf8' });
  const found = [];
  for (const line of out.split('\n')) {
    const linked = /^\s*(\S+) => (\/\S+) \(/.exec(line);
    const loader = /^\s*(\/\S+) \(/.exec(line);
    const where = linked?.[2] ?? loader?.[1];
    if (where) found.push([where, realpathSync(where)]);
    else if (/not found/.test(line)) die(`ldd: ${line.trim()}`);
  }
  if (!found.some(([p]) => p.includes('ld-linux'))) die('ldd named no dynamic loader: is the executable for linux/amd64?');
  return found;
}

/** The Debian copyright file of the package that ships a file, if dpkg knows it (glibc and GCC runtime licences). */
function copyrightOf(file) {
  try {
    const owner = execFileSync('dpkg', ['-S', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0];
    const copyright = `/usr/share/doc/${owner}/copyright`;
    return existsSync(copyright) ? [`/usr/share/doc/${owner}/copyright`, copyright] : undefined;
  } catch {
    return undefined;
  }
}

// entries: { path (no leading /), type: 'file'|'dir', mode, uid, gid, data? }
const entries = new Map();
const dir = (p, mode = 0o755, uid = 0) => entries.set(p, { path: p, type: 'dir', mode, uid, gid: uid });
const file = (p, data, mode = 0o644) => {
  const parts = p.split('/');
  for (let i = 1; i < parts.length; i++) if (!entries.has(parts.slice(0, i).join('/'))) dir(parts.slice(0, i).join('/'));
  entries.set(p, { path: p, type: 'file', mode, uid: 0, gid: 0, data: Buffer.from(data) });
};

file('kubectl-ns_doctor', readFileSync(binary), 0o755);
for (const [inImage, here] of sharedObjects(binary)) {
  file(inImage.slice(1), readFileSync(here), 0o755);
  const copyright = copyrightOf(here) ?? copyrightOf(inImage);
  if (copyright) file(copyright[0].slice(1), readFileSync(copyright[1]));
}
file('etc/passwd', `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`);
file('etc/group', `root:x:0:\nnonroot:x:${NONROOT}:\n`);
file('etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n');
file('licenses/ns-doctor/LICENSE', readFileSync(path.join(root, 'LICENSE')));
dir('tmp', 0o1777);
dir('home');
dir('home/nonroot', 0o700, NONROOT);

// --- ustar ---
function header(entry, size) {
  const h = Buffer.alloc(512);
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) die(`path too long for ustar: ${name}`);
  }
  const octal = (value, width) => value.toString(8).padStart(width - 1, '0') + '\0';
  h.write(base, 0, 100, 'utf8');
  h.write(octal(entry.mode, 8), 100, 8, 'ascii');
  h.write(octal(entry.uid, 8), 108, 8, 'ascii');
  h.write(octal(entry.gid, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(epoch, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(entry.type === 'dir' ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(entry.uid === NONROOT ? 'nonroot' : 'root', 265, 32, 'ascii');
  h.write(entry.gid === NONROOT ? 'nonroot' : 'root', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

const chunks = [];
for (const entry of [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
  const size = entry.type === 'file' ? entry.data.length : 0;
  chunks.push(header(entry, size));
  if (size) {
    chunks.push(entry.data);
    if (size % 512) chunks.push(Buffer.alloc(512 - (size % 512)));
  }
}
chunks.push(Buffer.alloc(1024));
const tar = Buffer.concat(chunks);
const layer = gzipSync(tar, { level: 9 });

// --- OCI ---
const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const layoutDir = path.join(outDir, 'image');
rmSync(layoutDir, { recursive: true, force: true });
mkdirSync(path.join(layoutDir, 'blobs/sha256'), { recursive: true });
const blob = (data, mediaType, extra = {}) => {
  const digest = sha256(data);
  writeFileSync(path.join(layoutDir, 'blobs/sha256', digest.slice(7)), data);
  return { mediaType, digest, size: data.length, ...extra };
};

const created = new Date(epoch * 1000).toISOString();
const labels = {
  'org.opencontainers.image.title': 'ns-doctor',
  'org.opencontainers.image.description': 'kubectl ns-doctor watch: why namespaces are stuck Terminating, as Prometheus metrics',
  'org.opencontainers.image.version': version,
  'org.opencontainers.image.licenses': 'Apache-2.0',
  'org.opencontainers.image.source': 'https://github.com/ns-doctor/ns-doctor',
};
const layerDescriptor = blob(layer, 'application/vnd.oci.image.layer.v1.tar+gzip');
const config = Buffer.from(
  JSON.stringify({
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: `${NONROOT}:${NONROOT}`,
      Entrypoint: ['/kubectl-ns_doctor'],
      Cmd: ['watch', '--listen', ':9898'],
      Env: ['PATH=/', 'HOME=/home/nonroot'],
      WorkingDir: '/',
      ExposedPorts: { '9898/tcp': {} },
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    history: [{ created, created_by: 'scripts/image/build-image.mjs: kubectl-ns_doctor, its shared objects, passwd/group (nonroot 65532)' }],
  }),
);
const configDescriptor = blob(config, 'application/vnd.oci.image.config.v1+json');
const manifest = Buffer.from(
  JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDescriptor, layers: [layerDescriptor], annotations: labels }),
);
const manifestDescriptor = blob(manifest, 'application/vnd.oci.image.manifest.v1+json', {
  platform: { architecture: 'amd64', os: 'linux' },
  annotations: { 'org.opencontainers.image.ref.name': tag.split(':').at(-1), 'io.containerd.image.name': tag },
});
writeFileSync(path.join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
writeFileSync(path.join(layoutDir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [manifestDescriptor] }));

const archive = path.join(outDir, 'ns-doctor-image.oci.tar');
execFileSync('tar', ['--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner', '-cf', archive, '-C', layoutDir, '.']);
process.stdout.write(
  `${tag} ${manifestDescriptor.digest}\n` +
    `  layout  ${path.relative(root, layoutDir)}/ (layer ${(layer.length / 1024 / 1024).toFixed(1)} MiB gzip, ${(tar.length / 1024 / 1024).toFixed(1)} MiB tar)\n` +
    `  archive ${path.relative(root, archive)} (${(statSync(archive).size / 1024 / 1024).toFixed(1)} MiB): docker load -i / podman load -i / skopeo copy oci-archive:\n`,
);
