// Applies a reviewed plan. The gates, in order, each able to stop everything before anything is written:
//   1. permissions: one SelfSubjectAccessReview per verb the plan needs; any "no" refuses the whole plan;
//   2. guards: the things ns-doctor never does (guards.ts), checked on every request before it is sent;
//   3. a server-side dry run of every step (dryRun=All: admission and validation run, nothing is persisted);
// then per step: re-read its evidence, stop if a fact it relies on moved, dry-run, write (with the resourceVersion
// just read as precondition), and record an Event. The caller has already checked that the plan id still matches.
import { hostname } from 'node:os';
import type { EvidenceChange, FixPlan, FixResult, MissingPermission, StepResult } from '../model/plan.js';
import { RESULT_KIND, REPORT_API_VERSION } from '../model/plan.js';
import type { ApiRequest, PlanStep } from '../model/plan.js';
import type { EvidenceRead } from './evidence.js';
import { guardRequest } from './guards.js';
import { formatChange, judge } from './plan.js';
import { dryRunOf, FIELD_MANAGER } from './requests.js';
import type { EvidenceSpec, StepDraft } from './types.js';
import type { Writer } from './writer.js';

export const EVENT_REASON = 'NsDoctorFixApplied';
/** Events about a cluster-scoped object live in `default`, as Kubernetes' own recorders do; they also outlive the
 * namespace they describe, and a Terminating namespace refuses new objects anyway. */
export const EVENT_NAMESPACE = 'default';

export interface ApplyDeps {
  writer: Writer;
  read(spec: EvidenceSpec): Promise<EvidenceRead>;
  log(line: string): void;
  now(): Date;
}

const ok = (status: number) => status >= 200 && status < 300;
/** The server refused because the object is not as read: gone (404), changed (409), a JSON-patch test failed (422). */
const moved = (status: number) => status === 404 || status === 409 || status === 422;

