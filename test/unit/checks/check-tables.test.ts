// Every check's table, after ESLint's RuleTester: snapshots on which it must stay silent and snapshots on which it
// must report exactly the listed blockers, each id one the check declares. The recorded stories (test/fixtures) are
// the base; a case changes only what its name says. The last test fails when a registered check has no table.
import { describe, expect, it } from 'vitest';
import { apiServiceUnavailable } from '../../../src/checks/apiservice-unavailable.js';
import { conversionWebhookDown } from '../../../src/checks/conversion-webhook-down.js';
import { crdTerminating } from '../../../src/checks/crd-terminating.js';
import { dependentsBlockDeletion } from '../../../src/checks/dependents-block-deletion.js';
import { finalizerOwnerMissing } from '../../../src/checks/finalizer-owner-missing.js';
import { finalizerControllerStalled } from '../../../src/checks/finalizer-controller-stalled.js';
import {
  configMapFinalizerWithUnrelatedUpdater,
  pendingFinalizerBehindPods,
  knownOwnerRuns,
  LIVE_FINALIZER,
  liveWith,
  podHeldByFinalizer,
  renameFinalizer,
  serviceWithLoadBalancerCleanup,
  withCondition,
  withEvent,
} from './finalizer-stories.js';
import { podsStuckTerminating } from '../../../src/checks/pods-stuck-terminating.js';
import { pvcInUse } from '../../../src/checks/pvc-in-use.js';
import { CHECKS } from '../../../src/checks/registry.js';
import { webhookBlocksDeletion } from '../../../src/checks/webhook-blocks-deletion.js';
import type { Check } from '../../../src/checks/types.js';
import { contentDeletionFailed } from '../../../src/checks/content-deletion-failed.js';
import { contentNotRemoved } from '../../../src/checks/content-not-removed.js';
import { groupVersionParseFailure } from '../../../src/checks/group-version-parse-failure.js';
import { namespaceControllerForbidden } from '../../../src/checks/namespace-controller-forbidden.js';
import { namespaceControllerNotRunning } from '../../../src/checks/namespace-controller-not-running.js';
import { namespaceFinalizerRemaining } from '../../../src/checks/namespace-finalizer-remaining.js';
import { namespaceMetadataFinalizerRemaining } from '../../../src/checks/namespace-metadata-finalizer-remaining.js';
import type { Snapshot } from '../../../src/snapshot/types.js';
import { contextFor, recorded } from '../helpers.js';
import { testCheck } from './check-tester.js';

const tabled = new Set<Check>();
const reportedByTables = new Set<string>();
function table(check: Check, cases: Parameters<typeof testCheck>[1]): void {
  tabled.add(check);
  for (const c of cases.invalid) for (const b of c.blockers) reportedByTables.add(b.id);
  testCheck(check, cases);
}

const FORBIDDEN =
  'Failed to delete all resource types, 1 remaining: configmaps is forbidden: User "system:serviceaccount:kube-system:namespace-controller" cannot deletecollection resource "configmaps" in API group "" in the namespace "wh1"';
const ETCD = 'Failed to delete all resource types, 1 remaining: etcdserver: request timed out';
/** As the real API server words it (findings F4): a 403 "is forbidden" that is no RBAC refusal. */
const POLICY_DENIED =
  "Failed to delete all resource types, 1 remaining: configmaps \"Unknown\" is forbidden: ValidatingAdmissionPolicy 'protect-marked-objects' with binding 'protect-marked-objects' denied request: objects labelled protect.example.com/keep may not be deleted";

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

/**
 * pod-grace (recorded: the controller's first pass wrote its conditions at 09:49:34 while the pod was in its grace
 * period) with the pod gone, as when the controller stopped after that pass: 5 objects it never deleted remain, or
 * (`nothingLeft`) nothing at all but its kubernetes finalizer.
 */
function passedOverOnce(nothingLeft = false): Snapshot {
  const snapshot = recorded('pod-grace');
  snapshot.content!.types = nothingLeft ? [] : snapshot.content!.types.filter((t) => t.resource !== 'pods');
  snapshot.content!.stuck = [];
  snapshot.pods = {};
  return snapshot;
}
const afterLastSign = (ms: number, controllerTimeoutMs?: number) => () => ({ now: new Date(Date.parse('2026-12-01T09:49:34Z') + ms), ...(controllerTimeoutMs ? { controllerTimeoutMs } : {}) });
const NAMESPACE_WRITE_RULES = [{ operations: ['UPDATE'], apiGroups: [''], resources: ['namespaces/finalize'] }];
function withNamespaceWriteWebhook(snapshot: Snapshot, backend: { url: string } | { service: { namespace: string; name: string; port: number } }, namespaceSelector?: { matchLabels: Record<string, string> }): Snapshot {
  snapshot.namespace!.labels = { 'kubernetes.io/metadata.name': snapshot.namespaceName, tenant: 'acme' };
  if ('service' in backend) snapshot.services[`${backend.service.namespace}/${backend.service.name}`] = { namespace: backend.service.namespace, name: backend.service.name, exists: false, ports: [] };
  snapshot.webhooks = [
    { configuration: 'tenant-policy', configurationKind: 'ValidatingWebhookConfiguration', name: 'namespaces.tenant-policy.example.com', failurePolicy: 'Fail', rules: NAMESPACE_WRITE_RULES, hasCABundle: true, ...backend, ...(namespaceSelector ? { namespaceSelector } : {}) },
  ];
  return snapshot;
}

table(namespaceControllerNotRunning, {
  valid: [
    { name: 'passed over once, the pod gone, 4m after the last sign: its next pass is not overdue yet', snapshot: () => passedOverOnce(), context: afterLastSign(4 * 60_000) },
    {
      name: 'a fail-closed webhook on namespaces/finalize explains the silence: that is WebhookBlocksDeletion',
      snapshot: () => withNamespaceWriteWebhook(passedOverOnce(true), { url: 'https://127.0.0.1:1/validate' }),
      context: afterLastSign(6 * 60_000),
    },
    { name: 'before the threshold (5 min by default)', snapshot: withoutConditions, context: after(60_000) },
    { name: 'the controller has written conditions', snapshot: () => recorded('crd-finalizer'), context: after(3_600_000) },
    { name: 'not Terminating', snapshot: () => ({ ...recorded('crd-finalizer'), namespace: { ...recorded('crd-finalizer').namespace!, deletionTimestamp: undefined } }) },
  ],
  invalid: [
    { name: 'Terminating for 6m with no deletion condition', snapshot: withoutConditions, context: after(6 * 60_000), blockers: [{ id: 'NamespaceControllerNotRunning', subject: { kind: 'NamespaceController', problem: 'NotRunning' }, summary: /in 6m/ }] },
    {
      name: 'the threshold is a flag (--controller-timeout 30s)',
      snapshot: withoutConditions,
      context: (s) => ({ ...after(60_000)(s), controllerTimeoutMs: 30_000 }),
      blockers: [{ id: 'NamespaceControllerNotRunning', subject: { kind: 'NamespaceController', problem: 'NotRunning' }, facts: [/threshold 30s/] }],
    },
    {
      name: 'findings F7: passed over once, then nothing for 6m though nothing it waits for remains (5 objects never deleted)',
      snapshot: () => passedOverOnce(),
      context: afterLastSign(6 * 60_000),
      blockers: [{ id: 'NamespaceControllerNotRunning', subject: { kind: 'NamespaceController', problem: 'StoppedActing' }, summary: /has not acted for 6m: 5 objects it never deleted remain/, facts: [/last sign of activity: condition Namespace\w+ became False at 09:49:34 UTC/] }],
    },
    {
      name: 'nothing left, yet the kubernetes finalizer stays past --controller-timeout (20s here)',
      snapshot: () => passedOverOnce(true),
      context: afterLastSign(21_000, 20_000),
      blockers: [{ id: 'NamespaceControllerNotRunning', subject: { kind: 'NamespaceController', problem: 'StoppedActing' }, summary: /nothing is left in the namespace, yet its kubernetes finalizer is still there/ }],
    },
  ],
});

