// The facts a step relies on, read off an object as the API server returned it. Pure: the same function judges the
// object when the plan is made and when it is read again right before the write.
import type { ApiWritableObject } from '../kube/api-types.js';

type Obj = ApiWritableObject;

/**
 * Fact names: `exists`, `deleting`, `finalizer:<name>` (metadata.finalizers), `specFinalizer:<name>`,
 * `apiservice.service`, `apiservice.available`, `node.ready`, `taint:<key>`, `pod.node`,
 * `webhook:<name>.failurePolicy`, `webhook:<name>.service`, `webhooks.servedOutside:<namespace>` (how many webhooks
 * of a configuration are not served by a Service in that namespace: by a Service elsewhere or by `url`),
 * `endpoints.ready` (an EndpointSliceList), `pods.ready` (a PodList: pods whose Ready condition is True).
 */
export function factOf(object: Obj | undefined, name: string): string {
  if (name === 'exists') return object ? 'true' : 'false';
  if (!object) return 'absent';
  const [kind, arg] = splitOnce(name, ':');
  const meta = object.metadata ?? {};
  switch (kind) {
    case 'deleting':
      return meta.deletionTimestamp ? 'true' : 'false';
    case 'finalizer':
      return presence(strings(meta.finalizers).includes(arg));
    case 'specFinalizer':
      return presence(strings(object.spec?.finalizers).includes(arg));
    case 'apiservice.service': {
      const service = object.spec?.service;
      return service ? `${service.namespace}/${service.name}` : 'Local';
    }
    case 'apiservice.available':
      return condition(object, 'Available');
    case 'node.ready':
      return condition(object, 'Ready');
    case 'taint':
      return presence(objects(object.spec?.taints).some((t) => t.key === arg));
    case 'pod.node':
      return object.spec?.nodeName ?? '';
    case 'webhook': {
      const [webhookName, field] = splitLast(arg, '.');
      const webhook = objects(object.webhooks).find((w) => w.name === webhookName);
      if (!webhook) return 'absent';
      if (field === 'failurePolicy') return webhook.failurePolicy ?? 'Fail';
      if (field === 'service') return webhook.clientConfig?.service ? `${webhook.clientConfig.service.namespace}/${webhook.clientConfig.service.name}` : 'url';
      return 'unknown';
    }
    case 'webhooks.servedOutside':
      return String(objects(object.webhooks).filter((w) => w.clientConfig?.service?.namespace !== arg).length);
    case 'pods.ready':
      return String(objects(object.items).filter((pod) => objects(pod.status?.conditions).some((c) => c.type === 'Ready' && c.status === 'True')).length);
    case 'endpoints.ready':
      return String(
        objects(object.items).reduce(
          (sum: number, slice) => sum + objects(slice.endpoints).filter((e) => e.conditions?.ready !== false).length,
          0,
        ),
      );
    default:
      return 'unknown';
  }
}

export function factsOf(object: Obj | undefined, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, factOf(object, name)]));
}

/** The facts that differ from what was expected, as `{field, planned, now}`. */
export function factChanges(expected: Record<string, string>, actual: Record<string, string>): { field: string; planned: string; now: string }[] {
  return Object.entries(expected)
    .filter(([name, value]) => actual[name] !== value)
    .map(([field, planned]) => ({ field, planned, now: actual[field] ?? 'unknown' }));
}

function condition(object: Obj, type: string): string {
  return String(objects(object.status?.conditions).find((c) => c.type === type)?.status ?? 'none');
}

/** Anything from the cluster is untrusted: a field that should be a list of strings but is not counts as empty. */
export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The object entries of a list the API promised; anything else in it (null, a string) is left out. */
function objects<T extends object>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value.filter((v): v is T => v !== null && typeof v === 'object') : [];
}

function presence(present: boolean): string {
  return present ? 'present' : 'absent';
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

function splitLast(text: string, separator: string): [string, string] {
  const at = text.lastIndexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
