// What a Progressing namespace is waiting on, most decisive first, and when it should be gone. Pure: a snapshot in,
// waits out. Each wait is decided by the same predicate (src/rules/deadlines.ts) that makes the object a blocker
// once its deadline has passed, so an object is never both, and never neither.
import { describeNode } from '../rules/backend-chain.js';
import { link, type CheckContext } from '../checks/types.js';
import { catalogLink, controllerLinks, facts, logsCommand, mayBePausedLinks, objectLinks, typeNameOf, waitingCount } from '../checks/finalizer-facts.js';
import type { EvidenceLink, Wait } from '../model/report.js';
import {
  blockingDependents,
  claimWaitsForPodsInGrace,
  controllerPassDeadline,
  controllerSilentUntil,
  FINALIZER_ESTIMATE_S,
  FIRST_PASS_DELAY_S,
  finalizersWithLiveOwner,
  foregroundDependentsGoing,
  graceEnds,
  MAX_RETRY_BACKOFF_S,
  namespacePods,
  passAfterPods,
  podInGrace,
  requeueSeconds,
} from '../rules/deadlines.js';
import { isBuiltInFinalizer } from '../rules/kubernetes.js';
import type { ObjectSample, PodState, Snapshot } from '../snapshot/types.js';
import { sh } from '../util/shell.js';
import { clockTime, deletedWhen, humanDuration, since } from '../util/time.js';

const MAX_EVIDENCE = 10;
/** For a wait without a deadline: who decides when it ends, for the summary line. */
const UNBOUNDED_BECAUSE = new WeakMap<Wait, string>();

export interface WaitingExplanation {
  waitingOn: Wait[];
  /** When the namespace should be gone (ms); undefined when some wait has no known end. */
  expectedBy?: number;
  /** Why there is no expectedBy, for the summary line. */
  unknownBecause?: string;
}

export function explainWaiting(snapshot: Snapshot, context: CheckContext): WaitingExplanation {
  const { now } = context;
  const ns = snapshot.namespace;
  if (!ns?.deletionTimestamp) return { waitingOn: [] };
  const types = snapshot.content?.types ?? [];
  const objectsLeft = types.reduce((sum, t) => sum + t.count, 0);
  const podsLeft = types.find((t) => t.group === '' && t.resource === 'pods')?.count ?? 0;

  const pods = podWait(snapshot, now, objectsLeft - podsLeft);
  const controllers = finalizerControllerWaits(snapshot, now, context.stallAfterMs);
  const foreground = foregroundWait(snapshot, now);
  const early = [pods?.wait, ...controllers, foreground].filter((w): w is Wait => Boolean(w));

  const silentUntil = controllerSilentUntil(ns, context.conditions.present, context.controllerTimeoutMs);
  if (silentUntil !== undefined) {
    const due = Date.parse(ns.deletionTimestamp) + FIRST_PASS_DELAY_S * 1000;
    const wait: Wait = {
      reason: 'NamespaceControllerPass',
      summary:
        `the namespace controller has not acted yet: its first pass is due ${FIRST_PASS_DELAY_S}s after the deletion (${clockTime(due, now)}); ` +
        `if it has still written nothing by ${clockTime(silentUntil, now)}, that is NamespaceControllerNotRunning`,
      evidence: [link({ kind: 'Namespace', name: ns.name }, `deleted ${since(ns.deletionTimestamp, now)} ago; no deletion condition written yet`, 0)],
      deadline: new Date(silentUntil).toISOString(),
      command: 'kubectl -n kube-system get pods -l component=kube-controller-manager',
    };
    const held = heldUntilFirstPass(snapshot, now, silentUntil);
    return withSecondsLeft([...early, ...(held ? [held] : []), wait], now, undefined, 'the namespace controller has not made its first pass yet');
  }

  const unbounded = early.filter((w) => !w.deadline);
  // A controller's finalizer is bounded by --stall-after: the pass after it comes by then, or it is a finding.
  const finalizersBound = controllers.length ? Math.max(...controllers.map((w) => Date.parse(w.deadline!))) : undefined;
  const pass = controllerPassWait(snapshot, context, pods?.lastGraceEnd, unbounded.length > 0, objectsLeft, finalizersBound);
  const waits = pass ? [...early, pass] : early;
  if (waits.length === 0) return { waitingOn: [] };
  const because = unbounded.map((w) => UNBOUNDED_BECAUSE.get(w) ?? w.reason);
  // Objects the controller has not deleted yet but that carry a custom finalizer will wait on its controller next.
  const pending = pendingCustomFinalizers(snapshot);
  if (pending) because.push(`${pending} must be removed by their controllers once deleted`);
  if (because.length) return withSecondsLeft(waits, now, undefined, because.join('; '));
  const expectedBy = Math.max(...waits.map((w) => Date.parse(w.deadline!)));
  return withSecondsLeft(waits, now, expectedBy);
}

