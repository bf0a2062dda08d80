// Shared by the finalizer findings and the FinalizerController wait: the typed facts, the evidence links and the
// last-resort fix for objects held by one finalizer, worded by how strongly the owner is known.
import type { EvidenceLink, FinalizerFacts, Fix, ObjectRef } from '../model/report.js';
import type { OwnerState, StallVerdict } from '../rules/deadlines.js';
import type { CatalogEntry } from '../rules/finalizer-catalog.js';
import { pauseHolding, type Pause } from '../rules/pause.js';
import type { ObjectSample, Snapshot } from '../snapshot/types.js';
import { sh } from '../util/shell.js';
import { deletedWhen } from '../util/time.js';
import { link } from './types.js';

export const MAX_OBJECT_LINKS = 5;

export function typeNameOf(sample: { group: string; resource: string }): string {
  return sample.group ? `${sample.resource}.${sample.group}` : sample.resource;
}

export function refOf(sample: ObjectSample): ObjectRef {
  return { kind: sample.kind, name: sample.meta.name, namespace: sample.meta.namespace, apiVersion: sample.group ? `${sample.group}/${sample.version}` : sample.version };
}

/** How many objects of the sample's type wait on the finalizer (the survey's count, not just the samples kept). */
export function waitingCount(snapshot: Snapshot, first: ObjectSample, finalizer: string, samples: number): number {
  return snapshot.content?.types.find((t) => t.group === first.group && t.resource === first.resource)?.finalizers[finalizer] ?? samples;
}

export function facts(
  snapshot: Snapshot,
  finalizer: string,
  first: ObjectSample,
  samples: ObjectSample[],
  owner: OwnerState,
  stall?: { verdict: Extract<StallVerdict, { stalled: true }>; stallAfterMs: number },
): FinalizerFacts {
  const known = owner.known;
  const pods = owner.state === 'live' ? owner.pods : owner.state === 'missing' ? owner.searched : [];
  const source = stall?.verdict.source;
  return {
    finalizer,
    group: first.group,
    resource: first.resource,
    objects: waitingCount(snapshot, first, finalizer, samples.length),
    owner: {
      confidence: owner.state === 'live' ? owner.confidence : owner.state === 'missing' ? 'none' : owner.state,
      ...(known ? { project: known.project, component: known.owner } : {}),
      pods: pods.slice(0, 5).map((p) => ({ namespace: p.namespace, name: p.name, ready: p.ready, ...(p.restarts !== undefined ? { restarts: p.restarts } : {}) })),
    },
    ...(known ? { removalCost: known.removalCost } : {}),
    ...(stall
      ? {
          stall: {
            reason: stall.verdict.reason,
            waitedSeconds: Math.round(stall.verdict.waitedMs / 1000),
            stallAfterSeconds: Math.round(stall.stallAfterMs / 1000),
            ...(source?.pause?.project
              ? { source: refOf(source.sample), pause: { switch: source.pause.switch, on: source.pause.on, value: source.pause.value, project: source.pause.project } }
              : source?.event
              ? { source: { kind: 'Event', name: source.event.name, namespace: source.event.namespace }, message: source.event.message ?? source.event.reason ?? '' }
              : source?.condition
                ? {
                    source: refOf(source.sample),
                    condition: { type: source.condition.type, status: source.condition.status, ...(source.condition.reason ? { reason: source.condition.reason } : {}) },
                    message: source.condition.message ?? '',
                  }
                : {}),
          },
        }
      : {}),
  };
}

/**
 * An annotation shaped like a pause switch that is no project's known one: from its name only, so it "may" pause
 * reconciliation; shown beside the wait or the stall, never decided on (src/rules/pause.ts).
 */
export function mayBePausedLinks(snapshot: Snapshot, samples: ObjectSample[]): EvidenceLink[] {
  for (const sample of samples) {
    const held = pauseHolding(snapshot, sample);
    if (held && !held.pause.known) {
      const { paused, pause } = held;
      return [link(refOf(paused), `annotation ${pause.switch}=${JSON.stringify(pause.value)}: reconciliation may be paused (many operators name their pause switch so; ns-doctor does not know this one)`, 1)];
    }
  }
  return [];
}

/** The known pause that holds the objects, as evidence: where the switch is, and whose it is. */
export function pauseLink(paused: ObjectSample, pause: Pause): EvidenceLink {
  const where = pause.on === 'annotation' ? `annotation ${pause.switch}=${JSON.stringify(pause.value)}` : `${pause.switch}=${pause.value}`;
  return link(refOf(paused), `${where}: reconciliation paused (${pause.project ?? 'unknown project'})`, 1);
}

