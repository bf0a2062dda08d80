// Facts about Kubernetes that both the gathering and the checks rely on.
import type { APIServiceState, WebhookState } from './types.js';

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

/**
 * An aggregated API that fails: its APIService is not Available, or its group version fails discovery. Local
 * APIServices (no service: served by kube-apiserver itself) never do. Gather follows these to their backends; the
 * APIService check reports them.
 */
export function isFailingAggregatedApi(apiService: APIServiceState, failingGroupVersions: { has(groupVersion: string): boolean }): boolean {
  return Boolean(apiService.service) && (apiService.available?.status !== 'True' || failingGroupVersions.has(`${apiService.group}/${apiService.version}`));
}

/** A webhook that refuses what namespace deletion does whenever its backend cannot answer (failurePolicy Fail). */
export function refusesDeletionWhenDown(webhook: WebhookState): boolean {
  return webhook.failurePolicy === 'Fail' && webhook.rules.some(interceptsDeleteOrUpdate);
}

/** The operations through which a webhook can refuse what namespace deletion does (DELETE, and UPDATE to finalizers). */
export function interceptsDeleteOrUpdate(rule: WebhookState['rules'][number]): boolean {
  return rule.operations.some((op) => op === '*' || op === 'DELETE' || op === 'UPDATE');
}
