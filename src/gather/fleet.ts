// Gathers every Terminating namespace at once (--all). The cost of diagnosing namespaces one by one is one LIST per
// type per namespace; here each namespaced type is listed once for the whole cluster (metadata-only, paginated,
// served by the watch cache) and the objects are counted per namespace on the client. A type whose cluster-wide list
// would take more pages than there are Terminating namespaces (its first page says how many objects remain) is listed
// per namespace instead: whichever costs fewer requests. Shared evidence (discovery, APIServices, webhooks, CRDs,
// RBAC, backend chains, nodes) is read once. Requests then grow with types and findings, not namespaces × types.
import type { KubeClient } from '../kube/client.js';
import { PRIORITY } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import { parseConditions } from '../rules/conditions.js';
import type { ContentSurvey, NamespaceState, ObjectMeta, ResourceType, Snapshot } from '../snapshot/types.js';
import type { Gap } from '../model/shared.js';
import { ClusterReader, completeSnapshot, customResourceTypes, emptySnapshot, followTerminatingPods, isFatal, recordNamespaceFailure, type FollowContext } from './cluster.js';
import { deletableTypes, emptySurvey, mergeSurveys, recordUnlisted, surveyContent, TypeTally } from './content.js';
import { countedMetaOf, malformedObjectGap, namespaceOf, objectNameOf } from './convert.js';
import { GapSink } from './gaps.js';
import { collectionPath, listAll, PAGE_SIZE } from './list.js';
import { RbacReader } from './owners.js';
import type { ApiListItem, ApiNamespace } from '../kube/api-types.js';


/** Where the fleet gatherer is: `done` of `total` steps (one per type surveyed, one per namespace followed up). */
export type FleetProgress = (phase: string, done: number, total: number) => void;

/** How each type was surveyed, for -v and the benchmark: the per-type choice is measured, so it is reported. */
export interface SurveyPlan {
  clusterWide: string[];
  perNamespace: { type: string; reason: string }[];
}

export interface FleetResult {
  snapshots: Snapshot[];
  plan: SurveyPlan;
}

/** Thrown from inside a page callback to stop a cluster-wide list that would cost more than per-namespace lists. */
class CheaperPerNamespace extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

interface Member {
  snapshot: Snapshot;
  gaps: GapSink;
  survey: ContentSurvey;
}

export class FleetGatherer {
  private readonly cluster: ClusterReader;

  constructor(
    private readonly client: KubeClient,
    private readonly onProgress: FleetProgress = () => undefined,
  ) {
    this.cluster = new ClusterReader(client);
  }

  /** `namespaces` are the Terminating namespaces, as listed; `resourceVersion` is that list's. */
  async gather(namespaces: NamespaceState[], resourceVersion: string | undefined): Promise<FleetResult> {
    const started = performance.now();
    const takenAt = new Date().toISOString();
    const members = new Map<string, Member>();
    for (const namespace of namespaces) {
      const gaps = new GapSink();
      const snapshot = emptySnapshot(this.client, namespace.name, gaps, takenAt);
      snapshot.namespaceFound = true;
      snapshot.namespace = namespace;
      members.set(namespace.name, { snapshot, gaps, survey: emptySurvey() });
    }
    const plan: SurveyPlan = { clusterWide: [], perNamespace: [] };
    if (members.size === 0) return { snapshots: [], plan };

    const rbac = new RbacReader(this.client, resourceVersion);
    const ctx: FollowContext = { client: this.client, cluster: this.cluster, follower: this.cluster.follower(resourceVersion), rbac, notOlderThan: resourceVersion };

    const [facts] = await Promise.all([
      this.cluster.cluster(resourceVersion),
      this.survey(members, resourceVersion, plan),
    ]);

    // Follow-ups per namespace, only where its content points somewhere: stuck pods, custom finalizers, failed lists.
    const needOwners = [...members.values()].filter((m) => customResourceTypes(m.survey).owned.size > 0).map((m) => m.snapshot.namespaceName);
    if (needOwners.length > 1) rbac.prefetchNamespaces(needOwners);
    let followed = 0;
    await Promise.all(
      [...members.values()].map(async (member) => {
        const { snapshot, gaps, survey } = member;
        await followTerminatingPods(ctx, snapshot, gaps, survey).catch((error: unknown) => recordNamespaceFailure(error, snapshot, gaps));
        await completeSnapshot(ctx, snapshot, gaps, facts, survey);
        this.onProgress('following evidence', this.typesTotal + ++followed, this.typesTotal + members.size);
      }),
    );

    this.attributeStats(members, started);
    return { snapshots: [...members.values()].map((m) => m.snapshot), plan };
  }

