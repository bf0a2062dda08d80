// Assembles the plan from the drafts and the evidence as read, and gives it its id. Pure.
import { createHash } from 'node:crypto';
import type { FixSafety, Gap, Report, RequestStats } from '../model/report.js';
import { PLAN_KIND, REPORT_API_VERSION, type EvidenceChange, type FixPlan, type PlanEvidence, type PlanStep } from '../model/plan.js';
import type { EvidenceRead, EvidenceReads } from './evidence.js';
import { factChanges, factsOf } from './facts.js';
import { guardRequest } from './guards.js';
import { humanCommand, selectSteps, type Draft } from './planner.js';
import { buildRequest, RequestBuildError } from './requests.js';
import type { EvidenceSpec, StepDraft } from '../model/step-draft.js';

/** The plan, and per step (same order) the draft it came from: apply.ts re-judges a step with it. */
export function assemblePlan(reports: Report[], draft: Draft, reads: EvidenceReads, allow: FixSafety, stats: RequestStats): { plan: FixPlan; drafts: StepDraft[] } {
  const { chosen, withheld } = selectSteps(draft, allow);
  const manual = [...draft.manual];
  const steps: PlanStep[] = [];
  const drafts: StepDraft[] = [];
  const byKey = new Map<string, PlanStep>();
  for (const draftStep of chosen) {
    const verdict = judge(draftStep, reads);
    if ('problem' in verdict) {
      manual.push({ blockerId: draftStep.blockerId, namespace: draftStep.namespace, summary: draftStep.description, reason: verdict.problem });
      continue;
    }
    // A step ns-doctor would refuse to send is never planned: it would refuse the whole plan at apply time.
    const refusal = guardRequest(verdict.step);
    if (refusal) {
      manual.push({ blockerId: draftStep.blockerId, namespace: draftStep.namespace, summary: draftStep.description, reason: refusal });
      continue;
    }
    // One broken APIService behind several namespaces is repaired once: same write, same step.
    const key = `${verdict.step.request.method} ${verdict.step.request.path} ${JSON.stringify(verdict.step.request.body)}`;
    const shared = byKey.get(key);
    if (shared) {
      if (!shared.namespaces.includes(draftStep.namespace)) shared.namespaces.push(draftStep.namespace);
      continue;
    }
    const planned: PlanStep = { ...verdict.step, index: steps.length + 1 };
    byKey.set(key, planned);
    steps.push(planned);
    drafts.push(draftStep);
  }
  const gaps: Gap[] = reports.flatMap((r) => r.gaps);
  const plan: Omit<FixPlan, 'planId'> = {
    apiVersion: REPORT_API_VERSION,
    kind: PLAN_KIND,
    allow,
    namespaces: reports.map((r) => ({ namespace: r.namespace, verdict: r.verdict, summary: r.summary })),
    steps,
    withheld: dedupe(
      withheld.map(({ draft: d, needs }) => ({
        blockerId: d.blockerId,
        namespaces: [d.namespace],
        safety: d.safety,
        description: d.description,
        ...(d.cost ? { cost: d.cost } : {}),
        needs,
      })),
    ),
    manual,
    warnings: draft.warnings,
    gaps,
    stats,
  };
  return { plan: { ...plan, planId: planId(steps) }, drafts };
}

/** Checks a step's evidence against what the diagnosis saw, and builds its request from the target as read. */
export function judge(draft: StepDraft, reads: EvidenceReads): { step: Omit<PlanStep, 'index'> } | { problem: string; changes?: EvidenceChange[] } {
  const evidence: PlanEvidence[] = [];
  const changes: EvidenceChange[] = [];
  for (const spec of [draft.target, ...draft.evidence]) {
    const read = reads.get(spec.path);
    if (!read) return { problem: `${describe(spec)} was not read` };
    if (read.error) return { problem: `${describe(spec)} could not be read: ${read.error}` };
    const item = evidenceItem(spec, read);
    changes.push(...factChanges(spec.expect, item.facts).map((c) => ({ ref: spec.ref, ...c })));
    evidence.push(item);
  }
  if (changes.length) {
    return { problem: `the evidence moved since the diagnosis: ${changes.map(formatChange).join('; ')}`, changes };
  }
  try {
    const request = buildRequest(draft.action, draft.target.path, reads.get(draft.target.path)!.object);
    return {
      step: {
        blockerId: draft.blockerId,
        namespaces: [draft.namespace],
        safety: draft.safety,
        description: draft.description,
        ...(draft.cost ? { cost: draft.cost } : {}),
        command: humanCommand(draft, request),
        request,
        evidence,
        ...(draft.batch ? { batch: draft.batch } : {}),
      },
    };
  } catch (error) {
    if (error instanceof RequestBuildError) return { problem: error.message };
    throw error;
  }
}

