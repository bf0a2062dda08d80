import type { Blocker, BlockerId } from '../model/report.js';
import type { ParsedConditions } from '../rules/conditions.js';
import type { Snapshot } from '../snapshot/types.js';

export interface CheckContext {
  now: Date;
  /** Terminating longer than this with no deletion conditions ⇒ the namespace controller is not running. */
  controllerTimeoutMs: number;
  /** A wait on a live controller longer than this (from the object's own deletionTimestamp) ⇒ FinalizerControllerStalled. */
  stallAfterMs: number;
  conditions: ParsedConditions;
}

/** One root cause: an id, what it looks for, and a pure function from a snapshot to the blockers it proves. */
export interface Check {
  /** The rule's name: the blocker id it is about. */
  id: BlockerId;
  /** Every blocker id this check can report (a check may tell variants apart, e.g. a broken vs an orphaned API). */
  emits: readonly BlockerId[];
  description: string;
  /** A catch-all: reported only when no specific check found anything. */
  fallback?: boolean;
  run(snapshot: Snapshot, context: CheckContext): Blocker[];
  /**
   * One line that holds in every namespace this blocker's cause blocks (--all groups), from its typed fields: never
   * naming one namespace, never parsed out of `summary`.
   */
  groupSummary(blocker: Blocker): string;
}

export { link } from '../rules/evidence-link.js';
