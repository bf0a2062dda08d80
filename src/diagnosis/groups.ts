// Groups the blockers of many namespaces by shared root cause (--all): one broken APIService behind 400 stuck
// namespaces is one finding with one fix, not 400. Pure: reports in, groups out.
import type { Blocker, BlockerId, CauseGroup, EvidenceLink, Fix, Report } from '../model/report.js';
import { compareCodePoints } from '../util/order.js';

interface Cause {
  key: string;
  label: string;
  /** Namespace-independent; undefined when only the blocker's own summary can say it. */
  summary?: string;
}

const ref = (blocker: Blocker, kind: string) => blocker.evidence.find((e) => e.ref.kind === kind)?.ref;

/** What a blocker's root cause is, independent of the namespace it was found in. */
export function causeOf(blocker: Blocker, namespace: string): Cause {
  switch (blocker.id) {
    case 'APIServiceUnavailable':
    case 'APIServiceOrphaned':
    case 'APIServiceBackendInNamespace': {
      const apiService = ref(blocker, 'APIService');
      if (apiService) return { key: `APIService/${apiService.name}`, label: `APIService ${apiService.name}` };
      break;
    }
    case 'FinalizerControllerStalled':
    case 'ControllerCannotCreateInTerminatingNamespace':
    case 'FinalizerOwnerMissing': {
      const held = blocker.finalizer;
      if (held) {
        const type = held.group ? `${held.resource}.${held.group}` : held.resource;
        const why =
          blocker.id === 'FinalizerOwnerMissing'
            ? 'no running controller will remove it'
            : blocker.id === 'FinalizerControllerStalled'
              ? 'its controller has not removed it'
              : 'its controller must create an object in the terminating namespace to finish';
        // One key per cause: the same finalizer may be missing its controller in one namespace and stalled in another.
        const prefix = blocker.id === 'FinalizerOwnerMissing' ? 'Finalizer' : blocker.id;
        return { key: `${prefix}/${held.finalizer}/${type}`, label: `finalizer ${held.finalizer}`, summary: `${type} wait on finalizer ${held.finalizer}, and ${why}` };
      }
      const match = /^\d+ (\S+) waits? on finalizer (\S+),/.exec(blocker.summary);
      if (match) {
        const [, type, finalizer] = match;
        return {
          key: `Finalizer/${finalizer}/${type}`,
          label: `finalizer ${finalizer}`,
          summary: `${type} wait on finalizer ${finalizer}, and no running controller will remove it`,
        };
      }
      break;
    }
    case 'PodsStuckTerminating': {
      const nodes = [...new Set(blocker.evidence.filter((e) => e.ref.kind === 'Node').map((e) => e.ref.name))].sort(compareCodePoints);
      return nodes.length
        ? {
            key: `PodsOnNodes/${nodes.join(',')}`,
            label: `pods on ${nodes.join(', ')}`,
            summary: `pods past their grace period, still Terminating on node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}`,
          }
        : { key: 'PodsStuckTerminating', label: 'pods stuck Terminating', summary: 'pods past their grace period, still Terminating' };
    }
    case 'CRDTerminating': {
      const crd = ref(blocker, 'CustomResourceDefinition');
      if (crd) return { key: `CRD/${crd.name}`, label: `CRD ${crd.name} deleted`, summary: `CRD ${crd.name} is being deleted and waits for its objects` };
      break;
    }
    case 'NamespaceControllerNotRunning':
      return {
        key: blocker.id,
        label: 'namespace controller down',
        summary: 'no namespace controller has acted: kube-controller-manager is down or runs without namespace-controller',
      };
    default:
      // Every other cause is told apart by its summary, below.
      break;
  }
  // The summary, with what differs between namespaces (their name, counts, ages) taken out, names the cause.
  const normalized = blocker.summary.split(namespace).join('<ns>').replace(/\d+(\.\d+)?[a-z]*/g, '#');
  return { key: `${blocker.id}/${normalized}`, label: blocker.id };
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
  firstNamespace: string;
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
      const cause = causeOf(blocker, report.namespace);
      let group = groups.get(cause.key);
      if (!group) groups.set(cause.key, (group = { cause, namespaces: [], byId: new Map() }));
      const same = group.byId.get(blocker.id);
      if (!same) {
        group.byId.set(blocker.id, {
          count: 1,
          first: blocker,
          firstNamespace: report.namespace,
          evidence: blocker.evidence,
          fixes: blocker.fixes,
          perNamespaceFixes: false,
        });
      } else {
        // Only what holds in every namespace is said once for the group.
        same.count++;
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
      const summary =
        g.namespaces.length === 1 ? main.first.summary : (g.cause.summary ?? main.first.summary.split(main.firstNamespace).join('each namespace'));
      return {
        key: g.cause.key,
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
