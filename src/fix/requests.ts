// Turns a step's action and its target object (as read) into the exact request. Pure. Every request carries an
// optimistic-concurrency guard taken from the object as read: DeleteOptions preconditions (uid, resourceVersion),
// JSON-patch `test` ops, or the resourceVersion in a PUT body. An object that changed since it was read is never
// clobbered: the API server refuses the request instead (409 Conflict / 422 on a failed test).
import type { ApiRequest } from '../model/plan.js';
import { strings } from './facts.js';
import type { Action } from '../model/step-draft.js';
import type { ApiWritableObject } from '../kube/api-types.js';

type Obj = ApiWritableObject;

export const FIELD_MANAGER = 'kubectl-ns-doctor';
const JSON_PATCH = 'application/json-patch+json';

export class RequestBuildError extends Error {}

export function buildRequest(action: Action, path: string, target: Obj | undefined): ApiRequest {
  if (typeof target?.metadata?.uid !== 'string' || typeof target.metadata.resourceVersion !== 'string') {
    throw new RequestBuildError(`${path} was not found or has no uid/resourceVersion`);
  }
  const meta = target.metadata;
  const guard = [
    { op: 'test', path: '/metadata/uid', value: meta.uid },
    { op: 'test', path: '/metadata/resourceVersion', value: meta.resourceVersion },
  ];
  switch (action.type) {
    case 'delete':
      return {
        method: 'DELETE',
        path,
        query: {},
        contentType: 'application/json',
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid: meta.uid, resourceVersion: meta.resourceVersion },
        },
      };
    case 'remove-finalizers': {
      const current = strings(meta.finalizers);
      const missing = action.finalizers.filter((f) => !current.includes(f));
      if (missing.length) throw new RequestBuildError(`${path} no longer has finalizer ${missing.join(', ')}`);
      return patch(path, [
        ...guard,
        { op: 'test', path: '/metadata/finalizers', value: current },
        { op: 'replace', path: '/metadata/finalizers', value: current.filter((f) => !action.finalizers.includes(f)) },
      ]);
    }
    case 'finalize-namespace': {
      const current = strings(target.spec?.finalizers);
      const missing = action.drop.filter((f) => !current.includes(f));
      if (missing.length) throw new RequestBuildError(`${path} no longer has spec.finalizers ${missing.join(', ')}`);
      // /finalize takes metadata and spec from the body: send the object as read (its resourceVersion is the
      // precondition), with only spec.finalizers changed. Status is ignored by the server; managedFields are kept.
      const { managedFields: _managed, ...metadata } = meta;
      return {
        method: 'PUT',
        path: `${path}/finalize`,
        query: { fieldManager: FIELD_MANAGER },
        contentType: 'application/json',
        body: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata,
          spec: { ...target.spec, finalizers: current.filter((f) => !action.drop.includes(f)) },
        },
      };
    }
    case 'add-taint': {
      const taints = Array.isArray(target.spec?.taints) ? target.spec.taints : [];
      if (taints.some((t) => t.key === action.taint.key)) throw new RequestBuildError(`${path} already has taint ${action.taint.key}`);
      return patch(path, [
        ...guard,
        taints.length ? { op: 'add', path: '/spec/taints/-', value: action.taint } : { op: 'add', path: '/spec/taints', value: [action.taint] },
      ]);
    }
    case 'remove-webhook': {
      const index = Array.isArray(target.webhooks) ? target.webhooks.findIndex((w) => w?.name === action.webhook) : -1;
      if (index < 0) throw new RequestBuildError(`${path} no longer has webhook ${action.webhook}`);
      // The name test pins the entry: removing by index alone would remove whatever moved into that slot.
      return patch(path, [...guard, { op: 'test', path: `/webhooks/${index}/name`, value: action.webhook }, { op: 'remove', path: `/webhooks/${index}` }]);
    }
    case 'exclude-namespace': {
      const index = Array.isArray(target.webhooks) ? target.webhooks.findIndex((w) => w?.name === action.webhook) : -1;
      if (index < 0) throw new RequestBuildError(`${path} no longer has webhook ${action.webhook}`);
      const selector = target.webhooks?.[index]?.namespaceSelector;
      const expression = { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [action.namespace] };
      const at = `/webhooks/${index}/namespaceSelector`;
      const change = !selector
        ? { op: 'add', path: at, value: { matchExpressions: [expression] } }
        : selector.matchExpressions
          ? { op: 'add', path: `${at}/matchExpressions/-`, value: expression }
          : { op: 'add', path: `${at}/matchExpressions`, value: [expression] };
      return patch(path, [...guard, { op: 'test', path: `/webhooks/${index}/name`, value: action.webhook }, change]);
    }
  }
}

function patch(path: string, ops: unknown[]): ApiRequest {
  return { method: 'PATCH', path, query: { fieldManager: FIELD_MANAGER }, contentType: JSON_PATCH, body: ops };
}

/** The same request as a server-side dry run: validated and admitted (webhooks included), never persisted. */
export function dryRunOf(request: ApiRequest): ApiRequest {
  // A DELETE with a body takes its options from the body alone and ignores the query (measured on 1.34: a DELETE
  // with ?dryRun=All and DeleteOptions in the body deleted the object). So the body says it too.
  const body = request.method === 'DELETE' ? { ...(request.body as object), dryRun: ['All'] } : request.body;
  return { ...request, query: { ...request.query, dryRun: 'All' }, body };
}

export { requestUrl } from '../model/plan.js';
