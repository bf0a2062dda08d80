// When Kubernetes itself expects each part of a namespace deletion to be over, read from the 1.34 sources. The checks
// use these predicates to call an object a blocker once its deadline has passed, and the Progressing explanation
// uses the same predicates to call it a wait while the deadline is still ahead: one rule decides both.
import type { StallReason } from '../model/report.js';
import { conditionWord, eventWord, type ControllerWord } from './controller-words.js';
import { lookupFinalizer, type CatalogEntry } from './finalizer-catalog.js';
import type { Condition, ControllerCandidate, ControllerPod, NamespaceState, ObjectEvent, ObjectSample, PodState, Snapshot } from '../snapshot/types.js';
import { isBuiltInFinalizer } from './kubernetes.js';
import { pauseHolding, type Pause } from './pause.js';
import type { ParsedConditions } from './conditions.js';

/** namespace_controller.go namespaceDeletionGracePeriod: a namespace event is handled this long after it happens. */
export const FIRST_PASS_DELAY_S = 5;
/** namespaced_resources_deleter.go finalizerEstimateSeconds: the estimate while objects with finalizers remain. */
export const FINALIZER_ESTIMATE_S = 15;
/** nsControllerRateLimiter: after a failed pass the controller retries with backoff 5 ms … 60 s. */
export const MAX_RETRY_BACKOFF_S = 60;

/**
 * The end of a deleted pod's grace period, in ms. The API server sets metadata.deletionTimestamp to the time of the
 * DELETE plus the grace period and deletionGracePeriodSeconds to that grace (apiserver rest.BeforeDelete); a later,
 * shorter DELETE moves both. So deletionTimestamp already is the deadline: adding the grace again would be wrong.
 */
export function graceEnds(meta: { deletionTimestamp?: string }): number | undefined {
  return meta.deletionTimestamp ? Date.parse(meta.deletionTimestamp) : undefined;
}

/** A deleted pod still there after its grace period: nothing confirmed it stopped (the PodsStuckTerminating rule). */
export function podPastGrace(pod: { deletionTimestamp?: string }, now: Date): boolean {
  const ends = graceEnds(pod);
  return ends !== undefined && ends < now.getTime();
}

/** A deleted pod inside its grace period: its kubelet is stopping it, and the namespace waits. */
export function podInGrace(pod: { deletionTimestamp?: string }, now: Date): boolean {
  const ends = graceEnds(pod);
  return ends !== undefined && ends >= now.getTime();
}

export function namespacePods(snapshot: Snapshot): PodState[] {
  return Object.values(snapshot.pods).filter((p) => p.namespace === snapshot.namespaceName);
}

/**
 * What the namespace controller's pod estimate (estimateGracefulTerminationForPods) is based on: the longest
 * spec.terminationGracePeriodSeconds of the non-terminal pods (the grace of the DELETE when the spec is unknown).
 */
export function longestPodGraceSeconds(snapshot: Snapshot): number {
  return Math.max(
    0,
    ...namespacePods(snapshot)
      .filter((p) => p.deletionTimestamp && p.phase !== 'Succeeded' && p.phase !== 'Failed')
      .map((p) => p.terminationGracePeriodSeconds ?? p.deletionGracePeriodSeconds ?? 0),
  );
}

/** ResourcesRemainingError: the controller looks again after estimate/2 + 1 seconds (integer division). */
export function requeueSeconds(estimateSeconds: number): number {
  return Math.floor(estimateSeconds / 2) + 1;
}

/**
 * The latest moment (ms) of the namespace controller's first pass after `at`, the moment the pods are gone. While the
 * namespace has been deleted for less than the longest pod grace G, each pass estimates G and requeues after G/2+1 s.
 * From then on a pass that still finds pods fails ("unexpected items still remain") and is retried with a backoff
 * that doubles from 5 ms, so it is at most about as long as the failures have lasted, and never more than 60 s
 * (the pass scheduled before the failures began may come later still: G/2+1 s).
 */
export function passAfterPods(snapshot: Snapshot, at: number): number {
  const deletedAt = Date.parse(snapshot.namespace!.deletionTimestamp!);
  const grace = longestPodGraceSeconds(snapshot);
  const requeue = requeueSeconds(grace);
  if (at - deletedAt < grace * 1000) return at + requeue * 1000;
  // The last pass before the failures began may still have scheduled its G/2+1 requeue after `at`.
  const failingFor = Math.ceil((at - deletedAt - grace * 1000) / 1000);
  return at + Math.max(requeue, Math.min(MAX_RETRY_BACKOFF_S, Math.max(1, failingFor))) * 1000;
}

