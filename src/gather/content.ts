// What is left in the namespace: every namespaced type that the namespace controller would delete, listed
// metadata-only and paginated. Only counts are kept for every object; samples only for those that hold deletion.
import { PRIORITY, type KubeClient } from '../kube/client.js';
import type { ContentSurvey, ContentType, ObjectMeta, ObjectSample, ResourceType } from '../snapshot/types.js';
import { compareCodePoints } from '../util/order.js';
import type { Gap } from '../model/shared.js';
import { ApiError } from '../kube/errors.js';
import { countedMetaOf, malformedObjectGap, metaOf } from './convert.js';
import type { GapSink } from './gaps.js';
import { collectionPath, listAll } from './list.js';

const STUCK_SAMPLES_PER_TYPE = 50;
const BLOCKING_DEPENDENT_SAMPLES = 200;

/** The namespace controller only touches types it can delete; metrics.k8s.io pods/nodes, for example, it skips. */
export function deletableTypes(resources: ResourceType[], includeEvents = false): ResourceType[] {
  const hasCoreEvents = resources.some((r) => r.group === '' && r.resource === 'events');
  return resources.filter(
    (r) =>
      r.verbs.includes('list') &&
      (r.verbs.includes('delete') || r.verbs.includes('deletecollection')) &&
      // events.k8s.io/events are the same stored objects as core events: count them once.
      !(hasCoreEvents && r.group === 'events.k8s.io' && r.resource === 'events') &&
      // Events have no watch cache (every LIST is an etcd read) and almost never carry a finalizer (one can): they
      // are listed only when the controller itself reports events remaining, which it does when one holds.
      (includeEvents || r.resource !== 'events'),
  );
}

/**
 * Counts and samples of one resource type in one namespace, fed one object's metadata at a time: what a survey keeps
 * instead of the objects themselves. Shared by the per-namespace survey and the cluster-wide one of --all.
 */
export class TypeTally {
  counts: ContentType;
  stuck: ObjectSample[] = [];
  dependents: ObjectSample[] = [];
  /** Objects listed but of a shape the API never sends: counted (they are there), each one a gap. */
  malformed: Gap[] = [];

  constructor(readonly type: ResourceType) {
    this.counts = emptyCounts(type);
  }

  reset(): void {
    this.counts = emptyCounts(this.type);
    this.stuck = [];
    this.dependents = [];
    this.malformed = [];
  }

  /** `meta`: the item's metadata as counted (countedMetaOf), when the caller has it already. */
  add(item: unknown, meta?: ObjectMeta): void {
    const type = this.type;
    try {
      meta ??= countedMetaOf(item);
      const sample = () => ({ group: type.group, version: type.version, resource: type.resource, kind: type.kind, meta: metaOf(item) });
      const stuck = (meta.finalizers?.length || meta.deletionTimestamp) && this.stuck.length < STUCK_SAMPLES_PER_TYPE ? sample() : undefined;
      const dependent =
        meta.ownerReferences?.some((o) => o.blockOwnerDeletion) && this.dependents.length < BLOCKING_DEPENDENT_SAMPLES ? stuck ?? sample() : undefined;
      countObject(this.counts, meta);
      if (stuck) this.stuck.push(stuck);
      if (dependent) this.dependents.push(dependent);
    } catch (error) {
      if (!(error instanceof ApiError) || error.kind !== 'malformed') throw error;
      this.addMalformed(item, error);
    }
  }

  /** An object whose metadata cannot be read: it is there (counted), but what holds it is unknown (a gap naming it). */
  addMalformed(item: unknown, error: ApiError): void {
    this.counts.count++;
    const gap = malformedObjectGap('content', this.type.kind, item, error, 'its finalizers and deletion state are unknown');
    this.malformed.push({ ...gap, resource: typeLabel(this.type) });
  }

  /** Adds what was counted to a survey (put in one order once the survey is complete, see canonicalSurvey). */
  addTo(survey: ContentSurvey, gaps: GapSink): void {
    for (const gap of this.malformed) gaps.add(gap);
    if (this.counts.count > 0) survey.types.push(this.counts);
    survey.stuck.push(...this.stuck);
    survey.blockingDependents.push(...this.dependents.slice(0, BLOCKING_DEPENDENT_SAMPLES - survey.blockingDependents.length));
  }
}

