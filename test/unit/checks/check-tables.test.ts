// Every check's table, after ESLint's RuleTester: snapshots on which it must stay silent and snapshots on which it
// must report exactly the listed blockers, each id one the check declares. The recorded stories (test/fixtures) are
// the base; a case changes only what its name says. The last test fails when a registered check has no table.
import { describe, expect, it } from 'vitest';
import { apiServiceUnavailable } from '../../../src/checks/apiservice-unavailable.js';
import { conversionWebhookDown } from '../../../src/checks/conversion-webhook-down.js';
import { crdTerminating } from '../../../src/checks/crd-terminating.js';
import { dependentsBlockDeletion } from '../../../src/checks/dependents-block-deletion.js';
import { finalizerOwnerMissing } from '../../../src/checks/finalizer-owner-missing.js';
import { podsStuckTerminating } from '../../../src/checks/pods-stuck-terminating.js';
import { pvcInUse } from '../../../src/checks/pvc-in-use.js';
import { CHECKS } from '../../../src/checks/registry.js';
import { webhookBlocksDeletion } from '../../../src/checks/webhook-blocks-deletion.js';
import type { Check } from '../../../src/checks/types.js';
import { contentDeletionFailed } from '../../../src/checks/content-deletion-failed.js';
import { groupVersionParseFailure } from '../../../src/checks/group-version-parse-failure.js';
import { namespaceControllerForbidden } from '../../../src/checks/namespace-controller-forbidden.js';
import { namespaceControllerNotRunning } from '../../../src/checks/namespace-controller-not-running.js';
import { namespaceFinalizerRemaining } from '../../../src/checks/namespace-finalizer-remaining.js';
import { namespaceMetadataFinalizerRemaining } from '../../../src/checks/namespace-metadata-finalizer-remaining.js';
import type { Snapshot } from '../../../src/snapshot/types.js';
import { contextFor, recorded } from '../helpers.js';
import { testCheck } from './check-tester.js';

const tabled = new Set<Check>();
function table(check: Check, cases: Parameters<typeof testCheck>[1]): void {
  tabled.add(check);
  testCheck(check, cases);
}

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

table(namespaceControllerNotRunning, {
  valid: [
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
      blockers: [{ id: 'NamespaceControllerNotRunning', facts: [/threshold 30s/] }],
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
  valid: [{ name: 'a content failure that is not about RBAC', snapshot: () => withContentFailure(ETCD) }],
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
  invalid: [{ name: 'an unexplained failure while content remains', snapshot: () => withContentFailure(ETCD), blockers: [{ id: 'ContentDeletionFailed', subject: { kind: 'NamespaceContent', namespace: 'wh1' }, summary: /etcdserver: request timed out/ }] }],
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
          id: 'NamespaceFinalizerRemaining',
          summary: /platform\.example\.com\/namespace-cleanup/,
          lastResort: { command: 'kubectl replace --raw /api/v1/namespaces/nsf1/finalize -f -', cost: /reappears if a namespace with this name is created again/ },
        },
      ],
    },
  ],
});