/**
 * The namespace controller has not acted (no deletion condition) and `kubernetes` is still in spec.finalizers: its
 * first pass is due 5 s after the deletion, and past `timeoutMs` that silence is the NamespaceControllerNotRunning
 * blocker. Returns that threshold in ms, or undefined when the controller has acted (or has nothing left to do).
 */
export function controllerSilentUntil(ns: NamespaceState | undefined, conditionsPresent: boolean, timeoutMs: number): number | undefined {
  if (!ns?.deletionTimestamp || !ns.specFinalizers.includes('kubernetes') || conditionsPresent) return undefined;
  return Date.parse(ns.deletionTimestamp) + timeoutMs;
}

/** The namespace controller's next pass over a namespace it has already passed over, anchored on the cluster's clock. */
export interface ControllerPassDeadline {
  /** Past this (ms), the pass is overdue: the controller has stopped, or a call it makes is refused. */
  deadline: number;
  /** The last sign of activity the cluster shows (ms), and what it is. */
  lastSign: number;
  lastSignWhat: string;
  /** Objects it has not deleted yet; 0: nothing is left but its own `kubernetes` finalizer. */
  notDeleted: number;
}

/**
 * When the namespace controller's next pass is overdue. It applies once the controller has passed over the namespace
 * (its conditions are written) and reports no failure, and nothing it must wait for remains (no pod, no object with a
 * finalizer), yet objects it never deleted remain, or nothing remains and its `kubernetes` finalizer is still there.
 * A live controller comes back within its 60 s retry backoff; the deadline is --controller-timeout (default 5m) after
 * the last sign of activity the cluster shows: the deletion, the conditions' last transition, the latest deletion of
 * an object. Never counted from when ns-doctor runs, which would move it forever (findings F1, F7). Known limit: pods
 * leave no trace once gone, and after pods with a grace period longer than about twice the timeout the controller's
 * next pass (half that grace period after its previous one) can come later than this deadline.
 */
export function controllerPassDeadline(snapshot: Snapshot, conditions: ParsedConditions, timeoutMs: number): ControllerPassDeadline | undefined {
  const ns = snapshot.namespace;
  const content = snapshot.content;
  if (!ns?.deletionTimestamp || !ns.specFinalizers.includes('kubernetes') || !conditions.present || !content) return undefined;
  if (conditions.discoveryFailures.length || conditions.parseFailure || conditions.contentFailure) return undefined;
  if (snapshot.gaps.some((g) => g.kind === 'content' || g.kind === 'discovery' || g.kind === 'fatal')) return undefined;
  if (content.types.some((t) => t.withFinalizers > 0 || (t.group === '' && t.resource === 'pods' && t.count > 0))) return undefined;
  const objectsLeft = content.types.reduce((sum, t) => sum + t.count, 0);
  const notDeleted = content.types.reduce((sum, t) => sum + t.count - t.withDeletionTimestamp, 0);
  if (objectsLeft > 0 && notDeleted === 0) return undefined; // deleted, no finalizer: gone at any moment
  const signs: { at: number; what: string }[] = [{ at: Date.parse(ns.deletionTimestamp), what: 'the namespace was deleted' }];
  for (const c of ns.conditions) {
    const at = Date.parse(c.lastTransitionTime ?? '');
    if (c.type.startsWith('Namespace') && Number.isFinite(at)) signs.push({ at, what: `condition ${c.type} became ${c.status}` });
  }
  for (const sample of content.stuck) {
    const at = Date.parse(sample.meta.deletionTimestamp ?? '');
    if (Number.isFinite(at)) signs.push({ at, what: `${sample.kind} ${sample.meta.name} was deleted` });
  }
  const last = signs.reduce((a, b) => (b.at > a.at ? b : a));
  return { deadline: last.at + timeoutMs, lastSign: last.at, lastSignWhat: last.what, notDeleted };
}

/** The namespace controller is silent past --controller-timeout, or its next pass is overdue. */
export function controllerOverdue(snapshot: Snapshot, now: Date, timeoutMs: number, conditions: ParsedConditions): boolean {
  const silentUntil = controllerSilentUntil(snapshot.namespace, conditions.present, timeoutMs);
  if (silentUntil !== undefined) return now.getTime() >= silentUntil;
  const pass = controllerPassDeadline(snapshot, conditions, timeoutMs);
  return pass !== undefined && now.getTime() > pass.deadline;
}

