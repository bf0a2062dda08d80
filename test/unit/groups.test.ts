import { describe, expect, it } from 'vitest';
import { groupByCause } from '../../src/diagnosis/groups.js';
import { REPORT_API_VERSION, type Report, type ReportList } from '../../src/model/report.js';
import { renderMarkdownList } from '../../src/render/markdown.js';
import { renderTextList } from '../../src/render/text.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { diagnoseAt, FIXTURES, recorded, type FixtureName } from './helpers.js';
import { checkEmitting } from '../../src/checks/registry.js';
import { LIVE_FINALIZER, liveWith, withCondition } from './checks/finalizer-stories.js';

/** The recorded snapshot of a scenario, as if it had been taken of namespace `name`. */
function as(fixture: FixtureName | Snapshot, name: string): Snapshot {
  const snapshot = typeof fixture === 'string' ? recorded(fixture) : fixture;
  const old = snapshot.namespaceName;
  // Every object of the namespace names it: rename them all, as a snapshot of another namespace would.
  return JSON.parse(JSON.stringify(snapshot).split(`"${old}"`).join(`"${name}"`).split(`${old}/`).join(`${name}/`)) as Snapshot;
}

function list(reports: Report[]): ReportList {
  return {
    apiVersion: REPORT_API_VERSION,
    kind: 'NamespaceDiagnosisList',
    items: reports,
    groups: groupByCause(reports),
    stats: { requests: 61, bytesReceived: 2048, durationMs: 300, retries: 0 },
  };
}

describe('groupByCause', () => {
  const apiService = ['team-a', 'team-b', 'team-c'].map((ns) => diagnoseAt(as('metrics-server', ns)));
  const finalizer = ['ci-1', 'ci-2'].map((ns) => diagnoseAt(as('crd-finalizer', ns)));
  const pods = diagnoseAt(as('pod-terminating', 'preview-9'));

  it('one broken APIService behind many namespaces is one group, its whole chain and every fix said once', () => {
    const groups = groupByCause(apiService);
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group.key).toBe('APIService/v1beta1.metrics.k8s.io');
    expect(group.namespaces).toEqual(['team-a', 'team-b', 'team-c']);
    expect(group.blockerIds).toEqual(['APIServiceUnavailable']);
    expect(group.summary).toBe(apiService[0].blockers[0].summary);
    expect(group.evidence).toEqual(apiService[0].blockers[0].evidence);
    expect(group.fixes.map((f) => f.command)).toContain('kubectl delete apiservice v1beta1.metrics.k8s.io');
    expect(group.perNamespaceFixes).toBe(false);
  });

  it('a finalizer without controller groups by finalizer and type; fixes naming one namespace stay per namespace', () => {
    const groups = groupByCause(finalizer);
    const group = groups.find((g) => g.key.startsWith('Finalizer/'))!;
    expect(group.key).toBe('Finalizer/example.ns-doctor.dev/snapshot-cleanup/databasebackups.example.ns-doctor.dev');
    expect(group.namespaces).toEqual(['ci-1', 'ci-2']);
    expect(group.summary).toBe('databasebackups.example.ns-doctor.dev wait on finalizer example.ns-doctor.dev/snapshot-cleanup, and no running controller will remove it');
    expect(group.summary).not.toMatch(/ci-\d/);
    // The patch names an object of one namespace: not a group fix; the safe fix (reinstall the operator) is.
    expect(group.fixes.map((f) => f.safety)).toEqual(['safe']);
    expect(group.perNamespaceFixes).toBe(true);
    // The objects differ; the CRD and the RBAC finding are the same in both namespaces.
    expect(group.evidence.map((e) => e.ref.kind)).not.toContain('DatabaseBackup');
    expect(group.evidence.map((e) => e.ref.kind)).toContain('CustomResourceDefinition');
  });

  it('orders groups by how many namespaces they block, and puts a namespace in each group that blocks it', () => {
    const groups = groupByCause([...apiService, ...finalizer, pods]);
    expect(groups.map((g) => g.namespaces.length)).toEqual([...groups.map((g) => g.namespaces.length)].sort((a, b) => b - a));
    expect(groups.find((g) => g.key.startsWith('PodsOnNodes/'))?.namespaces).toEqual(['preview-9']);
    const total = new Set(groups.flatMap((g) => g.namespaces));
    expect(total).toEqual(new Set(['team-a', 'team-b', 'team-c', 'ci-1', 'ci-2', 'preview-9']));
  });

  it('a progressing namespace is in no group', () => {
    const progressing = diagnoseAt(as('crd-finalizer', 'calm'));
    progressing.blockers = [];
    progressing.verdict = 'Progressing';
    expect(groupByCause([progressing])).toEqual([]);
  });
});

