// Every root cause ns-doctor knows, found rather than listed: every module in this folder is loaded
// (`ns-doctor:checks`, made by scripts/checks-module.mjs for the bundle and the tests), and each export that is a
// check is registered. Adding a cause is adding its file; test/unit/checks/registry.test.ts holds every declared
// blocker id to a check that emits it.
import discovered from 'ns-doctor:checks';
import { DELETION_STAGES, type Check } from './types.js';
import type { BlockerId } from '../model/report.js';
import { compareCodePoints } from '../util/order.js';

function isCheck(value: unknown): value is Check {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof Check, unknown>>;
  return (
    typeof v.id === 'string' &&
    Array.isArray(v.emits) &&
    typeof v.run === 'function' &&
    typeof v.plan === 'function' &&
    typeof v.groupSummary === 'function' &&
    DELETION_STAGES.includes(v.stage as Check['stage'])
  );
}

/** Ordered by how early in a deletion they bite (DELETION_STAGES): what stops the controller itself comes first. */
export const CHECKS: readonly Check[] = discovered
  .flatMap((module) => Object.values(module).filter(isCheck))
  .sort((a, b) => DELETION_STAGES.indexOf(a.stage) - DELETION_STAGES.indexOf(b.stage) || compareCodePoints(a.id, b.id));

/** The check that reports this blocker id (every id is declared in exactly one check's `emits`, see above). */
export function checkEmitting(id: BlockerId): Check | undefined {
  return CHECKS.find((check) => check.emits.includes(id));
}