export function emptySurvey(): ContentSurvey {
  return { types: [], stuck: [], blockingDependents: [], unlisted: [] };
}

/**
 * A survey in one order, whatever order its lists finished in (they run concurrently): types, samples and unlisted
 * types by group and resource, each type's samples in the order the API server listed them.
 */
export function canonicalSurvey(survey: ContentSurvey): ContentSurvey {
  survey.types.sort(byGroupAndResource);
  survey.stuck.sort(byGroupAndResource);
  survey.blockingDependents.sort(byGroupAndResource);
  survey.unlisted?.sort(byGroupAndResource);
  return survey;
}

export function typeLabel(type: { group: string; resource: string }): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

/** Records a type whose list failed: a gap (what is left of it is unknown) and an unlisted type, never "none". */
export function recordUnlisted(survey: ContentSurvey, gaps: GapSink, namespace: string, type: ResourceType, error: unknown): void {
  const name = typeLabel(type);
  gaps.fromError(error, { kind: 'content', resource: name, what: `list ${name} in ${namespace}`, impact: `objects of type ${name} left in the namespace are unknown` });
  survey.unlisted!.push({ group: type.group, resource: type.resource });
}

/** Lists each of `types` (see deletableTypes) in the namespace and keeps counts and samples. */
export async function surveyContent(
  client: KubeClient,
  gaps: GapSink,
  namespace: string,
  types: ResourceType[],
  notOlderThan: string | undefined,
): Promise<ContentSurvey> {
  const survey = emptySurvey();
  await Promise.all(
    types.map(async (type) => {
      const tally = new TypeTally(type);
      try {
        await listAll<unknown>(
          client,
          collectionPath(type.group, type.version, type.resource, namespace),
          { metadataOnly: true, notOlderThan, priority: PRIORITY.bulk },
          () => tally.reset(),
          (items) => {
            for (const item of items) tally.add(item);
          },
        );
      } catch (error) {
        recordUnlisted(survey, gaps, namespace, type, error);
        return;
      }
      tally.addTo(survey, gaps);
    }),
  );
  return canonicalSurvey(survey);
}

/** One survey from two taken of different types. */
export function mergeSurveys(a: ContentSurvey, b: ContentSurvey): ContentSurvey {
  return {
    types: [...a.types, ...b.types].sort(byGroupAndResource),
    stuck: [...a.stuck, ...b.stuck],
    blockingDependents: [...a.blockingDependents, ...b.blockingDependents].slice(0, BLOCKING_DEPENDENT_SAMPLES),
    unlisted: [...(a.unlisted ?? []), ...(b.unlisted ?? [])],
  };
}

// Code-point order: the first localeCompare of a run loads ICU's collator, which alone cost ~5 ms.
const byGroupAndResource = (a: { group: string; resource: string }, b: { group: string; resource: string }) => compareCodePoints(`${a.group}/${a.resource}`, `${b.group}/${b.resource}`);

function emptyCounts(type: ResourceType): ContentType {
  return {
    group: type.group,
    version: type.version,
    resource: type.resource,
    kind: type.kind,
    count: 0,
    withFinalizers: 0,
    withDeletionTimestamp: 0,
    finalizers: {},
  };
}

function countObject(counts: ContentType, meta: ObjectMeta): void {
  counts.count++;
  if (meta.finalizers?.length) {
    counts.withFinalizers++;
    for (const finalizer of meta.finalizers) counts.finalizers[finalizer] = (counts.finalizers[finalizer] ?? 0) + 1;
  }
  if (meta.deletionTimestamp) {
    counts.withDeletionTimestamp++;
    if (!counts.oldestDeletionTimestamp || meta.deletionTimestamp < counts.oldestDeletionTimestamp) {
      counts.oldestDeletionTimestamp = meta.deletionTimestamp;
    }
  }
}
