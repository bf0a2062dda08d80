// Applies a reviewed plan. The gates, in order, each able to stop everything before anything is written:
//   1. permissions: one SelfSubjectAccessReview per verb the plan needs; any "no" refuses the whole plan;
//   2. guards: the things ns-doctor never does (guards.ts), checked on every request before it is sent;
//   3. a server-side dry run of every step (dryRun=All: admission and validation run, nothing is persisted);
// then per step: re-read its evidence, stop if a fact it relies on moved, dry-run, write (with the resourceVersion
// just read as precondition), and record an Event. The caller has already checked that the plan id still matches.
import { hostname } from 'node:os';
import type { BatchCounts, EvidenceChange, FixPlan, FixResult, LostAnswer, MissingPermission, PlanEvidence, StepResult, StepStatus } from '../model/plan.js';
import { RESULT_KIND, REPORT_API_VERSION } from '../model/plan.js';
import type { ApiRequest, PlanStep } from '../model/plan.js';
import type { ApiWritableObject } from '../kube/api-types.js';
import type { AuditEntry, AuditSink } from './audit.js';
import type { EvidenceRead } from './evidence.js';
import { factOf, strings } from './facts.js';
import { guardRequest } from './guards.js';
import { formatChange, judge } from './plan.js';
import { buildRequest, dryRunOf, FIELD_MANAGER, RequestBuildError } from './requests.js';
import type { EvidenceSpec, StepDraft } from '../model/step-draft.js';
import type { WriteResponse, Writer } from './writer.js';

export const EVENT_REASON = 'NsDoctorFixApplied';
/** Events about a cluster-scoped object live in `default`, as Kubernetes' own recorders do; they also outlive the
 * namespace they describe, and a Terminating namespace refuses new objects anyway. */
export const EVENT_NAMESPACE = 'default';

