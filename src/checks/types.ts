import type { Blocker, BlockerId } from '../model/report.js';
import type { ParsedConditions } from '../rules/conditions.js';
import type { Snapshot } from '../snapshot/types.js';
import type { CausePlan, PlanPhase } from '../model/step-draft.js';

export interface CheckContext {
  now: Date;
  /** Terminating longer than this with no deletion conditions ⇒ the namespace controller is not running. */
  controllerTimeoutMs: number;
  /** A wait on a live controller longer than this (from the object's own deletionTimestamp) ⇒ FinalizerControllerStalled. */
  stallAfterMs: number;
  conditions: ParsedConditions;
}

/**
 * Where in a namespace's deletion a cause bites, earliest first: the namespace controller has to run, read discovery,
 * be allowed to list and delete, get past admission and conversion; then each object waits on its own finalizers and
 * on what it owns, and last the namespace on its own. The report lists blockers in this order (by id within a stage).
 */
export const DELETION_STAGES = ['controller', 'discovery', 'permission', 'admission', 'conversion', 'finalizers', 'content', 'namespace'] as const;
export type DeletionStage = (typeof DELETION_STAGES)[number];

/**
 * One root cause, whole (as an ESLint rule keeps its `fix`): an id, what it looks for, a pure function from a
 * snapshot to the blockers it proves, the line that groups them across namespaces, and the steps `fix` may take.
 */
export interface Check {
  /** The rule's name: the blocker id it is about. */
  id: BlockerId;
  /** Every blocker id this check can report (a check may tell variants apart, e.g. a broken vs an orphaned API). */
  emits: readonly BlockerId[];
  description: string;
  /** Where it bites (DELETION_STAGES): the order blockers are reported in. */
  stage: DeletionStage;
  /** A catch-all: reported only when no specific check found anything. */
  fallback?: boolean;
  run(snapshot: Snapshot, context: CheckContext): Blocker[];
  /**
   * One line that holds in every namespace this blocker's cause blocks (--all groups), from its typed fields: never
   * naming one namespace, never parsed out of `summary`.
   */
  groupSummary(blocker: Blocker): string;
  /**
   * When this cause's steps run among other causes' (src/fix/planner.ts orders the phases). A check that emits
   * several ids lists them in `emits` in the order their steps run within the phase.
   */
  planPhase: PlanPhase;
  /**
   * For one of this check's blockers: the mechanical ways to clear it, preferred first, each step naming the object
   * it writes and the facts it relies on (read again before the write); or, with no option, why there is none.
   * Pure: `snapshot` is the one the blocker was found in.
   */
  plan(blocker: Blocker, snapshot: Snapshot): CausePlan;
}

export { link } from '../rules/evidence-link.js';