export function evidenceItem(spec: EvidenceSpec, read: EvidenceRead): PlanEvidence {
  const meta = read.object?.metadata;
  return {
    ref: spec.ref,
    path: spec.path,
    exists: read.exists,
    // A list's resourceVersion is the cluster's etcd revision: it moves with every write anywhere, so only an
    // object's own (it has a uid) is evidence.
    ...(meta?.uid ? { uid: meta.uid, ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}) } : {}),
    facts: factsOf(read.object, Object.keys(spec.expect)),
  };
}

/**
 * The digest a reviewer approves: every step's exact request (which carries the uid and resourceVersion of what it
 * writes) and the uid, resourceVersion and facts of every object read as evidence.
 */
export function planId(steps: Omit<PlanStep, 'index'>[]): string {
  const evidence = new Map<string, PlanEvidence>();
  for (const s of steps) for (const e of s.evidence) evidence.set(e.path, e);
  const canonical = canonicalJson({
    steps: steps.map((s) => ({ blockerId: s.blockerId, namespaces: [...s.namespaces].sort(), safety: s.safety, request: s.request, ...(s.batch ? { batch: s.batch } : {}) })),
    evidence: [...evidence.values()]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((e) => ({ path: e.path, exists: e.exists, uid: e.uid ?? '', resourceVersion: e.resourceVersion ?? '', facts: e.facts })),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** What differs between the plan reviewed and the plan as it would be made now. */
export function planChanges(before: FixPlan, after: FixPlan): EvidenceChange[] {
  const changes: EvidenceChange[] = [];
  const evidenceOf = (plan: FixPlan) => new Map(plan.steps.flatMap((s) => s.evidence.map((e) => [e.path, e] as const)));
  const old = evidenceOf(before);
  const now = evidenceOf(after);
  for (const [path, e] of old) {
    const current = now.get(path);
    if (!current) continue;
    for (const field of ['exists', 'uid', 'resourceVersion'] as const) {
      if (String(e[field] ?? '') !== String(current[field] ?? '')) changes.push({ ref: e.ref, field, planned: String(e[field] ?? ''), now: String(current[field] ?? '') });
    }
    for (const change of factChanges(e.facts, current.facts)) changes.push({ ref: e.ref, ...change });
  }
  const stepName = (s: PlanStep) => `${s.request.method} ${s.request.path}`;
  const oldSteps = new Set(before.steps.map(stepName));
  const newSteps = new Set(after.steps.map(stepName));
  for (const s of before.steps) {
    if (!newSteps.has(stepName(s))) changes.push({ ref: s.evidence[0]?.ref ?? { kind: 'Namespace', name: '' }, field: `step ${s.index} (${s.blockerId})`, planned: stepName(s), now: 'no longer in the plan' });
  }
  for (const s of after.steps) {
    if (!oldSteps.has(stepName(s))) changes.push({ ref: s.evidence[0]?.ref ?? { kind: 'Namespace', name: '' }, field: `step (${s.blockerId})`, planned: 'not in the plan', now: stepName(s) });
  }
  return changes;
}

export function formatChange(change: EvidenceChange): string {
  const ref = `${change.ref.kind} ${change.ref.namespace ? `${change.ref.namespace}/` : ''}${change.ref.name}`;
  return `${ref}: ${change.field} ${change.planned} → ${change.now}`;
}

function describe(spec: EvidenceSpec): string {
  return `${spec.ref.kind} ${spec.ref.namespace ? `${spec.ref.namespace}/` : ''}${spec.ref.name}`;
}

function dedupe<T extends { namespaces: string[]; description: string }>(items: T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) {
    const existing = seen.get(item.description);
    if (existing) existing.namespaces.push(...item.namespaces.filter((n) => !existing.namespaces.includes(n)));
    else seen.set(item.description, item);
  }
  return [...seen.values()];
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
