// What ns-doctor never does, whatever a plan says. Checked on every request right before it is sent, so a planner
// bug cannot turn into one of these writes.
import type { PlanStep } from '../model/plan.js';

export function guardRequest(step: Pick<PlanStep, 'request' | 'safety' | 'evidence'>): string | undefined {
  const { request } = step;
  const path = request.path;
  if (/\/secrets(\/|$)/.test(path)) return 'ns-doctor never writes Secrets';
  if (path.startsWith('/apis/apiextensions.k8s.io/')) return "ns-doctor never changes a CustomResourceDefinition (its own finalizer guards the stored objects)";
  const target = step.evidence[0]?.path;
  if (!target || (path !== target && path !== `${target}/finalize`)) return `the request path ${path} is not the object the step was planned on (${target})`;
  if (path.endsWith('/finalize') && request.method === 'PUT') {
    const body = request.body as { spec?: { finalizers?: string[] } } | undefined;
    const keeps = body?.spec?.finalizers?.includes('kubernetes');
    const had = step.evidence[0]?.facts['specFinalizer:kubernetes'] === 'present';
    if (had && !keeps && step.safety !== 'last-resort') return "removing the namespace's kubernetes finalizer needs --allow last-resort";
  }
  if (request.method === 'DELETE' && /^\/api\/v1\/namespaces\/[^/]+$/.test(path)) return 'ns-doctor never deletes a namespace';
  return undefined;
}