  /** Progress steps of the survey: one per type (set once discovery is known). */
  private typesTotal = 0;

  /** The content survey of every member: one cluster-wide list per type where that is cheaper. */
  private async survey(members: Map<string, Member>, rv: string | undefined, plan: SurveyPlan): Promise<void> {
    const discovery = await this.cluster.discovery();
    // Events have no watch cache: listed only in the namespaces whose controller reports events remaining.
    const withEvents = [...members.values()].filter((m) =>
      parseConditions(m.snapshot.namespace!.conditions).contentRemaining.some((r) => r.resource === 'events'),
    );
    const types = deletableTypes(discovery.namespacedResources);
    const eventTypes = deletableTypes(discovery.namespacedResources, true).filter((t) => !types.includes(t));
    this.typesTotal = types.length + (withEvents.length ? 1 : 0);
    if (discovery.mode === 'unavailable') {
      for (const member of members.values()) member.survey.unlisted = [];
      return;
    }
    let done = 0;
    const tick = () => this.onProgress('listing content', ++done, this.typesTotal + members.size);
    await Promise.all([
      ...types.map((type) => this.surveyType(members, type, rv, plan).then(tick)),
      ...(withEvents.length
        ? [
            Promise.all(
              withEvents.map(async (m) => {
                const events = await surveyContent(this.client, m.gaps, m.snapshot.namespaceName, eventTypes, rv);
                m.survey = mergeSurveys(m.survey, events);
              }),
            ).then(tick),
          ]
        : []),
    ]);
  }

  private async surveyType(members: Map<string, Member>, type: ResourceType, rv: string | undefined, plan: SurveyPlan): Promise<void> {
    const name = type.group ? `${type.resource}.${type.group}` : type.resource;
    const tallies = new Map<string, TypeTally>();
    let first = true;
    try {
      // One namespace: its own list is never dearer than a cluster-wide one.
      if (members.size === 1) throw new CheaperPerNamespace('one namespace');
      await listAll<unknown>(
        this.client,
        collectionPath(type.group, type.version, type.resource),
        { metadataOnly: true, notOlderThan: rv, priority: PRIORITY.bulk },
        () => {
          tallies.clear();
          first = true;
        },
        (items, page) => {
          if (first) {
            first = false;
            const remaining = page.metadata?.remainingItemCount;
            const pagesLeft = remaining ? Math.ceil(remaining / PAGE_SIZE) : 0;
            if (pagesLeft > members.size) {
              throw new CheaperPerNamespace(`${pagesLeft + 1} cluster-wide pages against ${members.size} namespaced lists`);
            }
          }
          for (const item of items) {
            let meta: ObjectMeta | ApiError;
            try {
              meta = countedMetaOf(item);
            } catch (error) {
              if (!(error instanceof ApiError) || error.kind !== 'malformed') throw error;
              meta = error;
            }
            const namespace = meta instanceof ApiError ? objectNameOf(type.kind, item).namespace : meta.namespace;
            if (!namespace || !members.has(namespace)) continue;
            let tally = tallies.get(namespace);
            if (!tally) tallies.set(namespace, (tally = new TypeTally(type)));
            if (meta instanceof ApiError) tally.addMalformed(item, meta);
            else tally.add(item, meta);
          }
        },
      );
    } catch (error) {
      if (isFatal(error)) throw error;
      if (!(error instanceof CheaperPerNamespace) && !(error instanceof ApiError)) throw error;
      // Cheaper per namespace, or not listable cluster-wide (e.g. RBAC granted per namespace only): list per namespace.
      const reason = error instanceof CheaperPerNamespace ? error.reason : `cluster-wide list failed: ${error.reason}`;
      plan.perNamespace.push({ type: name, reason });
      await Promise.all(
        [...members.values()].map(async (m) => {
          const tally = new TypeTally(type);
          try {
            await listAll<unknown>(
              this.client,
              collectionPath(type.group, type.version, type.resource, m.snapshot.namespaceName),
              { metadataOnly: true, notOlderThan: rv, priority: PRIORITY.bulk },
              () => tally.reset(),
              (items) => {
                for (const item of items) tally.add(item);
              },
            );
          } catch (perNamespaceError) {
            if (isFatal(perNamespaceError)) throw perNamespaceError;
            recordUnlisted(m.survey, m.gaps, m.snapshot.namespaceName, type, perNamespaceError);
            return;
          }
          tally.addTo(m.survey, m.gaps);
        }),
      );
      return;
    }
    plan.clusterWide.push(name);
    for (const [namespace, tally] of tallies) tally.addTo(members.get(namespace)!.survey, members.get(namespace)!.gaps);
  }