table(groupVersionParseFailure, {
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
      blockers: [{ id: 'GroupVersionParseFailure', subject: { kind: 'NamespaceController', problem: 'GroupVersionParsing' }, facts: ['unexpected GroupVersion string: bad/group/v1'] }],
    },
  ],
});

table(namespaceControllerForbidden, {
  valid: [
    { name: 'a content failure that is not about RBAC', snapshot: () => withContentFailure(ETCD) },
    { name: 'findings F4: an admission policy\'s denial is "forbidden" too, but no RBAC refusal', snapshot: () => withContentFailure(POLICY_DENIED) },
  ],
  invalid: [{ name: 'the content failure says forbidden', snapshot: () => withContentFailure(FORBIDDEN), blockers: [{ id: 'NamespaceControllerForbidden', subject: { kind: 'NamespaceController', problem: 'Forbidden' }, facts: [/cannot deletecollection/] }] }],
});

table(contentDeletionFailed, {
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
  invalid: [
    { name: 'an unexplained failure while content remains', snapshot: () => withContentFailure(ETCD), blockers: [{ id: 'ContentDeletionFailed', subject: { kind: 'NamespaceContent', namespace: 'wh1' }, summary: /etcdserver: request timed out/ }] },
    {
      name: 'a ValidatingAdmissionPolicy denies the deletions: named, with its binding, and never blamed on RBAC',
      snapshot: () => withContentFailure(POLICY_DENIED),
      blockers: [{ id: 'ContentDeletionFailed', subject: { kind: 'NamespaceContent', namespace: 'wh1' }, summary: /^ValidatingAdmissionPolicy protect-marked-objects \(binding protect-marked-objects\) denies deleting content: objects labelled/, safeties: ['safe', 'last-resort'] }],
    },
  ],
});


/** As the namespace controller words it (deleteAllContentForGroupVersionResource, 1.34), for one or more types. */
const notRemoved = (ns: string, ...gvrs: string[]) =>
  `Failed to delete all resource types, ${gvrs.length} remaining: ${gvrs.map((gvr) => `unexpected items still remain in namespace: ${ns} for gvr: ${gvr}`).join(', ')}`;
const BINDINGS = 'tenancy.example.com/v1alpha1, Resource=projectbindings';

/**
 * webhook-delete (recorded) with 2 ProjectBindings left, deleted and with no finalizer, that the controller reports
 * as still there. `served`: by an aggregated API (a Service), by kube-apiserver itself (a CRD's local APIService),
 * or unknown (no APIService read).
 */
function bindingsNotRemoved(served: 'aggregated' | 'local' | 'unknown', edit: (s: Snapshot) => void = () => {}): () => Snapshot {
  return () => {
    const snapshot = withContentFailure(notRemoved('wh1', BINDINGS));
    const deletedAt = '2026-11-28T17:41:00Z';
    snapshot.content!.types.push({ group: 'tenancy.example.com', version: 'v1alpha1', resource: 'projectbindings', kind: 'ProjectBinding', count: 2, withFinalizers: 0, withDeletionTimestamp: 2, finalizers: {}, oldestDeletionTimestamp: deletedAt });
    for (const name of ['admins', 'viewers']) {
      snapshot.content!.stuck.push({ group: 'tenancy.example.com', version: 'v1alpha1', resource: 'projectbindings', kind: 'ProjectBinding', meta: { name, namespace: 'wh1', uid: `uid-${name}`, deletionTimestamp: deletedAt } });
    }
    const available = { type: 'Available', status: 'True', reason: served === 'local' ? 'Local' : 'Passed', lastTransitionTime: '2026-11-28T17:40:23Z' };
    if (served === 'unknown') delete snapshot.apiServices;
    else {
      snapshot.apiServices!.push({
        name: 'v1alpha1.tenancy.example.com',
        group: 'tenancy.example.com',
        version: 'v1alpha1',
        ...(served === 'aggregated' ? { service: { namespace: 'tenancy-system', name: 'tenancy-api', port: 443 } } : {}),
        available,
      });
    }
    edit(snapshot);
    return snapshot;
  };
}

const BINDINGS_SUBJECT = { kind: 'ResourceType', group: 'tenancy.example.com', version: 'v1alpha1', resource: 'projectbindings' } as const;

