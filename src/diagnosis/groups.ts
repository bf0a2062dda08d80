// Groups the blockers of many namespaces by shared root cause (--all): one broken APIService behind 400 stuck
// namespaces is one finding with one fix, not 400. Pure: reports in, groups out.
import type { Blocker, BlockerId, CauseGroup, EvidenceLink, Fix, Report } from '../model/report.js';
import { compareCodePoints } from '../util/order.js';
import { subjectKey, subjectLabel, type Subject } from '../model/subject.js';
import { checkEmitting } from '../checks/registry.js';

interface Cause {
  key: string;
  label: string;
  subject: Subject;
}

/** What a blocker's root cause is, independent of the namespace it was found in: read from its typed subject. */
export function causeOf(blocker: Blocker): Cause {
  return { key: subjectKey(blocker.subject), label: subjectLabel(blocker.subject), subject: blocker.subject };
}

/** The check that reports this id owns the sentence that holds for every namespace of its group. */
function groupSummary(blocker: Blocker): string {
  return checkEmitting(blocker.id)?.groupSummary(blocker) ?? blocker.summary;
}

/**
 * The headline of a group, true of every namespace in it: one sentence when every kind of blocker in the group says
 * the same of the cause (the checks word it so: an APIService broken in some namespaces and served from another);
 * otherwise each sentence with the namespaces it holds for (a finalizer whose owner is missing in one namespace and
 * stalled in another).
 */
function sharedSummary(byId: ById[]): string {
  const bySentence = new Map<string, string[]>();
  for (const one of byId) {
    const sentence = groupSummary(one.first);
    bySentence.set(sentence, [...(bySentence.get(sentence) ?? []), ...one.namespaces]);
  }
  if (bySentence.size === 1) return [...bySentence.keys()][0]!;
  return [...bySentence.entries()].map(([sentence, namespaces]) => `${sentence} (in ${[...new Set(namespaces)].sort(compareCodePoints).join(', ')})`).join('; ');
}

/** Shared links that lost their head (the objects differ per namespace) move up, so the tree still starts at 0. */
function fromTop(evidence: EvidenceLink[]): EvidenceLink[] {
  const top = Math.min(...evidence.map((e) => e.depth));
  return top > 0 ? evidence.map((e) => ({ ...e, depth: e.depth - top })) : evidence;
}

const sameLink = (a: EvidenceLink, b: EvidenceLink) =>
  a.depth === b.depth && a.fact === b.fact && a.ref.kind === b.ref.kind && a.ref.name === b.ref.name && a.ref.namespace === b.ref.namespace;
const sameFix = (a: Fix, b: Fix) => a.safety === b.safety && a.description === b.description && a.command === b.command;

/** What the blockers of one id share within a group. */
interface ById {
  count: number;
  first: Blocker;
  namespaces: string[];
  evidence: EvidenceLink[];
  fixes: Fix[];
  perNamespaceFixes: boolean;
}

interface Accumulator {
  cause: Cause;
  namespaces: string[];
  byId: Map<BlockerId, ById>;
}

export function groupByCause(reports: Report[]): CauseGroup[] {
  const groups = new Map<string, Accumulator>();
  for (const report of reports) {
    const seen = new Set<string>();
    for (const blocker of report.blockers) {
      const cause = causeOf(blocker);
      let group = groups.get(cause.key);
      if (!group) groups.set(cause.key, (group = { cause, namespaces: [], byId: new Map() }));
      const same = group.byId.get(blocker.id);
      if (!same) {
        group.byId.set(blocker.id, {
          count: 1,
          first: blocker,
          namespaces: [report.namespace],
          evidence: blocker.evidence,
          fixes: blocker.fixes,
          perNamespaceFixes: false,
        });
      } else {
        // Only what holds in every namespace is said once for the group.
        same.count++;
        if (!same.namespaces.includes(report.namespace)) same.namespaces.push(report.namespace);
        same.evidence = same.evidence.filter((link) => blocker.evidence.some((other) => sameLink(link, other)));
        const kept = same.fixes.filter((fix) => blocker.fixes.some((other) => sameFix(fix, other)));
        if (kept.length < same.fixes.length || kept.length < blocker.fixes.length) same.perNamespaceFixes = true;
        same.fixes = kept;
      }
      if (!seen.has(cause.key)) group.namespaces.push(report.namespace);
      seen.add(cause.key);
    }
  }
  return [...groups.values()]
    .map((g): CauseGroup => {
      const ids = [...g.byId.entries()].sort((a, b) => b[1].count - a[1].count).map(([id]) => id);
      // The most common kind of blocker speaks for the group (e.g. "unavailable" over "served from this namespace").
      // A group exists because a blocker was added to it: byId is never empty.
      const main = g.byId.get(ids[0]!)!;
      const summary = g.namespaces.length === 1 ? main.first.summary : sharedSummary(ids.map((id) => g.byId.get(id)!));
      return {
        key: g.cause.key,
        subject: g.cause.subject,
        label: g.cause.label,
        summary,
        blockerIds: ids,
        namespaces: [...g.namespaces].sort(compareCodePoints),
        evidence: fromTop(main.evidence),
        fixes: main.fixes,
        perNamespaceFixes: main.perNamespaceFixes || ids.length > 1,
      };
    })
    .sort((a, b) => b.namespaces.length - a.namespaces.length || compareCodePoints(a.key, b.key));
}
