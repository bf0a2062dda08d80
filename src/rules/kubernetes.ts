// Facts about Kubernetes that both the gathering and the checks rely on.
import { isRemovedByKubernetesItself } from './finalizer-catalog.js';
import type { APIServiceState, WebhookState } from '../snapshot/types.js';

/**
 * Finalizers that kube-apiserver or kube-controller-manager remove (the catalog says which): their own checks decide
 * about them. Kubernetes' finalizers owned elsewhere (cloud-controller-manager, CSI) are searched for like a project's.
 */
export function isBuiltInFinalizer(finalizer: string): boolean {
  return isRemovedByKubernetesItself(finalizer);
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

const NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * False when the webhook's namespaceSelector provably leaves this namespace out. Only the label every namespace
 * carries (kubernetes.io/metadata.name, set by the API server to its name) can be judged without reading the
 * namespace's labels; any other selector is assumed to match.
 */
export function mayMatchNamespace(selector: WebhookState['namespaceSelector'], namespace: string): boolean {
  const named = selector?.matchLabels?.[NAME_LABEL];
  if (named !== undefined && named !== namespace) return false;
  for (const expression of (selector?.matchExpressions ?? []) as { key?: string; operator?: string; values?: string[] }[]) {
    if (expression.key !== NAME_LABEL) continue;
    if (expression.operator === 'In' && !expression.values?.includes(namespace)) return false;
    if (expression.operator === 'NotIn' && expression.values?.includes(namespace)) return false;
    if (expression.operator === 'DoesNotExist') return false;
  }
  return true;
}
