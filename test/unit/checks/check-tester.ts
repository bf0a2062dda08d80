// A table-driven tester for checks, after ESLint's RuleTester: each check gets snapshots on which it must stay
// silent (valid) and snapshots on which it must report exactly the listed blockers (invalid). Every reported id
// must be one the check declares in `emits`, and the check's own plan answers for it (steps, or why none).
import { describe, expect, it } from 'vitest';
import type { Check, CheckContext } from '../../../src/checks/types.js';
import type { Blocker, BlockerId, FinalizerFacts, FixSafety, Subject } from '../../../src/model/report.js';
import type { Snapshot } from '../../../src/snapshot/types.js';
import { contextFor } from '../helpers.js';

export interface CheckCase {
  name: string;
  snapshot: () => Snapshot;
  context?: (snapshot: Snapshot) => Partial<CheckContext>;
}

export interface ExpectedBlocker {
  id: BlockerId;
  /** What the blocker is about, as data: compared whole. */
  subject?: Subject;
  summary?: string | RegExp;
  /** Each must appear in one evidence fact. */
  facts?: (string | RegExp)[];
  /** The last-resort fix's command and cost, when it matters. */
  lastResort?: { command?: string | RegExp; cost?: string | RegExp };
  /** The typed finalizer facts (matched as a subset). */
  finalizer?: DeepPartial<FinalizerFacts>;
  /** The safety levels of the fixes, in order. */
  safeties?: FixSafety[];
}

type DeepPartial<T> = { [K in keyof T]?: NonNullable<T[K]> extends (infer U)[] ? DeepPartial<U>[] : NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> : T[K] };

export interface InvalidCase extends CheckCase {
  blockers: ExpectedBlocker[];
}

export function testCheck(check: Check, cases: { valid: CheckCase[]; invalid: InvalidCase[] }): void {
  const run = (c: CheckCase): { snapshot: Snapshot; blockers: Blocker[] } => {
    const snapshot = c.snapshot();
    return { snapshot, blockers: check.run(snapshot, contextFor(snapshot, c.context?.(snapshot) ?? {})) };
  };
  describe(`${check.id} (check-tester)`, () => {
    it.each(cases.valid.map((c) => [c.name, c] as const))('silent: %s', (_name, c) => {
      expect(run(c).blockers).toEqual([]);
    });
    it.each(cases.invalid.map((c) => [c.name, c] as const))('reports: %s', (_name, c) => {
      const { snapshot, blockers } = run(c);
      expect(blockers.map((b) => b.id)).toEqual(c.blockers.map((b) => b.id));
      blockers.forEach((blocker, i) => {
        const want = c.blockers[i];
        expect(check.emits).toContain(blocker.id);
        if (want.subject) expect(blocker.subject).toEqual(want.subject);
        if (want.summary) expect(blocker.summary).toMatch(want.summary);
        for (const fact of want.facts ?? []) expect(blocker.evidence.map((e) => e.fact).join('\n')).toMatch(fact);
        if (want.finalizer) expect(blocker.finalizer).toMatchObject(want.finalizer);
        if (want.safeties) expect(blocker.fixes.map((f) => f.safety)).toEqual(want.safeties);
        // Its own plan: steps for this very blocker, or why there are none.
        const { options, reason } = check.plan(blocker, snapshot);
        if (options.length) {
          for (const option of options) {
            expect(option.steps.length).toBeGreaterThan(0);
            for (const step of option.steps) expect([step.blockerId, step.safety]).toEqual([blocker.id, option.safety]);
          }
        } else expect(reason).not.toBe('');
        if (want.lastResort) {
          const last = blocker.fixes.find((f) => f.safety === 'last-resort');
          expect(last, 'a last-resort fix').toBeDefined();
          if (want.lastResort.command) expect(last!.command).toMatch(want.lastResort.command);
          if (want.lastResort.cost) expect(last!.cost).toMatch(want.lastResort.cost);
        }
      });
    });
  });
}