export interface ApplyDeps {
  writer: Writer;
  read(spec: EvidenceSpec): Promise<EvidenceRead>;
  /** A read through a new connection: after a lost answer the old client may have given up on the server. */
  reread(spec: EvidenceSpec): Promise<EvidenceRead>;
  /** Every object of a collection, metadata only, all pages (batch steps). Throws when it cannot be listed. */
  list(path: string): Promise<ApiWritableObject[]>;
  /** Where every write is recorded before it is sent; required to apply (not for a dry run). */
  audit?: AuditSink;
  log(line: string): void;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** After a lost answer the object is read again until the server answers, for at most this long. */
export const LOST_ANSWER_REREAD_MS = 30_000;
const REREAD_INTERVAL_MS = 2_000;
/** Writes of one batch step in flight at once: gentle on the API server, still ~minutes for 20,000 objects. */
export const BATCH_CONCURRENCY = 8;

const ok = (status: number) => status >= 200 && status < 300;
/** Answers that may mean "the object is not as read": gone (404), changed (409), a JSON-patch test failed (422). */
const maybeMoved = (status: number) => status === 404 || status === 409 || status === 422;

type Result = Omit<FixResult, 'stats'>;

export async function applyPlan(plan: FixPlan, drafts: StepDraft[], mode: 'apply' | 'dry-run', deps: ApplyDeps): Promise<Result> {
  // A request that never got an answer (timeout, reset) may or may not have been applied: status 0, never an
  // exception that would hide what was done so far.
  const send = async (request: ApiRequest) => {
    try {
      return await deps.writer.send(request);
    } catch (error) {
      return { status: 0, body: undefined, message: `no answer: ${(error as Error).message}` };
    }
  };
  const result = (outcome: FixResult['outcome'], message: string, steps: StepResult[], extra: Partial<FixResult> = {}): Result => ({
    ...extra,
    apiVersion: REPORT_API_VERSION,
    kind: RESULT_KIND,
    planId: plan.planId,
    mode,
    outcome,
    message,
    steps,
    ...(mode === 'apply' && deps.audit ? { auditFile: deps.audit.path } : {}),
  });
  const notRun = (): StepResult[] => plan.steps.map((s) => ({ index: s.index, blockerId: s.blockerId, status: 'not-run' }));
  const unreachable = (what: string, steps: StepResult[]) =>
    result('Unreachable', `${what}; the API server did not answer, so nothing more was sent (${written(steps)})`, steps);
  /** A refusal of a request built from `planned`: is the object no longer as read (a stop), or did the server refuse it? */
  const refusal = async (spec: EvidenceSpec, planned: PlanEvidence | undefined, status: number): Promise<'moved' | 'refused'> => {
    if (!maybeMoved(status)) return 'refused';
    const now = await deps.read(spec);
    if (now.error) return 'refused';
    const meta = now.object?.metadata;
    return !now.exists || meta?.uid !== planned?.uid || meta?.resourceVersion !== planned?.resourceVersion ? 'moved' : 'refused';
  };

  for (const step of plan.steps) {
    const refused = guardRequest(step);
    if (refused) return result('Refused', `step ${step.index} refused: ${refused}`, notRun());
  }

  const permissions = await missingPermissions(plan, send);
  if (permissions === 'no-answer') return unreachable('the permission checks got no answer', notRun());
  if (permissions.length) {
    const names = permissions.map((m) => `${m.verb} ${m.resource}${m.subresource ? `/${m.subresource}` : ''}${m.group ? `.${m.group}` : ''}${m.namespace ? ` in ${m.namespace}` : ''}${m.name ? ` (${m.name})` : ''}`);
    return result('Refused', `refused before writing anything: you may not ${[...new Set(names)].join(', ')}`, notRun(), { missingPermissions: permissions });
  }

  const namespaceUids = await namespaceUidsOf(plan, deps);
  // Every step and its Event, dry-run first: an admission webhook or a validation error stops the plan here, with
  // nothing written, instead of half-way.
  const dryRuns = notRun();
  for (const step of plan.steps) {
    for (const request of [step.request, ...eventRequests(plan, step, namespaceUids, deps.now())]) {
      const response = await send(dryRunOf(request));
      if (response.status === 0) return unreachable(`the dry run of step ${step.index} got no answer`, mode === 'apply' ? notRun() : dryRuns);
      if (!ok(response.status)) {
        const draft = drafts[step.index - 1];
        const why = request === step.request && draft ? await refusal(draft.target, step.evidence[0], response.status) : 'refused';
        const failed: StepResult = { index: step.index, blockerId: step.blockerId, status: why === 'moved' ? 'stopped' : 'failed', request: dryRunOf(request), httpStatus: response.status, message: response.message };
        const steps = mode === 'apply' ? notRun() : dryRuns;
        steps[step.index - 1] = failed;
        const verdict = why === 'moved' ? 'its object changed since the plan' : 'the server refused it';
        return result(why === 'moved' ? 'Stopped' : 'Failed', `the server-side dry run of step ${step.index} was refused (${response.status}: ${verdict}): ${response.message}; nothing was written`, steps);
      }
    }
    dryRuns[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: 'dry-run-passed' };
  }
  if (mode === 'dry-run') return result('DryRunPassed', `the server accepted a dry run of all ${plan.steps.length} steps; nothing was written`, dryRuns);

  const audit = deps.audit;
  if (!audit) throw new Error('applying a plan needs an audit file'); // runFix opens it before calling
  // Every write is on record before it is sent, and its outcome after; a record that cannot be kept stops the run.
  const recorded = async (step: PlanStep, what: AuditEntry['what'], request: ApiRequest) => {
    const entry = { planId: plan.planId, step: step.index, what, request: { method: request.method, path: request.path, body: request.body } };
    audit.record({ time: deps.now().toISOString(), phase: 'attempt', ...entry });
    const response = await send(request);
    audit.record({ time: deps.now().toISOString(), phase: 'outcome', ...entry, status: response.status, message: response.message });
    return response;
  };

  // Steps not reached stay `not-run`, whatever their dry run said.
  const steps = notRun();
  for (const step of plan.steps) {
    const draft = drafts[step.index - 1];
    if (!draft) throw new Error(`plan step ${step.index} has no draft`); // drafts and steps are made together
    deps.log(`step ${step.index}/${plan.steps.length}: re-reading its evidence`);
    const reads = new Map<string, EvidenceRead>();
    for (const spec of [draft.target, ...draft.evidence]) reads.set(spec.path, await deps.read(spec));
    const lost = [...reads.values()].find((r) => r.unreachable);
    if (lost) return unreachable(`step ${step.index}'s evidence could not be read again (${lost.error ?? ''})`, steps);
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
    const refused = guardRequest({ ...step, request });
    if (refused) return result('Refused', `step ${step.index} refused: ${refused}`, steps);
    const dry = await send(dryRunOf(request));
    if (dry.status === 0) return unreachable(`the dry run of step ${step.index} got no answer`, steps);
    if (!ok(dry.status)) {
      const why = await refusal(draft.target, verdict.step.evidence[0], dry.status);
      steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: why === 'moved' ? 'stopped' : 'failed', request: dryRunOf(request), httpStatus: dry.status, message: dry.message };
      return result(why === 'moved' ? 'Stopped' : 'Failed', `the dry run of step ${step.index} was refused (${dry.status}): ${dry.message}; it was not written`, steps);
    }
    let response: WriteResponse;
    try {
      response = await recorded(step, 'step', request);
    } catch (error) {
      return result('Failed', `${(error as Error).message}; step ${step.index} was not sent`, steps);
    }
    if (response.status === 0) {
      const lostAnswer = await rereadAfterLostAnswer(draft, verdict.step.evidence[0], deps);
      steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: 'no-answer', request, message: 'no answer: it may have been applied', lostAnswer };
      return result('NoAnswer', `step ${step.index} got no answer: it may have been applied (re-read: ${lostAnswer.reread}, ${lostAnswer.detail}); nothing more was sent`, steps);
    }
    if (!ok(response.status)) {
      const why = await refusal(draft.target, verdict.step.evidence[0], response.status);
      steps[step.index - 1] = { index: step.index, blockerId: step.blockerId, status: why === 'moved' ? 'stopped' : 'failed', request, httpStatus: response.status, message: response.message };
      return result(why === 'moved' ? 'Stopped' : 'Failed', `step ${step.index} was refused (${response.status}): ${response.message}`, steps);
    }
    const applied: StepResult = { index: step.index, blockerId: step.blockerId, status: 'applied', request, httpStatus: response.status };
    steps[step.index - 1] = applied;
    let batchEnd: Result | undefined;
    if (draft.batch) {
      const outcome = await applyBatch(step, draft, request, recorded, deps);
      applied.batch = outcome.counts;
      if (outcome.stop) {
        applied.status = outcome.stop.status;
        applied.message = outcome.stop.message;
        batchEnd = result(outcome.stop.outcome, `step ${step.index}: ${outcome.stop.message}; nothing more was sent`, steps);
      } else if (outcome.counts.moved) {
        applied.message = `${outcome.counts.moved} object(s) changed between the list and the write and were not written: run fix again for them`;
      }
    }
    for (const event of eventRequests(plan, { ...step, request }, namespaceUids, deps.now())) {
      const about = (event.body as { involvedObject: { name: string } }).involvedObject.name;
      let answer: WriteResponse;
      try {
        answer = await recorded(step, 'event', event);
      } catch (error) {
        return result('Failed', `step ${step.index} was applied, but ${(error as Error).message}; nothing more was sent`, steps);
      }
      if (ok(answer.status)) (applied.events ??= []).push({ namespace: EVENT_NAMESPACE, name: answer.body?.metadata?.name ?? '', about });
      else applied.message = `${applied.message ? `${applied.message}; ` : ''}applied, but its Event about namespace ${about} could not be recorded (${answer.status || 'no answer'}): ${answer.message} (it is in the audit file)`;
    }
    if (batchEnd) return batchEnd;
    deps.log(`step ${step.index}/${plan.steps.length}: applied (${request.method} ${request.path} → ${response.status})`);
  }
  const skipped = steps.filter((s) => s.status === 'skipped').length;
  const moved = steps.reduce((sum, s) => sum + (s.batch?.moved ?? 0), 0);
  return result(
    'Applied',
    `applied ${plan.steps.length - skipped} of ${plan.steps.length} steps${skipped ? ` (${skipped} no longer needed)` : ''}${moved ? `; ${moved} object(s) changed before their write and remain: run fix again` : ''}`,
    steps,
  );
}

