// Many clusters in one run, on two real control planes: the shared one of the e2e run (context "a") and a second one
// started here through scripts/control-plane/up.sh with its own state dir (context "b"), plus a context "down" whose
// server is a closed loopback port. The three come from a KUBECONFIG of three files, merged as kubectl merges them.
// The same namespace is stuck in both live clusters, for different causes. Expected: one report grouped by cluster
// then cause, the context on every item and group, "down" a named gap (never an abort), and the exit-code rule over
// all clusters.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportList } from '../../src/model/report.js';
import { stopByPids } from './global-setup.js';
import { cluster, kubectl, kubectlOk, nsDoctor, run, scenario, userKubeconfig, type RunOptions } from './harness.js';

const stuck = 'e2e-mc-stuck';
const active = 'e2e-mc-active';
const nowhere = 'e2e-mc-nowhere';

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
}

/** The control plane's admin kubeconfig, renamed to one context `name` (cluster and user alike), as a file of its own. */
function renamed(source: string, name: string, dir: string): string {
  const config = load(readFileSync(source, 'utf8')) as Kubeconfig;
  const file = join(dir, `${name}.kubeconfig`);
  const single = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': name,
    clusters: [{ name: `cluster-${name}`, cluster: config.clusters[0].cluster }],
    users: [{ name: `admin-${name}`, user: config.users[0].user }],
    contexts: [{ name, context: { cluster: `cluster-${name}`, user: `admin-${name}` } }],
  };
  writeFileSync(file, JSON.stringify(single), { mode: 0o600 });
  return file;
}

async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}

