// The built-in finalizer catalog and the reading of a controller's own words: tables of real finalizer names and of
// conditions and Events as real controllers write them.
import { describe, expect, it } from 'vitest';
import { conditionWord, eventWord } from '../../src/rules/controller-words.js';
import { FINALIZER_CATALOG, isRemovedByKubernetesItself, lookupFinalizer } from '../../src/rules/finalizer-catalog.js';
import { isBuiltInFinalizer } from '../../src/rules/kubernetes.js';
import type { Condition } from '../../src/snapshot/types.js';

describe('finalizer catalog', () => {
  it.each([
    // finalizer, project, ownerKind, removal cost
    ['kubernetes', 'Kubernetes', 'kube-controller-manager', 'cluster'],
    ['kubernetes.io/pvc-protection', 'Kubernetes', 'kube-controller-manager', 'cluster'],
    ['kubernetes.io/pv-protection', 'Kubernetes', 'kube-controller-manager', 'cluster'],
    ['foregroundDeletion', 'Kubernetes', 'kube-controller-manager', 'cluster'],
    ['orphan', 'Kubernetes', 'kube-controller-manager', 'cluster'],
    ['batch.kubernetes.io/job-tracking', 'Kubernetes', 'kube-controller-manager', 'none'],
    ['resource.kubernetes.io/delete-protection', 'Kubernetes', 'kube-controller-manager', 'cluster'],
    ['customresourcecleanup.apiextensions.k8s.io', 'Kubernetes', 'kube-apiserver', 'cluster'],
    ['service.kubernetes.io/load-balancer-cleanup', 'Kubernetes', 'cloud-controller-manager', 'cloud-orphan'],
    ['external-attacher/ebs-csi-aws-com', 'Kubernetes CSI', 'csi', 'cloud-orphan'],
    ['resources-finalizer.argocd.argoproj.io', 'Argo CD', 'project', 'cluster'],
    ['resources-finalizer.argocd.argoproj.io/background', 'Argo CD', 'project', 'cluster'],
    ['pre-delete-finalizer.argocd.argoproj.io/cleanup', 'Argo CD', 'project', 'cluster'],
    ['controller.cattle.io/namespace-auth', 'Rancher', 'project', 'none'],
    ['clusterscoped.controller.cattle.io/namespace-auth_c-m-abc123', 'Rancher', 'project', 'none'],
    ['wrangler.cattle.io/auth-prov-v2-rb', 'Rancher', 'project', 'none'],
    ['finalizer.acme.cert-manager.io', 'cert-manager', 'project', 'cloud-orphan'],
    ['finalizer.managedresource.crossplane.io', 'Crossplane', 'project', 'cloud-orphan'],
    ['in-use.crossplane.io', 'Crossplane', 'project', 'cluster'],
    ['finalizers.fluxcd.io', 'Flux', 'project', 'cluster'],
    ['istio-finalizer.install.istio.io', 'Istio', 'project', 'cluster'],
    ['longhorn.io', 'Longhorn', 'project', 'cloud-orphan'],
    ['kubevirt.io/virtualMachineControllerFinalize', 'KubeVirt', 'project', 'cluster'],
    ['foregroundDeleteVirtualMachine', 'KubeVirt', 'project', 'cluster'],
    ['restores.velero.io/external-resources-finalizer', 'Velero', 'project', 'cloud-orphan'],
    ['cluster.cluster.x-k8s.io', 'Cluster API', 'project', 'cloud-orphan'],
    ['awscluster.infrastructure.cluster.x-k8s.io', 'Cluster API', 'project', 'cloud-orphan'],
    ['ingress.k8s.aws/resources', 'AWS Load Balancer Controller', 'project', 'cloud-orphan'],
    ['group.ingress.k8s.aws/shared-alb', 'AWS Load Balancer Controller', 'project', 'cloud-orphan'],
    ['monitoring.coreos.com/status-cleanup', 'prometheus-operator', 'project', 'none'],
    ['cephcluster.ceph.rook.io', 'Rook', 'project', 'cloud-orphan'],
    ['cephblockpool.ceph.rook.io', 'Rook', 'project', 'cluster'],
    ['kopf.zalando.org/KopfFinalizerMarker', 'kopf', 'project', 'cluster'],
    ['apps.victoriametrics.com/finalizer', 'VictoriaMetrics', 'project', 'none'],
  ])('%s → %s (%s), removal costs %s', (finalizer, project, ownerKind, cost) => {
    const entry = lookupFinalizer(finalizer);
    expect(entry).toMatchObject({ project, ownerKind, removalCost: cost });
  });

  it.each(['example.com/cleanup', 'storage.ns-doctor.dev/bucket-cleanup', 'external-attacher/', 'controller.cattle.io/', 'infrastructure.cluster.x-k8s.io', ''])(
    'knows nothing of %j (a prefix alone is no driver, an unknown name is no guess)',
    (finalizer) => expect(lookupFinalizer(finalizer)).toBeUndefined(),
  );

  it('covers at least 15 projects besides Kubernetes, each entry with an owner, a usual failure and what leaks', () => {
    const projects = new Set(FINALIZER_CATALOG.map((e) => e.project).filter((p) => !p.startsWith('Kubernetes')));
    expect(projects.size).toBeGreaterThanOrEqual(15);
    for (const entry of FINALIZER_CATALOG) {
      expect(entry.owner, entry.pattern).not.toBe('');
      expect(entry.usualFailure, entry.pattern).not.toBe('');
      expect(entry.leaks, entry.pattern).not.toBe('');
    }
  });

  it("removed by Kubernetes itself: kube-apiserver's and kube-controller-manager's only; the cloud-controller-manager's and CSI's are owners to look for", () => {
    expect(['kubernetes', 'orphan', 'foregroundDeletion', 'kubernetes.io/pvc-protection', 'batch.kubernetes.io/job-tracking'].every(isRemovedByKubernetesItself)).toBe(true);
    expect(isBuiltInFinalizer('service.kubernetes.io/load-balancer-cleanup')).toBe(false);
    expect(isBuiltInFinalizer('external-attacher/csi.example.com')).toBe(false);
    expect(lookupFinalizer('service.kubernetes.io/load-balancer-cleanup')).toMatchObject({ mayRunOffCluster: true, owner: expect.stringContaining('cloud-controller-manager') });
  });
});

