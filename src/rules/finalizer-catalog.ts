// Well-known finalizers: who removes each one, where that controller usually runs, how it usually fails, and what
// removing the finalizer by hand costs. The catalog only names whom to look for; the cluster's own evidence (a Ready
// pod found by these hints, the object's conditions, Events) decides whether it runs. Sources: docs/finalizers.md.

import type { RemovalCost } from '../model/report.js';

export type { RemovalCost };

/** Kubernetes' own components remove built-in finalizers; other checks (PVCInUse, DependentsBlockDeletion, …) own them. */
export type OwnerKind = 'kube-apiserver' | 'kube-controller-manager' | 'cloud-controller-manager' | 'csi' | 'project';

export interface WorkloadHint {
  /** Label selector of the controller's pods, as its official manifests or charts set it. */
  selector: string;
  /** Namespaces it is usually installed in (a hint for the reader; pods are searched cluster-wide by selector). */
  namespaces: string[];
}

export interface CatalogEntry {
  /** Exact name, or a prefix (`external-attacher/` stands for `external-attacher/<driver>`), or a suffix (`<kind>.infrastructure.cluster.x-k8s.io`). */
  pattern: string;
  match: 'exact' | 'prefix' | 'suffix';
  project: string;
  /** The component that removes it. */
  owner: string;
  ownerKind: OwnerKind;
  /** The owner may run outside the cluster (managed control planes): not finding its pod proves nothing. */
  mayRunOffCluster?: boolean;
  /** What objects usually carry it. */
  on: string;
  workloads: WorkloadHint[];
  /** How it usually fails, for the reader. */
  usualFailure: string;
  removalCost: RemovalCost;
  /** What leaks where when it is removed by hand. */
  leaks: string;
}

const KCM = 'kube-controller-manager';
const kubernetes = (on: string, owner: string, ownerKind: OwnerKind, usualFailure: string, leaks: string, removalCost: RemovalCost = 'cluster') => ({
  match: 'exact' as const,
  project: 'Kubernetes',
  owner,
  ownerKind,
  on,
  workloads: [],
  usualFailure,
  removalCost,
  leaks,
});