function withSecondsLeft(waits: Wait[], now: Date, expectedBy: number | undefined, unknownBecause?: string): WaitingExplanation {
  for (const wait of waits) {
    if (wait.deadline) wait.secondsLeft = Math.round((Date.parse(wait.deadline) - now.getTime()) / 1000);
  }
  return { waitingOn: waits, ...(expectedBy !== undefined ? { expectedBy } : { unknownBecause }) };
}

function until(ms: number, now: Date): string {
  return `${clockTime(ms, now)} (in ${humanDuration(ms - now.getTime())})`;
}

/** Pods inside their grace period: on 1.33+ the controller deletes pods first and everything else waits for them. */
function podWait(snapshot: Snapshot, now: Date, otherObjects: number): { wait: Wait; lastGraceEnd: number } | undefined {
  const inGrace = namespacePods(snapshot)
    .filter((p) => podInGrace(p, now))
    .sort((a, b) => graceEnds(b)! - graceEnds(a)!);
  const latest = inGrace[0];
  if (!latest) return undefined;
  const last = graceEnds(latest)!;
  const evidence: EvidenceLink[] = [];
  for (const pod of inGrace.slice(0, MAX_EVIDENCE)) evidence.push(...podLinks(snapshot, pod, now));
  const terminating = snapshot.content?.types.find((t) => t.group === '' && t.resource === 'pods')?.withDeletionTimestamp ?? inGrace.length;
  const count = Math.max(terminating, inGrace.length);
  if (count > Math.min(inGrace.length, MAX_EVIDENCE)) {
    evidence.push(link({ kind: 'Pod', namespace: snapshot.namespaceName, name: `…and ${count - Math.min(inGrace.length, MAX_EVIDENCE)} more` }, '', 0));
  }
  const contentRemoved = snapshot.namespace?.conditions.find((c) => c.type === 'NamespaceContentRemaining' && c.status === 'False');
  if (contentRemoved && otherObjects > 0) {
    evidence.push(
      link(
        { kind: 'Namespace', name: snapshot.namespaceName },
        `NamespaceContentRemaining=False (${contentRemoved.reason ?? ''}) is what the controller writes while it waits for pods, before it looks at anything else`,
        0,
      ),
    );
  }
  const n = inGrace.length;
  const rest = otherObjects > 0 ? `; the namespace controller deletes pods first, so the other ${otherObjects} object${otherObjects === 1 ? '' : 's'} wait${otherObjects === 1 ? 's' : ''} for ${n === 1 ? 'it' : 'them'}` : '';
  return {
    lastGraceEnd: last,
    wait: {
      reason: 'PodGracePeriod',
      summary: `${n} pod${n === 1 ? ' is' : 's are'} inside ${n === 1 ? 'its' : 'their'} grace period${n === 1 ? ' until' : ', the last until'} ${until(last, now)}${rest}`,
      evidence,
      deadline: new Date(last).toISOString(),
      command: sh`kubectl -n ${latest.namespace} describe pod ${latest.name}`,
    },
  };
}

