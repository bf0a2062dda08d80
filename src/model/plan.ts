// The JSON/YAML contract of `kubectl ns-doctor fix`: a plan (what would be written, and what it relies on) and the
// result of applying it. Part of ns-doctor.dev/v1: fields are only ever added.
import type { BlockerId, FixSafety, Gap, ObjectRef, Progress, RequestStats, Verdict } from './report.js';
import { REPORT_API_VERSION } from './report.js';

export const PLAN_KIND = 'NamespaceFixPlan' as const;
export const RESULT_KIND = 'NamespaceFixResult' as const;
export { REPORT_API_VERSION };

/** One HTTP request exactly as it will be sent (the server-side dry-run adds only `dryRun=All` to `query`). */
export interface ApiRequest {
  method: 'DELETE' | 'PATCH' | 'PUT' | 'POST';
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: unknown;
}

/** An object the plan relies on, as read when the plan was made. `facts` are the fields a step depends on. */
export interface PlanEvidence {
  ref: ObjectRef;
  /** The GET that reads it again before the step. */
  path: string;
  exists: boolean;
  uid?: string;
  resourceVersion?: string;
  facts: Record<string, string>;
}

export interface PlanStep {
  /** 1-based, the order steps are applied in. */
  index: number;
  blockerId: BlockerId;
  /** The namespaces this step unblocks (several with --all when the cause is shared). */
  namespaces: string[];
  safety: FixSafety;
  description: string;
  cost?: string;
  /** The kubectl command a person would type for the same change (shown, never run). */
  command?: string;
  request: ApiRequest;
  /** The object the request writes (always evidence[0]) and everything else the step relies on. */
  evidence: PlanEvidence[];
  /** Set when the step covers every object of one cause, not just the one shown: see StepBatch. */
  batch?: StepBatch;
}

/**
 * One step for many objects of one cause (20,000 objects stuck on one finalizer are one step, not 20,000): the
 * request shown is the one for the first object; at apply time every object the list returns that still matches
 * gets its own request, with its own uid, resourceVersion and finalizer `test` ops.
 */
export interface StepBatch {
  /** The collection listed (metadata only, paginated) when the step is applied. */
  list: string;
  /** What an object must show to be written: being deleted and holding this finalizer. */
  finalizer: string;
  /** How many such objects the diagnosis counted. */
  objects: number;
}

/** A mechanical step that exists but needs a higher --allow than given: listed with its cost, never applied. */
export interface WithheldStep extends Pick<PlanStep, 'blockerId' | 'namespaces' | 'safety' | 'description' | 'cost' | 'command'> {
  needs: string;
}

/** A blocker the plan cannot fix by itself (a person has to act), or a step dropped because its evidence moved. */
export interface ManualItem {
  blockerId: BlockerId;
  namespace: string;
  summary: string;
  reason: string;
}

export interface PlanWarning {
  blockerId: BlockerId;
  namespace: string;
  warning: string;
}

export interface FixPlan {
  apiVersion: typeof REPORT_API_VERSION;
  kind: typeof PLAN_KIND;
  /** Digest of the steps and of the evidence (uid, resourceVersion, facts of every object read): `--plan-id`. */
  planId: string;
  /** Highest safety level allowed when the plan was made (--allow). */
  allow: FixSafety;
  namespaces: { namespace: string; verdict: Verdict; summary: string }[];
  steps: PlanStep[];
  withheld: WithheldStep[];
  manual: ManualItem[];
  warnings: PlanWarning[];
  gaps: Gap[];
  stats: RequestStats;
}

/**
 * `no-answer`: the request was sent and no answer came back (timeout, reset, server gone): it may have been applied.
 * `partial`: a batch step wrote some of its objects and then stopped.
 */
export type StepStatus = 'applied' | 'dry-run-passed' | 'stopped' | 'failed' | 'skipped' | 'not-run' | 'no-answer' | 'partial';

/** What a bounded re-read found after a lost answer. */
export interface LostAnswer {
  /** `applied`: the change is visible; `not-applied`: the object is exactly as read before the write; `changed`: it
   * changed, not provably by this write; `unreadable`: the server did not answer the re-read either. */
  reread: 'applied' | 'not-applied' | 'changed' | 'unreadable';
  detail: string;
}

/** For a batch step: what happened to each of its objects. */
export interface BatchCounts {
  /** Objects that matched when listed at apply time. */
  matched: number;
  applied: number;
  /** Changed or gone between the list and the write (404/409/422): not written, and right not to be. */
  moved: number;
  failed: number;
  noAnswer: number;
  /** Not tried because the step stopped first. */
  notRun: number;
}

export interface EvidenceChange {
  ref: ObjectRef;
  field: string;
  planned: string;
  now: string;
}

export interface StepResult {
  index: number;
  blockerId: BlockerId;
  status: StepStatus;
  /** The real request as sent (its resourceVersion preconditions are the ones read just before). */
  request?: ApiRequest;
  httpStatus?: number;
  message?: string;
  changes?: EvidenceChange[];
  /** With status no-answer: what the re-read found. */
  lostAnswer?: LostAnswer;
  batch?: BatchCounts;
  /** The Events recorded for this step, one per namespace it unblocks (`kubectl get events -n default
   * --field-selector reason=NsDoctorFixApplied`). */
  events?: { namespace: string; name: string; about: string }[];
}

/**
 * `NoAnswer`: a write got no answer (it may have been applied) and nothing more was sent; `Unreachable`: the cluster
 * could not be read to re-make the plan, nothing was written. Both exit 2, like a diagnosis that could not see.
 */
export type FixOutcome = 'Applied' | 'DryRunPassed' | 'Stopped' | 'Refused' | 'Failed' | 'NothingToApply' | 'NoAnswer' | 'Unreachable';

export interface MissingPermission {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  step?: number;
}

export interface FixResult {
  apiVersion: typeof REPORT_API_VERSION;
  kind: typeof RESULT_KIND;
  planId: string;
  mode: 'apply' | 'dry-run';
  outcome: FixOutcome;
  message: string;
  steps: StepResult[];
  /** Plan-level evidence that changed between the plan reviewed and now (outcome Stopped). */
  changes?: EvidenceChange[];
  missingPermissions?: MissingPermission[];
  /** The local record of every write attempted (JSON lines), when one was written to. */
  auditFile?: string;
  /** With --wait: what the namespace did after the steps were applied. */
  progress?: (Progress & { namespace: string })[];
  stats: RequestStats;
}

export function requestUrl(request: ApiRequest): string {
  const query = new URLSearchParams(request.query).toString();
  return query ? `${request.path}?${query}` : request.path;
}
