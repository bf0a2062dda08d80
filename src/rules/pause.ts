// Reconciliation paused on purpose: the controller runs and sees the object, and by its own design leaves it alone,
// its finalizer included, however long one waits. Each project's switch is read the way its own code reads it:
// Cluster API's annotations.IsPaused(cluster, obj) is the Cluster's spec.paused or the key cluster.x-k8s.io/paused on
// the object (any value), checked before any deletion is handled; crossplane-runtime's meta.IsPaused and Argo CD's
// skip-reconcile want the value "true". A paused owner pauses what it owns (clusterctl move pauses the Cluster, and
// with it every Machine). Flux's spec.suspend is not a pause here: a suspended Flux object still removes its finalizer
// (it only skips pruning). Many other operators name their switch `<project>/paused` (Kamaji, garm, …) with their own
// rule for the value: from the name alone that is a "may", shown as evidence and never decided on.
import type { ObjectSample, Snapshot } from '../snapshot/types.js';

/** A pause found on an object: an annotation, or a spec field. `known`: the project's documented switch, read by its own rule. */
export interface Pause {
  /** Where the switch is: an annotation key, or a field path (spec.paused). */
  switch: string;
  on: 'annotation' | 'spec';
  value: string;
  /** The project whose switch it is (known switches only). */
  project?: string;
  known: boolean;
}

interface KnownSwitch {
  annotation: string;
  project: string;
  paused(value: string): boolean;
}

const KNOWN_SWITCHES: readonly KnownSwitch[] = [
  { annotation: 'cluster.x-k8s.io/paused', project: 'Cluster API', paused: () => true },
  { annotation: 'crossplane.io/paused', project: 'Crossplane', paused: (value) => value === 'true' },
  { annotation: 'argocd.argoproj.io/skip-reconcile', project: 'Argo CD', paused: (value) => value === 'true' },
];

/** `<prefix>/paused`, `<prefix>/skip-reconcile`, …: the shapes other operators give their switch. */
const LOOKS_LIKE_A_SWITCH = /^[a-z0-9.-]+\/(paused?|reconcile-paused|paused-reconciliation|skip-reconcile|skip-reconciliation)$/;

/** How far up ownerReferences a pause is looked for (Machine → MachineSet → MachineDeployment → Cluster is 3). */
const MAX_OWNER_HOPS = 4;

/** Whether gather keeps this annotation in a snapshot: pause switches only (other annotations are neither read nor kept). */
export function isPauseAnnotation(key: string): boolean {
  // Every switch name ends in "pause", "paused" or "reconcile"/"reconciliation": a cheap test before the pattern.
  if (!/(pause|paused|reconcile|reconciliation)$/.test(key)) return false;
  return KNOWN_SWITCHES.some((s) => s.annotation === key) || LOOKS_LIKE_A_SWITCH.test(key);
}

/** Whether the full object's spec carries Cluster API's pause (read only for objects of its groups). */
export function specPausedBy(group: string, spec: unknown): boolean {
  const isClusterApi = group === 'cluster.x-k8s.io' || group.endsWith('.cluster.x-k8s.io');
  return isClusterApi && typeof spec === 'object' && spec !== null && (spec as { paused?: unknown }).paused === true;
}

/** The pause on one object, if any: a known switch that is on first, else a switch-shaped annotation not set to off. */
export function pauseOf(sample: Pick<ObjectSample, 'meta' | 'specPaused'>): Pause | undefined {
  if (sample.specPaused) return { switch: 'spec.paused', on: 'spec', value: 'true', project: 'Cluster API', known: true };
  const annotations = sample.meta.annotations;
  if (!annotations) return undefined;
  for (const known of KNOWN_SWITCHES) {
    const value = annotations[known.annotation];
    if (value !== undefined && known.paused(value)) return { switch: known.annotation, on: 'annotation', value, project: known.project, known: true };
  }
  for (const [annotation, value] of Object.entries(annotations)) {
    if (KNOWN_SWITCHES.some((s) => s.annotation === annotation)) continue;
    if (LOOKS_LIKE_A_SWITCH.test(annotation) && !/^(false|no|off|0)$/i.test(value.trim())) return { switch: annotation, on: 'annotation', value, known: false };
  }
  return undefined;
}

/**
 * The pause that holds this object: its own, or one of its owners' (found among the namespace's held objects by uid,
 * a few hops up). `paused` is the object that carries the switch. A known pause anywhere up the chain comes first.
 */
export function pauseHolding(snapshot: Snapshot, sample: ObjectSample): { paused: ObjectSample; pause: Pause } | undefined {
  const held = snapshot.content?.stuck ?? [];
  const chain: ObjectSample[] = [sample];
  for (let hop = 0; hop < MAX_OWNER_HOPS; hop++) {
    const current = chain[chain.length - 1]!;
    const refs = current.meta.ownerReferences ?? [];
    const ref = refs.find((r) => r.controller) ?? refs[0];
    const owner = ref?.uid ? held.find((s) => s.meta.uid === ref.uid && !chain.includes(s)) : undefined;
    if (!owner) break;
    chain.push(owner);
  }
  const found = chain.flatMap((paused) => {
    const pause = pauseOf(paused);
    return pause ? [{ paused, pause }] : [];
  });
  return found.find((f) => f.pause.known) ?? found[0];
}