function written(steps: StepResult[]): string {
  const done = steps.filter((s) => s.status === 'applied' || s.status === 'partial').map((s) => s.index);
  return done.length ? `steps ${done.join(', ')} were applied before` : 'nothing was written';
}

/** Reads the target again until the server answers (bounded) and says whether the lost write is visible. */
export async function rereadAfterLostAnswer(draft: StepDraft, planned: PlanEvidence | undefined, deps: Pick<ApplyDeps, 'reread' | 'sleep' | 'now'>): Promise<LostAnswer> {
  const deadline = deps.now().getTime() + LOST_ANSWER_REREAD_MS;
  for (;;) {
    const read = await deps.reread(draft.target);
    if (!read.error) {
      const meta = read.object?.metadata;
      if (effectVisible(draft, read)) return { reread: 'applied', detail: `${describe(draft)} shows the change` };
      if (read.exists && meta?.uid === planned?.uid && meta?.resourceVersion === planned?.resourceVersion) {
        return { reread: 'not-applied', detail: `${describe(draft)} is unchanged (resourceVersion ${meta?.resourceVersion ?? ''})` };
      }
      return { reread: 'changed', detail: `${describe(draft)} changed (resourceVersion ${planned?.resourceVersion ?? ''} → ${meta?.resourceVersion ?? 'gone'}), not provably by this write` };
    }
    if (deps.now().getTime() + REREAD_INTERVAL_MS > deadline) {
      return { reread: 'unreadable', detail: `${describe(draft)} could not be read again within ${LOST_ANSWER_REREAD_MS / 1000}s: ${read.error}` };
    }
    await deps.sleep(REREAD_INTERVAL_MS);
  }
}