export const FINALIZER_CATALOG: readonly CatalogEntry[] = [
  // Kubernetes itself.
  { pattern: 'kubernetes', ...kubernetes('Namespace (spec.finalizers)', 'namespace controller (kube-controller-manager)', 'kube-controller-manager', 'an API fails discovery, or content cannot be deleted', 'every object still in the namespace stays in etcd and reappears if the namespace is re-created') },
  { pattern: 'kubernetes.io/pvc-protection', ...kubernetes('PersistentVolumeClaim', 'pvc-protection controller (kube-controller-manager)', KCM, 'a pod still uses the claim (often on a dead node)', 'data still in use by a pod') },
  { pattern: 'kubernetes.io/pv-protection', ...kubernetes('PersistentVolume', 'pv-protection controller (kube-controller-manager)', KCM, 'the volume is still bound to a claim', 'a volume still bound') },
  { pattern: 'foregroundDeletion', ...kubernetes('any object deleted with propagationPolicy=Foreground', 'garbage collector (kube-controller-manager)', KCM, 'a dependent with blockOwnerDeletion cannot be deleted', 'dependents are orphaned instead of deleted first') },
  { pattern: 'orphan', ...kubernetes('any object deleted with propagationPolicy=Orphan', 'garbage collector (kube-controller-manager)', KCM, 'the garbage collector is not running', 'dependents keep a dangling ownerReference') },
  { pattern: 'batch.kubernetes.io/job-tracking', ...kubernetes('Pod of a Job', 'Job controller (kube-controller-manager)', KCM, 'none known: the Job controller removes it once it has counted the pod', 'the Job may miscount the pod', 'none') },
  { pattern: 'customresourcecleanup.apiextensions.k8s.io', ...kubernetes('CustomResourceDefinition', 'apiextensions controller (kube-apiserver)', 'kube-apiserver', 'objects of the CRD cannot be deleted (their own finalizers)', 'never remove it: every stored object of the type stays in etcd') },
  { pattern: 'resource.kubernetes.io/delete-protection', ...kubernetes('ResourceClaim / DeviceClass (DRA)', 'resource claim controller (kube-controller-manager)', KCM, 'the claim is still reserved for a pod', 'a device still allocated to a pod') },
  {
    pattern: 'service.kubernetes.io/load-balancer-cleanup',
    match: 'exact',
    project: 'Kubernetes',
    owner: 'the service controller of the cloud-controller-manager',
    ownerKind: 'cloud-controller-manager',
    mayRunOffCluster: true,
    on: 'Service of type LoadBalancer',
    workloads: [
      { selector: 'component=cloud-controller-manager', namespaces: ['kube-system'] },
      { selector: 'k8s-app=cloud-controller-manager', namespaces: ['kube-system'] },
      { selector: 'app.kubernetes.io/name=cloud-controller-manager', namespaces: ['kube-system'] },
    ],
    usualFailure: 'the cloud API refuses to delete the load balancer (credentials, quota, dependent resources), or the cloud-controller-manager is gone',
    removalCost: 'cloud-orphan',
    leaks: 'the cloud load balancer (and its listeners, target groups, public IP) keeps running and billing: delete it in the cloud console',
  },
  {
    pattern: 'external-attacher/',
    match: 'prefix',
    project: 'Kubernetes CSI',
    owner: 'the CSI external-attacher sidecar of the driver named after the slash',
    ownerKind: 'csi',
    on: 'VolumeAttachment, PersistentVolume',
    workloads: [{ selector: 'app.kubernetes.io/component=csi-driver', namespaces: ['kube-system'] }],
    usualFailure: 'the CSI driver was uninstalled, or its controller cannot reach the storage backend',
    removalCost: 'cloud-orphan',
    leaks: 'the volume stays attached to the node in the storage backend',
  },
  // Projects.
  ...[
    'resources-finalizer.argocd.argoproj.io',
    'resources-finalizer.argocd.argoproj.io/background',
    'resources-finalizer.argocd.argoproj.io/foreground',
  ].map((pattern) => argo(pattern, "the Application's deployed resources are not pruned and stay in their destination cluster")),
  argo('post-delete-finalizer.argocd.argoproj.io', 'the post-delete hooks never run'),
  { ...argo('pre-delete-finalizer.argocd.argoproj.io', 'the pre-delete hooks never run'), match: 'prefix' },
  {
    pattern: 'controller.cattle.io/',
    match: 'prefix',
    project: 'Rancher',
    owner: 'Rancher (cattle-cluster-agent)',
    ownerKind: 'project',
    on: 'Namespace (metadata.finalizers), projects',
    workloads: [{ selector: 'app=cattle-cluster-agent', namespaces: ['cattle-system'] }],
    usualFailure: 'the cluster was detached from Rancher or Rancher was removed, so nobody removes it',
    removalCost: 'none',
    leaks: "nothing in the cluster; Rancher's own records of the namespace go stale",
  },
  {
    pattern: 'clusterscoped.controller.cattle.io/',
    match: 'prefix',
    project: 'Rancher',
    owner: 'Rancher (cattle-cluster-agent)',
    ownerKind: 'project',
    on: 'Namespace (metadata.finalizers)',
    workloads: [{ selector: 'app=cattle-cluster-agent', namespaces: ['cattle-system'] }],
    usualFailure: 'the cluster was detached from Rancher or Rancher was removed',
    removalCost: 'none',
    leaks: "nothing in the cluster; Rancher's own records go stale",
  },
  {
    pattern: 'wrangler.cattle.io/',
    match: 'prefix',
    project: 'Rancher',
    owner: 'Rancher (wrangler controllers)',
    ownerKind: 'project',
    on: 'Roles, RoleBindings and other Rancher-managed objects',
    workloads: [{ selector: 'app=cattle-cluster-agent', namespaces: ['cattle-system'] }, { selector: 'app=rancher', namespaces: ['cattle-system'] }],
    usualFailure: 'Rancher was removed or the cluster detached',
    removalCost: 'none',
    leaks: "nothing in the cluster",
  },
  project('finalizer.acme.cert-manager.io', 'cert-manager', 'cert-manager controller', 'Challenge', [{ selector: 'app.kubernetes.io/name=cert-manager', namespaces: ['cert-manager'] }, { selector: 'app=cert-manager', namespaces: ['cert-manager'] }], 'cert-manager was uninstalled first, or the DNS01 cleanup call fails', 'cloud-orphan', 'the DNS TXT record of the ACME challenge stays in the DNS zone'),
  project('finalizer.managedresource.crossplane.io', 'Crossplane', 'the Crossplane provider of that managed resource', 'Crossplane managed resources', [{ selector: 'pkg.crossplane.io/revision', namespaces: ['crossplane-system'] }], 'the provider was removed, its credentials were revoked, or the cloud API refuses the delete', 'cloud-orphan', 'the cloud resource the managed resource stands for keeps running'),
  project('composite.apiextensions.crossplane.io', 'Crossplane', 'Crossplane core', 'composite resources (XRs)', [{ selector: 'app=crossplane', namespaces: ['crossplane-system'] }], 'Crossplane was removed before its composite resources', 'cloud-orphan', 'the composed (cloud) resources are not deleted'),
  project('in-use.crossplane.io', 'Crossplane', 'Crossplane core or the provider', 'ProviderConfigs, usages', [{ selector: 'app=crossplane', namespaces: ['crossplane-system'] }, { selector: 'pkg.crossplane.io/revision', namespaces: ['crossplane-system'] }], 'the config is still in use by managed resources', 'cluster', 'managed resources keep referring to a config that is gone'),
  project('istio-finalizer.install.istio.io', 'Istio', 'istio-operator', 'IstioOperator', [{ selector: 'name=istio-operator', namespaces: ['istio-operator', 'istio-system'] }], 'the operator was in the namespace being deleted and died first', 'cluster', 'Istio control-plane resources it installed are not removed'),
  project('longhorn.io', 'Longhorn', 'longhorn-manager', 'Longhorn volumes, engines, replicas, nodes', [{ selector: 'app=longhorn-manager', namespaces: ['longhorn-system'] }], 'longhorn-system was deleted without the uninstall job', 'cloud-orphan', 'volume data and replicas stay on the nodes\' disks'),
  ...['foregroundDeleteVirtualMachine', 'kubevirt.io/virtualMachineControllerFinalize'].map((pattern) =>
    project(pattern, 'KubeVirt', 'virt-controller', 'VirtualMachine / VirtualMachineInstance', [{ selector: 'kubevirt.io=virt-controller', namespaces: ['kubevirt'] }], 'KubeVirt was uninstalled first, or the virt-api webhook is down', 'cluster', 'the VM process (virt-launcher) may keep running on its node'),
  ),
  project('foregroundDeleteKubeVirt', 'KubeVirt', 'virt-operator', 'KubeVirt', [{ selector: 'kubevirt.io=virt-operator', namespaces: ['kubevirt'] }], 'virt-operator was removed first', 'cluster', "KubeVirt's components are not removed"),
  project('restores.velero.io/external-resources-finalizer', 'Velero', 'Velero server', 'Restore', [{ selector: 'component=velero', namespaces: ['velero'] }, { selector: 'app.kubernetes.io/name=velero', namespaces: ['velero'] }], 'Velero was uninstalled first', 'cloud-orphan', 'restore data stays in the object store'),
  project('backups.velero.io/external-resources-finalizer', 'Velero', 'Velero server', 'Backup', [{ selector: 'component=velero', namespaces: ['velero'] }, { selector: 'app.kubernetes.io/name=velero', namespaces: ['velero'] }], 'Velero was uninstalled first', 'cloud-orphan', 'backup data stays in the object store'),
  project('monitoring.coreos.com/status-cleanup', 'prometheus-operator', 'prometheus-operator', 'Prometheus / Alertmanager / ThanosRuler', [{ selector: 'app.kubernetes.io/name=prometheus-operator', namespaces: ['monitoring'] }], 'the operator was removed first', 'none', 'nothing: only the status it keeps'),
  project('finalizers.fluxcd.io', 'Flux', 'the Flux controller of that kind (kustomize-, helm-, source-controller)', 'Flux Kustomizations, HelmReleases, sources', [{ selector: 'app.kubernetes.io/part-of=flux', namespaces: ['flux-system'] }], 'flux-system was deleted first', 'cluster', 'the resources Flux applied are not pruned'),
  project('cluster.cluster.x-k8s.io', 'Cluster API', 'CAPI core controller', 'Cluster', capi(), 'bad infrastructure credentials, a paused Cluster, or the infrastructure object removed first', 'cloud-orphan', 'the workload cluster\'s machines, networks and load balancers in the cloud'),
  project('machine.cluster.x-k8s.io', 'Cluster API', 'CAPI core controller', 'Machine', capi(), 'the infrastructure provider cannot delete the machine', 'cloud-orphan', 'the cloud machine keeps running'),
  { ...project('.infrastructure.cluster.x-k8s.io', 'Cluster API', 'the Cluster API infrastructure provider', 'infrastructure objects (AWSCluster, …)', [{ selector: 'cluster.x-k8s.io/provider', namespaces: [] }], 'bad cloud credentials or a paused Cluster', 'cloud-orphan', 'cloud machines, networks, load balancers'), match: 'suffix' as const },
  project('ingress.k8s.aws/resources', 'AWS Load Balancer Controller', 'aws-load-balancer-controller', 'Ingress', awsLb(), 'the controller was uninstalled or has no AWS credentials', 'cloud-orphan', 'the ALB and its target groups keep running in AWS'),
  { ...project('group.ingress.k8s.aws/', 'AWS Load Balancer Controller', 'aws-load-balancer-controller', 'Ingress of an IngressGroup', awsLb(), 'the controller was uninstalled or has no AWS credentials', 'cloud-orphan', 'the shared ALB keeps running in AWS'), match: 'prefix' as const },
  project('service.k8s.aws/resources', 'AWS Load Balancer Controller', 'aws-load-balancer-controller', 'Service of type LoadBalancer', awsLb(), 'the controller was uninstalled or has no AWS credentials', 'cloud-orphan', 'the NLB keeps running in AWS'),
  project('apps.victoriametrics.com/finalizer', 'VictoriaMetrics', 'victoria-metrics-operator', 'VM* resources and the objects it created', [{ selector: 'app.kubernetes.io/name=victoria-metrics-operator', namespaces: ['monitoring', 'victoria-metrics'] }], 'the operator was removed while its webhook fails closed', 'none', 'nothing: the objects it created are in the namespace being deleted'),
  project('kopf.zalando.org/KopfFinalizerMarker', 'kopf', 'the kopf-based operator that watches that kind', 'whatever a kopf operator watches', [], 'the operator is not running', 'cluster', 'whatever that operator cleans up (depends on the operator)'),
  project('cephcluster.ceph.rook.io', 'Rook', 'rook-ceph-operator', 'CephCluster', [{ selector: 'app=rook-ceph-operator', namespaces: ['rook-ceph'] }], 'the operator was removed first', 'cloud-orphan', 'the Ceph data on the nodes\' disks is not wiped'),
  { ...project('.ceph.rook.io', 'Rook', 'rook-ceph-operator', 'Rook CRs (<kind>.ceph.rook.io: CephBlockPool, CephObjectStore, …)', [{ selector: 'app=rook-ceph-operator', namespaces: ['rook-ceph'] }], 'the operator was removed first', 'cluster', 'pools and object stores in Ceph'), match: 'suffix' as const },
];