table(contentNotRemoved, {
  valid: [
    { name: 'another content failure (no "unexpected items")', snapshot: () => withContentFailure(ETCD) },
    { name: 'pods: their grace period and node are PodsStuckTerminating\'s (recorded: pod-terminating)', snapshot: () => recorded('pod-terminating') },
    {
      name: 'the type now has objects with a finalizer: the finalizer checks say who holds them',
      snapshot: bindingsNotRemoved('aggregated', (s) => {
        const type = s.content!.types.find((t) => t.resource === 'projectbindings')!;
        type.withFinalizers = 1;
        type.finalizers = { 'tenancy.example.com/cleanup': 1 };
      }),
    },
    { name: 'stale: the survey no longer finds the type', snapshot: bindingsNotRemoved('aggregated', (s) => void (s.content!.types = s.content!.types.filter((t) => t.resource !== 'projectbindings'))) },
    { name: 'the condition is False (the controller got past it)', snapshot: bindingsNotRemoved('aggregated', (s) => void (s.namespace!.conditions[0].status = 'False')) },
  ],
  invalid: [
    {
      name: 'served by an aggregated API: named with its Service, and its APIService as the last resort',
      snapshot: bindingsNotRemoved('aggregated'),
      blockers: [
        {
          id: 'ContentNotRemoved',
          subject: BINDINGS_SUBJECT,
          summary: '2 projectbindings.tenancy.example.com objects are still listed after the namespace controller deleted them, with no finalizer: the aggregated API v1alpha1.tenancy.example.com (Service tenancy-system/tenancy-api) does not remove them',
          facts: [/^NamespaceDeletionContentFailure: unexpected items still remain for gvr tenancy.example.com\/v1alpha1, Resource=projectbindings$/m, 'still listed, none with a finalizer; all with a deletionTimestamp', /^deleted .* ago, no finalizer$/m, /^serves tenancy.example.com\/v1alpha1 from Service tenancy-system\/tenancy-api/m],
          safeties: ['safe', 'safe', 'safe', 'last-resort'],
          lastResort: { command: 'kubectl delete apiservice v1alpha1.tenancy.example.com', cost: /disappears cluster-wide .* stays there, orphaned$/ },
        },
      ],
    },
    {
      name: 'served by kube-apiserver itself: it may be a stale store, and there is no APIService to delete',
      snapshot: bindingsNotRemoved('local'),
      blockers: [{ id: 'ContentNotRemoved', subject: BINDINGS_SUBJECT, summary: /with no finalizer: kube-apiserver serves this type itself .* may be stale$/, facts: ['served by kube-apiserver itself (no Service)'], safeties: ['safe', 'safe', 'safe'] }],
    },
    {
      name: 'the condition\'s time, when it is a time: "since … ago", and nothing for a malformed one',
      snapshot: bindingsNotRemoved('aggregated', (s) => void (s.namespace!.conditions[0].lastTransitionTime = '2026-11-28T17:41:30Z')),
      blockers: [{ id: 'ContentNotRemoved', subject: BINDINGS_SUBJECT, facts: [/^NamespaceDeletionContentFailure \(since \S+ ago\): unexpected items/m] }],
    },
    {
      name: 'a malformed condition time is left out, never "NaN"',
      snapshot: bindingsNotRemoved('aggregated', (s) => void (s.namespace!.conditions[0].lastTransitionTime = 'yesterday')),
      blockers: [{ id: 'ContentNotRemoved', subject: BINDINGS_SUBJECT, facts: [/^NamespaceDeletionContentFailure: unexpected items/m] }],
    },
    {
      name: 'APIServices not read: the API serving them, unnamed',
      snapshot: bindingsNotRemoved('unknown'),
      blockers: [{ id: 'ContentNotRemoved', subject: BINDINGS_SUBJECT, summary: /with no finalizer: the API serving them does not remove them$/ }],
    },
    {
      name: 'two types in one message, the pods among them left to PodsStuckTerminating',
      snapshot: bindingsNotRemoved('aggregated', (s) => {
        s.namespace!.conditions[0].message = notRemoved('wh1', '/v1, Resource=pods', BINDINGS, '/v1, Resource=configmaps');
        s.content!.types.find((t) => t.resource === 'configmaps')!.withDeletionTimestamp = 1;
      }),
      blockers: [
        { id: 'ContentNotRemoved', subject: BINDINGS_SUBJECT },
        { id: 'ContentNotRemoved', subject: { kind: 'ResourceType', group: '', version: 'v1', resource: 'configmaps' }, summary: /^2 configmaps objects are still listed .*: the API serving them does not remove them$/, facts: ['still listed, none with a finalizer; 1 of 2 with a deletionTimestamp'] },
      ],
    },
  ],
});

function withFinalizers(spec: string[], metadata: string[]): () => Snapshot {
  return () => {
    const snapshot = recorded('ns-finalizer');
    snapshot.namespace!.specFinalizers = spec;
    snapshot.namespace!.metadataFinalizers = metadata;
    return snapshot;
  };
}

table(namespaceFinalizerRemaining, {
  valid: [{ name: 'only the kubernetes token is left', snapshot: withFinalizers(['kubernetes'], []) }],
  invalid: [
    {
      name: 'a foreign token, with the finalize subresource as the last resort and its cost',
      snapshot: () => recorded('ns-finalizer'),
      blockers: [
        {
          id: 'NamespaceFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'spec', finalizers: ['platform.example.com/namespace-cleanup'] },
          summary: /platform\.example\.com\/namespace-cleanup/,
          lastResort: { command: 'kubectl replace --raw /api/v1/namespaces/nsf1/finalize -f -', cost: /reappears if a namespace with this name is created again/ },
        },
      ],
    },
  ],
});

/**
 * Deleted with propagationPolicy=Foreground: foregroundDeletion waits for dependents that name the namespace (by uid)
 * with blockOwnerDeletion, here a ClusterRole (`deleted`: Terminating, held by example.com/hold).
 */
function foregroundWithDependent(spec: string[], deleted: boolean): () => Snapshot {
  return () => {
    const snapshot = withFinalizers(spec, ['foregroundDeletion'])();
    snapshot.namespace!.uid = 'ns-uid-1';
    snapshot.namespaceDependents = [
      {
        group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole',
        meta: {
          name: 'nsf1-reader',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: 'nsf1', uid: 'ns-uid-1', blockOwnerDeletion: true }],
          ...(deleted ? { deletionTimestamp: snapshot.takenAt, finalizers: ['example.com/hold'] } : {}),
        },
      },
    ];
    return snapshot;
  };
}

