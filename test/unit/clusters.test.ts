// Many clusters: the flags, the contexts of the merged kubeconfig, the exit-code rule over clusters, and the report
// grouped by cluster (on reports diagnosed from snapshots recorded on the real control plane).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeForClusters } from '../../src/cli/session.js';
import { runClusters } from '../../src/cli/clusters.js';
import { createServer } from 'node:net';
import { groupByCause } from '../../src/diagnosis/groups.js';
import { kubeconfigContexts, UnknownContextError } from '../../src/kube/kubeconfig.js';
import { REPORT_API_VERSION, type ClusterStatus, type Report, type ReportList, type Verdict } from '../../src/model/report.js';
import { renderClusterList } from '../../src/render/index.js';
import { cliOptions as options, diagnoseAt, recorded } from './helpers.js';

describe('--context repeated, --all-contexts', () => {
  it('two distinct contexts or --all-contexts select many clusters; one context stays the one-cluster run', async () => {
    expect((await options(['payments', '--context', 'a', '--context', 'b'])).clusters).toEqual({ all: false, names: ['a', 'b'] });
    expect((await options(['--all', '--all-contexts'])).clusters).toEqual({ all: true });
    const one = await options(['payments', '--context', 'a', '--context', 'a']);
    expect(one.clusters).toBeUndefined();
    expect(one.context).toBe('a');
    const emptyLast = await options(['payments', '--context', 'a', '--context', '']);
    expect(emptyLast.context).toBe('a');
    expect((await options(['payments'])).context).toBeUndefined();
  });

  it('refuses, in one line, what works on one cluster only', async () => {
    await expect(options(['fix', 'payments', '--context', 'a', '--context', 'b'])).rejects.toThrow(/^fix works on one cluster at a time/);
    await expect(options(['fix', '--all', '--all-contexts'])).rejects.toThrow(/^fix works on one cluster at a time/);
    await expect(options(['payments', '--context', 'a', '--all-contexts'])).rejects.toThrow(/--context or --all-contexts, not both/);
    await expect(options(['payments', '--all-contexts', '--wait', '1m'])).rejects.toThrow(/--wait watches one namespace in one cluster/);
    await expect(options(['payments', '--all-contexts', '--save-snapshot', 'x.json'])).rejects.toThrow(/work with one cluster/);
    // A single cluster keeps every flag.
    expect((await options(['fix', 'payments', '--context', 'a'])).context).toBe('a');
  });
});

describe('contexts of the merged kubeconfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsd-clusters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, contexts: string[]) => {
    const path = join(dir, name);
    const config = {
      clusters: contexts.map((c) => ({ name: c, cluster: { server: `https://${name}.example:6443` } })),
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: contexts.map((c) => ({ name: c, context: { cluster: c, user: 'u' } })),
    };
    writeFileSync(path, JSON.stringify(config));
    return path;
  };
  const first = file('first', ['prod', 'shared']);
  const second = file('second', ['shared', 'staging']);

  it('lists every context once, in kubectl merge order (first file to define a name wins)', () => {
    expect(kubeconfigContexts({ env: { KUBECONFIG: [first, second].join(delimiter) } })).toEqual(['prod', 'shared', 'staging']);
    expect(kubeconfigContexts({ kubeconfig: second, env: { KUBECONFIG: first } })).toEqual(['shared', 'staging']);
  });

  it('names an unknown context and the ones that exist', () => {
    const check = () => kubeconfigContexts({ env: { KUBECONFIG: [first, second].join(delimiter) } }, ['prod', 'prdo']);
    expect(check).toThrow(UnknownContextError);
    expect(check).toThrow('context "prdo" not found in kubeconfig (it has: prod, shared, staging)');
  });
});

function report(verdict: Verdict, context: string): Report {
  return { ...diagnoseAt(recorded('ns-finalizer')), context, verdict };
}

function cluster(context: string, reachable = true, gaps: ClusterStatus['gaps'] = []): ClusterStatus {
  return { context, reachable, namespaces: 0, gaps, stats: { requests: 0, bytesReceived: 0, retries: 0, durationMs: 0 } };
}