describe("a controller's own words", () => {
  const c = (type: string, status: string, reason?: string, message?: string): Condition => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
  it.each([
    [c('Ready', 'False', 'DeleteFailed', 'AccessDenied: s3:DeleteBucket'), 'failure'],
    [c('Synced', 'False', 'ReconcileError', 'delete failed: BucketNotEmpty'), 'failure'],
    [c('Ready', 'False', 'ReconciliationFailed', 'kustomize build failed'), 'failure'],
    [c('Stalled', 'True', 'CleanupBlocked'), 'failure'],
    [c('Degraded', 'True', 'Anything'), 'failure'],
    [c('DeletionError', 'True'), 'failure'],
    [c('Synced', 'False', 'ReconcileError', 'cannot create: unable to create new content in namespace team-a because it is being terminated'), 'cannot-create-in-terminating-namespace'],
    [c('Ready', 'False', 'Deleting'), undefined],
    [c('Ready', 'False', 'Deleting', 'failed attempts are retried'), undefined],
    [c('Ready', 'True', 'Available'), undefined],
    [c('Synced', 'True', 'ReconcileSuccess'), undefined],
    [c('Reconciling', 'True', 'Progressing'), undefined],
    [c('Ready', 'Unknown', 'Failed'), undefined],
    [c('Stalled', 'False', 'Failed'), undefined],
  ])('%j → %s', (condition, word) => expect(conditionWord(condition)).toBe(word));

  it.each([
    [{ type: 'Warning', reason: 'CleanupFailed', message: 'AccessDenied' }, 'failure'],
    [{ type: 'Warning', reason: 'SyncError', message: 'context deadline exceeded' }, 'failure'],
    [{ type: 'Warning', reason: 'CannotCreate', message: 'unable to create new content in namespace x because it is being terminated' }, 'cannot-create-in-terminating-namespace'],
    [{ type: 'Normal', reason: 'Deleting', message: 'deleting the bucket' }, undefined],
    [{ type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container' }, 'failure'],
    [{ type: 'Warning', reason: 'Scaled', message: 'Scaled down to 0' }, undefined],
  ])('Event %j → %s', (event, word) => expect(eventWord({ namespace: 'n', name: 'e', involvedObject: { kind: 'K', name: 'o' }, ...event })).toBe(word));
});