  /**
   * Requests made for one namespace alone (its stuck pods, its RBAC) are counted in its report; the shared ones (the
   * cluster-wide lists, discovery, evidence chains) only in the list's total.
   */
  private attributeStats(members: Map<string, Member>, started: number): void {
    const durationMs = Math.round(performance.now() - started);
    const own = new Map<string, { requests: number; bytesReceived: number }>();
    for (const record of this.client.records) {
      const ns = /\/namespaces\/([^/?]+)\//.exec(record.path)?.[1];
      if (!ns || !members.has(decodeURIComponent(ns))) continue;
      const key = decodeURIComponent(ns);
      const stats = own.get(key) ?? { requests: 0, bytesReceived: 0 };
      stats.requests++;
      stats.bytesReceived += record.bytes;
      own.set(key, stats);
    }
    for (const [name, { snapshot }] of members) {
      snapshot.stats = { requests: own.get(name)?.requests ?? 0, bytesReceived: own.get(name)?.bytesReceived ?? 0, retries: 0, durationMs };
    }
  }
}

/**
 * Lists the namespaces (paginated; a consistent first page, whose resourceVersion every later list is served from
 * the watch cache at) and keeps the Terminating ones.
 */
export async function listTerminatingNamespaces(
  client: KubeClient,
): Promise<{ namespaces: NamespaceState[]; unreadable: { name: string; gap: Gap }[]; resourceVersion?: string }> {
  const namespaces: NamespaceState[] = [];
  const unreadable: { name: string; gap: Gap }[] = [];
  let resourceVersion: string | undefined;
  await listAll<ApiNamespace & ApiListItem>(
    client,
    '/api/v1/namespaces',
    {},
    () => {
      namespaces.length = 0;
      unreadable.length = 0;
    },
    (items, page) => {
      resourceVersion ??= page.metadata?.resourceVersion;
      for (const item of items) {
        if (!item.metadata?.deletionTimestamp && item.status?.phase !== 'Terminating') continue;
        try {
          namespaces.push(namespaceOf(item));
        } catch (error) {
          if (!(error instanceof ApiError) || error.kind !== 'malformed') throw error;
          // One namespace of an odd shape is unknown (Incomplete), never a reason to drop the others.
          const gap = malformedObjectGap('namespace', 'Namespace', item, error, 'cannot tell what holds this namespace');
          unreadable.push({ name: item.metadata.name, gap });
        }
      }
    },
  );
  return { namespaces, unreadable, resourceVersion };
}