function podLinks(snapshot: Snapshot, pod: PodState, now: Date): EvidenceLink[] {
  const ends = graceEnds(pod)!;
  const grace = pod.deletionGracePeriodSeconds !== undefined ? `grace period ${pod.deletionGracePeriodSeconds}s` : 'in its grace period';
  const finalizers = pod.finalizers.length ? `; finalizers ${pod.finalizers.join(', ')}` : '';
  const heldClaims = (snapshot.content?.stuck ?? []).filter(
    (s) => s.group === '' && s.resource === 'persistentvolumeclaims' && s.meta.deletionTimestamp && pod.claimNames.includes(s.meta.name) && claimWaitsForPodsInGrace(snapshot, s.meta.name, now),
  );
  const links = [
    link(
      { kind: 'Pod', namespace: pod.namespace, name: pod.name },
      `${grace}, ends ${until(ends, now)}${pod.nodeName ? `, on node ${pod.nodeName}` : ''}${finalizers}`,
      0,
    ),
  ];
  for (const claim of heldClaims) {
    links.push(link({ kind: 'PersistentVolumeClaim', namespace: claim.meta.namespace, name: claim.meta.name }, 'deleted, held by kubernetes.io/pvc-protection until this pod is gone', 1));
  }
  if (pod.nodeName) {
    const node = describeNode(snapshot.nodes[pod.nodeName], now);
    const consequence = node.unhealthy ? ` — no kubelet will confirm the pod stopped, so it is PodsStuckTerminating after ${clockTime(ends, now)}` : '';
    links.push(link({ kind: 'Node', name: pod.nodeName }, node.fact + consequence, 1));
  }
  return links;
}

/**
 * Deleted objects whose custom finalizer belongs to a controller that runs (or may, or runs out of sight): it decides
 * when they go, but only until --stall-after from their own deletion; past that, or once their own words report a
 * failure, the same predicate (finalizerStall) makes them FinalizerControllerStalled.
 */
function finalizerControllerWaits(snapshot: Snapshot, now: Date, stallAfterMs: number): Wait[] {
  const waits: Wait[] = [];
  for (const { finalizer, samples, first, owner, verdict } of finalizersWithLiveOwner(snapshot, now, stallAfterMs)) {
    if (verdict.stalled) continue;
    const typeName = typeNameOf(first);
    const total = waitingCount(snapshot, first, finalizer, samples.length);
    const evidence: EvidenceLink[] = [...objectLinks(samples, finalizer, total, now), ...mayBePausedLinks(snapshot, samples)];
    if (owner.known) evidence.push(catalogLink(owner.known, finalizer));
    const oldest = samples.map((s) => s.meta.deletionTimestamp!).sort()[0];
    const then = `if it is still there at ${clockTime(verdict.deadline, now)} (--stall-after ${humanDuration(stallAfterMs)}), that is FinalizerControllerStalled`;
    let who: string;
    let command: string | undefined;
    if (owner.state === 'live') {
      evidence.push(...controllerLinks(owner, typeName, finalizer));
      const pod = owner.pods[0]!;
      command = logsCommand(pod);
      who =
        owner.confidence === 'runs'
          ? `for controller pod ${pod.namespace}/${pod.name} to remove finalizer ${finalizer}; it is running`
          : `on finalizer ${finalizer}; no controller is known to own it, pod ${pod.namespace}/${pod.name} may remove it (RBAC only)`;
    } else {
      who = `for ${owner.known.owner} to remove finalizer ${finalizer}; it is not visible from here (it may run outside the cluster)`;
      // What it last said about the object is in the object's Events.
      if (first.meta.namespace) command = sh`kubectl -n ${first.meta.namespace} describe ${typeName} ${first.meta.name}`;
    }
    waits.push({
      reason: 'FinalizerController',
      summary: `${total} ${typeName} wait${total === 1 ? 's' : ''} ${who} (oldest ${deletedWhen(oldest, now)}); ${then}`,
      evidence,
      deadline: new Date(verdict.deadline).toISOString(),
      ...(command ? { command } : {}),
      finalizer: facts(snapshot, finalizer, first, samples, owner),
    });
  }
  return waits;
}