describe('many clusters: --context a --context b --context down, --all-contexts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-many-'));
  const stateB = join(dir, 'cluster-b');
  const stopB = () => stopByPids(stateB);
  let kubeconfigB = '';
  let merged: RunOptions;
  let downPort = 0;
  const doctor = (args: string[]) => nsDoctor(args, merged);
  const json = async (args: string[]) => {
    const r = await doctor([...args, '-o', 'json']);
    return { ...r, list: JSON.parse(r.stdout) as ReportList };
  };

  beforeAll(async () => {
    process.on('exit', stopB);
    const [up] = await Promise.all([
      run('bash', [join(cluster().repoRoot, 'scripts/control-plane/up.sh')], { env: { NS_DOCTOR_STATE_DIR: stateB, NS_DOCTOR_APISERVER_EXTRA_ARGS: undefined }, timeoutMs: 240_000 }),
      scenario('ns-finalizer', 'up', stuck),
    ]);
    if (up.code !== 0) throw new Error(`second control plane: up.sh failed (exit ${up.code}):\n${up.stderr}`);
    kubeconfigB = join(stateB, 'kubeconfig');
    const onB: RunOptions = { kubeconfig: kubeconfigB, env: { NS_DOCTOR_STATE_DIR: stateB } };
    await scenario('crd-finalizer', 'up', stuck, onB);
    await kubectlOk(['create', 'namespace', active], onB);

    downPort = await closedLoopbackPort();
    const down = join(dir, 'down.kubeconfig');
    writeFileSync(
      down,
      JSON.stringify({
        clusters: [{ name: 'cluster-down', cluster: { server: `https://127.0.0.1:${downPort}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'admin-down', user: { token: 'not-checked' } }],
        contexts: [{ name: 'down', context: { cluster: 'cluster-down', user: 'admin-down' } }],
      }),
    );
    const files = [renamed(cluster().kubeconfig, 'a', dir), renamed(kubeconfigB, 'b', dir), down];
    merged = { env: { KUBECONFIG: files.join(delimiter) } };
  }, 300_000);

  afterAll(async () => {
    stopB();
    process.off('exit', stopB);
    rmSync(dir, { recursive: true, force: true });
    await scenario('ns-finalizer', 'down', stuck);
  });

  it('one namespace in three contexts: one list, each item with its context, the down one a named gap, exit 1', async () => {
    const { code, list, stderr } = await json([stuck, '--context', 'a', '--context', 'b', '--context', 'down']);
    expect(code, stderr).toBe(1);
    expect(list.kind).toBe('NamespaceDiagnosisList');
    expect(list.items.map((r) => [r.context, r.namespace, r.verdict])).toEqual([
      ['a', stuck, 'Blocked'],
      ['b', stuck, 'Blocked'],
    ]);
    const ids = (r: Report) => r.blockers.map((b) => b.id);
    expect(ids(list.items[0])).toContain('NamespaceFinalizerRemaining');
    expect(ids(list.items[1])).toContain('FinalizerOwnerMissing');
    expect(ids(list.items[1])).not.toContain('NamespaceFinalizerRemaining');
    // Causes are per cluster: every group names the context it was found in, and only that cluster's namespaces.
    expect(new Set(list.groups?.map((g) => g.context))).toEqual(new Set(['a', 'b']));
    expect(list.groups?.find((g) => g.context === 'b')?.key).toMatch(/^Finalizer\/example\.ns-doctor\.dev\/snapshot-cleanup\//);
    const [a, b, down] = list.clusters!;
    expect([a?.context, a?.reachable, a?.namespaces, a?.server]).toEqual(['a', true, 1, cluster().apiserverUrl]);
    expect([b?.context, b?.reachable, b?.namespaces]).toEqual(['b', true, 1]);
    expect([down?.context, down?.reachable, down?.namespaces, down?.server]).toEqual(['down', false, 0, `https://127.0.0.1:${downPort}`]);
    expect(down?.gaps[0]?.reason).toMatch(/connection refused/);
    expect(list.stats.requests).toBe(a.stats.requests + b.stats.requests + down.stats.requests);
    expect(stderr).toMatch(/^error: context down is unreachable: connection refused/m);
  });

  it('text: grouped by cluster, in the order asked; the unreachable cluster named, not an abort', async () => {
    const r = await doctor([stuck, '--context', 'b', '--context', 'down', '--context', 'a']);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`namespace ${stuck} in 3 contexts: b BLOCKED, down UNREACHABLE, a BLOCKED`);
    const b = r.stdout.indexOf('── context b (https://127.0.0.1:');
    const down = r.stdout.indexOf(`── context down (https://127.0.0.1:${downPort}): UNREACHABLE`);
    const a = r.stdout.indexOf(`── context a (${cluster().apiserverUrl})`);
    expect(b).toBeGreaterThan(0);
    expect(down).toBeGreaterThan(b);
    expect(a).toBeGreaterThan(down);
    // Each cluster's cause is under its own heading.
    expect(r.stdout.indexOf('[FinalizerOwnerMissing]')).toBeGreaterThan(b);
    expect(r.stdout.indexOf('[FinalizerOwnerMissing]')).toBeLessThan(down);
    expect(r.stdout.indexOf('[NamespaceFinalizerRemaining]')).toBeGreaterThan(a);
    expect(r.stdout).toContain('  ? the API server: connection refused');
    expect(r.stdout).toContain('commands below are for context b: add --context b to each kubectl');
  });

  it('--all --all-contexts: every context of the merged kubeconfig, causes per cluster, -v per context', async () => {
    const r = await doctor(['--all', '--all-contexts', '-o', 'json', '-v']);
    expect(r.code, r.stderr).toBe(1);
    const list = JSON.parse(r.stdout) as ReportList;
    expect(list.clusters?.map((c) => [c.context, c.reachable])).toEqual([['a', true], ['b', true], ['down', false]]);
    const item = (context: string) => list.items.find((i) => i.context === context && i.namespace === stuck);
    expect(item('a')?.blockers.map((b) => b.id)).toContain('NamespaceFinalizerRemaining');
    expect(item('b')?.blockers.map((b) => b.id)).toContain('FinalizerOwnerMissing');
    expect(list.items.every((i) => i.context === 'a' || i.context === 'b')).toBe(true);
    // Items of one cluster come together, in the order of the contexts.
    const order = list.items.map((i) => i.context);
    expect(order).toEqual([...order].sort());
    expect(new Set(list.groups?.filter((g) => g.context === 'b').flatMap((g) => g.namespaces))).toEqual(new Set([stuck]));
    expect(list.clusters?.find((c) => c.context === 'b')?.namespaces).toBe(1);
    // -v: every request and a total, per context.
    const requests = r.stderr.split('\n').filter((l) => / GET \//.test(l));
    for (const context of ['a', 'b', 'down']) expect(requests.some((l) => l.startsWith(`[${context}] GET /api/v1/namespaces`)), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/^\[b\] \d+ requests \(\d+ retries\)/m);
    expect(r.stderr).toMatch(/^3 contexts: \d+ requests/m);
    const counted = (context: string) => requests.filter((l) => l.startsWith(`[${context}] `)).length;
    expect(list.clusters?.map((c) => c.stats.requests)).toEqual([counted('a'), counted('b'), counted('down')]);
  });

  it('--all --all-contexts as text and markdown: by cluster, then cause', async () => {
    const text = await doctor(['--all', '--all-contexts']);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout.split('\n')[0]).toMatch(/^3 contexts: \d+ namespaces? Terminating: .*BLOCKED.*; 1 context UNREACHABLE: down$/);
    const b = text.stdout.indexOf('── context b ');
    const down = text.stdout.indexOf('── context down ');
    expect(text.stdout.indexOf('── context a ')).toBeLessThan(b);
    const section = text.stdout.slice(b, down);
    expect(section).toMatch(/^1 namespace Terminating: 1 BLOCKED; 1 root cause$/m);
    expect(section).toMatch(/waits? on finalizer example\.ns-doctor\.dev\/snapshot-cleanup, and no running controller will remove it .*\[FinalizerOwnerMissing\]$/m);
    expect(section).toMatch(new RegExp(`^${stuck} +\\S+ +Blocked +finalizer example\\.ns-doctor\\.dev/snapshot-cleanup$`, 'm'));

    const markdown = await doctor(['--all', '--all-contexts', '-o', 'markdown']);
    expect(markdown.stdout).toMatch(/^# ns-doctor: 3 contexts:/);
    expect(markdown.stdout).toContain('## Context `b` — https://127.0.0.1:');
    expect(markdown.stdout).toContain(`## Context \`down\` — https://127.0.0.1:${downPort} — UNREACHABLE`);
  });

  it.each([
    ['not stuck in b, down unreachable: INCOMPLETE', [active, '--context', 'b', '--context', 'down'], 2],
    ['absent from a, not stuck in b', [active, '--context', 'a', '--context', 'b'], 0],
    ['in no cluster, every cluster read', [nowhere, '--context', 'a', '--context', 'b'], 3],
    ['in no cluster read, but down was not read', [nowhere, '--all-contexts'], 2],
  ])('exit code: %s', async (_, args, expected) => {
    const { code, list, stderr } = await json(args);
    expect(code, stderr).toBe(expected);
    expect(list.clusters?.length).toBe(args.includes('--all-contexts') ? 3 : 2);
  });

  it('a server that accepts and never answers is a named gap after --request-timeout, not a hang', async () => {
    // A loopback TCP server that takes connections and says nothing (no TLS handshake, no HTTP).
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
    const { port } = silent.address() as { port: number };
    const hung = join(dir, 'hung.kubeconfig');
    writeFileSync(
      hung,
      JSON.stringify({
        clusters: [{ name: 'cluster-hung', cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'admin-hung', user: { token: 'not-checked' } }],
        contexts: [{ name: 'hung', context: { cluster: 'cluster-hung', user: 'admin-hung' } }],
      }),
    );
    try {
      const started = Date.now();
      const r = await nsDoctor([active, '--context', 'b', '--context', 'hung', '--request-timeout', '2s', '-o', 'json'], {
        env: { KUBECONFIG: [merged.env!.KUBECONFIG, hung].join(delimiter) },
      });
      expect(r.code, r.stderr).toBe(2);
      expect(Date.now() - started).toBeLessThan(20_000);
      const list = JSON.parse(r.stdout) as ReportList;
      expect(list.items.map((i) => [i.context, i.verdict])).toEqual([['b', 'NotTerminating']]);
      const status = list.clusters?.find((c) => c.context === 'hung');
      expect(status?.reachable).toBe(false);
      expect(status?.gaps.map((g) => g.reason).join(' ')).toMatch(/timed out/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((closed) => silent.close(() => closed()));
    }
  });

  it('credentials refused and an untrusted server certificate are named gaps of their contexts', async () => {
    const a = load(readFileSync(cluster().kubeconfig, 'utf8')) as Kubeconfig;
    const b = load(readFileSync(kubeconfigB, 'utf8')) as Kubeconfig;
    const faulty = join(dir, 'faulty.kubeconfig');
    writeFileSync(
      faulty,
      JSON.stringify({
        clusters: [
          { name: 'cluster-a-again', cluster: a.clusters[0].cluster },
          // Cluster a's server with cluster b's CA: each control plane has a CA of its own.
          { name: 'cluster-a-wrong-ca', cluster: { ...a.clusters[0].cluster, 'certificate-authority': b.clusters[0].cluster['certificate-authority'] } },
        ],
        users: [
          { name: 'expired', user: { token: 'a-token-the-server-does-not-know' } },
          { name: 'admin-a-again', user: a.users[0].user },
        ],
        contexts: [
          { name: 'expired', context: { cluster: 'cluster-a-again', user: 'expired' } },
          { name: 'wrong-ca', context: { cluster: 'cluster-a-wrong-ca', user: 'admin-a-again' } },
        ],
      }),
      { mode: 0o600 },
    );
    const { code, stdout, stderr } = await nsDoctor([active, '--context', 'b', '--context', 'expired', '--context', 'wrong-ca', '-o', 'json'], {
      env: { KUBECONFIG: [merged.env!.KUBECONFIG, faulty].join(delimiter) },
    });
    const list = JSON.parse(stdout) as ReportList;
    expect(code, stderr).toBe(2);
    expect(list.items.map((i) => [i.context, i.verdict])).toEqual([['b', 'NotTerminating']]);
    const status = (context: string) => list.clusters?.find((c) => c.context === context);
    expect(status('expired')?.reachable).toBe(false);
    expect(status('expired')?.gaps[0]?.reason).toMatch(/^401 /);
    expect(status('wrong-ca')?.reachable).toBe(false);
    expect(status('wrong-ca')?.gaps[0]?.reason).toMatch(/^TLS failure talking to 127\.0\.0\.1:\d+: the server's certificate is signed by an authority the kubeconfig does not trust/);
  });

  it('--all where the namespaces may not be listed (403): that context INCOMPLETE with its reason, the others as usual', async () => {
    // A user of cluster a with no role at all: authenticated, and forbidden to list namespaces.
    const nobody = renamed(await userKubeconfig('e2e-mc-nobody'), 'nobody', dir);
    const r = await nsDoctor(['--all', '--context', 'b', '--context', 'nobody', '-o', 'json'], {
      env: { KUBECONFIG: [merged.env!.KUBECONFIG, nobody].join(delimiter) },
    });
    expect(r.code, r.stderr).toBe(1);
    const list = JSON.parse(r.stdout) as ReportList;
    expect(list.items.map((i) => [i.context, i.namespace])).toEqual([['b', stuck]]);
    const status = list.clusters?.find((c) => c.context === 'nobody');
    expect([status?.reachable, status?.namespaces, status?.gaps[0]?.what, status?.gaps[0]?.httpStatus]).toEqual([true, 0, 'list namespaces', 403]);
    expect(r.stderr).toMatch(/^error: context nobody: list namespaces: 403 /m);
    const text = await nsDoctor(['--all', '--context', 'nobody', '--context', 'down'], { env: { KUBECONFIG: [merged.env!.KUBECONFIG, nobody].join(delimiter) } });
    expect(text.code).toBe(2);
    expect(text.stdout.split('\n')[0]).toBe('2 contexts: no namespace Terminating; 1 context UNREACHABLE: down; 1 context INCOMPLETE: nobody');
  });

  it('completion through kubectl offers the contexts not given yet after a repeated --context', async () => {
    const script = await nsDoctor(['completion']);
    const bin = join(dir, 'completion-bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'kubectl_complete-ns_doctor'), script.stdout, { mode: 0o755 });
    const r = await kubectl(['__complete', 'ns-doctor', stuck, '--context', 'a', '--context', ''], {
      env: { ...merged.env, PATH: `${bin}:${cluster().path}` },
    });
    expect(r.stdout).toBe('b\ndown\n:4\n');
  });

  it('an unknown context or fix over many clusters is a usage error in one line', async () => {
    const unknown = await doctor([stuck, '--context', 'a', '--context', 'nope']);
    expect(unknown.code).toBe(64);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe('error: context "nope" not found in kubeconfig (it has: a, b, down)\n');
    const fix = await doctor(['fix', stuck, '--context', 'a', '--context', 'b']);
    expect(fix.code).toBe(64);
    expect(fix.stderr.split('\n')[0]).toBe('error: fix works on one cluster at a time: give a single --context (not several, nor --all-contexts)');
  });

  it('one context is the one-cluster report as before: no list, no context field', async () => {
    const r = await doctor([stuck, '--context', 'b', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report.kind).toBe('NamespaceDiagnosis');
    expect(report).not.toHaveProperty('context');
    // The same bytes as reading cluster b through its own kubeconfig, but for numbers and durations (ages, timings,
    // sizes: "1m" one run, "1m5s" the next).
    const alone = await nsDoctor([stuck, '-o', 'json'], { kubeconfig: kubeconfigB });
    const numberless = (text: string) => text.replace(/\d[\d.dhms]*/g, '#');
    expect(numberless(r.stdout)).toBe(numberless(alone.stdout));
  });
});