describe('fleet renderers', () => {
  const reports = [
    ...Array.from({ length: 12 }, (_, i) => diagnoseAt(as('metrics-server', `team-${String(i).padStart(2, '0')}`))),
    diagnoseAt(as('pod-terminating', 'preview-9')),
  ];
  const fleet = list(reports);
  const renderedAt = new Date(recorded('metrics-server').takenAt);

  it('text: counts, each cause once with its fix and its namespaces, then one table line per namespace', () => {
    const text = renderTextList(fleet, false, renderedAt);
    const lines = text.split('\n');
    expect(lines[0]).toBe('13 namespaces Terminating: 13 BLOCKED; 2 root causes');
    expect(text).toContain('✗ 12 namespaces: API metrics.k8s.io/v1beta1 is unavailable');
    expect(text.split('$ kubectl delete apiservice v1beta1.metrics.k8s.io').length - 1).toBe(1);
    expect(text).toContain('namespaces: team-00, team-01, team-02, team-03, team-04, team-05, team-06, team-07, … and 4 more');
    const header = lines.findIndex((l) => l.startsWith('NAMESPACE'));
    expect(lines[header]).toMatch(/^NAMESPACE\s+AGE\s+VERDICT\s+CAUSE$/);
    expect(lines.slice(header + 1).filter((l) => /^(team|preview)-/.test(l))).toHaveLength(13);
    expect(lines.find((l) => l.startsWith('preview-9'))).toMatch(/Blocked\s+.*pods on /);
    expect(text).toContain('61 requests');
    // Details only on request.
    expect(text).not.toContain('Content left in the namespace');
    expect(renderTextList(fleet, false, renderedAt, true)).toContain('Content left in the namespace');
  });

  it('markdown: the same summary for a ticket', () => {
    const md = renderMarkdownList(fleet, false);
    expect(md).toContain('## ns-doctor: 13 Terminating namespaces — 13 BLOCKED');
    expect(md).toContain('### ✗ 12 namespaces: API metrics.k8s.io/v1beta1 is unavailable');
    expect(md).toContain('| `preview-9` |');
    expect(md).not.toContain('### Content left');
  });

  it('says so when nothing is Terminating', () => {
    expect(renderTextList(list([]), false, new Date())).toBe('No namespace is Terminating.\n');
  });
});