/** Owners held by foregroundDeletion while their dependents are on their way out. */
function foregroundWait(snapshot: Snapshot, now: Date): Wait | undefined {
  const owners = (snapshot.content?.stuck ?? []).filter((s) => foregroundDependentsGoing(snapshot, s, now));
  if (owners.length === 0) return undefined;
  const evidence: EvidenceLink[] = [];
  const ends: (number | undefined)[] = [];
  for (const owner of owners.slice(0, MAX_EVIDENCE)) {
    evidence.push(objectLink(owner, `deleted ${since(owner.meta.deletionTimestamp, now)} ago, waiting on foregroundDeletion until its dependents are gone`, 0));
    for (const dependent of blockingDependents(snapshot, owner)) {
      const end = dependentEnds(dependent, now);
      ends.push(end);
      const state = dependent.resource === 'pods' && dependent.group === '' ? `Terminating, grace period ends ${until(end!, now)}` : `Terminating; finalizers ${dependent.meta.finalizers?.join(', ') || 'none'}`;
      if (evidence.length < MAX_EVIDENCE * 2) evidence.push(objectLink(dependent, `dependent with blockOwnerDeletion, ${state}`, 1));
    }
  }
  const known = ends.every((e) => e !== undefined);
  const wait: Wait = {
    reason: 'ForegroundDeletion',
    summary: `${owners.length} object${owners.length === 1 ? ' waits' : 's wait'} on foregroundDeletion for dependents that are being deleted; the garbage collector then removes the finalizer`,
    evidence,
    ...(known ? { deadline: new Date(Math.max(...(ends))).toISOString() } : {}),
  };
  if (!known) UNBOUNDED_BECAUSE.set(wait, 'the controllers of the dependents\' finalizers decide when foreground deletion ends');
  return wait;
}

/**
 * Owners waiting on foregroundDeletion/orphan while the namespace controller has not made its first pass: that pass
 * deletes them again with propagationPolicy=Background, which drops the finalizer (1.34, verified in
 * test/e2e/foreground-deletion.test.ts). Past --controller-timeout the same owners are DependentsBlockDeletion.
 */
function heldUntilFirstPass(snapshot: Snapshot, now: Date, silentUntil: number): Wait | undefined {
  const owners = (snapshot.content?.stuck ?? []).filter(
    (s) => s.meta.deletionTimestamp && s.meta.finalizers?.some((f) => f === 'foregroundDeletion' || f === 'orphan') && !foregroundDependentsGoing(snapshot, s, now),
  );
  if (owners.length === 0) return undefined;
  const n = owners.length;
  return {
    reason: 'ForegroundDeletion',
    summary:
      `${n} object${n === 1 ? ' waits' : 's wait'} on foregroundDeletion/orphan; the namespace controller's first pass deletes ${n === 1 ? 'it' : 'them'} again in the background, which drops that finalizer ` +
      `(if nothing has changed by ${clockTime(silentUntil, now)}, that is DependentsBlockDeletion)`,
    evidence: owners.slice(0, MAX_EVIDENCE).map((o) => objectLink(o, `deleted ${since(o.meta.deletionTimestamp, now)} ago, waiting on ${o.meta.finalizers!.filter((f) => f === 'foregroundDeletion' || f === 'orphan').join(', ')}`, 0)),
    deadline: new Date(silentUntil).toISOString(),
  };
}

/** When a going dependent should be gone: a pod at its grace end, an object without custom finalizers now. */
function dependentEnds(dependent: ObjectSample, now: Date): number | undefined {
  if (dependent.group === '' && dependent.resource === 'pods') return graceEnds(dependent.meta);
  return (dependent.meta.finalizers ?? []).some((f) => !isBuiltInFinalizer(f)) ? undefined : now.getTime();
}

/**
 * The namespace controller's own next pass: it deletes what is not yet deleted, and removes its `kubernetes` finalizer
 * once nothing is left. After the pods, it comes within its requeue; otherwise it looks every 8 s while objects with
 * finalizers remain (estimate 15 s), and within its retry backoff (at most 60 s) otherwise.
 */
