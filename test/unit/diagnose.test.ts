import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/registry.js';
import { REPORT_API_VERSION } from '../../src/model/report.js';
import { contextFor, diagnoseAt, FIXTURES, recorded } from './helpers.js';

describe('verdicts', () => {
  it('Blocked when a check proves a blocker, with the JSON contract fields', () => {
    const report = diagnoseAt(recorded('metrics-server'));
    expect(report).toMatchObject({ apiVersion: REPORT_API_VERSION, kind: 'NamespaceDiagnosis', namespace: 'pay1', phase: 'Terminating', verdict: 'Blocked' });
    expect(report.blockers.map((b) => b.id)).toEqual(['APIServiceUnavailable']);
    expect(report.discovery.failing).toEqual([{ groupVersion: 'metrics.k8s.io/v1beta1', state: 'Stale', reason: 'stale GroupVersion discovery: metrics.k8s.io/v1beta1' }]);
    expect(report.stats.requests).toBeGreaterThan(0);
    expect(report.terminatingForSeconds).toBeGreaterThanOrEqual(0);
  });

  it('Progressing when terminating with nothing holding it and everything readable', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.content = { types: [], stuck: [], blockingDependents: [] };
    snapshot.namespace!.conditions = snapshot.namespace!.conditions.map((c) => ({ ...c, status: 'False' }));
    const report = diagnoseAt(snapshot);
    expect(report.verdict).toBe('Progressing');
    expect(report.blockers).toEqual([]);
  });

  it('Incomplete, never "nothing there", when a list was forbidden and no blocker is proven', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.content = { types: [], stuck: [], blockingDependents: [] };
    snapshot.finalizerOwners = [];
    snapshot.gaps.push({ kind: 'content', resource: 'databasebackups.example.ns-doctor.dev', what: 'list databasebackups.example.ns-doctor.dev in crd1', reason: '403 databasebackups is forbidden', httpStatus: 403 });
    const report = diagnoseAt(snapshot);
    expect(report.verdict).toBe('Incomplete');
    expect(report.gaps[0].httpStatus).toBe(403);
    expect(report.summary).toContain('could not be read');
  });

  it('Incomplete, never Progressing, when the controller names content the survey did not see (discovery said "no groups")', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.content = { types: [], stuck: [], blockingDependents: [] };
    snapshot.discovery = { mode: 'aggregated', groupVersions: [], namespacedResources: [] };
    snapshot.finalizerOwners = [];
    const report = diagnoseAt(snapshot);
    expect(report.verdict).toBe('Incomplete');
    expect(report.gaps).toEqual([
      expect.objectContaining({
        kind: 'inconsistent',
        resource: 'databasebackups.example.ns-doctor.dev',
        reason: 'NamespaceContentRemaining reports 1 databasebackups.example.ns-doctor.dev in the namespace; the survey found none (discovery does not list this type)',
      }),
      expect.objectContaining({ kind: 'inconsistent', reason: expect.stringContaining('NamespaceFinalizersRemaining reports example.ns-doctor.dev/snapshot-cleanup in 1 resource instances') }),
    ]);
  });

  it('the controller and the survey agree: no inconsistency', () => {
    const report = diagnoseAt(recorded('crd-finalizer'));
    expect(report.gaps.filter((g) => g.kind === 'inconsistent')).toEqual([]);
  });

  it('events.k8s.io events are the core events the survey counted: seen once, no twin gap (findings C7)', () => {
    const snapshot = recorded('crd-finalizer');
    const remaining = snapshot.namespace!.conditions.find((c) => c.type === 'NamespaceContentRemaining')!;
    remaining.status = 'True';
    remaining.message = 'Some resources are remaining: events. has 1 resource instances, events.events.k8s.io has 1 resource instances';
    snapshot.content!.types.push({ group: '', version: 'v1', resource: 'events', kind: 'Event', count: 1, withFinalizers: 1, withDeletionTimestamp: 1, finalizers: { 'audit.example.com/archive': 1 } });
    expect(diagnoseAt(snapshot).gaps.filter((g) => g.kind === 'inconsistent')).toEqual([]);
    snapshot.content!.types = snapshot.content!.types.filter((t) => t.resource !== 'events');
    expect(diagnoseAt(snapshot).gaps.filter((g) => g.kind === 'inconsistent').map((g) => g.resource).sort()).toEqual(['events', 'events.events.k8s.io']);
  });

  it('NotTerminating for an Active namespace and NotFound for a missing one', () => {
    const active = recorded('crd-finalizer');
    delete active.namespace!.deletionTimestamp;
    active.namespace!.phase = 'Active';
    expect(diagnoseAt(active).verdict).toBe('NotTerminating');
    expect(diagnoseAt(active).blockers).toEqual([]);
    const missing = recorded('crd-finalizer');
    missing.namespaceFound = false;
    delete missing.namespace;
    expect(diagnoseAt(missing).verdict).toBe('NotFound');
  });

  it('reports the generic content failure only when no specific check explains the namespace', () => {
    const report = diagnoseAt(recorded('pod-terminating'));
    expect(report.blockers.map((b) => b.id)).toEqual(['PodsStuckTerminating']);
  });

  it('diagnoses every recorded scenario to the blocker its story is about', () => {
    expect(diagnoseAt(recorded('apiservice-orphaned')).blockers.map((b) => b.id)).toEqual(['APIServiceOrphaned']);
    expect(diagnoseAt(recorded('crd-finalizer')).blockers.map((b) => b.id)).toEqual(['FinalizerOwnerMissing']);
    expect(diagnoseAt(recorded('ns-finalizer')).blockers.map((b) => b.id)).toEqual(['NamespaceFinalizerRemaining']);
    expect(diagnoseAt(recorded('webhook-delete')).blockers.map((b) => b.id)).toEqual(['WebhookBlocksDeletion']);
  });
});

describe('check registry', () => {
  it('has one check per id, and no blocker id is claimed by two checks', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const emitted = CHECKS.flatMap((c) => c.emits);
    expect(new Set(emitted).size).toBe(emitted.length);
    for (const check of CHECKS) expect(check.emits).toContain(check.id);
  });

  it('every blocker the recorded stories produce is declared by the check that reports it', () => {
    for (const name of FIXTURES) {
      const snapshot = recorded(name);
      const context = contextFor(snapshot);
      for (const check of CHECKS) for (const blocker of check.run(snapshot, context)) expect(check.emits, `${check.id} on ${name}`).toContain(blocker.id);
    }
  });
});

describe('condition facts in the report', () => {
  it('carries the parsed conditions of the recorded custom-finalizer story', () => {
    const report = diagnoseAt(recorded('crd-finalizer'));
    expect(report.conditionFacts.contentRemaining).toEqual([{ resource: 'databasebackups', group: 'example.ns-doctor.dev', count: 1 }]);
    expect(report.conditionFacts.finalizersRemaining).toEqual([{ finalizer: 'example.ns-doctor.dev/snapshot-cleanup', count: 1 }]);
    expect(report.conditionFacts.discoveryFailures).toEqual([]);
  });
});