function argo(pattern: string, leaks: string): CatalogEntry {
  return project(pattern, 'Argo CD', 'argocd-application-controller', 'Application', [{ selector: 'app.kubernetes.io/name=argocd-application-controller', namespaces: ['argocd'] }], 'the controller is gone, the destination cluster is unreachable, or a hook never becomes healthy', 'cluster', leaks);
}

function capi(): WorkloadHint[] {
  return [{ selector: 'cluster.x-k8s.io/provider=cluster-api', namespaces: ['capi-system'] }];
}

function awsLb(): WorkloadHint[] {
  return [{ selector: 'app.kubernetes.io/name=aws-load-balancer-controller', namespaces: ['kube-system'] }];
}

function project(pattern: string, name: string, owner: string, on: string, workloads: WorkloadHint[], usualFailure: string, removalCost: RemovalCost, leaks: string): CatalogEntry {
  return { pattern, match: 'exact', project: name, owner, ownerKind: 'project', on, workloads, usualFailure, removalCost, leaks };
}

/** The catalog entry for a finalizer: an exact name first, then the longest prefix (or suffix) that matches. */
export function lookupFinalizer(finalizer: string): CatalogEntry | undefined {
  const exact = FINALIZER_CATALOG.find((e) => e.match === 'exact' && e.pattern === finalizer);
  if (exact) return exact;
  const longer = (e: CatalogEntry) => finalizer.length > e.pattern.length;
  return FINALIZER_CATALOG.filter(
    (e) => longer(e) && ((e.match === 'prefix' && finalizer.startsWith(e.pattern)) || (e.match === 'suffix' && finalizer.endsWith(e.pattern))),
  ).sort((a, b) => b.pattern.length - a.pattern.length)[0];
}

/** Removed by kube-apiserver or kube-controller-manager themselves: other checks decide about these, never an owner search. */
export function isRemovedByKubernetesItself(finalizer: string): boolean {
  const entry = lookupFinalizer(finalizer);
  return entry?.ownerKind === 'kube-apiserver' || entry?.ownerKind === 'kube-controller-manager';
}