table(namespaceMetadataFinalizerRemaining, {
  valid: [
    { name: 'orphan is left to the garbage collector while spec finalizers remain', snapshot: withFinalizers(['kubernetes'], ['orphan']) },
    { name: 'foregroundDeletion with a held dependent while the namespace controller still works (spec finalizers left)', snapshot: foregroundWithDependent(['kubernetes'], true) },
  ],
  invalid: [
    {
      name: 'foregroundDeletion waits for a cluster-scoped dependent held by its own finalizer: named, with its owner to bring back, then only foregroundDeletion, then its finalizer',
      snapshot: foregroundWithDependent([], true),
      blockers: [
        {
          id: 'NamespaceMetadataFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: ['foregroundDeletion'] },
          summary: /waits for 1 dependent with blockOwnerDeletion \(ClusterRole nsf1-reader\), held by example\.com\/hold$/,
          facts: [/^ownerReferences name namespace nsf1 with blockOwnerDeletion; Terminating, finalizers example\.com\/hold$/m],
          safeties: ['safe', 'caution', 'last-resort'],
          lastResort: { command: `kubectl patch clusterroles.rbac.authorization.k8s.io nsf1-reader --type=json -p '[{"op":"test","path":"/metadata/finalizers","value":["example.com/hold"]},{"op":"remove","path":"/metadata/finalizers/0"}]'` },
        },
      ],
    },
    {
      name: 'foregroundDeletion waits for a dependent the garbage collector has not deleted: no finalizer to remove, only foregroundDeletion',
      snapshot: foregroundWithDependent([], false),
      blockers: [
        {
          id: 'NamespaceMetadataFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: ['foregroundDeletion'] },
          summary: /\(ClusterRole nsf1-reader\), not deleted yet by the garbage collector$/,
          facts: [/blockOwnerDeletion; not yet deleted$/m],
          safeties: ['safe', 'caution'],
        },
      ],
    },
    {
      name: 'a dependent in the namespace itself that names it with blockOwnerDeletion counts too; one without blockOwnerDeletion does not',
      snapshot: () => {
        const snapshot = foregroundWithDependent([], true)();
        const [dependent] = snapshot.namespaceDependents!;
        snapshot.namespaceDependents = [];
        const inside = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', meta: { ...dependent.meta, name: 'held', namespace: 'nsf1' } };
        const loose = { ...inside, meta: { ...inside.meta, name: 'loose', ownerReferences: [{ ...inside.meta.ownerReferences![0], blockOwnerDeletion: false }] } };
        snapshot.content!.blockingDependents = [inside, loose];
        return snapshot;
      },
      blockers: [
        {
          id: 'NamespaceMetadataFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: ['foregroundDeletion'] },
          summary: /waits for 1 dependent with blockOwnerDeletion \(ConfigMap nsf1\/held\)/,
          lastResort: { command: /^kubectl -n nsf1 patch configmaps held --type=json/ },
        },
      ],
    },
    {
      name: 'findings F5: only foregroundDeletion left, spec done: the last resort really drops it (not a replace with the same list)',
      snapshot: withFinalizers([], ['foregroundDeletion']),
      blockers: [
        {
          id: 'NamespaceMetadataFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: ['foregroundDeletion'] },
          lastResort: { command: `kubectl patch namespace nsf1 --type=json -p '[{"op":"test","path":"/metadata/finalizers","value":["foregroundDeletion"]},{"op":"replace","path":"/metadata/finalizers","value":[]}]'` },
        },
      ],
    },
    {
      name: 'findings F10: kubernetes in metadata.finalizers is a misplaced spec token nothing removes, not the namespace controller\'s',
      snapshot: withFinalizers([], ['kubernetes']),
      blockers: [
        {
          id: 'NamespaceMetadataFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: ['kubernetes'] },
          summary: /a spec\.finalizers token that nothing removes from metadata$/,
          safeties: ['safe', 'last-resort'],
          lastResort: { cost: /^none/ },
        },
      ],
    },
    {
      name: 'a custom metadata finalizer on the namespace',
      snapshot: withFinalizers(['kubernetes'], ['example.com/keep']),
      blockers: [
        {
          id: 'NamespaceMetadataFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: ['example.com/keep'] },
          lastResort: { command: `kubectl patch namespace nsf1 --type=json -p '[{"op":"test","path":"/metadata/finalizers","value":["example.com/keep"]},{"op":"replace","path":"/metadata/finalizers","value":[]}]'` },
        },
      ],
    },
    {
      name: "Rancher's controller.cattle.io/namespace-auth with no cattle-cluster-agent found: named from the catalog; only the custom token goes",
      snapshot: () => {
        const snapshot = withFinalizers(['kubernetes'], ['controller.cattle.io/namespace-auth', 'orphan'])();
        snapshot.knownOwners = [{ finalizer: 'controller.cattle.io/namespace-auth', readable: true, pods: [] }];
        return snapshot;
      },
      blockers: [
        {
          id: 'NamespaceMetadataFinalizerRemaining', subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: ['controller.cattle.io/namespace-auth', 'orphan'] },
          facts: [/Rancher/, /none found/],
          lastResort: { command: /"op":"test".*"op":"replace","path":"\/metadata\/finalizers","value":\["orphan"\]/, cost: /nothing in the cluster/ },
        },
      ],
    },
  ],
});

const crdName = 'databasebackups.example.ns-doctor.dev';

function crdBeingDeleted(): Snapshot {
  const snapshot = recorded('crd-finalizer');
  const crd = snapshot.crds[crdName];
  crd.deletionTimestamp = snapshot.takenAt;
  crd.finalizers = ['customresourcecleanup.apiextensions.k8s.io'];
  crd.conditions.push({ type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' });
  return snapshot;
}

function conversionTo(service: { exists: boolean; ready: number }): Snapshot {
  const snapshot = recorded('crd-finalizer');
  const crd = snapshot.crds[crdName];
  crd.conversionStrategy = 'Webhook';
  crd.conversionService = { namespace: 'backup-system', name: 'backup-conversion', port: 443 };
  snapshot.services['backup-system/backup-conversion'] = { namespace: 'backup-system', name: 'backup-conversion', exists: service.exists, ports: service.exists ? [{ port: 443 }] : [], ...(service.exists ? { selector: { app: 'c' } } : {}) };
  if (service.exists) snapshot.endpoints['backup-system/backup-conversion'] = { service: 'backup-system/backup-conversion', slices: 1, readyAddresses: service.ready, notReadyAddresses: 0, podNames: [] };
  return snapshot;
}

function protectedClaim(usedByPod: boolean): Snapshot {
  const snapshot = recorded('pod-terminating');
  snapshot.content!.stuck.push({
    group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim',
    meta: { name: 'data', namespace: 'pod1', deletionTimestamp: snapshot.takenAt, finalizers: ['kubernetes.io/pvc-protection'] },
  });
  if (usedByPod) Object.values(snapshot.pods)[0].claimNames = ['data'];
  return snapshot;
}

function foregroundOwner(withDependent: boolean): Snapshot {
  const snapshot = recorded('crd-finalizer');
  snapshot.content!.stuck.push({
    group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment',
    meta: { name: 'web', namespace: 'crd1', uid: 'owner-uid', deletionTimestamp: snapshot.takenAt, finalizers: ['foregroundDeletion'] },
  });
  if (withDependent) {
    snapshot.content!.blockingDependents.push({
      group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet',
      meta: { name: 'web-5d8f', namespace: 'crd1', finalizers: ['example.com/hold'], deletionTimestamp: snapshot.takenAt, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'owner-uid', blockOwnerDeletion: true }] },
    });
  }
  return snapshot;
}

