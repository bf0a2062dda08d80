import { describe, expect, it } from 'vitest';
import {
  contentDeletionFailed,
  groupVersionParseFailure,
  namespaceControllerForbidden,
  namespaceControllerNotRunning,
} from '../../../src/checks/controller-health.js';
import { parseConditions } from '../../../src/diagnosis/conditions.js';
import { contextFor, recorded } from '../helpers.js';

function withContentFailure(message: string) {
  const snapshot = recorded('webhook-delete');
  snapshot.namespace!.conditions = [
    { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message },
  ];
  return snapshot;
}

describe('NamespaceControllerNotRunning', () => {
  it('fires when Terminating past the threshold with no deletion conditions at all', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.namespace!.conditions = [];
    const later = new Date(Date.parse(snapshot.namespace!.deletionTimestamp!) + 6 * 60_000);
    const [blocker] = namespaceControllerNotRunning.run(snapshot, contextFor(snapshot, { now: later }));
    expect(blocker.id).toBe('NamespaceControllerNotRunning');
    expect(blocker.summary).toContain('6m');
  });

  it('waits for the threshold (a flag) before claiming the controller is down', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.namespace!.conditions = [];
    const soon = new Date(Date.parse(snapshot.namespace!.deletionTimestamp!) + 60_000);
    expect(namespaceControllerNotRunning.run(snapshot, contextFor(snapshot, { now: soon }))).toEqual([]);
    expect(namespaceControllerNotRunning.run(snapshot, contextFor(snapshot, { now: soon, controllerTimeoutMs: 30_000 }))).toHaveLength(1);
  });

  it('is silent once the controller has written conditions', () => {
    const snapshot = recorded('crd-finalizer');
    const later = new Date(Date.parse(snapshot.namespace!.deletionTimestamp!) + 3_600_000);
    expect(namespaceControllerNotRunning.run(snapshot, contextFor(snapshot, { now: later }))).toEqual([]);
  });
});

describe('GroupVersionParseFailure', () => {
  it('fires on NamespaceDeletionGroupVersionParsingFailure=True', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.namespace!.conditions = [
      { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'True', reason: 'GroupVersionParsingFailed', message: 'unexpected GroupVersion string: bad/group/v1' },
    ];
    const [blocker] = groupVersionParseFailure.run(snapshot, contextFor(snapshot));
    expect(blocker.evidence[0].fact).toContain('unexpected GroupVersion string: bad/group/v1');
  });
});

describe('NamespaceControllerForbidden', () => {
  it('fires when the content failure says forbidden', () => {
    const snapshot = withContentFailure(
      'Failed to delete all resource types, 1 remaining: configmaps is forbidden: User "system:serviceaccount:kube-system:namespace-controller" cannot deletecollection resource "configmaps" in API group "" in the namespace "wh1"',
    );
    expect(namespaceControllerForbidden.run(snapshot, contextFor(snapshot))[0].id).toBe('NamespaceControllerForbidden');
    expect(contentDeletionFailed.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});

describe('ContentDeletionFailed (fallback)', () => {
  it('surfaces an unexplained content failure while content remains', () => {
    const snapshot = withContentFailure('Failed to delete all resource types, 1 remaining: etcdserver: request timed out');
    const [blocker] = contentDeletionFailed.run(snapshot, contextFor(snapshot));
    expect(blocker.summary).toContain('etcdserver: request timed out');
  });

  it('treats the message as stale when nothing is left', () => {
    const snapshot = withContentFailure('Failed to delete all resource types, 1 remaining: etcdserver: request timed out');
    snapshot.content!.types = [];
    expect(contentDeletionFailed.run(snapshot, { ...contextFor(snapshot), conditions: parseConditions(snapshot.namespace!.conditions) })).toEqual([]);
  });
});
