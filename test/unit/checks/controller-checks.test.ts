// The checks that read what the namespace controller itself reports (or fails to report), on the recorded snapshots.
import { contentDeletionFailed } from '../../../src/checks/content-deletion-failed.js';
import { groupVersionParseFailure } from '../../../src/checks/group-version-parse-failure.js';
import { namespaceControllerForbidden } from '../../../src/checks/namespace-controller-forbidden.js';
import { namespaceControllerNotRunning } from '../../../src/checks/namespace-controller-not-running.js';
import type { Snapshot } from '../../../src/snapshot/types.js';
import { recorded } from '../helpers.js';
import { testCheck } from './check-tester.js';

const FORBIDDEN =
  'Failed to delete all resource types, 1 remaining: configmaps is forbidden: User "system:serviceaccount:kube-system:namespace-controller" cannot deletecollection resource "configmaps" in API group "" in the namespace "wh1"';
const ETCD = 'Failed to delete all resource types, 1 remaining: etcdserver: request timed out';

function withContentFailure(message: string): Snapshot {
  const snapshot = recorded('webhook-delete');
  snapshot.namespace!.conditions = [{ type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message }];
  return snapshot;
}

function withoutConditions(): Snapshot {
  const snapshot = recorded('crd-finalizer');
  snapshot.namespace!.conditions = [];
  return snapshot;
}

const after = (ms: number) => (snapshot: Snapshot) => ({ now: new Date(Date.parse(snapshot.namespace!.deletionTimestamp!) + ms) });

testCheck(namespaceControllerNotRunning, {
  valid: [
    { name: 'before the threshold (5 min by default)', snapshot: withoutConditions, context: after(60_000) },
    { name: 'the controller has written conditions', snapshot: () => recorded('crd-finalizer'), context: after(3_600_000) },
    { name: 'not Terminating', snapshot: () => ({ ...recorded('crd-finalizer'), namespace: { ...recorded('crd-finalizer').namespace!, deletionTimestamp: undefined } }) },
  ],
  invalid: [
    { name: 'Terminating for 6m with no deletion condition', snapshot: withoutConditions, context: after(6 * 60_000), blockers: [{ id: 'NamespaceControllerNotRunning', summary: /in 6m/ }] },
    {
      name: 'the threshold is a flag (--controller-timeout 30s)',
      snapshot: withoutConditions,
      context: (s) => ({ ...after(60_000)(s), controllerTimeoutMs: 30_000 }),
      blockers: [{ id: 'NamespaceControllerNotRunning', facts: [/threshold 30s/] }],
    },
  ],
});

testCheck(groupVersionParseFailure, {
  valid: [{ name: 'no parse failure reported', snapshot: () => recorded('crd-finalizer') }],
  invalid: [
    {
      name: 'NamespaceDeletionGroupVersionParsingFailure=True',
      snapshot: () => {
        const snapshot = recorded('crd-finalizer');
        snapshot.namespace!.conditions = [
          { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'True', reason: 'GroupVersionParsingFailed', message: 'unexpected GroupVersion string: bad/group/v1' },
        ];
        return snapshot;
      },
      blockers: [{ id: 'GroupVersionParseFailure', facts: ['unexpected GroupVersion string: bad/group/v1'] }],
    },
  ],
});

testCheck(namespaceControllerForbidden, {
  valid: [{ name: 'a content failure that is not about RBAC', snapshot: () => withContentFailure(ETCD) }],
  invalid: [{ name: 'the content failure says forbidden', snapshot: () => withContentFailure(FORBIDDEN), blockers: [{ id: 'NamespaceControllerForbidden', facts: [/cannot deletecollection/] }] }],
});

testCheck(contentDeletionFailed, {
  valid: [
    { name: 'forbidden is NamespaceControllerForbidden, not this fallback', snapshot: () => withContentFailure(FORBIDDEN) },
    {
      name: 'the message is stale when nothing is left',
      snapshot: () => {
        const snapshot = withContentFailure(ETCD);
        snapshot.content!.types = [];
        return snapshot;
      },
    },
  ],
  invalid: [{ name: 'an unexplained failure while content remains', snapshot: () => withContentFailure(ETCD), blockers: [{ id: 'ContentDeletionFailed', summary: /etcdserver: request timed out/ }] }],
});
