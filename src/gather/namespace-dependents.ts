// What a namespace deleted with propagationPolicy=Foreground waits on besides its content. Its metadata.finalizers
// then hold foregroundDeletion, which the garbage collector removes only once every dependent whose ownerReferences
// name the namespace with blockOwnerDeletion is gone. Such dependents are mostly cluster-scoped (a ClusterRole, a
// PersistentVolume, another Namespace, a CR of a cluster-scoped type): the content survey never sees them, and a
// finalizer stuck on one of them holds the namespace for ever.
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import type { ApiListItem } from '../kube/api-types.js';
import type { ObjectSample, ResourceType, Snapshot } from '../snapshot/types.js';
import { malformedObjectGap, metaOf } from './convert.js';
import type { GapSink } from './gaps.js';
import { collectionPath, listAll } from './list.js';
import { compareCodePoints } from '../util/order.js';

/** Enough to name what holds the namespace and to fix it; the count of the rest is not needed for that. */
const MAX_NAMESPACE_DEPENDENTS = 20;

/**
 * Listable but not stored objects: listing componentstatuses makes the API server probe etcd and the other
 * components (deprecated since 1.19); nothing can name a namespace as its owner there.
 */
const NOT_STORED = new Set(['/componentstatuses']);
const typeKey = (t: ResourceType) => `${t.group}/${t.resource}`;

/** Only a namespace that is being deleted and holds foregroundDeletion waits on dependents; only then are they searched. */
export function waitsOnDependents(snapshot: Snapshot): boolean {
  const ns = snapshot.namespace;
  return Boolean(ns?.deletionTimestamp && ns.uid && ns.metadataFinalizers.includes('foregroundDeletion'));
}

/**
 * Every listable cluster-scoped type, metadata only and served from the watch cache, paginated; the client's queue
 * bounds how many run at once. A type that fails to list is a gap naming it: its dependents are unknown, not absent.
 */
export async function findNamespaceDependents(client: KubeClient, gaps: GapSink, snapshot: Snapshot, notOlderThan: string | undefined): Promise<void> {
  const uid = snapshot.namespace?.uid;
  if (!waitsOnDependents(snapshot) || !uid) return;
  const types = (snapshot.discovery?.clusterResources ?? []).filter((t) => t.verbs.includes('list') && !NOT_STORED.has(typeKey(t)));
  const found: ObjectSample[] = [];
  const owner = { name: snapshot.namespaceName, uid };
  await Promise.all(types.map((type) => listDependents(client, gaps, type, owner, notOlderThan, found)));
  snapshot.namespaceDependents = found
    .sort((a, b) => compareCodePoints(`${a.group}/${a.resource}/${a.meta.name}`, `${b.group}/${b.resource}/${b.meta.name}`))
    .slice(0, MAX_NAMESPACE_DEPENDENTS);
}

async function listDependents(
  client: KubeClient,
  gaps: GapSink,
  type: ResourceType,
  owner: { name: string; uid: string },
  notOlderThan: string | undefined,
  found: ObjectSample[],
): Promise<void> {
  const typeLabel = type.group ? `${type.resource}.${type.group}` : type.resource;
  const kept: ObjectSample[] = [];
  try {
    await listAll<ApiListItem>(
      client,
      collectionPath(type.group, type.version, type.resource),
      { metadataOnly: true, notOlderThan },
      () => (kept.length = 0),
      (items) => {
        for (const item of items) {
          const refs: unknown = item.metadata.ownerReferences;
          if (!Array.isArray(refs) || !refs.some((ref: { uid?: unknown; blockOwnerDeletion?: unknown } | null) => ref?.uid === owner.uid && ref.blockOwnerDeletion === true)) continue;
          try {
            kept.push({ group: type.group, version: type.version, resource: type.resource, kind: type.kind, meta: metaOf(item) });
          } catch (error) {
            if (!(error instanceof ApiError) || error.kind !== 'malformed') throw error;
            gaps.add(malformedObjectGap('evidence', type.kind, item, error, 'a dependent the namespace waits on: what holds it is unknown'));
          }
        }
      },
    );
    found.push(...kept);
  } catch (error) {
    gaps.fromError(error, {
      kind: 'evidence',
      what: `list ${typeLabel} (dependents of namespace ${owner.name})`,
      impact: 'the namespace waits on foregroundDeletion: its dependents of this type are unknown',
    });
  }
}