/** A controller pod named as the owner of a finalizer, and how it was found. */
export interface ControllerPodRef extends ControllerPod {
  namespace: string;
  /** "labels component=cloud-controller-manager" (catalog), or "ServiceAccount ns/sa (ClusterRoleBinding …)" (RBAC). */
  via: string;
}

/**
 * The namespace controller has not made its first pass yet (no deletion condition, inside --controller-timeout): what
 * its first pass changes by itself (its background DeleteCollection drops foregroundDeletion) is still a wait.
 */
export function beforeFirstPass(snapshot: Snapshot, context: { now: Date; controllerTimeoutMs: number; conditions: { present: boolean } }): boolean {
  const silentUntil = controllerSilentUntil(snapshot.namespace, context.conditions.present, context.controllerTimeoutMs);
  return silentUntil !== undefined && context.now.getTime() <= silentUntil;
}

export type OwnerState =
  | { state: 'unknown'; known?: CatalogEntry }
  | { state: 'missing'; candidates: ControllerCandidate[]; known?: CatalogEntry; searched: ControllerPodRef[] }
  | { state: 'live'; confidence: 'runs' | 'may'; pods: ControllerPodRef[]; known?: CatalogEntry }
  | { state: 'unseen'; known: CatalogEntry };

/**
 * Who will remove `finalizer` from objects of group/resource, most specific evidence first: a Ready pod found where
 * the finalizer catalog says its owner runs ('live', runs); else a Ready pod whose ServiceAccount RBAC lets update the
 * type ('live', may: inference only, bounded by --stall-after); else, for an owner that may run outside the cluster,
 * 'unseen'; else 'missing'. 'unknown' when RBAC could not be read and the catalog found nothing: a gap, not a verdict.
 */
export function finalizerOwner(snapshot: Snapshot, finalizer: string, group: string, resource: string): OwnerState {
  const known = lookupFinalizer(finalizer);
  const found = snapshot.knownOwners?.find((o) => o.finalizer === finalizer);
  const searched: ControllerPodRef[] = (found?.pods ?? []).map((p) => ({ ...p, via: `labels ${p.selector}` }));
  const running = searched.filter((p) => p.ready);
  if (running.length) return { state: 'live', confidence: 'runs', pods: running, known };
  if (known?.mayRunOffCluster) return { state: 'unseen', known };
  const owners = snapshot.finalizerOwners.find((o) => o.group === group && o.resource === resource);
  if (!owners?.rbacReadable) return { state: 'unknown', known };
  const may = owners.candidates.flatMap((c) =>
    c.pods.filter((p) => p.ready).map((p) => ({ ...p, namespace: c.serviceAccount.namespace, via: `ServiceAccount ${c.serviceAccount.namespace}/${c.serviceAccount.name} (${c.grantedBy})` })),
  );
  if (may.length) return { state: 'live', confidence: 'may', pods: may, known };
  return { state: 'missing', candidates: owners.candidates, known, searched };
}

export type StallVerdict =
  | { stalled: false; deadline: number }
  | {
      stalled: true;
      reason: StallReason;
      waitedMs: number;
      /** The object (or Event) whose words decided it, and those words; or the object whose reconciliation is paused. */
      source?: { sample: ObjectSample; condition?: Condition; event?: ObjectEvent; pause?: Pause };
    };

/**
 * A wait on a live controller is over, and a blocker, when an object's reconciliation is paused by its project's own
 * switch (the controller leaves it alone by design), when the objects' own conditions or a Warning Event about them
 * report a failure, or when the oldest has waited longer than `stallAfterMs` since its own deletionTimestamp (the
 * namespace's age proves nothing). "being terminated" in either is a cause of its own: the controller must create an
 * object in the dying namespace, which the API server refuses.
 */
