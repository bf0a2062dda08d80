// Finalizers that Kubernetes' own components (kube-apiserver, kube-controller-manager) remove.
const BUILT_IN = new Set([
  'kubernetes',
  'orphan',
  'foregroundDeletion',
  'kubernetes.io/pvc-protection',
  'kubernetes.io/pv-protection',
  'batch.kubernetes.io/job-tracking',
  'customresourcecleanup.apiextensions.k8s.io',
]);

export function isBuiltInFinalizer(finalizer: string): boolean {
  return BUILT_IN.has(finalizer);
}
