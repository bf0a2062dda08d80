// --all on a handful of stuck namespaces with mixed causes, on the real control plane through real kubectl: one
// broken APIService blocks them all (the real namespace controller keeps its finalizer on each), one also waits on a
// custom finalizer nobody removes, one on pods on a NotReady node, the others are empty. Output grouped by root cause;
// requests do not grow with namespaces × types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportList } from '../../src/model/report.js';
import { kubectl, kubectlOk, nsDoctor, scenario, waitFor, waitForNamespaceCondition } from './harness.js';

const metrics = 'e2e-fleet-metrics';
const finalizer = 'e2e-fleet-finalizer';
const pods = 'e2e-fleet-pods';
const empty = ['e2e-fleet-empty-1', 'e2e-fleet-empty-2'];
const more = ['e2e-fleet-more-1', 'e2e-fleet-more-2', 'e2e-fleet-more-3'];
const fleet = [metrics, finalizer, pods, ...empty];

async function deleteEmptyNamespaces(names: string[]): Promise<void> {
  for (const ns of names) {
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['-n', ns, 'create', 'configmap', 'settings', '--from-literal=a=b']);
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  }
  for (const ns of names) await waitForNamespaceCondition(ns, 'NamespaceDeletionDiscoveryFailure', 'True');
}