/** The waiting objects, at most five, and how many more. */
export function objectLinks(samples: ObjectSample[], finalizer: string, total: number, now: Date): EvidenceLink[] {
  const links = samples.slice(0, MAX_OBJECT_LINKS).map((s) => link(refOf(s), `${deletedWhen(s.meta.deletionTimestamp, now)}, waiting on finalizer ${finalizer}`, 0));
  const first = samples[0];
  if (first && total > MAX_OBJECT_LINKS) links.push(link({ kind: first.kind, namespace: first.meta.namespace, name: `…and ${total - MAX_OBJECT_LINKS} more` }, '', 0));
  return links;
}

/** What the catalog says about the finalizer, as one link. */
export function catalogLink(known: CatalogEntry, finalizer: string): EvidenceLink {
  const where = known.workloads.length ? `; usually runs in ${[...new Set(known.workloads.flatMap((w) => w.namespaces))].join(', ') || 'its own namespace'} (labels ${known.workloads.map((w) => w.selector).join(' or ')})` : '';
  const offCluster = known.mayRunOffCluster ? '; on managed clusters it often runs outside the cluster, where ns-doctor cannot see it' : '';
  return link({ kind: 'Finalizer', name: finalizer }, `removed by ${known.owner} (${known.project})${where}${offCluster}; usual failure: ${known.usualFailure}`, 1);
}

/** The controller pods named, worded by confidence: found where the catalog says ("runs") or linked by RBAC ("may"). */
export function controllerLinks(owner: Extract<OwnerState, { state: 'live' }>, typeName: string, finalizer: string): EvidenceLink[] {
  return owner.pods.slice(0, 3).map((pod) => {
    const health = `${pod.ready ? 'Ready' : `not Ready (${pod.phase ?? 'unknown'})`}${pod.restarts ? `, ${pod.restarts} restart${pod.restarts === 1 ? '' : 's'}` : ''}${pod.owner ? `, owned by ${pod.owner}` : ''}`;
    const role =
      owner.confidence === 'runs'
        ? `runs the controller that removes ${finalizer} (found by ${pod.via})`
        : `may remove ${finalizer}: ${pod.via} lets it update ${typeName} (RBAC only: not proof that it owns the finalizer)`;
    return link({ kind: 'Pod', namespace: pod.namespace, name: pod.name }, `${health}; ${role}`, 1);
  });
}

export function logsCommand(pod: { namespace: string; name: string } | undefined): string | undefined {
  return pod ? sh`kubectl -n ${pod.namespace} logs ${pod.name} --all-containers --since=1h` : undefined;
}

/** The cost of removing the finalizer by hand, from the catalog when it knows the finalizer. */
export function removalCost(known: CatalogEntry | undefined): string {
  if (!known) return 'the cleanup that finalizer guards never runs: external resources (cloud disks, DNS records, …) may leak';
  const kind = known.removalCost === 'cloud-orphan' ? 'leaks outside the cluster' : known.removalCost === 'cluster' ? 'leaves work undone in the cluster' : 'costs nothing lasting';
  return `${kind}: ${known.leaks}`;
}

/** Last resort: remove just this finalizer from one object, with a JSON patch whose `test` fails if the list changed. */
export function removeFinalizerFix(sample: ObjectSample, finalizer: string, known: CatalogEntry | undefined, samples: number): Fix {
  const finalizers = sample.meta.finalizers ?? [];
  const ops = [
    { op: 'test', path: '/metadata/finalizers', value: finalizers },
    { op: 'remove', path: `/metadata/finalizers/${finalizers.indexOf(finalizer)}` },
  ];
  const ns = sample.meta.namespace;
  return {
    safety: 'last-resort',
    description: `remove just the ${finalizer} finalizer${samples > 1 ? ' (one object shown; repeat per object, or `kubectl ns-doctor fix --allow last-resort`)' : ''}`,
    command: ns
      ? sh`kubectl -n ${ns} patch ${typeNameOf(sample)} ${sample.meta.name} --type=json -p ${JSON.stringify(ops)}`
      : sh`kubectl patch ${typeNameOf(sample)} ${sample.meta.name} --type=json -p ${JSON.stringify(ops)}`,
    cost: removalCost(known),
  };
}