describe('exit code over many clusters', () => {
  const refused = [{ kind: 'fatal' as const, what: 'the API server', reason: 'connection refused by 127.0.0.1:1' }];
  it.each([
    ['Blocked anywhere wins over an unreachable cluster', [report('Blocked', 'a'), report('NotFound', 'b')], [cluster('a'), cluster('b'), cluster('down', false, refused)], true, 1],
    ['an unreachable cluster is INCOMPLETE', [report('NotTerminating', 'a')], [cluster('a'), cluster('down', false, refused)], true, 2],
    ['a cluster whose namespaces could not be listed is INCOMPLETE', [], [cluster('a', true, [{ kind: 'cluster', what: 'list namespaces', reason: '403 Forbidden', httpStatus: 403 }])], false, 2],
    ['Incomplete in one cluster', [report('Incomplete', 'a'), report('Progressing', 'b')], [cluster('a'), cluster('b')], true, 2],
    ['not found in every cluster read, all read', [report('NotFound', 'a'), report('NotFound', 'b')], [cluster('a'), cluster('b')], true, 3],
    ['not found where read, but one cluster was not read: it may be there', [report('NotFound', 'a')], [cluster('a'), cluster('down', false, refused)], true, 2],
    ['found in one cluster and not stuck', [report('NotFound', 'a'), report('NotTerminating', 'b')], [cluster('a'), cluster('b')], true, 0],
    ['no cluster reachable', [], [cluster('down', false, refused)], true, 2],
    ['--all: nothing Terminating anywhere', [], [cluster('a'), cluster('b')], false, 0],
  ])('%s', (_, reports, clusters, oneNamespace, code) => {
    expect(exitCodeForClusters(reports, clusters, oneNamespace)).toBe(code);
  });
});