table(apiServiceUnavailable, {
  valid: [{ name: 'every API discovered, every APIService Available', snapshot: () => recorded('crd-finalizer') }],
  invalid: [
    { name: 'metrics-server OOMKilled on a NotReady node', snapshot: () => recorded('metrics-server'), blockers: [{ id: 'APIServiceUnavailable', subject: { kind: 'APIService', name: 'v1beta1.metrics.k8s.io', groupVersion: 'metrics.k8s.io/v1beta1' }, summary: /OOMKilled/, facts: [/Ready=False/] }] },
    {
      name: 'its backend Service lives in the namespace being deleted',
      snapshot: () => {
        const snapshot = recorded('metrics-server');
        const metrics = snapshot.apiServices!.find((a) => a.name === 'v1beta1.metrics.k8s.io')!;
        metrics.service = { ...metrics.service!, namespace: snapshot.namespaceName };
        return snapshot;
      },
      blockers: [{ id: 'APIServiceBackendInNamespace', subject: { kind: 'APIService', name: 'v1beta1.metrics.k8s.io', groupVersion: 'metrics.k8s.io/v1beta1' } }],
    },
    { name: 'its Service is gone (left behind by an uninstall)', snapshot: () => recorded('apiservice-orphaned'), blockers: [{ id: 'APIServiceOrphaned', subject: { kind: 'APIService', name: 'v1beta1.custom.metrics.k8s.io', groupVersion: 'custom.metrics.k8s.io/v1beta1' }, safeties: ['safe', 'caution'] }] },
    {
      name: "findings F8: its Service is gone with its namespace, itself being deleted: deleting the APIService is the safe fix, not reinstalling",
      snapshot: () => {
        const snapshot = recorded('apiservice-orphaned');
        for (const service of Object.values(snapshot.services)) if (!service.exists) service.namespaceTerminating = true;
        return snapshot;
      },
      blockers: [
        {
          id: 'APIServiceOrphaned', subject: { kind: 'APIService', name: 'v1beta1.custom.metrics.k8s.io', groupVersion: 'custom.metrics.k8s.io/v1beta1' },
          summary: /which is gone with its namespace monitoring, itself being deleted: it can never come back$/,
          safeties: ['safe'],
        },
      ],
    },
  ],
});

const ACCESS_DENIED = 'AccessDenied: User: arn:aws:sts::123456789012:assumed-role/bucket-operator is not authorized to perform: s3:DeleteBucket';
const TERMINATING = 'cannot create ProviderConfigUsage: unable to create new content in namespace live1 because it is being terminated';
/** The object's own deletion plus `ms`: what --stall-after is counted from (never the namespace's age). */
const afterObjectDeleted = (ms: number, stallAfterMs?: number) => (snapshot: Snapshot) => ({
  now: new Date(Date.parse(snapshot.content!.stuck[0].meta.deletionTimestamp!) + ms),
  ...(stallAfterMs !== undefined ? { stallAfterMs } : {}),
});

