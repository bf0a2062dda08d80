// What a namespace deleted with propagationPolicy=Foreground waits on besides its content. Its metadata.finalizers
// then hold foregroundDeletion, which the garbage collector removes only once every dependent whose ownerReferences
// name the namespace with blockOwnerDeletion is gone. Such dependents are mostly cluster-scoped (a ClusterRole, a
// PersistentVolume, another Namespace, a CR of a cluster-scoped type): the content survey never sees them, and a
// finalizer stuck on one of them holds the namespace for ever.
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import type { ApiListItem } from '../kube/api-types.js';
import type { Gap } from '../model/report.js';
import type { ObjectSample, ResourceType, Snapshot } from '../snapshot/types.js';
import { dependsOn } from '../rules/deadlines.js';
import { compareCodePoints } from '../util/order.js';
import { typeLabel } from './content.js';
import { malformedObjectGap, metaOf } from './convert.js';
import { asApiFailure, type GapSink } from './gaps.js';
import { collectionPath, listAll } from './list.js';

/** Per namespace: enough to name what holds it and to fix it. */
const MAX_NAMESPACE_DEPENDENTS = 20;
/** Per run: objects that block a Namespace's deletion are rare; past this many the rest are not kept. */
const MAX_NAMESPACE_OWNED = 1_000;

/**
 * Listable but not stored objects: listing componentstatuses makes the API server probe etcd and the other
 * components (deprecated since 1.19); nothing can name a namespace as its owner there.
 */
const NOT_STORED = new Set(['/componentstatuses']);

/** Cluster-scoped objects that block the deletion of some Namespace, read once per run for every namespace that needs them. */
export interface NamespaceOwned {
  objects: ObjectSample[];
  /** Types that could not be listed: in every namespace that waits on dependents, a gap naming the type. */
  failures: { type: string; error: ApiError }[];
  /** Objects whose metadata could not be read, with the uids they name as owners. */
  malformed: { ownerUids: string[]; gap: Gap }[];
}

/** Only a namespace that is being deleted and holds foregroundDeletion waits on dependents; only then are they searched. */
export function waitsOnDependents(snapshot: Snapshot): boolean {
  const ns = snapshot.namespace;
  return Boolean(ns?.deletionTimestamp && ns.uid && ns.metadataFinalizers.includes('foregroundDeletion'));
}

/**
 * Every listable cluster-scoped type, metadata only and served from the watch cache, paginated; the client's queue
 * bounds how many run at once. Kept: objects with an ownerReference to a Namespace with blockOwnerDeletion.
 */
export async function readNamespaceOwned(client: KubeClient, types: ResourceType[], notOlderThan: string | undefined): Promise<NamespaceOwned> {
  const owned: NamespaceOwned = { objects: [], failures: [], malformed: [] };
  const listable = types.filter((t) => t.verbs.includes('list') && !NOT_STORED.has(`${t.group}/${t.resource}`));
  await Promise.all(listable.map((type) => readType(client, type, notOlderThan, owned)));
  owned.objects.sort((a, b) => compareCodePoints(`${a.group}/${a.resource}/${a.meta.name}`, `${b.group}/${b.resource}/${b.meta.name}`));
  return owned;
}

async function readType(client: KubeClient, type: ResourceType, notOlderThan: string | undefined, owned: NamespaceOwned): Promise<void> {
  const kept: NamespaceOwned['objects'] = [];
  const malformed: NamespaceOwned['malformed'] = [];
  try {
    await listAll<ApiListItem>(
      client,
      collectionPath(type.group, type.version, type.resource),
      { metadataOnly: true, notOlderThan },
      () => ((kept.length = 0), (malformed.length = 0)),
      (items) => {
        for (const item of items) {
          const ownerUids = blockedNamespaceUids(item.metadata.ownerReferences);
          if (!ownerUids.length || owned.objects.length + kept.length >= MAX_NAMESPACE_OWNED) continue;
          try {
            kept.push({ group: type.group, version: type.version, resource: type.resource, kind: type.kind, meta: metaOf(item) });
          } catch (error) {
            if (!(error instanceof ApiError) || error.kind !== 'malformed') throw error;
            malformed.push({ ownerUids, gap: malformedObjectGap('evidence', type.kind, item, error, 'a dependent the namespace waits on: what holds it is unknown') });
          }
        }
      },
    );
    owned.objects.push(...kept);
    owned.malformed.push(...malformed);
  } catch (error) {
    owned.failures.push({ type: typeLabel(type), error: asApiFailure(error) });
  }
}

/** The uids of the Namespaces an object blocks (ownerReferences read as untrusted: any shape). */
function blockedNamespaceUids(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  return refs.flatMap((ref: { kind?: unknown; uid?: unknown; blockOwnerDeletion?: unknown } | null) =>
    ref?.kind === 'Namespace' && ref.blockOwnerDeletion === true && typeof ref.uid === 'string' ? [ref.uid] : [],
  );
}

/** This namespace's share of what was read: its dependents, and the gaps that leave some of them unknown. */
export function attachNamespaceDependents(snapshot: Snapshot, owned: NamespaceOwned, gaps: GapSink): void {
  const uid = snapshot.namespace?.uid;
  if (!uid) return;
  snapshot.namespaceDependents = owned.objects.filter((o) => dependsOn(o, uid)).slice(0, MAX_NAMESPACE_DEPENDENTS);
  for (const { ownerUids, gap } of owned.malformed) if (ownerUids.includes(uid)) gaps.add(gap);
  for (const { type, error } of owned.failures) {
    gaps.add({
      kind: 'evidence',
      what: `list ${type} (dependents of namespace ${snapshot.namespaceName})`,
      reason: error.reason,
      ...(error.status ? { httpStatus: error.status } : {}),
      impact: 'the namespace waits on foregroundDeletion: its dependents of this type are unknown',
    });
  }
}
