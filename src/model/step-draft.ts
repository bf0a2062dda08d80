// What a check proposes to clear its blocker, before `fix` reads the evidence again and builds the exact requests.
// Internal to ns-doctor (the JSON contract of a plan is plan.ts); here so checks, which own their cause's steps, and
// src/fix, which reads and writes, share one shape.
import type { BlockerId, FixSafety, ObjectRef } from './report.js';

/** An object a step relies on, and the facts (src/fix/facts.ts) it must show for the step to be right. */
export interface EvidenceSpec {
  ref: ObjectRef;
  path: string;
  /** Read as PartialObjectMetadata: for arbitrary content, whose data the plan has no business reading. */
  metadataOnly?: boolean;
  expect: Record<string, string>;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** The change a step makes; turned into an exact request from the target object as read (src/fix/requests.ts). */
export type Action =
  | { type: 'delete' }
  | { type: 'remove-finalizers'; finalizers: string[] }
  | { type: 'finalize-namespace'; drop: string[] }
  | { type: 'add-taint'; taint: Taint }
  | { type: 'exclude-namespace'; webhook: string; namespace: string }
  /** Removes one webhook entry from its configuration; the configuration and its other webhooks stay. */
  | { type: 'remove-webhook'; webhook: string };

export interface StepDraft {
  blockerId: BlockerId;
  namespace: string;
  safety: FixSafety;
  description: string;
  cost?: string;
  /** The object the request writes; re-read right before the write. */
  target: EvidenceSpec;
  /** Other objects the step relies on (a Service that must still be absent, a node that must still be down…). */
  evidence: EvidenceSpec[];
  action: Action;
  /** A human name for the target type in kubectl terms (apiservice, configmaps, databasebackups.example.com). */
  kubectlType: string;
  /** Every object of the cause, not just the target: listed and written one by one at apply time. */
  batch?: { list: string; finalizer: string; objects: number };
}

/** Alternative ways to clear one blocker, preferred first; the plan takes the first one --allow permits. */
export interface Candidate {
  safety: FixSafety;
  steps: StepDraft[];
}

/** A check's answer for one of its blockers: the alternatives, or (none) why there is no mechanical step. */
export interface CausePlan {
  options: Candidate[];
  /** Shown in the plan's "not fixed" list when `options` is empty. */
  reason: string;
}

/**
 * When a cause's steps run, relative to other causes' (the planner's PHASE_ORDER says why in that order). `none`:
 * the check never has a mechanical step.
 */
export type PlanPhase =
  | 'unblock-admission'
  | 'restore-discovery'
  | 'owners-before-dependents'
  | 'finalizers-without-owner'
  | 'finalizers-of-live-controllers'
  | 'pods'
  | 'namespace-metadata-finalizers'
  | 'namespace-spec-finalizers'
  | 'none';
