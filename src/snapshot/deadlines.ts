// When Kubernetes itself expects each part of a namespace deletion to be over, read from the 1.34 sources. The checks
// use these predicates to call an object a blocker once its deadline has passed, and the Progressing explanation
// uses the same predicates to call it a wait while the deadline is still ahead: one rule decides both.
import type { ControllerCandidate, NamespaceState, ObjectSample, PodState, Snapshot } from './types.js';
import { isBuiltInFinalizer } from './kubernetes.js';

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

export type OwnerState =
  | { state: 'unknown' }
  | { state: 'missing'; candidates: ControllerCandidate[] }
  | { state: 'live'; live: ControllerCandidate[] };

/**
 * Who will remove a custom finalizer on objects of group/resource, from the RBAC evidence (src/gather/owners.ts):
 * 'live' when a ServiceAccount allowed to update them has a Ready pod, 'missing' when none has, 'unknown' when RBAC
 * could not be read (then it is a gap, never a verdict).
 */
export function finalizerOwner(snapshot: Snapshot, group: string, resource: string): OwnerState {
  const owners = snapshot.finalizerOwners.find((o) => o.group === group && o.resource === resource);
  if (!owners?.rbacReadable) return { state: 'unknown' };
  const live = owners.candidates.filter((c) => c.pods.some((p) => p.ready));
  return live.length ? { state: 'live', live } : { state: 'missing', candidates: owners.candidates };
}

/** Deleted objects that wait on a custom (not Kubernetes') finalizer, grouped by type and finalizer. */
export function deletedWithCustomFinalizer(snapshot: Snapshot): { finalizer: string; samples: ObjectSample[] }[] {
  const byTypeAndFinalizer = new Map<string, { finalizer: string; samples: ObjectSample[] }>();
  for (const sample of snapshot.content?.stuck ?? []) {
    if (!sample.meta.deletionTimestamp) continue;
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

/** Dependents that hold an owner's foregroundDeletion (ownerReferences with blockOwnerDeletion). */
export function blockingDependents(snapshot: Snapshot, owner: ObjectSample): ObjectSample[] {
  return (snapshot.content?.blockingDependents ?? []).filter((d) =>
    d.meta.ownerReferences?.some((o) => o.uid === owner.meta.uid && o.blockOwnerDeletion),
  );
}

/**
 * A deleted object on its way out by itself: a pod inside its grace period, or an object whose custom finalizers all
 * have a live controller. Not yet deleted, a pod past its grace, or a finalizer with no live owner: not going.
 */
export function isGoing(snapshot: Snapshot, sample: ObjectSample, now: Date): boolean {
  if (!sample.meta.deletionTimestamp) return false;
  if (sample.group === '' && sample.resource === 'pods') return podInGrace(sample.meta, now);
  const custom = (sample.meta.finalizers ?? []).filter((f) => !isBuiltInFinalizer(f));
  return custom.length === 0 || finalizerOwner(snapshot, sample.group, sample.resource).state === 'live';
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
