// What the controllers of custom finalizers say and whether they run, read only for the objects that wait on them:
// the pods the finalizer catalog names (by their well-known labels), the waiting objects' own status.conditions (a
// bounded sample of full objects: the content survey is metadata-only), and the Warning Events about them, wherever
// they were recorded (a Terminating namespace refuses new Events, so a controller's may be in its own namespace).
import * as v from 'valibot';
import type { KubeClient } from '../kube/client.js';
import { deletedWithCustomFinalizer, finalizerOwner } from '../rules/deadlines.js';
import { lookupFinalizer } from '../rules/finalizer-catalog.js';
import { ConditionSchema, ObjectEventSchema } from '../snapshot/schema.js';
import type { Condition, KnownOwnerEvidence, ObjectEvent, ObjectSample, Snapshot } from '../snapshot/types.js';
import { CACHED } from './backends.js';
import type { GapSink } from './gaps.js';
import { collectionPath } from './list.js';
import { controllerPodOf, type RbacReader } from './owners.js';

/** Finalizers looked up in the catalog, selectors per finalizer, pods kept per selector. */
const MAX_KNOWN_FINALIZERS = 10;
const MAX_SELECTORS = 3;
const MAX_PODS_PER_SELECTOR = 10;
/** Full objects read per finalizer and in all: enough to hear the controller, bounded however many objects wait. */
const OBJECTS_PER_FINALIZER = 3;
const MAX_OBJECTS = 20;
/** One page of Warning Events about the namespace's objects. */
const EVENTS_LIMIT = 250;

/** Pods where the catalog says each well-known custom finalizer's owner runs: the most specific evidence of an owner. */
export async function findKnownOwners(rbac: RbacReader, gaps: GapSink, finalizers: string[]): Promise<KnownOwnerEvidence[]> {
  const known = finalizers.map((f) => ({ finalizer: f, entry: lookupFinalizer(f) })).filter((k) => k.entry?.workloads.length).slice(0, MAX_KNOWN_FINALIZERS);
  return Promise.all(
    known.map(async ({ finalizer, entry }) => {
      const evidence: KnownOwnerEvidence = { finalizer, pods: [], readable: true };
      for (const { selector } of entry!.workloads.slice(0, MAX_SELECTORS)) {
        try {
          const pods = await rbac.podsBySelector(selector);
          for (const pod of pods.slice(0, MAX_PODS_PER_SELECTOR)) {
            evidence.pods.push({ ...controllerPodOf(pod), namespace: pod.metadata.namespace ?? '', selector });
          }
        } catch (error) {
          evidence.readable = false;
          gaps.fromError(error, { kind: 'evidence', what: `list Pods labelled ${selector}`, impact: `cannot tell whether ${entry!.owner} runs` });
        }
      }
      return evidence;
    }),
  );
}

/**
 * For the objects whose finalizer's controller runs (or may, or runs out of sight): a few full objects (their
 * status.conditions) and one page of Warning Events about the namespace's objects. Needs the owner evidence first.
 */
export async function readControllerWords(client: KubeClient, gaps: GapSink, snapshot: Snapshot): Promise<void> {
  const waiting = deletedWithCustomFinalizer(snapshot).filter(({ finalizer, samples }) => {
    const first = samples[0];
    const state = first ? finalizerOwner(snapshot, finalizer, first.group, first.resource).state : 'unknown';
    return state === 'live' || state === 'unseen';
  });
  if (waiting.length === 0) return;
  const toRead = [...new Set(waiting.flatMap((w) => w.samples.slice(0, OBJECTS_PER_FINALIZER)))].slice(0, MAX_OBJECTS);
  await Promise.all([...toRead.map((sample) => readConditions(client, gaps, sample)), readEvents(client, gaps, snapshot)]);
}