function controllerPassWait(
  snapshot: Snapshot,
  { now, conditions, controllerTimeoutMs }: CheckContext,
  lastGraceEnd: number | undefined,
  afterUnbounded: boolean,
  objectsLeft: number,
  finalizersBound: number | undefined,
): Wait | undefined {
  const ns = snapshot.namespace!;
  if (!ns.specFinalizers.includes('kubernetes')) return undefined;
  const types = snapshot.content?.types ?? [];
  const notDeleted = types.filter((t) => t.count > t.withDeletionTimestamp && !(t.group === '' && t.resource === 'pods' && lastGraceEnd));
  const notDeletedCount = notDeleted.reduce((sum, t) => sum + t.count - t.withDeletionTimestamp, 0);
  const withFinalizers = types.some((t) => t.withFinalizers > 0);
  const evidence: EvidenceLink[] = notDeleted
    .slice(0, MAX_EVIDENCE)
    .map((t) => link({ kind: t.kind, namespace: ns.name, name: `${t.count - t.withDeletionTimestamp} ${t.group ? `${t.resource}.${t.group}` : t.resource}` }, 'not deleted yet', 0));
  evidence.push(link({ kind: 'Namespace', name: ns.name }, `spec.finalizers [${ns.specFinalizers.join(', ')}]: the controller removes kubernetes once nothing is left`, 0));
  const work = notDeletedCount > 0 ? `deletes the ${notDeletedCount} object${notDeletedCount === 1 ? '' : 's'} not deleted yet and ` : '';

  let when: number | undefined;
  let cadence: string;
  if (lastGraceEnd !== undefined) {
    when = passAfterPods(snapshot, lastGraceEnd);
    cadence = `comes by ${clockTime(when, now)} at the latest, ${humanDuration(when - lastGraceEnd)} after the last pod's grace period ends (its requeue: estimate/2+1 s)`;
  } else if (withFinalizers) {
    const every = requeueSeconds(FINALIZER_ESTIMATE_S);
    const afterFinalizers = afterUnbounded || finalizersBound !== undefined;
    when = afterUnbounded ? undefined : Math.max(now.getTime(), finalizersBound ?? 0) + every * 1000;
    cadence = afterFinalizers ? `comes within ${every}s of the last finalizer going (it looks every ${every}s while objects with finalizers remain)` : `comes within ${every}s`;
  } else {
    // Anchored on the cluster's last sign of activity, never on now: a deadline that moves with every run is never late.
    const overdue = controllerPassDeadline(snapshot, conditions, controllerTimeoutMs);
    when = overdue?.deadline ?? now.getTime() + MAX_RETRY_BACKOFF_S * 1000;
    cadence = overdue
      ? `comes within ${MAX_RETRY_BACKOFF_S}s (its longest retry backoff); the last sign of activity was at ${clockTime(overdue.lastSign, now)} (${overdue.lastSignWhat}): if it has not come by ${clockTime(overdue.deadline, now)}, that is NamespaceControllerNotRunning`
      : `comes within ${MAX_RETRY_BACKOFF_S}s (its longest retry backoff)`;
  }
  if (afterUnbounded && lastGraceEnd !== undefined) when = undefined;
  if (objectsLeft === 0 && notDeletedCount === 0) cadence += '; nothing is left in the namespace';
  return {
    reason: 'NamespaceControllerPass',
    summary: `then the namespace controller's next pass ${work}removes its finalizer: it ${cadence}`,
    evidence,
    ...(when !== undefined ? { deadline: new Date(when).toISOString() } : {}),
  };
}

/** "finalizer example.com/x on 2 objects not deleted yet", or undefined. */
function pendingCustomFinalizers(snapshot: Snapshot): string | undefined {
  const counts = new Map<string, number>();
  for (const sample of snapshot.content?.stuck ?? []) {
    if (sample.meta.deletionTimestamp) continue;
    for (const f of sample.meta.finalizers ?? []) if (!isBuiltInFinalizer(f)) counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const names = [...counts.keys()];
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return `finalizer${names.length === 1 ? '' : 's'} ${names.join(', ')} on ${total} object${total === 1 ? '' : 's'} not deleted yet`;
}

function objectLink(sample: ObjectSample, fact: string, depth: number): EvidenceLink {
  return link(
    { kind: sample.kind, namespace: sample.meta.namespace, name: sample.meta.name, apiVersion: sample.group ? `${sample.group}/${sample.version}` : sample.version },
    fact,
    depth,
  );
}
