// Facts about Kubernetes that both the gathering and the checks rely on.
import type { WebhookState } from './types.js';

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

/** The operations through which a webhook can refuse what namespace deletion does (DELETE, and UPDATE to finalizers). */
export function interceptsDeleteOrUpdate(rule: WebhookState['rules'][number]): boolean {
  return rule.operations.some((op) => op === '*' || op === 'DELETE' || op === 'UPDATE');
}