async function readConditions(client: KubeClient, gaps: GapSink, sample: ObjectSample): Promise<void> {
  const path = `${collectionPath(sample.group, sample.version, sample.resource, sample.meta.namespace)}/${encodeURIComponent(sample.meta.name)}${CACHED}`;
  const what = `status of ${sample.kind} ${sample.meta.namespace ?? ''}/${sample.meta.name}`;
  let raw: unknown;
  try {
    raw = await client.getJson<unknown>(path);
  } catch (error) {
    gaps.fromError(error, { kind: 'evidence', what: `get ${what}`, impact: "cannot read the controller's own report on it" });
    return;
  }
  const conditions = (raw as { status?: { conditions?: unknown } } | null)?.status?.conditions;
  if (conditions === undefined || conditions === null) {
    sample.conditions = [];
    return;
  }
  const list = Array.isArray(conditions) ? conditions : [];
  const parsed = list.map((c) => v.safeParse(ConditionSchema, trimCondition(c)));
  sample.conditions = parsed.flatMap((r) => (r.success ? [r.output] : []));
  if (!Array.isArray(conditions) || parsed.some((r) => !r.success)) {
    gaps.add({ kind: 'evidence', what: `read ${what}`, reason: 'malformed status.conditions (entries without a string type and status were skipped)', impact: "part of the controller's own report on it is unknown" });
  }
}

/** A condition as written, trimmed to the fields read; anything else makes it fail the schema (and be skipped). */
function trimCondition(raw: unknown): Partial<Condition> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const c = raw as Record<string, unknown>;
  return {
    type: c.type as string,
    status: c.status as string,
    ...(c.reason ? { reason: c.reason as string } : {}),
    ...(c.message ? { message: c.message as string } : {}),
    ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime as string } : {}),
  };
}

interface ApiEvent {
  metadata?: { name?: string; namespace?: string };
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { lastObservedTime?: string | null } | null;
  source?: { component?: string } | null;
  reportingComponent?: string;
}

/**
 * Warning Events about objects of the namespace, in any namespace: one field-selected page (Events have no watch
 * cache, so this is an etcd read: done once per namespace, and only when a controller is being waited on).
 */
async function readEvents(client: KubeClient, gaps: GapSink, snapshot: Snapshot): Promise<void> {
  const selector = encodeURIComponent(`involvedObject.namespace=${snapshot.namespaceName},type=Warning`);
  let raw: { items?: unknown };
  try {
    raw = await client.getJson<{ items?: unknown }>(`/api/v1/events?fieldSelector=${selector}&limit=${EVENTS_LIMIT}`);
  } catch (error) {
    gaps.fromError(error, { kind: 'evidence', what: `list Warning Events about objects in ${snapshot.namespaceName}`, impact: "cannot read the controllers' Events about the waiting objects" });
    return;
  }
  const items = Array.isArray(raw?.items) ? (raw.items as unknown[]) : [];
  const events: ObjectEvent[] = [];
  let malformed = !Array.isArray(raw?.items);
  for (const item of items) {
    const parsed = v.safeParse(ObjectEventSchema, eventOf(item));
    if (parsed.success) events.push(parsed.output);
    else malformed = true;
  }
  snapshot.events = events;
  if (malformed) gaps.add({ kind: 'evidence', what: `read Warning Events about objects in ${snapshot.namespaceName}`, reason: 'malformed Event (skipped)', impact: 'an Event about a waiting object may be missing' });
}

function eventOf(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as ApiEvent;
  const last = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? undefined;
  const source = e.reportingComponent || e.source?.component;
  return {
    namespace: e.metadata?.namespace,
    name: e.metadata?.name,
    involvedObject: {
      kind: e.involvedObject?.kind,
      name: e.involvedObject?.name,
      ...(e.involvedObject?.namespace ? { namespace: e.involvedObject.namespace } : {}),
      ...(e.involvedObject?.uid ? { uid: e.involvedObject.uid } : {}),
    },
    ...(e.type ? { type: e.type } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.message ? { message: e.message } : {}),
    ...(typeof e.count === 'number' ? { count: e.count } : {}),
    ...(last ? { lastTimestamp: last } : {}),
    ...(source ? { source } : {}),
  };
}
