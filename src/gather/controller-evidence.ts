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
import { specPausedBy } from '../rules/pause.js';

/** Finalizers looked up in the catalog, selectors per finalizer, pods kept per selector. */
const MAX_KNOWN_FINALIZERS = 10;
const MAX_SELECTORS = 3;
const MAX_PODS_PER_SELECTOR = 10;
/** Full objects read per finalizer and in all: enough to hear the controller, bounded however many objects wait. */
const OBJECTS_PER_FINALIZER = 3;
const MAX_OBJECTS = 20;
/** One page of Warning Events about the namespace's objects; per sampled object when that page is full. */
const EVENTS_LIMIT = 250;
const EVENTS_PER_OBJECT = 50;

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
  await Promise.all([...toRead.map((sample) => readConditions(client, gaps, sample)), readEvents(client, gaps, snapshot, toRead)]);
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
  if (specPausedBy(sample.group, (raw as { spec?: unknown } | null)?.spec)) sample.specPaused = true;
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
 * cache, so this is an etcd read: done once per namespace, and only when a controller is being waited on). Events
 * come in name order, not by time, so a full page may have left out the very Event that matters: then the sampled
 * waiting objects' own Events are read by name (at most MAX_OBJECTS small reads), and whatever is still cut short is
 * a gap, never silence.
 */
async function readEvents(client: KubeClient, gaps: GapSink, snapshot: Snapshot, waiting: ObjectSample[]): Promise<void> {
  const ns = snapshot.namespaceName;
  const what = `list Warning Events about objects in ${ns}`;
  const impact = "cannot read the controllers' Events about the waiting objects";
  const page = await readEventPage(client, gaps, { what, impact }, `involvedObject.namespace=${ns},type=Warning`, EVENTS_LIMIT);
  if (!page) return;
  const byName = new Map(page.events.map((e) => [`${e.namespace}/${e.name}`, e]));
  let cutShort = false;
  let malformed = page.malformed;
  if (page.truncated) {
    const pages = await Promise.all(
      waiting.map((sample) =>
        readEventPage(
          client,
          gaps,
          { what: `list Warning Events about ${sample.kind} ${ns}/${sample.meta.name}`, impact: `cannot read the controller's Events about ${sample.kind} ${sample.meta.name}` },
          `involvedObject.namespace=${ns},involvedObject.name=${sample.meta.name},involvedObject.kind=${sample.kind},type=Warning`,
          EVENTS_PER_OBJECT,
        ),
      ),
    );
    for (const one of pages) {
      for (const e of one?.events ?? []) byName.set(`${e.namespace}/${e.name}`, e);
      cutShort ||= Boolean(one?.truncated);
      malformed ||= Boolean(one?.malformed);
    }
  }
  snapshot.events = [...byName.values()];
  if (page.truncated) {
    gaps.add({
      kind: 'evidence',
      what,
      reason: `more than ${EVENTS_LIMIT} Warning Events: read the first ${EVENTS_LIMIT}, then the Events of the ${waiting.length} sampled waiting object(s) by name${cutShort ? `, some of which also have more than ${EVENTS_PER_OBJECT}` : ''}`,
      impact: 'an Event about a waiting object outside the sample may be missing',
    });
  }
  if (malformed) gaps.add({ kind: 'evidence', what: `read Warning Events about objects in ${ns}`, reason: 'malformed Event (skipped)', impact: 'an Event about a waiting object may be missing' });
}

async function readEventPage(
  client: KubeClient,
  gaps: GapSink,
  about: { what: string; impact: string },
  fieldSelector: string,
  limit: number,
): Promise<{ events: ObjectEvent[]; truncated: boolean; malformed: boolean } | undefined> {
  let raw: { items?: unknown; metadata?: { continue?: unknown } };
  try {
    raw = await client.getJson(`/api/v1/events?fieldSelector=${encodeURIComponent(fieldSelector)}&limit=${limit}`);
  } catch (error) {
    gaps.fromError(error, { kind: 'evidence', ...about });
    return undefined;
  }
  const items = Array.isArray(raw?.items) ? (raw.items as unknown[]) : [];
  const events: ObjectEvent[] = [];
  let malformed = !Array.isArray(raw?.items);
  for (const item of items) {
    const parsed = v.safeParse(ObjectEventSchema, eventOf(item));
    if (parsed.success) events.push(parsed.output);
    else malformed = true;
  }
  const next = raw?.metadata?.continue;
  return { events, truncated: typeof next === 'string' && next !== '', malformed };
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