describe('groups read typed subjects, never sentences', () => {
  const namespaceScoped = new Set(['PersistentVolumeClaims', 'Owners', 'NamespaceContent']);

  it.each(FIXTURES)('%s: the same cause in namespaces named like parts of it is one group, said without any namespace name', (fixture) => {
    // Names that are substrings of the causes' own names (metrics.k8s.io, example.ns-doctor.dev, node names).
    const names = ['metrics', 'example', 'ns', 'node'];
    const reports = names.map((name) => diagnoseAt(as(fixture, name)));
    const groups = groupByCause(reports);
    expect(groups.length > 0).toBe(reports.some((r) => r.blockers.length > 0));
    for (const group of groups) {
      const blocker = reports.flatMap((r) => r.blockers).find((b) => group.blockerIds.includes(b.id))!;
      expect(group.subject).toEqual(blocker.subject);
      if (namespaceScoped.has(group.subject.kind)) {
        expect(group.namespaces).toHaveLength(1);
        continue;
      }
      expect(group.namespaces).toEqual([...names].sort());
      expect(group.summary).not.toContain('each namespace');
      // The summary of a shared cause is the check's own sentence for the group: built from typed fields.
      expect(group.summary).toBe(checkEmitting(group.blockerIds[0])!.groupSummary(blocker));
    }
  });

  it('APIService v1beta1.h7api.example.com blocking h7a, h7b, h7c: one group, its name intact', () => {
    const reports = ['h7a', 'h7b', 'h7c'].map((name) => {
      const snapshot = as('metrics-server', name);
      return diagnoseAt(JSON.parse(JSON.stringify(snapshot).split('metrics.k8s.io').join('h7api.example.com')) as Snapshot);
    });
    const groups = groupByCause(reports);
    expect(groups.map((g) => g.key)).toEqual(['APIService/v1beta1.h7api.example.com']);
    expect(groups[0].subject).toEqual({ kind: 'APIService', name: 'v1beta1.h7api.example.com', groupVersion: 'h7api.example.com/v1beta1' });
    expect(groups[0].summary).toContain('API h7api.example.com/v1beta1 is unavailable');
    expect(groups[0].namespaces).toEqual(['h7a', 'h7b', 'h7c']);
  });

  it('causes that differ only in digits stay apart, each with its own fix', () => {
    const withToken = (name: string, token: string) => {
      const snapshot = as('ns-finalizer', name);
      snapshot.namespace!.specFinalizers = ['kubernetes', token];
      return diagnoseAt(snapshot);
    };
    const groups = groupByCause([withToken('b1', 'backup1.example.com/export'), withToken('b2', 'backup2.example.com/export')]).filter(
      (g) => g.subject.kind === 'NamespaceFinalizers',
    );
    expect(groups.map((g) => [g.key, g.namespaces])).toEqual([
      ['NamespaceFinalizers/spec/backup1.example.com/export', ['b1']],
      ['NamespaceFinalizers/spec/backup2.example.com/export', ['b2']],
    ]);
    for (const group of groups) expect(group.fixes.length).toBeGreaterThan(0);
  });

  it('the same finalizer, its owner missing in one namespace and failing in another: one subject, a headline true of both', () => {
    const stalled = diagnoseAt(as(withCondition({ type: 'Ready', status: 'False', reason: 'DeleteFailed', message: 'AccessDenied: s3:DeleteBucket' })(), 'shop'));
    const missing = diagnoseAt(as(liveWith((snapshot) => (snapshot.finalizerOwners[0].candidates = [])), 'web'));
    const ids = (r: Report) => r.blockers.map((b) => b.id);
    expect(ids(stalled)).toContain('FinalizerControllerStalled');
    expect(ids(missing)).toContain('FinalizerOwnerMissing');
    const group = groupByCause([stalled, missing]).find((g) => g.subject.kind === 'Finalizer')!;
    expect(group.namespaces).toEqual(['shop', 'web']);
    expect(new Set(group.blockerIds)).toEqual(new Set(['FinalizerControllerStalled', 'FinalizerOwnerMissing']));
    const sentence = (r: Report, id: string) => checkEmitting(r.blockers.find((b) => b.id === id)!.id)!.groupSummary(r.blockers.find((b) => b.id === id)!);
    // Each check's sentence, each with the namespace it is true of: never "no running controller" said of shop.
    expect(group.summary.split('; ').sort()).toEqual([`${sentence(missing, 'FinalizerOwnerMissing')} (in web)`, `${sentence(stalled, 'FinalizerControllerStalled')} (in shop)`].sort());
    expect(group.summary).toContain(LIVE_FINALIZER);
    expect(group.perNamespaceFixes).toBe(true);
  });

  it('claims in use and owners waiting on dependents are causes of one namespace each, never one fleet-wide cause', () => {
    const pvc = (namespace: string): Report['blockers'][number] => ({
      id: 'PVCInUse',
      subject: { kind: 'PersistentVolumeClaims', namespace, names: ['data-0'] },
      summary: '1 PersistentVolumeClaim is protected because pods still use them',
      evidence: [],
      fixes: [],
    });
    const reports = ['shop', 'web'].map((namespace) => ({ ...diagnoseAt(as('ns-finalizer', namespace)), blockers: [pvc(namespace)] }));
    expect(groupByCause(reports).map((g) => g.key)).toEqual(['PVCs/shop/data-0', 'PVCs/web/data-0']);
  });
});