function describe(draft: StepDraft): string {
  const { ref } = draft.target;
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Whether the object as read now shows what the step's write would have done. */
function effectVisible(draft: StepDraft, read: EvidenceRead): boolean {
  const object = read.object;
  const action = draft.action;
  switch (action.type) {
    case 'delete':
      return !read.exists;
    case 'remove-finalizers':
      return !read.exists || !strings(object?.metadata?.finalizers).some((f) => action.finalizers.includes(f));
    case 'finalize-namespace':
      return !read.exists || !strings(object?.spec?.finalizers).some((f) => action.drop.includes(f));
    case 'add-taint':
      return factOf(object, `taint:${action.taint.key}`) === 'present';
    case 'remove-webhook':
      return read.exists && factOf(object, `webhook:${action.webhook}.service`) === 'absent';
    case 'exclude-namespace': {
      const webhook = object?.webhooks?.find((w) => w?.name === action.webhook);
      return JSON.stringify(webhook?.namespaceSelector ?? {}).includes(JSON.stringify({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [action.namespace] }));
    }
  }
}

interface BatchOutcome {
  counts: BatchCounts;
  stop?: { status: StepStatus; outcome: FixResult['outcome']; message: string };
}

/**
 * The rest of a batch step, after its first object: every object of the collection that still matches (being
 * deleted, holding the finalizer) gets its own request built from its own metadata as listed, so each carries its own
 * uid, resourceVersion and finalizer `test` ops. A lost answer or a refusal stops the step; an object that changed
 * in between is counted and left alone.
 */
async function applyBatch(
  step: PlanStep,
  draft: StepDraft,
  first: ApiRequest,
  recorded: (step: PlanStep, what: AuditEntry['what'], request: ApiRequest) => Promise<WriteResponse>,
  deps: ApplyDeps,
): Promise<BatchOutcome> {
  const batch = draft.batch!;
  const counts: BatchCounts = { matched: 1, applied: 1, moved: 0, failed: 0, noAnswer: 0, notRun: 0 };
  let items: ApiWritableObject[];
  try {
    items = await deps.list(batch.list);
  } catch (error) {
    return { counts, stop: { status: 'partial', outcome: 'Unreachable', message: `the first object was written, the others could not be listed: ${(error as Error).message}` } };
  }
  const firstPath = first.path;
  const todo = items.filter(
    (item) =>
      typeof item.metadata?.name === 'string' &&
      item.metadata.deletionTimestamp &&
      strings(item.metadata.finalizers).includes(batch.finalizer) &&
      `${batch.list}/${encodeURIComponent(item.metadata.name)}` !== firstPath,
  );
  counts.matched += todo.length;
  deps.log(`step ${step.index}: ${todo.length} more object(s) to write, ${BATCH_CONCURRENCY} at a time`);
  let next = 0;
  let stop: BatchOutcome['stop'];
  const worker = async () => {
    while (!stop && next < todo.length) {
      const item = todo[next++]!;
      const path = `${batch.list}/${encodeURIComponent(item.metadata!.name!)}`;
      let request: ApiRequest;
      try {
        request = buildRequest(draft.action, path, item);
      } catch (error) {
        if (!(error instanceof RequestBuildError)) throw error;
        counts.moved++;
        continue;
      }
      const refused = guardRequest({ request, safety: step.safety, evidence: [{ ...step.evidence[0]!, path }] });
      if (refused) {
        counts.failed++;
        stop ??= { status: 'partial', outcome: 'Refused', message: `object ${path} refused: ${refused}` };
        continue;
      }
      let response: WriteResponse;
      try {
        response = await recorded(step, 'batch-object', request);
      } catch (error) {
        stop ??= { status: 'partial', outcome: 'Failed', message: (error as Error).message };
        continue;
      }
      if (ok(response.status)) counts.applied++;
      else if (response.status === 0) {
        counts.noAnswer++;
        stop ??= { status: 'no-answer', outcome: 'NoAnswer', message: `no answer for ${path}: it may have been applied` };
      } else if (maybeMoved(response.status)) counts.moved++;
      else {
        counts.failed++;
        stop ??= { status: 'partial', outcome: 'Failed', message: `${path} was refused (${response.status}): ${response.message}` };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, todo.length) }, worker));
  counts.notRun = counts.matched - counts.applied - counts.moved - counts.failed - counts.noAnswer;
  if (stop) stop.message += ` (${counts.applied} of ${counts.matched} objects written, ${counts.notRun} not tried)`;
  return { counts, ...(stop ? { stop } : {}) };
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

async function missingPermissions(plan: FixPlan, send: Writer['send']): Promise<MissingPermission[] | 'no-answer'> {
  const wanted: MissingPermission[] = [];
  for (const step of plan.steps) {
    wanted.push({ ...attributesOf(step.request), step: step.index });
    for (const event of eventRequests(plan, step, new Map(), new Date(0)).slice(0, 1)) wanted.push({ ...attributesOf(event), step: step.index });
  }
  const unique = new Map(wanted.map((w) => [JSON.stringify({ ...w, step: undefined }), w]));
  const missing: MissingPermission[] = [];
  for (const attributes of unique.values()) {
    const { step: _step, ...resourceAttributes } = attributes;
    const response = await send({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      query: {},
      contentType: 'application/json',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } },
    });
    if (response.status === 0) return 'no-answer';
    if (!ok(response.status) || response.body?.status?.allowed !== true) missing.push(attributes);
  }
  return missing;
}