export async function applyPlan(plan: FixPlan, drafts: StepDraft[], mode: 'apply' | 'dry-run', deps: ApplyDeps): Promise<Omit<FixResult, 'stats'>> {
  // A request that never got an answer (timeout, reset) may or may not have been applied: it ends the run as a
  // failure, with what was done so far, instead of an exception that would hide it.
  const writer: Writer = {
    async send(request) {
      try {
        return await deps.writer.send(request);
      } catch (error) {
        return { status: 0, body: undefined, message: `no answer: ${(error as Error).message}` };
      }
    },
  };
  const result = (outcome: FixResult['outcome'], message: string, steps: StepResult[], extra: Partial<FixResult> = {}): Omit<FixResult, 'stats'> => ({
    ...extra,
    apiVersion: REPORT_API_VERSION,
    kind: RESULT_KIND,
    planId: plan.planId,
    mode,
    outcome,
    message,
    steps,
  });
  const notRun = (): StepResult[] => plan.steps.map((s) => ({ index: s.index, blockerId: s.blockerId, status: 'not-run' }));

  for (const step of plan.steps) {
    const refusal = guardRequest(step);
    if (refusal) return result('Refused', `step ${step.index} refused: ${refusal}`, notRun());
  }

  const missing = await missingPermissions(plan, writer);
  if (missing.length) {
    const names = missing.map((m) => `${m.verb} ${m.resource}${m.subresource ? `/${m.subresource}` : ''}${m.group ? `.${m.group}` : ''}${m.namespace ? ` in ${m.namespace}` : ''}${m.name ? ` (${m.name})` : ''}`);
    return result('Refused', `refused before writing anything: you may not ${[...new Set(names)].join(', ')}`, notRun(), { missingPermissions: missing });
  }

  const namespaceUids = await namespaceUidsOf(plan, deps);
  // Every step and its Event, dry-run first: an admission webhook or a validation error stops the plan here, with
  // nothing written, instead of half-way.
  const steps = notRun();
  for (const step of plan.steps) {
    for (const request of [step.request, ...eventRequests(plan, step, namespaceUids, deps.now())]) {
      const response = await writer.send(dryRunOf(request));
      if (!ok(response.status)) {
        steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: moved(response.status) ? 'stopped' : 'failed', request: dryRunOf(request), httpStatus: response.status, message: response.message };
        return result(moved(response.status) ? 'Stopped' : 'Failed', `the server-side dry run of step ${step.index} was refused (${response.status}): ${response.message}; nothing was written`, steps);
      }
    }
    steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: 'dry-run-passed' };
  }
  if (mode === 'dry-run') return result('DryRunPassed', `the server accepted a dry run of all ${plan.steps.length} steps; nothing was written`, steps);

  for (const step of plan.steps) {
    const draft = drafts[step.index - 1];
    if (!draft) throw new Error(`plan step ${step.index} has no draft`); // drafts and steps are made together
    deps.log(`step ${step.index}/${plan.steps.length}: re-reading its evidence`);
    const reads = new Map<string, EvidenceRead>();
    for (const spec of [draft.target, ...draft.evidence]) reads.set(spec.path, await deps.read(spec));
    if (!reads.get(draft.target.path)?.exists && !reads.get(draft.target.path)?.error && steps.some((s) => s.status === 'applied')) {
      // What an earlier step set off (the garbage collector, the namespace controller) already removed it. Writing
      // less than planned is always safe; writing to something else never is.
      steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: 'skipped', message: `${draft.target.ref.kind} ${draft.target.ref.name} is already gone after the earlier steps` };
      continue;
    }
    const verdict = judge(draft, reads);
    const changes: EvidenceChange[] = 'problem' in verdict ? (verdict.changes ?? []) : uidChanges(step, verdict.step.evidence);
    if ('problem' in verdict || changes.length) {
      const why = 'problem' in verdict ? verdict.problem : changes.map(formatChange).join('; ');
      steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: 'stopped', message: why, ...(changes.length ? { changes } : {}) };
      return result('Stopped', `stopped before step ${step.index}: ${why}; step ${step.index} and later were not written`, steps, { changes });
    }
    const request = verdict.step.request;
    const refusal = guardRequest({ ...step, request });
    if (refusal) return result('Refused', `step ${step.index} refused: ${refusal}`, steps);
    const dry = await writer.send(dryRunOf(request));
    if (!ok(dry.status)) {
      steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: moved(dry.status) ? 'stopped' : 'failed', request: dryRunOf(request), httpStatus: dry.status, message: dry.message };
      return result(moved(dry.status) ? 'Stopped' : 'Failed', `the dry run of step ${step.index} was refused (${dry.status}): ${dry.message}; it was not written`, steps);
    }
    const response = await writer.send(request);
    if (!ok(response.status)) {
      // The object changed between the re-read and the write: the server wrote nothing.
      const stop = moved(response.status);
      steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: stop ? 'stopped' : 'failed', request, httpStatus: response.status, message: response.message };
      return result(stop ? 'Stopped' : 'Failed', `step ${step.index} was refused (${response.status}): ${response.message}`, steps);
    }
    const applied: StepResult = { index: step.index, blockerId: step.blockerId, status: 'applied', request, httpStatus: response.status };
    for (const event of eventRequests(plan, { ...step, request }, namespaceUids, deps.now())) {
      const recorded = await writer.send(event);
      const about = (event.body as { involvedObject: { name: string } }).involvedObject.name;
      if (ok(recorded.status)) (applied.events ??= []).push({ namespace: EVENT_NAMESPACE, name: recorded.body?.metadata?.name ?? '', about });
      else applied.message = `applied, but its Event about namespace ${about} could not be recorded (${recorded.status}): ${recorded.message}`;
    }
    steps[step.index - 1] = applied;
    deps.log(`step ${step.index}/${plan.steps.length}: applied (${request.method} ${request.path} → ${response.status})`);
  }
  const skipped = steps.filter((s) => s.status === 'skipped').length;
  return result('Applied', `applied ${plan.steps.length - skipped} of ${plan.steps.length} steps${skipped ? ` (${skipped} no longer needed)` : ''}`, steps);
}

