// A table-driven tester for checks, after ESLint's RuleTester: each check gets snapshots on which it must stay
// silent (valid) and snapshots on which it must report exactly the listed blockers (invalid). Every reported id
// must be one the check declares in `emits`, and the check's own plan answers for it (steps, or why none).
import { describe, expect, it } from 'vitest';
import type { Check, CheckContext } from '../../../src/checks/types.js';
import { groupByCause } from '../../../src/diagnosis/groups.js';
import { subjectKey, subjectLabel } from '../../../src/model/subject.js';
import type { Report } from '../../../src/model/report.js';
import type { Blocker, BlockerId, FinalizerFacts, FixSafety, Subject, WebhookFailure } from '../../../src/model/report.js';
import type { Snapshot } from '../../../src/snapshot/types.js';
import { contextFor } from '../helpers.js';

export interface CheckCase {
  name: string;
  snapshot: () => Snapshot;
  context?: (snapshot: Snapshot) => Partial<CheckContext>;
}

export interface ExpectedBlocker {
  id: BlockerId;
  /** What the blocker is about, as data: compared whole. Required: a table asserts ids and subjects, English only on top. */
  subject: Subject;
  summary?: string | RegExp;
  /** Each must appear in one evidence fact. */
  facts?: (string | RegExp)[];
  /** The last-resort fix's command and cost, when it matters. */
  lastResort?: { command?: string | RegExp; cost?: string | RegExp };
  /** The typed finalizer facts (matched as a subset). */
  finalizer?: DeepPartial<FinalizerFacts>;
  /** The safety levels of the fixes, in order. */
  safeties?: FixSafety[];
  /** A webhook's failure class and source (matched as a subset). */
  failure?: Partial<WebhookFailure>;
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
        expect(blocker.subject).toEqual(want.subject);
        if (want.summary) expect(blocker.summary).toMatch(want.summary);
        for (const fact of want.facts ?? []) expect(blocker.evidence.map((e) => e.fact).join('\n')).toMatch(fact);
        if (want.finalizer) expect(blocker.finalizer).toMatchObject(want.finalizer);
        if (want.failure) expect(blocker.failure).toMatchObject(want.failure);
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
    it.each(cases.invalid.map((c) => [c.name, c] as const))('groups across namespaces (--all): %s', (_name, c) => {
      expectGroupsByTypedCause(check, c);
    });
  });
}

/** The snapshot as if taken of namespace `name`: every object of the namespace names it. */
function renamed(snapshot: Snapshot, name: string): Snapshot {
  const old = snapshot.namespaceName;
  return JSON.parse(JSON.stringify(snapshot).split(`"${old}"`).join(`"${name}"`).split(`${old}/`).join(`${name}/`)) as Snapshot;
}

/** Subjects about one namespace's own objects: a cause of that namespace alone, never shared by a fleet. */
const ownNamespace = (subject: Subject) => 'namespace' in subject;

/**
 * What --all must do with every blocker this case reports (issue 20), decided by typed subjects only:
 * - the same cause in three namespaces whose names are substrings of the cause's own name (h7a inside h7api) is one
 *   group of the three (or three groups, for a cause about one namespace's own objects), its key and label those of
 *   the subject, its headline the same sentence from every namespace and naming none of them;
 * - two causes that differ only in a digit are two groups, each with its own key, label and fixes.
 */
function expectGroupsByTypedCause(check: Check, c: InvalidCase): void {
  const base = c.snapshot();
  const runOn = (snapshot: Snapshot) => check.run(snapshot, contextFor(snapshot, c.context?.(snapshot) ?? {}));
  for (const original of runOn(base)) {
    // Names cut from the cause's own name (its longest lowercase alphanumeric run).
    const [run] = (subjectKey(original.subject).match(/[a-z0-9]{4,}/g) ?? []).sort((a, b) => b.length - a.length);
    expect(run, `a name of 4+ lowercase characters in ${subjectKey(original.subject)}`).toBeDefined();
    const names = [run!.slice(0, 3), run!.slice(1, 4), run!.slice(0, 4)];
    expect(new Set(names).size).toBe(3);
    const reports = names.map((name) => ({ namespace: name, blockers: runOn(renamed(base, name)) }) as Report);
    const mine = reports.map((r) => r.blockers.find((b) => b.id === original.id)!);
    expect(mine.every(Boolean), `${original.id} in every renamed namespace`).toBe(true);
    const groups = groupByCause(reports);
    if (ownNamespace(original.subject)) {
      for (const [i, b] of mine.entries()) {
        const group = groups.find((g) => g.key === subjectKey(b.subject));
        expect(group?.namespaces).toEqual([names[i]]);
      }
    } else {
      expect(new Set(mine.map((b) => subjectKey(b.subject))).size, 'one cause, whatever the namespace').toBe(1);
      const group = groups.find((g) => g.key === subjectKey(original.subject));
      expect(group?.namespaces).toEqual([...names].sort());
      expect(group!.label).toBe(subjectLabel(original.subject));
      expect(group!.blockerIds).toContain(original.id);
      const sentences = new Set(mine.map((b) => check.groupSummary(b)));
      expect(sentences.size, 'the same headline from every namespace').toBe(1);
      for (const name of names) expect(group!.summary).not.toMatch(new RegExp(`(^|[^a-z0-9-])${name}($|[^a-z0-9-])`));
    }
    // Two causes that differ only in a digit: every name of the subject gets "1" in one namespace and "2" in another.
    // (A namespace controller problem has no name: there is only one namespace controller.)
    if (original.subject.kind === 'NamespaceController') continue;
    const variant = (digit: string): Blocker => ({ ...original, subject: withDigit(original.subject, digit) });
    const apart = groupByCause(['one', 'two'].map((ns, i) => ({ namespace: ns, blockers: [variant(String(i + 1))] }) as Report));
    expect(apart).toHaveLength(2);
    expect(new Set(apart.map((g) => g.key)).size).toBe(2);
    expect(new Set(apart.map((g) => g.label)).size).toBe(2);
    for (const group of apart) expect(group.fixes).toEqual(original.fixes);
  }
}

/** The subject with `digit` appended to each of its names (never to its kind or its enumerated fields). */
function withDigit(subject: Subject, digit: string): Subject {
  const fixed = new Set(['kind', 'configurationKind', 'field', 'problem', 'group']);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(subject)) {
    if (fixed.has(k)) out[k] = v;
    else if (typeof v === 'string') out[k] = `${v}${digit}`;
    else if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'string' ? `${x}${digit}` : x));
    else out[k] = v;
  }
  return out as Subject;
}
