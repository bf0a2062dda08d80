// The container image of scripts/image/build-image.mjs: a valid OCI image layout (every digest and size verifies),
// and its root filesystem runs `watch --once` as user 65532 against the real API server with nothing but what a pod
// has: the service account mount at its real path, KUBERNETES_SERVICE_HOST/PORT, no kubeconfig.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../tools/promparse.js';
import { cluster, kubectl, kubectlJson, kubectlOk, waitFor } from './harness.js';
import { executable, runFileOk } from './packaged.js';
import { blockedOf, mintToken, serviceAccountMount } from './watch-support.js';

const NS = 'image-blocked';
const exe = executable('linux/amd64');

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

describe('the container image', () => {
  const out = mkdtempSync(join(tmpdir(), 'ns-doctor-image-'));
  const layout = join(out, 'image');
  const blob = (d: Descriptor) => readFileSync(join(layout, 'blobs', 'sha256', d.digest.replace(/^sha256:/, '')));
  const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

  beforeAll(async () => {
    const bundle = join(cluster().repoRoot, 'dist/ns-doctor.cjs');
    if (!existsSync(exe) || statSync(exe).mtimeMs < statSync(bundle).mtimeMs) {
      await runFileOk('bash', ['scripts/package/package.sh', '--no-build', '--platform', 'linux/amd64'], process.env, 600_000);
    }
    await runFileOk(join(cluster().repoRoot, 'node_modules/.bin/node'), ['scripts/image/build-image.mjs', '--binary', exe, '--out', out, '--tag', 'ns-doctor:e2e'], process.env, 300_000);
  });

  afterAll(async () => {
    await kubectl(['patch', 'namespace', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await kubectl(['delete', '-k', join(cluster().repoRoot, 'deploy/kustomize/base'), '--ignore-not-found', '--timeout=60s']);
    rmSync(out, { recursive: true, force: true });
  });

  it('is an OCI image layout whose index, manifest, config and layer all verify', () => {
    expect(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { schemaVersion: number; manifests: (Descriptor & { annotations: Record<string, string> })[] };
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests).toHaveLength(1);
    const [manifestRef] = index.manifests;
    expect(manifestRef.annotations['io.containerd.image.name']).toBe('ns-doctor:e2e');
    const check = (d: Descriptor) => {
      const data = blob(d);
      expect([sha256(data), data.length]).toEqual([d.digest, d.size]);
      return data;
    };
    const manifest = JSON.parse(check(manifestRef).toString()) as { schemaVersion: number; mediaType: string; config: Descriptor; layers: Descriptor[] };
    expect(manifest).toMatchObject({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    const config = JSON.parse(check(manifest.config).toString()) as {
      os: string;
      architecture: string;
      config: { User: string; Entrypoint: string[]; Cmd: string[]; ExposedPorts: Record<string, unknown> };
      rootfs: { type: string; diff_ids: string[] };
    };
    expect([config.os, config.architecture]).toEqual(['linux', 'amd64']);
    expect(config.config.User).toBe('65532:65532');
    expect(config.config.Entrypoint).toEqual(['/kubectl-ns_doctor']);
    expect(config.config.Cmd[0]).toBe('watch');
    expect(Object.keys(config.config.ExposedPorts)).toEqual(['9898/tcp']);
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    const layer = check(manifest.layers[0]);
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [sha256(gunzipSync(layer))] });
    // The one-file archive holds the same layout.
    const listing = spawnSync('tar', ['-tf', join(out, 'ns-doctor-image.oci.tar')], { encoding: 'utf8' }).stdout;
    expect(listing).toContain('./index.json');
    expect(listing).toContain(`./blobs/sha256/${manifest.layers[0].digest.slice(7)}`);
  });

  it('runs from its own root filesystem as user 65532 with only a pod’s service account, and scans the cluster', async () => {
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const manifest = JSON.parse(blob(index.manifests[0]).toString()) as { layers: Descriptor[] };
    const rootfs = join(out, 'rootfs');
    mkdirSync(rootfs);
    const untar = spawnSync('tar', ['-xzf', join(layout, 'blobs', 'sha256', manifest.layers[0].digest.slice(7)), '-C', rootfs]);
    expect(untar.status).toBe(0);
    expect(readFileSync(join(rootfs, 'etc/passwd'), 'utf8')).toMatch(/^nonroot:x:65532:65532:/m);
    expect(statSync(join(rootfs, 'kubectl-ns_doctor')).mode & 0o777).toBe(0o755);
    expect(statSync(join(rootfs, 'home/nonroot')).uid).toBe(65532);

    await kubectlOk(['apply', '-k', join(cluster().repoRoot, 'deploy/kustomize/base')]);
    serviceAccountMount(await mintToken(), rootfs, 'var/run/secrets/kubernetes.io/serviceaccount');
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, finalizers: ['example.com/image-hold'] } }) });
    await kubectlOk(['delete', 'namespace', NS, '--wait=false']);
    await waitFor('the namespace to be Terminating and emptied', async () => {
      const ns = await kubectlJson<{ spec?: { finalizers?: string[] } }>(['get', 'namespace', NS]);
      return (ns.spec?.finalizers ?? []).length === 0 || undefined;
    });

    const server = new URL(cluster().apiserverUrl);
    const where = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).stdout.trim();
    // As root, chroot can drop to 65532 itself; otherwise an unprivileged user namespace stands in for it.
    const command =
      process.getuid?.() === 0
        ? [where('chroot'), '--userspec=65532:65532', rootfs, '/kubectl-ns_doctor', 'watch', '--once']
        : [where('unshare'), '--user', '--map-root-user', where('chroot'), rootfs, '/kubectl-ns_doctor', 'watch', '--once'];
    // The whole environment of the process: what the kubelet gives a pod (no PATH, no HOME, no KUBECONFIG).
    const env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
    const [file, ...args] = command as [string, ...string[]];
    const run = spawnSync(file, args, { encoding: 'utf8', timeout: 120_000, env });
    expect(run.stderr).toMatch(/watch: scan 1: \d+ Terminating/);
    expect(run.status).toBe(1);
    const parsed = parseExposition(run.stdout);
    expect(parsed.ns_doctor_last_scan_success?.samples?.[0]?.value).toBe(1);
    expect(blockedOf(parsed, NS)[0]).toMatch(/^NamespaceMetadataFinalizerRemaining /);
  });
});
