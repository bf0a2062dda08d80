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

type LabelSelector = WebhookState['namespaceSelector'];

/**
 * Whether a label selector matches these labels, as the API server evaluates it: matchLabels and matchExpressions
 * (In, NotIn, Exists, DoesNotExist) all hold; an empty or absent selector matches everything. 'unknown' for an
 * expression of a shape the API would not have accepted.
 */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean | 'unknown' {
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const raw of selector?.matchExpressions ?? []) {
    const { key, operator, values } = (raw ?? {}) as { key?: unknown; operator?: unknown; values?: unknown };
    if (typeof key !== 'string' || (values !== undefined && !Array.isArray(values))) return 'unknown';
    const list = (values ?? []) as unknown[];
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (operator) {
      case 'In':
        if (!has || !list.includes(labels[key])) return false;
        break;
      case 'NotIn':
        if (has && list.includes(labels[key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return 'unknown';
    }
  }
  return true;
}

/** A selector that selects something narrower than everything (an objectSelector that is set). */
export function isNarrowing(selector: LabelSelector): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length > 0 || (selector?.matchExpressions ?? []).length > 0;
}

/**
 * False when the webhook's namespaceSelector provably leaves this namespace out: judged on the namespace's own labels
 * when the snapshot has them; else only on the label every namespace carries (kubernetes.io/metadata.name, set by
 * the API server to its name), any other selector being assumed to match.
 */
export function mayMatchNamespace(selector: WebhookState['namespaceSelector'], namespace: string, labels?: Record<string, string>): boolean {
  if (labels) return selectorMatches(selector, { ...labels, [NAME_LABEL]: namespace }) !== false;
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

/**
 * Webhooks that can refuse the namespace controller's own writes to the Namespace: its status (the conditions) and
 * its finalize call, UPDATEs of namespaces/status and namespaces/finalize (matched by those names, by any subresource
 * of namespaces, or by the wildcard of every subresource), with failurePolicy Fail, whose selectors see this namespace (for a Namespace object both the
 * namespaceSelector and the objectSelector are matched against its own labels). A webhook with matchConditions only
 * "may" see it, and is left out.
 */
export function namespaceWriteWebhooks(webhooks: readonly WebhookState[], namespace: string, labels: Record<string, string> | undefined): WebhookState[] {
  const own = { ...(labels ?? {}), [NAME_LABEL]: namespace };
  return webhooks.filter(
    (w) =>
      w.failurePolicy === 'Fail' &&
      !w.matchConditions &&
      w.rules.some(interceptsNamespaceWrite) &&
      mayMatchNamespace(w.namespaceSelector, namespace, labels) &&
      (!isNarrowing(w.objectSelector) || (labels !== undefined && selectorMatches(w.objectSelector, own) === true)),
  );
}

function interceptsNamespaceWrite(rule: WebhookState['rules'][number]): boolean {
  return (
    rule.operations.some((op) => op === '*' || op === 'UPDATE') &&
    rule.apiGroups.some((g) => g === '' || g === '*') &&
    rule.resources.some((r) => r === 'namespaces/finalize' || r === 'namespaces/status' || r === 'namespaces/*' || r === '*/*') &&
    rule.scope !== 'Namespaced'
  );
}
