// The registry is the one list the planner and --all groups iterate: every blocker id has exactly one check that
// emits it, and every check's steps have a place in the planner's order (its plan is run on every table case by
// check-tester.ts).
import { describe, expect, it } from 'vitest';
import { CHECKS, checkEmitting } from '../../../src/checks/registry.js';
import { PHASE_ORDER } from '../../../src/fix/planner.js';

describe('check registry', () => {
  // That every BlockerId has a check is the compiler's (src/checks/registry.ts); that none has two is this.
  it.each(CHECKS.flatMap((check) => check.emits))('%s is emitted by exactly one check, which checkEmitting finds', (id) => {
    const emitting = CHECKS.filter((check) => check.emits.includes(id));
    expect(emitting.map((c) => c.id)).toHaveLength(1);
    expect(checkEmitting(id)).toBe(emitting[0]);
  });

  it('every check emits its own id, each once, and its plan phase has a place in the step order', () => {
    for (const check of CHECKS) {
      expect(check.emits).toContain(check.id);
      expect(new Set(check.emits).size).toBe(check.emits.length);
      expect(PHASE_ORDER).toContain(check.planPhase);
    }
  });
});
