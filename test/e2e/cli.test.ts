// The CLI features a user touches besides the verdict: --wait, -v, snapshots, output formats, kubeconfig merging
// and shell completion, all through `kubectl ns-doctor` on the real control plane.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as parse } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { cluster, diagnose, kubectl, kubectlOk, nsDoctor, run, useScenario } from './harness.js';

const held = 'e2e-cli-held';
const work = mkdtempSync(join(tmpdir(), 'nsd-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('CLI on a real cluster', () => {
  useScenario('crd-finalizer', held);

  it('-v lists every request with status and size, and a total that matches stats.requests', async () => {
    const r = await nsDoctor([held, '-o', 'json', '-v']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    const requestLines = r.stderr.split('\n').filter((l) => l.startsWith('GET '));
    expect(requestLines.length).toBe(report.stats.requests);
    for (const line of requestLines) expect(line).toMatch(/^GET \/\S+ 200 [\d.]+ (B|KiB|MiB) \d+ms/);
    expect(r.stderr).toMatch(new RegExp(`^${report.stats.requests} requests \\(0 retries\\), .* received in \\d+ ms$`, 'm'));
    // Gentle: every unselected LIST asks the watch cache (NotOlderThan) and is paginated.
    const lists = requestLines.map((l) => l.split(' ')[1]).filter((p) => p.includes('limit='));
    expect(lists.length).toBeGreaterThan(20);
    for (const path of lists.filter((p) => !p.includes('Selector='))) expect(path).toContain('resourceVersionMatch=NotOlderThan');
    expect(requestLines.some((l) => /\/secrets\/[^?]/.test(l))).toBe(false); // never GETs a Secret
  });

  it('--save-snapshot then --from-snapshot gives the same diagnosis without a cluster', async () => {
    const file = join(work, 'snap.json');
    const live = await diagnose(held, ['--save-snapshot', file]);
    const offline = await run(process.execPath, [join(cluster().repoRoot, 'dist/cli.cjs'), '--from-snapshot', file, '-o', 'json'], {
      kubeconfig: join(work, 'does-not-exist'),
    });
    expect(offline.code, offline.stderr).toBe(1);
    const report = JSON.parse(offline.stdout);
    expect(report.blockers.map((b: { id: string }) => b.id)).toEqual(live.report.blockers.map((b) => b.id));
    expect(report.remaining).toEqual(live.report.remaining);
    // Judged at the time the file was taken, not at today's clock: the same file, a second later, says the same.
    const takenAt = Date.parse((JSON.parse(readFileSync(file, 'utf8')) as { snapshots: { takenAt: string }[] }).snapshots[0].takenAt);
    expect(report.terminatingForSeconds).toBe(Math.round((takenAt - Date.parse(report.deletionTimestamp)) / 1000));
    await new Promise((r) => setTimeout(r, 1_100));
    const again = await run(process.execPath, [join(cluster().repoRoot, 'dist/cli.cjs'), '--from-snapshot', file, '-o', 'json'], {
      kubeconfig: join(work, 'does-not-exist'),
    });
    expect(again.stdout).toBe(offline.stdout);
  });

  it('-o yaml and -o markdown carry the same findings', async () => {
    const yaml = await nsDoctor([held, '-o', 'yaml']);
    expect(yaml.code).toBe(1);
    expect((parse(yaml.stdout) as { blockers: { id: string }[] }).blockers[0].id).toBe('FinalizerOwnerMissing');
    const md = await nsDoctor([held, '-o', 'markdown']);
    expect(md.stdout).toContain(`## ns-doctor: \`${held}\` — Blocked`);
  });

  it('--wait reports progress and exits 0 when the namespace finishes while watched', async () => {
    const waiting = nsDoctor([held, '--wait', '60s', '-o', 'json']);
    await new Promise((r) => setTimeout(r, 3_000));
    await kubectlOk(['-n', held, 'patch', 'databasebackups.example.ns-doctor.dev', 'nightly', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const r = await waiting;
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('NotTerminating');
    expect(report.progress).toMatchObject({ namespaceGone: true, objectsBefore: 1, objectsAfter: 0, stalled: false });
    expect(report.progress.waitedSeconds).toBeLessThan(60);
  });
});

describe('kubeconfig like kubectl', () => {
  it('KUBECONFIG with several files: the first file that sets current-context wins', async () => {
    const admin = readFileSync(cluster().kubeconfig, 'utf8');
    const decoy = join(work, 'decoy.yaml');
    const real = join(work, 'real.yaml');
    writeFileSync(real, admin);
    writeFileSync(
      decoy,
      [
        'apiVersion: v1', 'kind: Config', 'current-context: decoy',
        'clusters: [{name: decoy, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: decoy, user: {token: x}}]',
        'contexts: [{name: decoy, context: {cluster: decoy, user: decoy}}]',
      ].join('\n'),
    );
    // real first: its current-context is used.
    const ok = await nsDoctor(['default'], { env: { KUBECONFIG: `${real}:${decoy}` } });
    expect(ok.code, ok.stderr).toBe(0);
    // decoy first: the unreachable server is used, and that is exit 2 with one line.
    const refused = await nsDoctor(['default'], { env: { KUBECONFIG: `${decoy}:${real}` } });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/connection refused|cannot reach/);
    // --context picks the other one, as kubectl's flag does.
    const admins = await kubectlOk(['config', 'current-context']);
    const picked = await nsDoctor(['default', '--context', admins.trim()], { env: { KUBECONFIG: `${decoy}:${real}` } });
    expect(picked.code, picked.stderr).toBe(0);
  });

  it('expired or unknown credentials: exit 2, one line', async () => {
    const bad = join(work, 'bad-token.yaml');
    const admin = parse(readFileSync(cluster().kubeconfig, 'utf8')) as { users: { user: unknown }[] };
    admin.users[0].user = { token: 'expired-token' };
    writeFileSync(bad, JSON.stringify(admin));
    const r = await nsDoctor(['default'], { kubeconfig: bad });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: 401/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('shell completion through kubectl', () => {
  it('kubectl __complete ns-doctor offers namespaces through kubectl_complete-ns_doctor', async () => {
    const script = await nsDoctor(['completion']);
    const dir = mkdtempSync(join(tmpdir(), 'nsd-compl-'));
    const file = join(dir, 'kubectl_complete-ns_doctor');
    writeFileSync(file, script.stdout, { mode: 0o755 });
    const r = await kubectl(['__complete', 'ns-doctor', 'kube-'], { env: { PATH: `${dir}:${cluster().path}` } });
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['kube-node-lease', 'kube-public', 'kube-system', ':4']));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('exec credential plugins (EKS/GKE/AKS style)', () => {
  function execKubeconfig(command: string, extra: Record<string, unknown> = {}): string {
    const admin = parse(readFileSync(cluster().kubeconfig, 'utf8')) as { users: { user: unknown }[] };
    admin.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never', ...extra } };
    const file = join(work, `exec-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, JSON.stringify(admin));
    return file;
  }

  it('authenticates with the credential the plugin prints', async () => {
    const pki = join(cluster().stateDir, 'pki');
    const plugin = join(work, 'fake-cloud-login');
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { clientCertificateData: readFileSync(join(pki, 'admin.crt'), 'utf8'), clientKeyData: readFileSync(join(pki, 'admin.key'), 'utf8') },
    };
    const seen = join(work, 'exec-info.json');
    writeFileSync(plugin, `#!/bin/sh\nprintf '%s' "$KUBERNETES_EXEC_INFO" > '${seen}'\ncat <<'JSON'\n${JSON.stringify(credential)}\nJSON\n`, { mode: 0o755 });
    const { result, report } = await diagnose('kube-system', [], { kubeconfig: execKubeconfig(plugin, { provideClusterInfo: true }) });
    expect(result.code, result.stderr).toBe(0);
    expect(report.verdict).toBe('NotTerminating');
    // What kubectl gives a plugin: the version to answer in, not interactive, the cluster when asked for.
    const info = JSON.parse(readFileSync(seen, 'utf8'));
    expect(info).toMatchObject({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } });
    expect(info.spec.cluster.server).toBe(cluster().apiserverUrl);
    expect(Buffer.from(info.spec.cluster['certificate-authority-data'], 'base64').toString()).toContain('BEGIN CERTIFICATE');
  });

  it('a failing plugin (expired login) is exit 2 with one line', async () => {
    const plugin = join(work, 'expired-login');
    writeFileSync(plugin, '#!/bin/sh\necho "error: the SSO session has expired" >&2\nexit 1\n', { mode: 0o755 });
    const r = await nsDoctor(['kube-system'], { kubeconfig: execKubeconfig(plugin) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: cannot get credentials/);
  });
});
