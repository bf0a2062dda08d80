// What is left in the namespace: every namespaced type that the namespace controller would delete, listed
// metadata-only and paginated. Only counts are kept for every object; samples only for those that hold deletion.
import { PRIORITY, type KubeClient } from '../kube/client.js';
import type { ContentSurvey, ContentType, ObjectMeta, ObjectSample, ResourceType } from '../snapshot/types.js';
import { compareCodePoints, countedMetaOf, metaOf } from './convert.js';
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
      // Events have no watch cache (every LIST is an etcd read) and carry no finalizers, so they cannot hold a
      // namespace: listed only when the controller itself reports events remaining.
      (includeEvents || r.resource !== 'events'),
  );
}

/** Lists each of `types` (see deletableTypes) in the namespace and keeps counts and samples. */
export async function surveyContent(
  client: KubeClient,
  gaps: GapSink,
  namespace: string,
  types: ResourceType[],
  notOlderThan: string | undefined,
): Promise<ContentSurvey> {
  const survey: ContentSurvey = { types: [], stuck: [], blockingDependents: [], unlisted: [] };
  await Promise.all(
    types.map(async (type) => {
      const counts = emptyCounts(type);
      let stuck: ObjectSample[] = [];
      let dependents: ObjectSample[] = [];
      try {
        await listAll<unknown>(
          client,
          collectionPath(type.group, type.version, type.resource, namespace),
          { metadataOnly: true, notOlderThan, priority: PRIORITY.bulk },
          () => {
            Object.assign(counts, emptyCounts(type));
            stuck = [];
            dependents = [];
          },
          (items) => {
            for (const item of items) {
              const meta = countedMetaOf(item);
              countObject(counts, meta);
              const sample = () => ({ group: type.group, version: type.version, resource: type.resource, kind: type.kind, meta: metaOf(item) });
              if ((meta.finalizers?.length || meta.deletionTimestamp) && stuck.length < STUCK_SAMPLES_PER_TYPE) stuck.push(sample());
              if (meta.ownerReferences?.some((o) => o.blockOwnerDeletion) && dependents.length < BLOCKING_DEPENDENT_SAMPLES) {
                dependents.push(sample());
              }
            }
          },
        );
      } catch (error) {
        const name = type.group ? `${type.resource}.${type.group}` : type.resource;
        gaps.fromError(error, { kind: 'content', resource: name, what: `list ${name} in ${namespace}`, impact: `objects of type ${name} left in the namespace are unknown` });
        survey.unlisted!.push({ group: type.group, resource: type.resource });
        return;
      }
      if (counts.count > 0) survey.types.push(counts);
      survey.stuck.push(...stuck);
      survey.blockingDependents.push(...dependents.slice(0, BLOCKING_DEPENDENT_SAMPLES - survey.blockingDependents.length));
    }),
  );
  survey.types.sort(byGroupAndResource);
  return survey;
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
const byGroupAndResource = (a: ContentType, b: ContentType) => compareCodePoints(`${a.group}/${a.resource}`, `${b.group}/${b.resource}`);

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
