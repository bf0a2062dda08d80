// The release path end to end: the single-file executable from scripts/package/package.sh, a krew
// manifest filled from its archive and checked by krew's own validator, `kubectl krew install` of that
// archive into a throw-away KREW_ROOT, and a real diagnosis through the installed `kubectl ns-doctor`.
import {
  copyFileSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, kubectl as clusterKubectl, kubectlOk } from './harness.js';
import { archive as archiveOf, archiveName as archiveNameOf, ensurePackaged, pkgVersion, root, runFile as run, runFileOk as runOk } from './packaged.js';

const node24 = join(root, 'node_modules/node/bin/node');
const archiveName = archiveNameOf('linux/amd64');
const archive = archiveOf('linux/amd64');

function serveArchive(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== `/${archiveName}`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip' });
    createReadStream(archive).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

describe('krew install of the single-file executable', () => {
  let work: string;
  let krewBin: string;
  let kubectl: string;
  let kubeconfig: string;
  let server: Server;
  let localManifest: string;
  let pathDir: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ns-doctor-krew-'));
    ({ kubectl, kubeconfig } = cluster());
    krewBin = (await runOk('bash', ['scripts/package/build-krew.sh', '--print-bin-dir'], process.env, 600_000)).trim();
    await ensurePackaged();
    server = await serveArchive();
    const port = (server.address() as AddressInfo).port;

    // krew's validator wants the file named after the plugin.
    mkdirSync(join(work, 'local'));
    localManifest = join(work, 'local', 'ns-doctor.yaml');
    await runOk(node24, [
      'scripts/package/update-krew-manifest.mjs',
      '--output', localManifest,
      '--only-given',
      '--base-url', `http://127.0.0.1:${port}`,
      archive,
    ]);

    // kubectl finds plugins on PATH: krew itself as kubectl-krew, and what krew installs in $KREW_ROOT/bin.
    pathDir = join(work, 'path');
    mkdirSync(pathDir);
    symlinkSync(join(krewBin, 'krew'), join(pathDir, 'kubectl-krew'));
    symlinkSync(kubectl, join(pathDir, 'kubectl'));
  }, 900_000);

  afterAll(async () => {
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // Not the harness's environment: its PATH holds the development shim kubectl-ns_doctor, which would
  // shadow the plugin krew installs.
  const krewEnv = (krewRoot: string): NodeJS.ProcessEnv => ({
    PATH: [pathDir, join(krewRoot, 'bin'), '/usr/bin', '/bin'].join(delimiter),
    HOME: work,
    KREW_ROOT: krewRoot,
    KREW_NO_UPGRADE_CHECK: '1',
    KUBECONFIG: kubeconfig,
  });

  it('the committed krew-manifest.yaml passes krew validation and carries the package version', async () => {
    const copy = join(work, 'ns-doctor.yaml');
    copyFileSync(join(root, 'krew-manifest.yaml'), copy);
    const r = await run(join(krewBin, 'validate-krew-manifest'), ['-manifest', copy, '-skip-install']);
    expect(r.stderr).toContain('structural validation OK');
    expect(r.stderr).toContain('no overlapping spec.platform[].selector');
    expect(r.code).toBe(0);
    expect(readFileSync(copy, 'utf8')).toMatch(new RegExp(`^  version: v${pkgVersion.replace(/\./g, '\\.')}$`, 'm'));
  }, 30_000);

  it('the manifest filled from the built archive installs through krew validator, LICENSE included', async () => {
    const manifest = readFileSync(localManifest, 'utf8');
    const sha = readFileSync(`${archive}.sha256`, 'utf8').split(/\s+/)[0];
    expect(sha).toMatch(/^[a-f0-9]{64}$/);
    expect(manifest).toContain(`sha256: "${sha}"`);
    expect(manifest).toContain(`version: v${pkgVersion}`);
    const r = await run(join(krewBin, 'validate-krew-manifest'), ['-manifest', localManifest], {
      PATH: [pathDir, '/usr/bin', '/bin'].join(delimiter),
      HOME: work,
    });
    expect(r.stderr).toContain('all 1 spec.platforms installed fine');
    expect(r.code).toBe(0);
  }, 120_000);

  describe('kubectl krew install --manifest --archive', () => {
    let krewRoot: string;

    beforeAll(async () => {
      krewRoot = join(work, 'krew-root');
      await runOk('kubectl', ['krew', 'install', `--manifest=${localManifest}`, `--archive=${archive}`], krewEnv(krewRoot));
    }, 120_000);

    it('installs the binary and LICENSE under KREW_ROOT', () => {
      const store = join(krewRoot, 'store', 'ns-doctor', `v${pkgVersion}`);
      expect(readdirSync(store).sort()).toEqual(['LICENSE', 'kubectl-ns_doctor']);
      expect(statSync(join(store, 'kubectl-ns_doctor')).size).toBeGreaterThan(50 * 1024 * 1024);
      expect(readFileSync(join(store, 'LICENSE'), 'utf8')).toContain('Apache License');
    });

    it('kubectl resolves ns-doctor to the binary krew installed, and to nothing else', async () => {
      const out = await runOk('kubectl', ['plugin', 'list', '--name-only=false'], krewEnv(krewRoot));
      const nsDoctors = out.split('\n').filter((l) => l.includes('kubectl-ns_doctor'));
      expect(nsDoctors).toEqual([join(krewRoot, 'bin', 'kubectl-ns_doctor')]);
    }, 30_000);

    it('kubectl ns-doctor --version prints the package version', async () => {
      const out = await runOk('kubectl', ['ns-doctor', '--version'], krewEnv(krewRoot));
      expect(out.trim()).toBe(pkgVersion);
    }, 30_000);

    it('diagnoses an Active namespace: exit 0, verdict NotTerminating', async () => {
      const ns = `krew-e2e-${process.pid}`;
      await kubectlOk(['create', 'namespace', ns]);
      try {
        const r = await run('kubectl', ['ns-doctor', ns, '-o', 'json'], krewEnv(krewRoot));
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout);
        expect(report.namespace).toBe(ns);
        expect(report.phase).toBe('Active');
        expect(report.verdict).toBe('NotTerminating');
        expect(report.blockers).toEqual([]);
        expect(report.stats.requests).toBeGreaterThan(0);
      } finally {
        await clusterKubectl(['delete', 'namespace', ns, '--wait=false']);
      }
    }, 60_000);

    it('exits 3 for a namespace that does not exist', async () => {
      const r = await run('kubectl', ['ns-doctor', 'no-such-namespace-krew-e2e', '-o', 'json'], krewEnv(krewRoot));
      expect(r.code, r.stderr).toBe(3);
      expect(JSON.parse(r.stdout).verdict).toBe('NotFound');
    }, 60_000);
  });
});
