// Variations of the recorded finalizer stories (test/fixtures), each changing only what its name says: what a
// controller writes on its object, Events about it, who runs, and Kubernetes' own finalizers.
import type { Condition, ObjectEvent, ObjectSample, PodState, Snapshot } from '../../../src/snapshot/types.js';
import { recorded } from '../helpers.js';

export const LIVE_FINALIZER = 'storage.ns-doctor.dev/bucket-cleanup';

/** finalizer-live: ObjectBucket live1/photos deleted at takenAt, a Ready pod whose ServiceAccount may update the type. */
export function liveWith(change: (snapshot: Snapshot, bucket: ObjectSample) => void = () => undefined): Snapshot {
  const snapshot = recorded('finalizer-live');
  change(snapshot, snapshot.content!.stuck[0]);
  return snapshot;
}

export function withCondition(condition: Condition): () => Snapshot {
  return () => liveWith((_s, bucket) => (bucket.conditions = [condition]));
}

/** A Warning Event about the bucket, recorded `secondsAfterDeletion` after it was deleted, in `namespace`. */
export function withEvent(event: Partial<ObjectEvent>, secondsAfterDeletion = 3, namespace = 'live1-system'): () => Snapshot {
  return () =>
    liveWith((snapshot, bucket) => {
      const at = new Date(Date.parse(bucket.meta.deletionTimestamp!) + secondsAfterDeletion * 1000).toISOString();
      snapshot.events = [
        {
          namespace,
          name: 'photos.18a2b3c4d5e6f708',
          involvedObject: { kind: 'ObjectBucket', name: 'photos', namespace: 'live1', uid: bucket.meta.uid },
          type: 'Warning',
          lastTimestamp: at,
          source: 'bucket-operator',
          ...event,
        },
      ];
    });
}

/** The operator pod found where the catalog says it runs: replaces the object's finalizer by a catalogued one. */
export function knownOwnerRuns(finalizer: string, selector: string, restarts = 0): () => Snapshot {
  return () =>
    liveWith((snapshot, bucket) => {
      renameFinalizer(snapshot, bucket, finalizer);
      snapshot.finalizerOwners[0].candidates = [];
      snapshot.knownOwners = [
        { finalizer, readable: true, pods: [{ namespace: 'argocd', name: 'argocd-application-controller-0', ready: true, phase: 'Running', owner: 'StatefulSet/argocd-application-controller', restarts, selector }] },
      ];
    });
}

export function renameFinalizer(snapshot: Snapshot, sample: ObjectSample, finalizer: string): void {
  const type = snapshot.content!.types.find((t) => t.resource === sample.resource && t.group === sample.group)!;
  type.finalizers = { [finalizer]: 1 };
  sample.meta.finalizers = [finalizer];
}

/** A Service of type LoadBalancer with the cloud-controller-manager's finalizer, in crd-finalizer's namespace. */
export function serviceWithLoadBalancerCleanup(): Snapshot {
  const snapshot = recorded('crd-finalizer');
  const ns = snapshot.namespaceName;
  snapshot.content!.stuck = [
    {
      group: '',
      version: 'v1',
      resource: 'services',
      kind: 'Service',
      meta: { name: 'shop-lb', namespace: ns, uid: 'svc-uid', deletionTimestamp: snapshot.takenAt, finalizers: ['service.kubernetes.io/load-balancer-cleanup'] },
    },
  ];
  snapshot.content!.types = [
    { group: '', version: 'v1', resource: 'services', kind: 'Service', count: 1, withFinalizers: 1, withDeletionTimestamp: 1, finalizers: { 'service.kubernetes.io/load-balancer-cleanup': 1 } },
  ];
  // Any controller that may update Services (here: an ingress controller) says nothing about who owns this finalizer.
  snapshot.finalizerOwners = [
    {
      group: '',
      resource: 'services',
      rbacReadable: true,
      candidates: [{ serviceAccount: { namespace: 'ingress-nginx', name: 'ingress-nginx' }, grantedBy: 'ClusterRoleBinding ingress-nginx → ClusterRole ingress-nginx', pods: [{ name: 'ingress-nginx-controller-7d9c', ready: true, phase: 'Running' }] }],
    },
  ];
  snapshot.knownOwners = [{ finalizer: 'service.kubernetes.io/load-balancer-cleanup', readable: true, pods: [] }];
  return snapshot;
}