table(finalizerOwnerMissing, {
  valid: [
    { name: 'a Ready pod whose ServiceAccount may update the type: a wait until --stall-after, not missing', snapshot: () => recorded('finalizer-live') },
    { name: "issue 18 item 2: an unrelated Ready pod may update configmaps (a wait bounded by --stall-after)", snapshot: configMapFinalizerWithUnrelatedUpdater },
    { name: 'not deleted yet, and a Ready pod may update configmaps: not this (its wait comes once it is deleted)', snapshot: () => pendingFinalizerBehindPods(true) },
    { name: "issue 18 item 3: service.kubernetes.io/load-balancer-cleanup belongs to the cloud-controller-manager, maybe off-cluster", snapshot: serviceWithLoadBalancerCleanup },
  ],
  invalid: [
    {
      name: 'findings F9: not deleted yet (pods first), and no controller may ever remove its finalizer: Blocked now, not after the pods',
      snapshot: () => pendingFinalizerBehindPods(),
      blockers: [
        {
          id: 'FinalizerOwnerMissing', subject: { kind: 'Finalizer', finalizer: 'backup.example.com/export', group: '', resource: 'configmaps' },
          summary: /^1 configmaps not deleted yet carries finalizer backup\.example\.com\/export, and no running controller will remove it: the moment/,
          facts: [/not deleted yet \(the namespace controller deletes pods first\); carries finalizer backup\.example\.com\/export/],
        },
      ],
    },
    {
      name: 'no running controller may remove the custom finalizer',
      snapshot: () => recorded('crd-finalizer'),
      blockers: [{ id: 'FinalizerOwnerMissing', subject: { kind: 'Finalizer', finalizer: 'example.ns-doctor.dev/snapshot-cleanup', group: 'example.ns-doctor.dev', resource: 'databasebackups' }, facts: [/example\.ns-doctor\.dev\/snapshot-cleanup/], lastResort: { cost: /leak/ }, finalizer: { finalizer: 'example.ns-doctor.dev/snapshot-cleanup', owner: { confidence: 'none', pods: [] } } }],
    },
    {
      name: 'a catalogued finalizer (Argo CD) whose controller is gone: named from the catalog, with its cost',
      snapshot: () =>
        liveWith((snapshot, bucket) => {
          renameFinalizer(snapshot, bucket, 'resources-finalizer.argocd.argoproj.io');
          snapshot.finalizerOwners[0].candidates = [];
          snapshot.knownOwners = [{ finalizer: 'resources-finalizer.argocd.argoproj.io', readable: true, pods: [] }];
        }),
      blockers: [
        {
          id: 'FinalizerOwnerMissing', subject: { kind: 'Finalizer', finalizer: 'resources-finalizer.argocd.argoproj.io', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' },
          safeties: ['safe', 'last-resort'],
          finalizer: { finalizer: 'resources-finalizer.argocd.argoproj.io', owner: { confidence: 'none', project: 'Argo CD', component: 'argocd-application-controller' }, removalCost: 'cluster' },
          lastResort: { command: /--type=json -p .*"op":"test".*"op":"remove","path":"\/metadata\/finalizers\/0"/ },
        },
      ],
    },
    {
      name: 'issue 18 item 8: a pod that only a custom finalizer keeps gets the finalizer fix (JSON patch), not a forced delete',
      snapshot: () => podHeldByFinalizer((pod) => delete pod.nodeName),
      blockers: [{ id: 'FinalizerOwnerMissing', subject: { kind: 'Finalizer', finalizer: 'example.com/hold', group: '', resource: 'pods' }, finalizer: { finalizer: 'example.com/hold', group: '', resource: 'pods' }, lastResort: { command: /^kubectl -n pod1 patch pods worker-6f7c9-qk2vd --type=json/ } }],
    },
  ],
});

table(finalizerControllerStalled, {
  valid: [
    { name: 'the controller runs and nothing says it fails, inside --stall-after', snapshot: () => recorded('finalizer-live') },
    { name: 'Ready=False while it deletes (reason Deleting) is work in progress', snapshot: withCondition({ type: 'Ready', status: 'False', reason: 'Deleting' }) },
    { name: 'Synced=True, Ready=True: healthy conditions', snapshot: () => liveWith((_s, b) => (b.conditions = [{ type: 'Synced', status: 'True', reason: 'ReconcileSuccess' }, { type: 'Ready', status: 'True' }])) },
    { name: 'a Warning Event from before the object was deleted is about its life, not its deletion', snapshot: withEvent({ reason: 'SyncFailed', message: 'timeout' }, -60) },
    { name: 'a Normal Event never reports a failure', snapshot: withEvent({ type: 'Normal', reason: 'Deleting', message: 'deleting bucket' }) },
    { name: 'no controller at all is FinalizerOwnerMissing, not this', snapshot: () => recorded('crd-finalizer'), context: afterObjectDeleted(3_600_000) },
    { name: 'waited 9m59s of a 10m --stall-after', snapshot: () => recorded('finalizer-live'), context: afterObjectDeleted(599_000) },
    { name: 'a pause-shaped annotation of a project ns-doctor does not know only "may" pause: still a wait', snapshot: () => liveWith((_s, b) => (b.meta.annotations = { 'kamaji.clastix.io/paused': '' })) },
    { name: 'crossplane.io/paused: "false" pauses nothing (Crossplane wants "true")', snapshot: () => liveWith((_s, b) => (b.meta.annotations = { 'crossplane.io/paused': 'false' })) },
  ],
  invalid: [
    {
      name: "Cluster API's pause annotation (its key is enough): Blocked at once; find out why, then resume, before the last resort",
      snapshot: () => liveWith((_s, b) => (b.meta.annotations = { 'cluster.x-k8s.io/paused': '' })),
      blockers: [
        {
          id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' },
          facts: [/^annotation cluster\.x-k8s\.io\/paused="": reconciliation paused \(Cluster API\)$/m],
          safeties: ['safe', 'caution', 'last-resort'],
          finalizer: { stall: { reason: 'Paused', source: { kind: 'ObjectBucket', name: 'photos' }, pause: { switch: 'cluster.x-k8s.io/paused', on: 'annotation', value: '', project: 'Cluster API' } } },
          lastResort: { command: /"op":"test"/ },
        },
      ],
    },
    {
      name: 'a paused object\'s failing condition is what it said before the pause: the pause decides',
      snapshot: () =>
        liveWith((_s, b) => {
          b.meta.annotations = { 'crossplane.io/paused': 'true' };
          b.conditions = [{ type: 'Synced', status: 'False', reason: 'ReconcileError', message: ACCESS_DENIED }];
        }),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, finalizer: { stall: { reason: 'Paused', pause: { project: 'Crossplane', value: 'true' } } } }],
    },
    {
      name: 'past --stall-after, an unknown pause-shaped annotation is shown as a "may"',
      snapshot: () => liveWith((_s, b) => (b.meta.annotations = { 'kamaji.clastix.io/paused': '' })),
      context: afterObjectDeleted(601_000),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, facts: [/kamaji\.clastix\.io\/paused="": reconciliation may be paused/], finalizer: { stall: { reason: 'StallAfter' } } }],
    },
    {
      name: "issue 18 item 1: the object's own condition says the controller fails (Ready=False DeleteFailed AccessDenied)",
      snapshot: withCondition({ type: 'Ready', status: 'False', reason: 'DeleteFailed', message: ACCESS_DENIED }),
      blockers: [
        {
          id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' },
          facts: [ACCESS_DENIED],
          safeties: ['safe', 'last-resort'],
          finalizer: {
            finalizer: LIVE_FINALIZER,
            owner: { confidence: 'may', pods: [{ namespace: 'live1-system', name: 'bucket-operator-6b7f9c5d4-q8m2z', ready: true }] },
            stall: { reason: 'ObjectCondition', condition: { type: 'Ready', status: 'False', reason: 'DeleteFailed' }, message: ACCESS_DENIED, source: { kind: 'ObjectBucket', name: 'photos' } },
          },
          lastResort: { command: /--type=json/ },
        },
      ],
    },
    {
      name: 'Crossplane: Synced=False ReconcileError',
      snapshot: withCondition({ type: 'Synced', status: 'False', reason: 'ReconcileError', message: 'delete failed: operation error S3: DeleteBucket, https response error StatusCode: 409, BucketNotEmpty' }),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, finalizer: { stall: { reason: 'ObjectCondition', condition: { type: 'Synced', status: 'False' } } } }],
    },
    {
      name: 'kstatus: Stalled=True',
      snapshot: withCondition({ type: 'Stalled', status: 'True', reason: 'CleanupBlocked' }),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, finalizer: { stall: { reason: 'ObjectCondition' } } }],
    },
    {
      name: "a Warning Event in the controller's own namespace (a Terminating namespace refuses new Events)",
      snapshot: withEvent({ reason: 'CleanupFailed', message: 'AccessDenied: s3:DeleteBucket' }),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, facts: [/Warning CleanupFailed by bucket-operator: AccessDenied/], finalizer: { stall: { reason: 'Event', source: { kind: 'Event', namespace: 'live1-system' } } } }],
    },
    {
      name: 'Crossplane v2: an Event says the controller cannot create in the terminating namespace',
      snapshot: withEvent({ reason: 'CannotConnectToProvider', message: TERMINATING }),
      blockers: [{ id: 'ControllerCannotCreateInTerminatingNamespace', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, finalizer: { stall: { reason: 'CannotCreateInTerminatingNamespace', message: TERMINATING } } }],
    },
    {
      name: 'the same words in a condition',
      snapshot: withCondition({ type: 'Synced', status: 'False', reason: 'ReconcileError', message: TERMINATING }),
      blockers: [{ id: 'ControllerCannotCreateInTerminatingNamespace', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' } }],
    },
    {
      name: 'no word from the controller, but longer than --stall-after (10m) since the object was deleted',
      snapshot: () => recorded('finalizer-live'),
      context: afterObjectDeleted(601_000),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, finalizer: { stall: { reason: 'StallAfter', waitedSeconds: 601, stallAfterSeconds: 600 } }, lastResort: { command: /"op":"test"/ } }],
    },
    {
      name: '--stall-after is a flag',
      snapshot: () => recorded('finalizer-live'),
      context: afterObjectDeleted(31_000, 30_000),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'storage.ns-doctor.dev/bucket-cleanup', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' }, finalizer: { stall: { reason: 'StallAfter', stallAfterSeconds: 30 } } }],
    },
    {
      name: 'issue 18 item 2: past --stall-after, a wait linked by RBAC only is a blocker with the last resort',
      snapshot: configMapFinalizerWithUnrelatedUpdater,
      context: afterObjectDeleted(601_000),
      blockers: [{ id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'backup.example.com/export', group: '', resource: 'configmaps' }, finalizer: { finalizer: 'backup.example.com/export', owner: { confidence: 'may' } }, safeties: ['safe', 'last-resort'] }],
    },
    {
      name: 'a catalogued controller found by its labels runs: restart it (caution) comes before the last resort',
      snapshot: knownOwnerRuns('resources-finalizer.argocd.argoproj.io', 'app.kubernetes.io/name=argocd-application-controller', 4),
      context: afterObjectDeleted(601_000),
      blockers: [
        {
          id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'resources-finalizer.argocd.argoproj.io', group: 'storage.ns-doctor.dev', resource: 'objectbuckets' },
          safeties: ['safe', 'caution', 'last-resort'],
          finalizer: { owner: { confidence: 'runs', project: 'Argo CD', pods: [{ name: 'argocd-application-controller-0', restarts: 4 }] }, removalCost: 'cluster' },
        },
      ],
    },
    {
      name: 'issue 18 item 3: load-balancer-cleanup past --stall-after: the cloud-controller-manager, and a leaked cloud load balancer',
      snapshot: serviceWithLoadBalancerCleanup,
      context: afterObjectDeleted(601_000),
      blockers: [
        {
          id: 'FinalizerControllerStalled', subject: { kind: 'Finalizer', finalizer: 'service.kubernetes.io/load-balancer-cleanup', group: '', resource: 'services' },
          finalizer: { finalizer: 'service.kubernetes.io/load-balancer-cleanup', owner: { confidence: 'unseen', project: 'Kubernetes', pods: [] }, removalCost: 'cloud-orphan' },
          facts: [/cloud-controller-manager/],
          lastResort: { cost: /cloud load balancer/ },
        },
      ],
    },
  ],
});