/** An object deleted and re-created under the same name is another object: the plan was not about it. */
function uidChanges(planned: PlanStep, now: PlanStep['evidence']): EvidenceChange[] {
  const changes: EvidenceChange[] = [];
  for (const e of planned.evidence) {
    const current = now.find((n) => n.path === e.path);
    if (current && (e.uid ?? '') !== (current.uid ?? '')) changes.push({ ref: e.ref, field: 'uid', planned: e.uid ?? '', now: current.uid ?? '' });
  }
  return changes;
}

async function namespaceUidsOf(plan: FixPlan, deps: ApplyDeps): Promise<Map<string, string>> {
  const uids = new Map<string, string>();
  for (const ns of new Set(plan.steps.flatMap((s) => s.namespaces))) {
    const read = await deps.read({ ref: { kind: 'Namespace', name: ns }, path: `/api/v1/namespaces/${encodeURIComponent(ns)}`, expect: {} });
    if (read.object?.metadata?.uid) uids.set(ns, read.object.metadata.uid);
  }
  return uids;
}

export function eventRequests(plan: FixPlan, step: PlanStep, namespaceUids: Map<string, string>, now: Date): ApiRequest[] {
  return step.namespaces.map((ns) => {
    const uid = namespaceUids.get(ns);
    const message = `ns-doctor fix, plan ${plan.planId}, step ${step.index}/${plan.steps.length} (${step.blockerId}, ${step.safety}): ${step.description}. Request: ${step.request.method} ${step.request.path}.${step.cost ? ` Cost: ${step.cost}` : ''}`;
    return {
      method: 'POST',
      path: `/api/v1/namespaces/${EVENT_NAMESPACE}/events`,
      query: { fieldManager: FIELD_MANAGER },
      contentType: 'application/json',
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${ns}.ns-doctor-`, namespace: EVENT_NAMESPACE, labels: { 'ns-doctor.dev/plan-id': plan.planId } },
        involvedObject: { apiVersion: 'v1', kind: 'Namespace', name: ns, ...(uid ? { uid } : {}) },
        reason: EVENT_REASON,
        message: message.length > 1000 ? `${message.slice(0, 999)}…` : message,
        type: step.safety === 'safe' ? 'Normal' : 'Warning',
        source: { component: 'kubectl-ns-doctor', host: hostname() },
        reportingComponent: 'kubectl-ns-doctor',
        reportingInstance: hostname(),
        action: 'Fix',
        firstTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
        lastTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
        count: 1,
      },
    };
  });
}

/** What a request asks the authorizer for: verb, group, resource, subresource, namespace, name. */
export function attributesOf(request: ApiRequest): Omit<MissingPermission, 'step'> {
  const verb = { DELETE: 'delete', PATCH: 'patch', PUT: 'update', POST: 'create' }[request.method];
  const parts = request.path.split('/').filter(Boolean).map(decodeURIComponent);
  const group = parts[0] === 'api' ? '' : (parts[1] ?? '');
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  let namespace: string | undefined;
  // /namespaces/<ns>/<resource>… is namespaced content; /namespaces/<name>[/finalize] is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'finalize' && rest[2] !== 'status') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  return { verb, group, resource: resource ?? '', ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

async function missingPermissions(plan: FixPlan, writer: Writer): Promise<MissingPermission[]> {
  const wanted: MissingPermission[] = [];
  for (const step of plan.steps) {
    wanted.push({ ...attributesOf(step.request), step: step.index });
    for (const event of eventRequests(plan, step, new Map(), new Date(0)).slice(0, 1)) wanted.push({ ...attributesOf(event), step: step.index });
  }
  const unique = new Map(wanted.map((w) => [JSON.stringify({ ...w, step: undefined }), w]));
  const missing: MissingPermission[] = [];
  for (const attributes of unique.values()) {
    const { step: _step, ...resourceAttributes } = attributes;
    const response = await writer.send({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      query: {},
      contentType: 'application/json',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } },
    });
    if (!ok(response.status) || response.body?.status?.allowed !== true) missing.push(attributes);
  }
  return missing;
}