describe('the report grouped by cluster', () => {
  const drawnAt = new Date(recorded('metrics-server').takenAt);
  const blocked = { ...diagnoseAt(recorded('metrics-server')), context: 'prod-eu' };
  const stuck = { ...diagnoseAt(recorded('ns-finalizer')), context: 'prod-us' };
  const items = [blocked, stuck];
  const list: ReportList = {
    apiVersion: REPORT_API_VERSION,
    kind: 'NamespaceDiagnosisList',
    items,
    groups: items.flatMap((r) => groupByCause([r]).map((g) => ({ context: r.context, ...g }))),
    clusters: [
      { ...cluster('prod-eu'), server: 'https://eu.example:6443', namespaces: 1 },
      { ...cluster('prod-us'), server: 'https://us.example:6443', namespaces: 1 },
      { ...cluster('lab\u001b[2J', false, [{ kind: 'fatal', what: 'list namespaces', reason: 'x509: certificate has expired' }]), server: 'https://lab.example:6443' },
    ],
    stats: { requests: 90, bytesReceived: 2048, retries: 0, durationMs: 300 },
  };

  it('text (--all): a headline over all, then each cluster with its causes and table, the unreachable one named', () => {
    const text = renderClusterList(list, 'text', false, drawnAt, { details: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('3 contexts: 2 namespaces Terminating: 2 BLOCKED; 1 context UNREACHABLE: lab\\x1b[2J');
    const eu = text.indexOf('── context prod-eu (https://eu.example:6443)');
    const us = text.indexOf('── context prod-us (https://us.example:6443)');
    const lab = text.indexOf('── context lab\\x1b[2J (https://lab.example:6443): UNREACHABLE');
    expect(eu).toBeGreaterThan(0);
    expect(us).toBeGreaterThan(eu);
    expect(lab).toBeGreaterThan(us);
    // Each cluster's causes sit under its own heading: the APIService in prod-eu, the namespace finalizer in prod-us.
    const apiService = text.indexOf('API metrics.k8s.io/v1beta1 is unavailable');
    expect(apiService).toBeGreaterThan(eu);
    expect(apiService).toBeLessThan(us);
    expect(text.indexOf('NamespaceFinalizerRemaining')).toBeGreaterThan(us);
    expect(text).toContain('  ? list namespaces: x509: certificate has expired');
    // Fix commands are written for one cluster: each cluster says which context they are for.
    expect(text.indexOf('  commands below are for context prod-eu: add --context prod-eu to each kubectl')).toBe(text.indexOf('\n', eu) + 1);
    expect(text.indexOf('  commands below are for context prod-us:')).toBeGreaterThan(us);
    expect(text).not.toContain('\u001b');
  });

  it('text (one namespace): the verdict in each context, then each report', () => {
    const one = { ...list, items: [blocked, { ...diagnoseAt(recorded('metrics-server')), context: 'prod-us', verdict: 'NotFound' as const }] };
    const text = renderClusterList(one, 'text', false, drawnAt, { details: false, namespace: 'pay1' });
    expect(text.split('\n')[0]).toBe('namespace pay1 in 3 contexts: prod-eu BLOCKED, prod-us gone, lab\\x1b[2J UNREACHABLE');
  });

  it('text (--all): a cluster whose namespaces could not be listed is INCOMPLETE in the headline, with its reason', () => {
    const forbidden = { kind: 'cluster' as const, what: 'list namespaces', reason: '403 namespaces is forbidden', httpStatus: 403, impact: 'no namespace of this cluster was diagnosed' };
    const unlisted = { ...list, clusters: [list.clusters![0], { ...cluster('prod-us', true, [forbidden]), server: 'https://us.example:6443' }] };
    const text = renderClusterList({ ...unlisted, items: [blocked], groups: list.groups?.filter((g) => g.context === 'prod-eu') }, 'text', false, drawnAt, { details: false });
    expect(text.split('\n')[0]).toBe('2 contexts: 1 namespace Terminating: 1 BLOCKED; 1 context INCOMPLETE: prod-us');
    expect(text).toContain('── context prod-us (https://us.example:6443)\n  ? list namespaces: 403 namespaces is forbidden — no namespace of this cluster was diagnosed\n');
  });

  it('markdown: one section per context, the reports a level below', () => {
    const markdown = renderClusterList(list, 'markdown', false, drawnAt, { details: false });
    expect(markdown.startsWith('# ns-doctor: 3 contexts:')).toBe(true);
    expect(markdown).toContain('## Context `prod-eu` — https://eu.example:6443');
    expect(markdown).toContain('### ns-doctor: 1 Terminating namespace — 1 BLOCKED');
    expect(markdown).toContain('#### ✗ 1 namespace: ');
    expect(markdown).toContain('## Context `lab\\x1b[2J` — https://lab.example:6443 — UNREACHABLE');
  });

  it('JSON: the list as given, each item and group with its context', () => {
    const json = JSON.parse(renderClusterList(list, 'json', false, drawnAt, { details: false })) as ReportList;
    expect(json.items.map((r) => r.context)).toEqual(['prod-eu', 'prod-us']);
    expect(json.groups?.every((g) => g.context === 'prod-eu' || g.context === 'prod-us')).toBe(true);
    expect(json.clusters?.map((c) => [c.context, c.reachable])).toEqual([['prod-eu', true], ['prod-us', true], ['lab\u001b[2J', false]]);
  });
});

describe('clusters that cannot be read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsd-unreachable-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a refused connection and a context without its cluster are named gaps of their contexts, never an abort', async () => {
    // A loopback port that was just closed: connection refused, no server of any kind involved.
    const server = createServer();
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as { port: number };
    await new Promise<void>((closed) => server.close(() => closed()));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        clusters: [{ name: 'closed', cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [
          { name: 'refused', context: { cluster: 'closed', user: 'u' } },
          { name: 'orphan', context: { cluster: 'not-defined', user: 'u' } },
        ],
      }),
    );
    const logged: string[] = [];
    const result = await runClusters(
      {
        namespace: 'payments', all: false, details: false, output: 'json', kubeconfig, requestTimeoutMs: 2_000, controllerTimeoutMs: 300_000, stallAfterMs: 600_000,
        concurrency: 2, waitMs: 0, color: false, verbose: true, clusters: { all: true },
      },
      'test',
      (line) => logged.push(line),
    );
    expect(result.exitCode).toBe(2);
    const list = JSON.parse(result.stdout) as ReportList;
    expect(list.items).toEqual([]);
    expect(list.clusters?.map((c) => [c.context, c.reachable, c.server])).toEqual([
      ['refused', false, `https://127.0.0.1:${port}`],
      ['orphan', false, undefined],
    ]);
    expect(list.clusters?.[0]?.gaps[0]?.reason).toBe(`connection refused by 127.0.0.1:${port}`);
    expect(list.clusters?.[1]?.gaps[0]?.reason).toBe('context "orphan" refers to a cluster that is not defined');
    expect(result.stderr).toEqual([
      `error: context refused is unreachable: connection refused by 127.0.0.1:${port}`,
      'error: context orphan is unreachable: context "orphan" refers to a cluster that is not defined',
    ]);
    // -v: the requests tried, per context.
    expect(logged.filter((l) => l.startsWith('[refused] GET /api/v1/namespaces/payments ECONNREFUSED')).length).toBeGreaterThan(0);
    expect(logged.some((l) => l.startsWith('[orphan] GET'))).toBe(false);
  });
});