export function finalizerStall(snapshot: Snapshot, samples: ObjectSample[], now: Date, stallAfterMs: number): StallVerdict {
  const oldest = Math.min(...samples.map((s) => Date.parse(s.meta.deletionTimestamp ?? '') || now.getTime()));
  const waitedMs = now.getTime() - oldest;
  // A paused object's conditions are what the controller said before it stopped looking: the pause decides first.
  const paused = samples.map((sample) => pauseHolding(snapshot, sample)).find((p) => p?.pause.known);
  if (paused) return { stalled: true, reason: 'Paused', waitedMs, source: { sample: paused.paused, pause: paused.pause } };
  const words: { word: ControllerWord; source: { sample: ObjectSample; condition?: Condition; event?: ObjectEvent } }[] = [];
  for (const sample of samples) {
    for (const condition of sample.conditions ?? []) {
      const word = conditionWord(condition);
      if (word) words.push({ word, source: { sample, condition } });
    }
    for (const event of eventsAbout(snapshot, sample)) {
      const word = eventWord(event);
      if (word) words.push({ word, source: { sample, event } });
    }
  }
  const cannotCreate = words.find((w) => w.word === 'cannot-create-in-terminating-namespace');
  if (cannotCreate) return { stalled: true, reason: 'CannotCreateInTerminatingNamespace', waitedMs, source: cannotCreate.source };
  const failure = words.find((w) => w.source.condition) ?? words[0];
  if (failure) return { stalled: true, reason: failure.source.condition ? 'ObjectCondition' : 'Event', waitedMs, source: failure.source };
  if (waitedMs > stallAfterMs) return { stalled: true, reason: 'StallAfter', waitedMs };
  return { stalled: false, deadline: oldest + stallAfterMs };
}

/** Warning Events about the object, recorded after it was deleted (older ones are about its life, not its deletion). */
export function eventsAbout(snapshot: Snapshot, sample: ObjectSample): ObjectEvent[] {
  const deleted = sample.meta.deletionTimestamp ?? '';
  return (snapshot.events ?? []).filter(
    (e) =>
      (sample.meta.uid && e.involvedObject.uid ? e.involvedObject.uid === sample.meta.uid : e.involvedObject.name === sample.meta.name && e.involvedObject.kind === sample.kind) &&
      (!e.lastTimestamp || !deleted || Date.parse(e.lastTimestamp) >= Date.parse(deleted)),
  );
}

/** A deleted pod that only a custom finalizer keeps: no kubelet has anything left to do (never scheduled, or finished). */
export function podHeldOnlyByFinalizer(pod: Pick<PodState, 'deletionTimestamp' | 'finalizers' | 'nodeName' | 'phase'>): boolean {
  return Boolean(pod.deletionTimestamp) && pod.finalizers.some((f) => !isBuiltInFinalizer(f)) && (!pod.nodeName || pod.phase === 'Succeeded' || pod.phase === 'Failed');
}

/** Deleted objects that wait on a custom (not Kubernetes') finalizer, grouped by type and finalizer. */
export function deletedWithCustomFinalizer(snapshot: Snapshot): { finalizer: string; samples: ObjectSample[] }[] {
  return withCustomFinalizer(snapshot, true);
}

/**
 * Objects not deleted yet that carry a custom finalizer (the namespace controller deletes pods first, and the rest
 * only then): once deleted, they wait on it. Pods are left out (they are deleted first, at once).
 */
export function pendingWithCustomFinalizer(snapshot: Snapshot): { finalizer: string; samples: ObjectSample[] }[] {
  return withCustomFinalizer(snapshot, false).filter((g) => !(g.samples[0]?.group === '' && g.samples[0]?.resource === 'pods'));
}

function withCustomFinalizer(snapshot: Snapshot, deleted: boolean): { finalizer: string; samples: ObjectSample[] }[] {
  const byTypeAndFinalizer = new Map<string, { finalizer: string; samples: ObjectSample[] }>();
  for (const sample of snapshot.content?.stuck ?? []) {
    if (Boolean(sample.meta.deletionTimestamp) !== deleted) continue;
    for (const finalizer of sample.meta.finalizers ?? []) {
      if (isBuiltInFinalizer(finalizer)) continue;
      const key = `${sample.group}/${sample.resource}/${finalizer}`;
      const entry = byTypeAndFinalizer.get(key) ?? { finalizer, samples: [] };
      entry.samples.push(sample);
      byTypeAndFinalizer.set(key, entry);
    }
  }
  return [...byTypeAndFinalizer.values()];
}

/**
 * Deleted objects whose custom finalizer belongs to a controller that runs (or may, or runs out of sight), each with
 * the one verdict that decides between a wait and FinalizerControllerStalled: the wait and the check read this list.
 */
export function finalizersWithLiveOwner(
  snapshot: Snapshot,
  now: Date,
  stallAfterMs: number,
): { finalizer: string; samples: ObjectSample[]; first: ObjectSample; owner: Extract<OwnerState, { state: 'live' | 'unseen' }>; verdict: StallVerdict }[] {
  return deletedWithCustomFinalizer(snapshot).flatMap(({ finalizer, samples }) => {
    const first = samples[0];
    if (!first) return [];
    const owner = finalizerOwner(snapshot, finalizer, first.group, first.resource);
    if (owner.state !== 'live' && owner.state !== 'unseen') return [];
    return [{ finalizer, samples, first, owner, verdict: finalizerStall(snapshot, samples, now, stallAfterMs) }];
  });
}

