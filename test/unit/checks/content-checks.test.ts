import { describe, expect, it } from 'vitest';
import { conversionWebhookDown } from '../../../src/checks/conversion-webhook-down.js';
import { crdTerminating } from '../../../src/checks/crd-terminating.js';
import { dependentsBlockDeletion } from '../../../src/checks/dependents-block-deletion.js';
import { pvcInUse } from '../../../src/checks/pvc-in-use.js';
import { contextFor, facts, recorded } from '../helpers.js';

const crdName = 'databasebackups.example.ns-doctor.dev';

describe('CRDTerminating', () => {
  it('reports a CRD being deleted while its instances remain, and warns never to strip its finalizer', () => {
    const snapshot = recorded('crd-finalizer');
    const crd = snapshot.crds[crdName];
    crd.deletionTimestamp = snapshot.takenAt;
    crd.finalizers = ['customresourcecleanup.apiextensions.k8s.io'];
    crd.conditions.push({ type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' });
    const [blocker] = crdTerminating.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('CRDTerminating');
    expect(facts([blocker])[0]).toContain('InstanceDeletionInProgress');
    // A warning is not a fix: it must never become a step of a fix plan.
    expect(blocker.warnings).toEqual([expect.stringContaining('never remove')]);
    expect(blocker.fixes.map((f) => f.description).join('\n')).not.toContain('never remove');
  });

  it('is silent for a CRD that is not being deleted', () => {
    const snapshot = recorded('crd-finalizer');
    expect(crdTerminating.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});

describe('ConversionWebhookDown', () => {
  it('reports a CRD whose conversion service is gone while its objects remain', () => {
    const snapshot = recorded('crd-finalizer');
    const crd = snapshot.crds[crdName];
    crd.conversionStrategy = 'Webhook';
    crd.conversionService = { namespace: 'backup-system', name: 'backup-conversion', port: 443 };
    snapshot.services['backup-system/backup-conversion'] = { namespace: 'backup-system', name: 'backup-conversion', exists: false, ports: [] };
    const [blocker] = conversionWebhookDown.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('ConversionWebhookDown');
    expect(facts([blocker])).toContain('Service backup-conversion: does not exist');
    expect(blocker.fixes.at(-1)!.safety).toBe('last-resort');
  });

  it('is silent when the conversion service has ready endpoints and the controller reports nothing', () => {
    const snapshot = recorded('crd-finalizer');
    const crd = snapshot.crds[crdName];
    crd.conversionStrategy = 'Webhook';
    crd.conversionService = { namespace: 'backup-system', name: 'backup-conversion', port: 443 };
    snapshot.services['backup-system/backup-conversion'] = { namespace: 'backup-system', name: 'backup-conversion', exists: true, ports: [{ port: 443 }], selector: { app: 'c' } };
    snapshot.endpoints['backup-system/backup-conversion'] = { service: 'backup-system/backup-conversion', slices: 1, readyAddresses: 1, notReadyAddresses: 0, podNames: [] };
    expect(conversionWebhookDown.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});

describe('PVCInUse', () => {
  it('names the pod that still uses a protected claim', () => {
    const snapshot = recorded('pod-terminating');
    snapshot.content!.stuck.push({
      group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim',
      meta: { name: 'data', namespace: 'pod1', deletionTimestamp: snapshot.takenAt, finalizers: ['kubernetes.io/pvc-protection'] },
    });
    const pod = Object.values(snapshot.pods)[0];
    pod.claimNames = ['data'];
    const [blocker] = pvcInUse.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('PVCInUse');
    expect(facts([blocker])).toContain('PersistentVolumeClaim data: deleted, held by kubernetes.io/pvc-protection');
    expect(facts([blocker]).join('\n')).toContain(`Pod ${pod.name}: still uses the claim (itself Terminating)`);
  });
});

describe('DependentsBlockDeletion', () => {
  it('finds dependents with blockOwnerDeletion of an owner waiting on foregroundDeletion', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.content!.stuck.push({
      group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment',
      meta: { name: 'web', namespace: 'crd1', uid: 'owner-uid', deletionTimestamp: snapshot.takenAt, finalizers: ['foregroundDeletion'] },
    });
    snapshot.content!.blockingDependents.push({
      group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet',
      meta: { name: 'web-5d8f', namespace: 'crd1', finalizers: ['example.com/hold'], deletionTimestamp: snapshot.takenAt, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'owner-uid', blockOwnerDeletion: true }] },
    });
    const [blocker] = dependentsBlockDeletion.run(snapshot, contextFor(snapshot));
    expect(blocker.summary).toContain('1 blocking dependent');
    expect(facts([blocker])).toContain('ReplicaSet web-5d8f: dependent with blockOwnerDeletion, Terminating; finalizers example.com/hold');
  });
});