table(crdTerminating, {
  valid: [{ name: 'a CRD that is not being deleted', snapshot: () => recorded('crd-finalizer') }],
  invalid: [{ name: 'a CRD being deleted while its instances remain', snapshot: crdBeingDeleted, blockers: [{ id: 'CRDTerminating', subject: { kind: 'CustomResourceDefinition', name: 'databasebackups.example.ns-doctor.dev' }, facts: [/InstanceDeletionInProgress/] }] }],
});

const X509 = 'tls: failed to verify certificate: x509: certificate signed by unknown authority';

/** The namespace controller's own words about the conversion webhook of the recorded CRD. */
function conversionReported(snapshot: Snapshot, cause: string): Snapshot {
  const crd = snapshot.crds[crdName];
  snapshot.namespace!.conditions.push({
    type: 'NamespaceDeletionContentFailure',
    status: 'True',
    reason: 'ContentDeletionFailed',
    message: `Failed to delete all resource types, 1 remaining: conversion webhook for ${crd.group}/v1beta1, Kind=${crd.kind} failed: Post "https://backup-conversion.backup-system.svc:443/convert?timeout=30s": ${cause}`,
  });
  return snapshot;
}

function conversionByURL(): Snapshot {
  const snapshot = recorded('crd-finalizer');
  const crd = snapshot.crds[crdName];
  crd.conversionStrategy = 'Webhook';
  crd.conversionURL = 'https://127.0.0.1:40001/convert';
  crd.conversionHasCABundle = true;
  return snapshot;
}

table(conversionWebhookDown, {
  valid: [
    { name: 'the conversion service has a ready endpoint', snapshot: () => conversionTo({ exists: true, ready: 1 }) },
    { name: 'called by URL, and the controller names no failure', snapshot: conversionByURL },
  ],
  invalid: [
    { name: 'the conversion service is gone', snapshot: () => conversionTo({ exists: false, ready: 0 }), blockers: [{ id: 'ConversionWebhookDown', subject: { kind: 'ConversionWebhook', crd: 'databasebackups.example.ns-doctor.dev' }, facts: [/does not exist/] }] },
    { name: 'the conversion service has no ready endpoint', snapshot: () => conversionTo({ exists: true, ready: 0 }), blockers: [{ id: 'ConversionWebhookDown', subject: { kind: 'ConversionWebhook', crd: 'databasebackups.example.ns-doctor.dev' } }] },
    {
      name: 'a ready endpoint and an untrusted certificate: the certificate, never "down"',
      snapshot: () => conversionReported(conversionTo({ exists: true, ready: 1 }), X509),
      blockers: [{ id: 'ConversionWebhookDown', subject: { kind: 'ConversionWebhook', crd: 'databasebackups.example.ns-doctor.dev' }, summary: /fails: the API server does not trust the certificate its backend serves \(tls: failed to verify certificate: x509: certificate signed by unknown authority\)/, facts: [/1 ready endpoints/, /reports \(tls\)/] }],
    },
    {
      name: 'not reported by the controller yet, but our own list of the type failed with the same words',
      snapshot: () => {
        const snapshot = conversionTo({ exists: true, ready: 1 });
        const crd = snapshot.crds[crdName];
        snapshot.gaps.push({
          kind: 'content',
          resource: `${crd.plural}.${crd.group}`,
          what: `list ${crd.plural}.${crd.group} in crd1`,
          reason: `500 Internal error occurred: conversion webhook for ${crd.group}/v1beta1, Kind=${crd.kind} failed: Post "https://backup-conversion.backup-system.svc:443/convert?timeout=30s": ${X509}`,
          httpStatus: 500,
        });
        return snapshot;
      },
      blockers: [{ id: 'ConversionWebhookDown', subject: { kind: 'ConversionWebhook', crd: 'databasebackups.example.ns-doctor.dev' }, summary: /does not trust the certificate/, facts: [/listing its objects fails \(tls\)/] }],
    },
    {
      name: 'called by URL and named by the controller',
      snapshot: () => conversionReported(conversionByURL(), X509),
      blockers: [{ id: 'ConversionWebhookDown', subject: { kind: 'ConversionWebhook', crd: 'databasebackups.example.ns-doctor.dev' }, summary: /does not trust the certificate/, facts: [/called by URL https:\/\/127\.0\.0\.1:40001\/convert, caBundle set/] }],
    },
  ],
});

describe('ConversionWebhookDown: the safe fix follows the class', () => {
  it('TLS: print the caBundle the API server trusts first, never "restore the conversion service"', () => {
    const snapshot = conversionReported(conversionTo({ exists: true, ready: 1 }), X509);
    const [blocker] = conversionWebhookDown.run(snapshot, contextFor(snapshot));
    expect(blocker.failure).toMatchObject({ class: 'tls', source: 'controller' });
    expect(blocker.summary).not.toMatch(/down/);
    expect(blocker.fixes[0].command).toBe(`kubectl get crd ${crdName} -o 'jsonpath={.spec.conversion.webhook.clientConfig.caBundle}' | base64 -d | openssl x509 -noout -subject -issuer -enddate`);
    expect(blocker.fixes.map((f) => f.description).join('\n')).not.toMatch(/restore the conversion service/);
  });

  it('refused by URL: the backend does not listen', () => {
    const snapshot = conversionReported(conversionByURL(), 'dial tcp 127.0.0.1:40001: connect: connection refused');
    const [blocker] = conversionWebhookDown.run(snapshot, contextFor(snapshot));
    expect(blocker.failure?.class).toBe('refused');
    expect(blocker.summary).toContain('nothing listens at its backend https://127.0.0.1:40001/convert');
  });
});