table(namespaceMetadataFinalizerRemaining, {
  valid: [{ name: 'orphan is left to the garbage collector while spec finalizers remain', snapshot: withFinalizers(['kubernetes'], ['orphan']) }],
  invalid: [
    {
      name: 'a custom metadata finalizer on the namespace',
      snapshot: withFinalizers(['kubernetes'], ['example.com/keep']),
      blockers: [{ id: 'NamespaceMetadataFinalizerRemaining', lastResort: { command: `kubectl patch namespace nsf1 --type=merge -p '{"metadata":{"finalizers":null}}'` } }],
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
    { name: 'its Service is gone (left behind by an uninstall)', snapshot: () => recorded('apiservice-orphaned'), blockers: [{ id: 'APIServiceOrphaned' }] },
  ],
});

table(finalizerOwnerMissing, {
  valid: [{ name: 'the finalizer’s controller runs and is Ready', snapshot: () => recorded('finalizer-live') }],
  invalid: [
    {
      name: 'no running controller may remove the custom finalizer',
      snapshot: () => recorded('crd-finalizer'),
      blockers: [{ id: 'FinalizerOwnerMissing', subject: { kind: 'Finalizer', finalizer: 'example.ns-doctor.dev/snapshot-cleanup', group: 'example.ns-doctor.dev', resource: 'databasebackups' }, facts: [/example\.ns-doctor\.dev\/snapshot-cleanup/], lastResort: { cost: /leak/ } }],
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
    { name: 'the conversion service has no ready endpoint', snapshot: () => conversionTo({ exists: true, ready: 0 }), blockers: [{ id: 'ConversionWebhookDown' }] },
    {
      name: 'a ready endpoint and an untrusted certificate: the certificate, never "down"',
      snapshot: () => conversionReported(conversionTo({ exists: true, ready: 1 }), X509),
      blockers: [{ id: 'ConversionWebhookDown', summary: /fails: the API server does not trust the certificate its backend serves \(tls: failed to verify certificate: x509: certificate signed by unknown authority\)/, facts: [/1 ready endpoints/, /reports \(tls\)/] }],
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
      blockers: [{ id: 'ConversionWebhookDown', summary: /does not trust the certificate/, facts: [/listing its objects fails \(tls\)/] }],
    },
    {
      name: 'called by URL and named by the controller',
      snapshot: () => conversionReported(conversionByURL(), X509),
      blockers: [{ id: 'ConversionWebhookDown', summary: /does not trust the certificate/, facts: [/called by URL https:\/\/127\.0\.0\.1:40001\/convert, caBundle set/] }],
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
    { name: 'a pod still uses the protected claim', snapshot: () => protectedClaim(true), blockers: [{ id: 'PVCInUse', subject: { kind: 'PersistentVolumeClaims', namespace: 'pod1', names: ['data'] }, facts: [/still uses the claim/] }] },
    { name: 'no pod uses it: the protection controller should have acted', snapshot: () => protectedClaim(false), blockers: [{ id: 'PVCInUse', facts: [/no pod uses it/] }] },
  ],
});

table(dependentsBlockDeletion, {
  valid: [{ name: 'no owner waits on foregroundDeletion or orphan', snapshot: () => recorded('crd-finalizer') }],
  invalid: [{ name: 'an owner waits on a dependent with blockOwnerDeletion', snapshot: () => foregroundOwner(true), blockers: [{ id: 'DependentsBlockDeletion', subject: { kind: 'Owners', namespace: 'crd1', names: ['Deployment/web'] }, summary: /1 blocking dependent/ }] }],
});

table(podsStuckTerminating, {
  valid: [
    { name: 'a pod still inside its grace period', snapshot: () => recorded('pod-grace') },
    { name: 'no pod is Terminating', snapshot: () => recorded('crd-finalizer') },
  ],
  invalid: [{ name: 'a pod past its grace period on a node that stopped reporting', snapshot: () => recorded('pod-terminating'), blockers: [{ id: 'PodsStuckTerminating', subject: { kind: 'Nodes', names: ['node-pod1'] }, facts: [/Ready=Unknown/] }] }],
});

table(webhookBlocksDeletion, {
  valid: [{ name: 'no webhook with failurePolicy Fail intercepts what is left', snapshot: () => recorded('metrics-server') }],
  invalid: [{ name: 'failurePolicy Fail on DELETE, backend without ready endpoints', snapshot: () => recorded('webhook-delete'), blockers: [{ id: 'WebhookBlocksDeletion', subject: { kind: 'Webhook', configurationKind: 'ValidatingWebhookConfiguration', configuration: 'wh1-deny-delete', webhook: 'deny-delete.policy.example.com' } }] }],
});

describe('check tables', () => {
  it('every registered check has a valid/invalid table', () => {
    expect(CHECKS.filter((check) => !tabled.has(check)).map((check) => check.id)).toEqual([]);
  });
});