/** The object names the owner with this uid with blockOwnerDeletion: the owner's foregroundDeletion waits for it. */
export function dependsOn(sample: ObjectSample, ownerUid: string | undefined): boolean {
  return ownerUid !== undefined && (sample.meta.ownerReferences ?? []).some((o) => o.uid === ownerUid && o.blockOwnerDeletion);
}

/** Dependents that hold an owner's foregroundDeletion (ownerReferences with blockOwnerDeletion). */
export function blockingDependents(snapshot: Snapshot, owner: ObjectSample): ObjectSample[] {
  return (snapshot.content?.blockingDependents ?? []).filter((d) => dependsOn(d, owner.meta.uid));
}

/**
 * What a namespace's own foregroundDeletion waits on: objects whose ownerReferences name it (by uid) with
 * blockOwnerDeletion, cluster-scoped (searched only then) or in the namespace itself (the survey's sample).
 */
export function namespaceBlockingDependents(snapshot: Snapshot): ObjectSample[] {
  const uid = snapshot.namespace?.uid;
  const inside = (snapshot.content?.blockingDependents ?? []).filter((d) => dependsOn(d, uid));
  return [...(snapshot.namespaceDependents ?? []), ...inside];
}

/** The finalizers of an object that no Kubernetes controller removes by itself (src/rules/kubernetes.ts). */
export function customFinalizers(sample: ObjectSample): string[] {
  return (sample.meta.finalizers ?? []).filter((f) => !isBuiltInFinalizer(f));
}

/** Deleted, and held by a finalizer of its own: the foregroundDeletion of what it depends on waits for its owner. */
export function heldByCustomFinalizer(sample: ObjectSample): boolean {
  return Boolean(sample.meta.deletionTimestamp) && customFinalizers(sample).length > 0;
}

/**
 * A deleted object on its way out by itself: a pod inside its grace period, or an object whose custom finalizers all
 * have a live controller. Not yet deleted, a pod past its grace, or a finalizer with no live owner: not going.
 */
export function isGoing(snapshot: Snapshot, sample: ObjectSample, now: Date): boolean {
  if (!sample.meta.deletionTimestamp) return false;
  if (sample.group === '' && sample.resource === 'pods') return podInGrace(sample.meta, now);
  const custom = customFinalizers(sample);
  return custom.every((f) => ['live', 'unseen'].includes(finalizerOwner(snapshot, f, sample.group, sample.resource).state));
}

/**
 * An owner waiting on foregroundDeletion whose blocking dependents are all going: the garbage collector removes the
 * finalizer once they are gone, so this is a wait, not the DependentsBlockDeletion blocker.
 */
export function foregroundDependentsGoing(snapshot: Snapshot, owner: ObjectSample, now: Date): boolean {
  if (!owner.meta.deletionTimestamp || !owner.meta.finalizers?.includes('foregroundDeletion')) return false;
  if (owner.meta.finalizers.includes('orphan')) return false;
  const dependents = blockingDependents(snapshot, owner);
  return dependents.length > 0 && dependents.every((d) => isGoing(snapshot, d, now));
}

/**
 * A deleted claim held by kubernetes.io/pvc-protection only because pods inside their grace period still use it: the
 * pvc-protection controller lets it go once they are gone. Past their grace it is the PVCInUse blocker.
 */
export function claimWaitsForPodsInGrace(snapshot: Snapshot, claimName: string, now: Date): boolean {
  const users = namespacePods(snapshot).filter((p) => p.claimNames.includes(claimName));
  return users.length > 0 && users.every((p) => podInGrace(p, now));
}

/**
 * "unexpected items still remain in namespace: <ns> for gvr: /v1, Resource=pods" and nothing else: the controller's
 * estimate runs from the namespace's deletion, not the pods', so it reports this while a pod deleted on its first
 * pass is still inside its grace period. True when that is all the failure says and every pod left is in its grace.
 */
export function contentFailureIsPodsInGrace(snapshot: Snapshot, failure: string, now: Date): boolean {
  if (!/^Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: \S+ for gvr: \/v1, Resource=pods$/.test(failure)) {
    return false;
  }
  const pods = snapshot.content?.types.find((t) => t.group === '' && t.resource === 'pods');
  const known = namespacePods(snapshot).filter((p) => p.deletionTimestamp);
  if (!pods || pods.withDeletionTimestamp !== pods.count || known.length !== pods.count) return false;
  return known.every((p) => podInGrace(p, now));
}