table(pvcInUse, {
  valid: [{ name: 'no claim is held by pvc-protection', snapshot: () => recorded('pod-terminating') }],
  invalid: [
    { name: 'a pod still uses the protected claim', snapshot: () => protectedClaim(true), blockers: [{ id: 'PVCInUse', subject: { kind: 'PersistentVolumeClaims', namespace: 'pod1', names: ['data'] }, facts: [/still uses the claim/], summary: /^1 PersistentVolumeClaim is protected because pods still use them$/ }] },
    { name: 'no pod uses it: the protection controller should have acted', snapshot: () => protectedClaim(false), blockers: [{ id: 'PVCInUse', subject: { kind: 'PersistentVolumeClaims', namespace: 'pod1', names: ['data'] }, facts: [/no pod uses it/], summary: /though no pod uses it: the pvc-protection controller should have removed it$/ }] },
  ],
});

function beforeFirstPass(): Snapshot {
  const snapshot = foregroundOwner(true);
  snapshot.namespace!.conditions = [];
  return snapshot;
}

table(dependentsBlockDeletion, {
  valid: [
    { name: 'no owner waits on foregroundDeletion or orphan', snapshot: () => recorded('crd-finalizer') },
    { name: "issue 18 item 7: before the namespace controller's first pass (deleted 2s ago, no condition yet) it is a wait", snapshot: beforeFirstPass, context: after(2_000) },
  ],
  invalid: [
    { name: 'an owner waits on a dependent with blockOwnerDeletion', snapshot: () => foregroundOwner(true), blockers: [{ id: 'DependentsBlockDeletion', subject: { kind: 'Owners', namespace: 'crd1', names: ['Deployment/web'] }, summary: /1 blocking dependent/ }] },
    {
      name: 'past --controller-timeout with no pass: the last resort removes only foregroundDeletion, with a JSON patch test',
      snapshot: beforeFirstPass,
      context: after(6 * 60_000),
      blockers: [{ id: 'DependentsBlockDeletion', subject: { kind: 'Owners', namespace: 'crd1', names: ['Deployment/web'] }, lastResort: { command: `kubectl -n crd1 patch deployments.apps web --type=json -p '[{"op":"test","path":"/metadata/finalizers","value":["foregroundDeletion"]},{"op":"remove","path":"/metadata/finalizers/0"}]'` } }],
    },
  ],
});

table(podsStuckTerminating, {
  valid: [
    { name: 'a pod still inside its grace period', snapshot: () => recorded('pod-grace') },
    { name: 'no pod is Terminating', snapshot: () => recorded('crd-finalizer') },
    { name: 'issue 18 item 8: a pod never scheduled, held only by a custom finalizer, is the finalizer finding', snapshot: () => podHeldByFinalizer((pod) => delete pod.nodeName) },
    { name: 'a Failed pod held only by a custom finalizer likewise', snapshot: () => podHeldByFinalizer((pod) => (pod.phase = 'Failed')) },
  ],
  invalid: [
    { name: 'a pod past its grace period on a node that stopped reporting', snapshot: () => recorded('pod-terminating'), blockers: [{ id: 'PodsStuckTerminating', subject: { kind: 'Nodes', names: ['node-pod1'] }, facts: [/Ready=Unknown/] }] },
    {
      name: "findings F3: a pod never scheduled, held only by the Job controller's job-tracking finalizer: its owner, then removing just it; never a forced delete",
      snapshot: () =>
        podHeldByFinalizer((pod) => {
          delete pod.nodeName;
          pod.finalizers = ['batch.kubernetes.io/job-tracking'];
        }),
      blockers: [
        {
          id: 'PodsStuckTerminating', subject: { kind: 'Finalizer', finalizer: 'batch.kubernetes.io/job-tracking', group: '', resource: 'pods' },
          safeties: ['safe', 'last-resort'],
          lastResort: { command: /^kubectl -n pod1 patch pod \S+ --type=json -p '\[\{"op":"test","path":"\/metadata\/finalizers","value":\["batch\.kubernetes\.io\/job-tracking"\]\},\{"op":"remove","path":"\/metadata\/finalizers\/0"\}\]'$/, cost: /Job may not count/ },
        },
      ],
    },
  ],
});

const TENANT_POLICY = { kind: 'Webhook', configurationKind: 'ValidatingWebhookConfiguration', configuration: 'tenant-policy', webhook: 'namespaces.tenant-policy.example.com' } as const;
table(webhookBlocksDeletion, {
  valid: [
    { name: 'no webhook with failurePolicy Fail intercepts what is left', snapshot: () => recorded('metrics-server') },
    {
      name: 'a URL webhook on namespaces/finalize before the controller is overdue: its backend cannot be checked, nothing is blamed yet',
      snapshot: () => withNamespaceWriteWebhook(passedOverOnce(true), { url: 'https://127.0.0.1:1/validate' }),
      context: afterLastSign(60_000),
    },
    {
      name: 'a webhook on namespaces/finalize whose namespaceSelector leaves this namespace out (its labels)',
      snapshot: () => withNamespaceWriteWebhook(passedOverOnce(true), { url: 'https://127.0.0.1:1/validate' }, { matchLabels: { tenant: 'globex' } }),
      context: afterLastSign(6 * 60_000),
    },
  ],
  invalid: [
    { name: 'failurePolicy Fail on DELETE, backend without ready endpoints', snapshot: () => recorded('webhook-delete'), blockers: [{ id: 'WebhookBlocksDeletion', subject: { kind: 'Webhook', configurationKind: 'ValidatingWebhookConfiguration', configuration: 'wh1-deny-delete', webhook: 'deny-delete.policy.example.com' } }] },
    {
      name: 'findings F1: a URL webhook on namespaces/finalize, the controller overdue with nothing left: it may refuse the finalize call',
      snapshot: () => withNamespaceWriteWebhook(passedOverOnce(true), { url: 'https://127.0.0.1:1/validate' }, { matchLabels: { tenant: 'acme' } }),
      context: afterLastSign(6 * 60_000),
      blockers: [{ id: 'WebhookBlocksDeletion', subject: TENANT_POLICY, summary: /may refuse the namespace controller's own update of Namespace grace1/, failure: { class: 'unknown' }, safeties: ['safe', 'caution', 'last-resort'] }],
    },
    {
      name: 'a webhook on namespaces/finalize whose Service is missing refuses it at once, before the controller is overdue',
      snapshot: () => withNamespaceWriteWebhook(passedOverOnce(), { service: { namespace: 'tenancy', name: 'tenant-policy', port: 443 } }),
      context: afterLastSign(30_000),
      blockers: [{ id: 'WebhookBlocksDeletion', subject: TENANT_POLICY, summary: /refuses the namespace controller's own update/, failure: { class: 'service-not-found' } }],
    },
  ],
});

describe('check tables', () => {
  it('every registered check has a valid/invalid table', () => {
    expect(CHECKS.filter((check) => !tabled.has(check)).map((check) => check.id)).toEqual([]);
  });

  it('every blocker id a check can report is reported by some row (so its --all grouping is tested too)', () => {
    expect(CHECKS.flatMap((check) => check.emits).filter((id) => !reportedByTables.has(id))).toEqual([]);
  });
});