/**
 * Issue 18 item 2: ConfigMap `export-state` waits on backup.example.com/export; nothing runs that owns it, but an
 * unrelated Ready ingress controller's ServiceAccount may update configmaps (leader election).
 */
export function configMapFinalizerWithUnrelatedUpdater(): Snapshot {
  const snapshot = recorded('crd-finalizer');
  const ns = snapshot.namespaceName;
  snapshot.content!.stuck = [
    { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', meta: { name: 'export-state', namespace: ns, uid: 'cm-uid', deletionTimestamp: snapshot.takenAt, finalizers: ['backup.example.com/export'] } },
  ];
  snapshot.content!.types = [
    { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', count: 1, withFinalizers: 1, withDeletionTimestamp: 1, finalizers: { 'backup.example.com/export': 1 } },
  ];
  snapshot.finalizerOwners = [
    {
      group: '',
      resource: 'configmaps',
      rbacReadable: true,
      candidates: [{ serviceAccount: { namespace: 'ingress-nginx', name: 'ingress-nginx' }, grantedBy: 'ClusterRoleBinding ingress-nginx → ClusterRole ingress-nginx', pods: [{ name: 'ingress-nginx-controller-7d9c', ready: true, phase: 'Running' }] }],
    },
  ];
  return snapshot;
}

/** Issue 18 item 8: a pod never scheduled (or finished) that only a custom finalizer keeps, and no controller for it. */
export function podHeldByFinalizer(change: (pod: PodState) => void = () => undefined): Snapshot {
  const snapshot = recorded('pod-terminating');
  const pod = Object.values(snapshot.pods)[0];
  pod.finalizers = ['example.com/hold'];
  change(pod);
  snapshot.content!.stuck = snapshot.content!.stuck.filter((s) => s.resource !== 'pods');
  snapshot.content!.stuck.push({
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    meta: { name: pod.name, namespace: pod.namespace, uid: 'pod-uid', deletionTimestamp: pod.deletionTimestamp, finalizers: pod.finalizers },
  });
  const pods = snapshot.content!.types.find((t) => t.resource === 'pods' && t.group === '')!;
  pods.finalizers = { 'example.com/hold': 1 };
  pods.withFinalizers = 1;
  snapshot.finalizerOwners = [{ group: '', resource: 'pods', rbacReadable: true, candidates: [] }];
  return snapshot;
}

/**
 * Findings F9: pod-grace (recorded: a pod in its grace period, the namespace controller waiting on it) with a
 * ConfigMap not deleted yet that carries backup.example.com/export, whose controller is not installed (RBAC: no
 * ServiceAccount may update configmaps) — or, with `updater`, one that may.
 */
export function pendingFinalizerBehindPods(updater = false): Snapshot {
  const snapshot = recorded('pod-grace');
  const ns = snapshot.namespaceName;
  snapshot.content!.stuck.push({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', meta: { name: 'export-state', namespace: ns, uid: 'cm-uid', finalizers: ['backup.example.com/export'] } });
  const configmaps = snapshot.content!.types.find((t) => t.resource === 'configmaps')!;
  configmaps.withFinalizers = 1;
  configmaps.finalizers = { 'backup.example.com/export': 1 };
  snapshot.finalizerOwners = [
    {
      group: '',
      resource: 'configmaps',
      rbacReadable: true,
      candidates: updater ? [{ serviceAccount: { namespace: 'backup', name: 'exporter' }, grantedBy: 'ClusterRoleBinding exporter → ClusterRole exporter', pods: [{ name: 'exporter-0', ready: true, phase: 'Running' }] }] : [],
    },
  ];
  return snapshot;
}