async function allVerbose(): Promise<{ code: number; list: ReportList; requests: string[]; total: number }> {
  const r = await nsDoctor(['--all', '-o', 'json', '-v']);
  const lines = r.stderr.split('\n');
  const total = Number(/^(\d+) requests \(/m.exec(r.stderr)?.[1]);
  return { code: r.code, list: JSON.parse(r.stdout) as ReportList, requests: lines.filter((l) => l.startsWith('GET ')), total };
}

describe('--all: many Terminating namespaces, grouped by root cause', () => {
  beforeAll(async () => {
    await scenario('metrics-server', 'up', metrics);
    await scenario('crd-finalizer', 'up', finalizer);
    await scenario('pod-terminating', 'up', pods);
    await deleteEmptyNamespaces(empty);
  });
  afterAll(async () => {
    await scenario('metrics-server', 'down', metrics);
    await scenario('crd-finalizer', 'down', finalizer);
    await scenario('pod-terminating', 'down', pods);
    for (const ns of [...empty, ...more]) {
      await waitFor(`namespace ${ns} gone`, async () => {
        await kubectl(['annotate', 'namespace', ns, '--overwrite', `ns-doctor.dev/nudge=${Date.now()}`]);
        return (await kubectl(['get', 'namespace', ns])).code !== 0;
      }, { timeoutMs: 120_000, intervalMs: 2000 });
    }
  });

  it('-o json: one report per namespace and the groups, exit code 1', async () => {
    const r = await nsDoctor(['--all', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const list = JSON.parse(r.stdout) as ReportList;
    expect(list.kind).toBe('NamespaceDiagnosisList');
    const mine = list.items.filter((i) => fleet.includes(i.namespace));
    expect(mine.map((i) => i.namespace).sort()).toEqual([...fleet].sort());
    for (const item of mine) expect(item.verdict, item.namespace).toBe('Blocked');

    const groups = list.groups!;
    const apiService = groups.find((g) => g.key === 'APIService/v1beta1.metrics.k8s.io')!;
    expect(apiService.namespaces).toEqual(expect.arrayContaining(fleet));
    expect(apiService.blockerIds).toEqual(['APIServiceUnavailable']);
    expect(apiService.evidence.map((e) => e.ref.kind)).toEqual(['APIService', 'Service', 'Pod', 'Node']);
    expect(apiService.fixes.map((f) => f.command)).toContain('kubectl delete apiservice v1beta1.metrics.k8s.io');
    expect(groups[0]).toBe(apiService); // the cause that blocks the most namespaces comes first

    const owner = groups.find((g) => g.key === 'Finalizer/example.ns-doctor.dev/snapshot-cleanup/databasebackups.example.ns-doctor.dev')!;
    expect(owner.namespaces).toEqual([finalizer]);
    expect(owner.blockerIds).toEqual(['FinalizerOwnerMissing']);
    const stuckPods = groups.find((g) => g.blockerIds.includes('PodsStuckTerminating'))!;
    expect(stuckPods.namespaces).toEqual([pods]);
    expect(stuckPods.evidence.some((e) => e.ref.kind === 'Node')).toBe(true);
  });

  it('text: each cause once with its fix, then one line per namespace; details only with --details', async () => {
    const r = await nsDoctor(['--all']);
    expect(r.code, r.stderr).toBe(1);
    const out = r.stdout;
    expect(out).toMatch(/^\d+ namespaces Terminating: \d+ BLOCKED; \d+ root causes$/m);
    expect(out).toMatch(/✗ \d+ namespaces: API metrics\.k8s\.io\/v1beta1 is unavailable \(CrashLoopBackOff, OOMKilled, node ip-10-0-3-7\.ec2\.internal NotReady\)/);
    expect(out.split('$ kubectl delete apiservice v1beta1.metrics.k8s.io').length - 1).toBe(1);
    expect(out).toContain('✗ 1 namespace: 1 databasebackups.example.ns-doctor.dev waits on finalizer example.ns-doctor.dev/snapshot-cleanup');
    const table = out.slice(out.search(/^NAMESPACE\s+AGE\s+VERDICT\s+CAUSE$/m));
    for (const ns of fleet) expect(table).toMatch(new RegExp(`^${ns}\\s+\\S+\\s+Blocked\\s+APIService v1beta1\\.metrics\\.k8s\\.io`, 'm'));
    expect(table).toMatch(new RegExp(`^${finalizer}\\s.*finalizer example\\.ns-doctor\\.dev/snapshot-cleanup`, 'm'));
    expect(table).toMatch(new RegExp(`^${pods}\\s.*pods on `, 'm'));
    expect(out).not.toContain('Content left in the namespace');

    const detailed = await nsDoctor(['--all', '--details']);
    expect(detailed.code).toBe(1);
    expect(detailed.stdout).toContain(`namespace ${finalizer} has been Terminating`);
    expect(detailed.stdout).toContain('Content left in the namespace');

    const misuse = await nsDoctor([metrics, '--details']);
    expect(misuse.code).toBe(64);
    expect(misuse.stderr.trim()).toBe('error: --details works with --all (one namespace always shows its details)');
  });

  it('requests grow with types and findings, not with namespaces × types', async () => {
    const before = await allVerbose();
    expect(before.code).toBe(1);
    // Each content type is listed once, cluster-wide: no namespaced list of configmaps, secrets, … per namespace.
    const perNamespaceSurvey = before.requests.filter((l) => fleet.some((ns) => l.includes(`/namespaces/${ns}/`)));
    // What is read for one namespace alone is evidence it points to: the stuck pods, the finalizer's RBAC.
    for (const line of perNamespaceSurvey) expect(line).toMatch(/\/namespaces\/(e2e-fleet-pods\/pods|e2e-fleet-finalizer\/(roles|rolebindings))\?/);
    const lists = (path: string) => before.requests.filter((l) => l.startsWith(`GET ${path}?`)).length;
    expect(lists('/api/v1/configmaps')).toBe(1);
    expect(lists('/api/v1/secrets')).toBe(1);
    expect(before.requests.every((l) => !/[?&]limit=/.test(l) || /resourceVersionMatch=NotOlderThan|continue=/.test(l) || l.startsWith('GET /api/v1/namespaces?'))).toBe(true);

    // Three more stuck namespaces, with the same cause and content: the same requests (one namespace at a time
    // would cost one LIST per type for each of them).
    await deleteEmptyNamespaces(more);
    const after = await allVerbose();
    expect(after.list.items.filter((i) => more.includes(i.namespace)).map((i) => i.verdict)).toEqual(['Blocked', 'Blocked', 'Blocked']);
    expect(after.total).toBe(before.total);
    const typesListed = before.requests.filter((l) => /^GET \/apis?\/[^?]*\?limit=/.test(l)).length;
    expect(typesListed).toBeGreaterThan(20);
  });
});
