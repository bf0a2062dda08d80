// Cluster-wide facts every diagnosis shares (discovery, APIServices, webhooks, CRDs and the backends they point to),
// the per-namespace follow-ups that read only what a namespace's content points at, and the one way a namespace's
// snapshot is put together from both (completeSnapshot). Used by the one-namespace gatherer (snapshot.ts) and the
// fleet gatherer of --all (fleet.ts) alike; each fact is read once per run.
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import { parseConditions } from '../rules/conditions.js';
import { isBuiltInFinalizer, isFailingAggregatedApi, refusesDeletionWhenDown } from '../rules/kubernetes.js';
import { SNAPSHOT_VERSION, type APIServiceState, type ContentSurvey, type CRDState, type DiscoveryState, type ServiceRef, type Snapshot, type WebhookState } from '../snapshot/types.js';
import { BackendFollower, CACHED, serviceKey, type EvidenceStore } from './backends.js';
import { apiServiceOf, crdOf, podOf, readEach, webhooksOf } from './convert.js';
import { canonicalSurvey } from './content.js';
import { discover } from './discovery.js';
import { GapSink } from './gaps.js';
import { collectionPath, listAll, listItems } from './list.js';
import { findFinalizerOwners, type RbacReader } from './owners.js';
import { findKnownOwners, readControllerWords } from './controller-evidence.js';
import { attachNamespaceDependents, readNamespaceOwned, waitsOnDependents, type NamespaceOwned } from './namespace-dependents.js';
import { deletedWithCustomFinalizer, pendingWithCustomFinalizer } from '../rules/deadlines.js';
import type { ApiListItem, ApiPod } from '../kube/api-types.js';


const MAX_TERMINATING_PODS = 50;
const MAX_TERMINATING_CRDS = 20;

/** Connection, TLS and credential failures mean nothing can be read: the run stops with one clear line. */
export function isFatal(error: unknown): error is ApiError {
  return error instanceof ApiError && ['connection', 'unreachable', 'tls', 'credentials', 'unauthorized'].includes(error.kind);
}

export interface ClusterFacts {
  discovery: DiscoveryState;
  apiServices?: APIServiceState[];
  webhooks?: WebhookState[];
  terminatingCRDs: CRDState[];
  /** The backends of broken APIs and of webhooks that refuse deletions when down: on every namespace's chains. */
  chains: ServiceRef[];
  gaps: GapSink;
}

export class ClusterReader {
  private facts?: Promise<ClusterFacts>;
  private discoveryRead?: Promise<DiscoveryState>;
  private namespaceOwnedRead?: Promise<NamespaceOwned>;
  private readonly discoveryGaps = new GapSink();
  private readonly crdReads = new Map<string, Promise<CRDState | ApiError | undefined>>();
  /** Services, EndpointSlices, Pods and Nodes on evidence chains, shared by every namespace of the run. */
  readonly evidence: EvidenceStore = { services: {}, endpoints: {}, pods: {}, nodes: {} };
  private backends?: BackendFollower;

  constructor(private readonly client: KubeClient) {}

  /** The run's one follower of backend chains (`resourceVersion`: the first one given, for cache-served lists). */
  follower(resourceVersion: string | undefined): BackendFollower {
    this.backends ??= new BackendFollower(this.client, this.evidence, resourceVersion);
    return this.backends;
  }

  /**
   * Cluster-scoped objects that block a Namespace's deletion: read once per run, on the first namespace deleted with
   * foregroundDeletion, and shared by every other (each list is cluster-wide, whichever namespace asks).
   */
  namespaceOwned(resourceVersion: string | undefined): Promise<NamespaceOwned> {
    this.namespaceOwnedRead ??= this.discovery().then((discovery) => readNamespaceOwned(this.client, discovery.clusterResources ?? [], resourceVersion));
    return this.namespaceOwnedRead;
  }

  /** Discovery is read once and shared: by the content survey and by the cluster-wide facts. */
  discovery(): Promise<DiscoveryState> {
    this.discoveryRead ??= discover(this.client, this.discoveryGaps);
    return this.discoveryRead;
  }

  cluster(resourceVersion: string | undefined): Promise<ClusterFacts> {
    this.facts ??= this.readClusterFacts(resourceVersion);
    return this.facts;
  }

  private async readClusterFacts(resourceVersion: string | undefined): Promise<ClusterFacts> {
    const gaps = new GapSink();
    const follower = this.follower(resourceVersion);
    const [[apiServices, webhooks, terminatingCRDs], discovery] = await Promise.all([
      Promise.all([
        listItems<ApiListItem>(this.client, '/apis/apiregistration.k8s.io/v1/apiservices', { notOlderThan: resourceVersion })
          .then((items) => readEach(gaps, 'cluster', 'APIService', items, apiServiceOf, 'cannot tell whether this API extension is unavailable or why'))
          .catch((error) => gaps.fromError(error, { kind: 'cluster', what: 'list APIServices', impact: 'cannot tell which API extension is unavailable or why' })),
        this.readWebhooks(gaps, resourceVersion),
        this.readTerminatingCRDs(gaps, resourceVersion),
      ]),
      this.discovery(),
    ]);
    for (const gap of this.discoveryGaps.gaps) gaps.add(gap);
    const failing = new Set(discovery.groupVersions.filter((gv) => gv.state !== 'Current').map((gv) => gv.groupVersion));

    const chains = [
      ...(apiServices ?? []).filter((a) => a.service && isFailingAggregatedApi(a, failing)).map((a) => a.service!),
      ...(webhooks ?? []).filter((w) => w.service && refusesDeletionWhenDown(w)).map((w) => w.service!),
    ];
    await Promise.all(chains.map((ref) => follower.follow(ref, gaps)));
    return { discovery, apiServices, webhooks, terminatingCRDs, chains, gaps };
  }

  private async readWebhooks(gaps: GapSink, resourceVersion: string | undefined): Promise<WebhookState[] | undefined> {
    try {
      const [validating, mutating] = await Promise.all([
        listItems<ApiListItem>(this.client, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { notOlderThan: resourceVersion }),
        listItems<ApiListItem>(this.client, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { notOlderThan: resourceVersion }),
      ]);
      const impact = 'cannot tell whether its webhooks refuse deletions';
      return [
        ...readEach(gaps, 'cluster', 'ValidatingWebhookConfiguration', validating, (c) => webhooksOf(c, 'ValidatingWebhookConfiguration'), impact),
        ...readEach(gaps, 'cluster', 'MutatingWebhookConfiguration', mutating, (c) => webhooksOf(c, 'MutatingWebhookConfiguration'), impact),
      ].flat();
    } catch (error) {
      return gaps.fromError(error, { kind: 'cluster', what: 'list admission webhook configurations', impact: 'cannot tell whether a webhook refuses deletions' });
    }
  }

  private async readTerminatingCRDs(gaps: GapSink, resourceVersion: string | undefined): Promise<CRDState[]> {
    const names: string[] = [];
    try {
      await listAll<ApiListItem>(
        this.client,
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        { metadataOnly: true, notOlderThan: resourceVersion },
        () => (names.length = 0),
        (items) => names.push(...items.filter((i) => i.metadata?.deletionTimestamp).map((i) => i.metadata.name)),
      );
    } catch (error) {
      gaps.fromError(error, { kind: 'cluster', what: 'list CustomResourceDefinitions', impact: 'cannot tell whether a CRD is being deleted' });
      return [];
    }
    const crds = await Promise.all(names.slice(0, MAX_TERMINATING_CRDS).map((name) => this.readCRD(gaps, name)));
    return crds.filter((c): c is CRDState => Boolean(c));
  }

  /** One GET per CRD per run; a failed read is a gap in every namespace that needed it. */
  async readCRD(gaps: GapSink, name: string): Promise<CRDState | undefined> {
    let read = this.crdReads.get(name);
    if (!read) {
      read = this.client
        .getJson<unknown>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}${CACHED}`)
        .then(crdOf, (error: unknown) => {
          if (error instanceof ApiError) return error.status === 404 ? undefined : error;
          throw error;
        });
      this.crdReads.set(name, read);
    }
    const result = await read;
    if (result instanceof ApiError) return gaps.fromError(result, { kind: 'evidence', what: `get CustomResourceDefinition ${name}`, impact: 'cannot check its conversion webhook or deletion state' });
    return result;
  }
}

/** What the per-namespace follow-ups need: the shared reader, an evidence follower and the RBAC reader. */
export interface FollowContext {
  client: KubeClient;
  cluster: ClusterReader;
  follower: BackendFollower;
  rbac: RbacReader;
  notOlderThan: string | undefined;
}

/** Pods past deletion and PVCs still protected: the full pod objects of the namespace, paginated, read only then. */
export async function followTerminatingPods(ctx: FollowContext, snapshot: Snapshot, gaps: GapSink, content: ContentSurvey): Promise<void> {
  const podsTerminating = content.types.find((t) => t.group === '' && t.resource === 'pods')?.withDeletionTimestamp ?? 0;
  const protectedClaims = new Set(
    content.stuck
      .filter((s) => s.group === '' && s.resource === 'persistentvolumeclaims' && s.meta.finalizers?.includes('kubernetes.io/pvc-protection'))
      .map((s) => s.meta.name),
  );
  if (podsTerminating === 0 && protectedClaims.size === 0) return;
  let kept = 0;
  try {
    await listAll<ApiPod & ApiListItem>(
      ctx.client,
      collectionPath('', 'v1', 'pods', snapshot.namespaceName),
      { notOlderThan: ctx.notOlderThan },
      () => (kept = 0),
      (items) => {
        for (const raw of items) {
          const usesClaim = (raw.spec?.volumes ?? []).some((v) => protectedClaims.has(v.persistentVolumeClaim?.claimName ?? ''));
          if ((raw.metadata.deletionTimestamp || usesClaim) && kept < MAX_TERMINATING_PODS) {
            kept++;
            const [pod] = readEach(gaps, 'evidence', 'Pod', [raw], podOf, 'cannot tell whether this pod is stuck or uses a protected claim');
            if (pod) snapshot.pods[`${pod.namespace}/${pod.name}`] = pod;
          }
        }
      },
    );
  } catch (error) {
    gaps.fromError(error, { kind: 'evidence', what: `list Pods in ${snapshot.namespaceName}`, impact: 'cannot see which pods are stuck or use protected claims' });
    return;
  }
  const nodes = new Set(Object.values(snapshot.pods).map((p) => p.nodeName).filter((n): n is string => Boolean(n)));
  await Promise.all([...nodes].map((n) => ctx.follower.fetchNode(n, gaps)));
}

/**
 * Custom resources that hold the namespace: their CRDs (conversion webhooks, names), and who owns their custom
 * finalizers. Only types with deleted objects waiting on a finalizer, or whose list failed, are followed: a type
 * that lists fine and holds nothing needs no more requests.
 */
export async function followCustomResources(ctx: FollowContext, snapshot: Snapshot, gaps: GapSink): Promise<void> {
  const types = customResourceTypes(snapshot.content!);
  // Types whose conversion webhook the namespace controller names as failing: their CRD says where it is called.
  const failure = parseConditions(snapshot.namespace?.conditions ?? []).contentFailure ?? '';
  for (const [, group, kind] of failure.matchAll(/conversion webhook for ([^/\s]+)\/[^,\s]+, Kind=([A-Za-z0-9]+)/g)) {
    const type = snapshot.discovery?.namespacedResources.find((r) => r.group === group && r.kind === kind);
    if (type) types.all.set(`${type.group}/${type.resource}`, { group: type.group, resource: type.resource });
  }
  // Any dotted group may be CRD-backed (even *.k8s.io ones such as gateway.networking.k8s.io); a 404 settles it.
  const crds = await Promise.all(
    [...types.all.values()].filter((t) => t.group.includes('.')).map((t) => ctx.cluster.readCRD(gaps, `${t.resource}.${t.group}`)),
  );
  for (const crd of crds) if (crd) snapshot.crds[crd.name] = crd;
  await Promise.all(
    Object.values(snapshot.crds)
      .filter((crd) => crd.conversionStrategy === 'Webhook' && crd.conversionService)
      .map((crd) => ctx.follower.follow(crd.conversionService!, gaps)),
  );
  const waitingFinalizers = [
    ...new Set(
      [...deletedWithCustomFinalizer(snapshot), ...pendingWithCustomFinalizer(snapshot)]
        .map((w) => w.finalizer)
        .concat(snapshot.namespace?.metadataFinalizers ?? [], (snapshot.namespaceDependents ?? []).flatMap((d) => d.meta.finalizers ?? [])),
    ),
  ];
  const [owners, known] = await Promise.all([
    findFinalizerOwners(ctx.rbac, gaps, snapshot.namespaceName, [...types.owned.values()]),
    findKnownOwners(ctx.rbac, gaps, waitingFinalizers),
  ]);
  snapshot.finalizerOwners = owners;
  if (known.length) snapshot.knownOwners = known;
  // Only now is it known which objects wait on a live controller: read what they (and its Events) say.
  await readControllerWords(ctx.client, gaps, snapshot);
}

/**
 * Types with objects that wait (or, not deleted yet, will wait) on a custom finalizer: their owner is searched; and
 * those that failed to list.
 */
export function customResourceTypes(content: ContentSurvey) {
  const waiting = content.stuck.filter((s) => !(s.group === '' && s.resource === 'pods' && !s.meta.deletionTimestamp) && (s.meta.finalizers ?? []).some((f) => !isBuiltInFinalizer(f)));
  const all = new Map<string, { group: string; resource: string }>();
  for (const t of [...waiting, ...(content.unlisted ?? [])]) all.set(`${t.group}/${t.resource}`, { group: t.group, resource: t.resource });
  const owned = new Map(waiting.map((s) => [`${s.group}/${s.resource}`, { group: s.group, resource: s.resource }]));
  return { all, owned };
}

/** A snapshot of one namespace with nothing read yet. */
export function emptySnapshot(client: KubeClient, namespaceName: string, gaps: GapSink, takenAt = new Date().toISOString()): Snapshot {
  return {
    snapshotVersion: SNAPSHOT_VERSION,
    takenAt,
    server: client.serverUrl,
    namespaceName,
    namespaceFound: 'unknown',
    services: {},
    endpoints: {},
    pods: {},
    nodes: {},
    crds: {},
    finalizerOwners: [],
    gaps: gaps.gaps,
    stats: { requests: 0, bytesReceived: 0, durationMs: 0, retries: 0 },
  };
}

/**
 * The one way a namespace's snapshot is put together, for one namespace and for --all alike, so that a namespace's
 * snapshot holds the same facts whichever way it was taken: its content survey (in one order), the cluster-wide
 * facts, the follow-ups its content points at (its CRDs, their conversion webhooks, who owns its finalizers), the
 * dependents its own foregroundDeletion waits on, and the evidence of exactly the chains it reaches. Its stuck pods
 * are followed before (each gatherer overlaps that with its own survey).
 */
export async function completeSnapshot(ctx: FollowContext, snapshot: Snapshot, gaps: GapSink, facts: ClusterFacts, content: ContentSurvey): Promise<void> {
  snapshot.content = canonicalSurvey(content);
  applyClusterFacts(snapshot, facts, gaps);
  // Dependents first: the owners of their finalizers are looked for with the namespace's own.
  if (waitsOnDependents(snapshot)) attachNamespaceDependents(snapshot, await ctx.cluster.namespaceOwned(ctx.notOlderThan), gaps);
  await followCustomResources(ctx, snapshot, gaps).catch((error: unknown) => recordNamespaceFailure(error, snapshot, gaps));
  attachEvidence(snapshot, facts, ctx.cluster.evidence);
}

/** An API failure no follow-up expected: a gap in this namespace's diagnosis (the rest stands); a fatal one stops the run. */
export function recordNamespaceFailure(error: unknown, snapshot: Snapshot, gaps: GapSink): void {
  if (!(error instanceof ApiError) || isFatal(error)) throw error;
  gaps.fromError(error, { kind: 'namespace', what: `diagnosis of ${snapshot.namespaceName}` });
}

/** Copies the cluster-wide facts into a namespace's snapshot (by reference: they are shared, not duplicated). */
function applyClusterFacts(snapshot: Snapshot, facts: ClusterFacts, gaps: GapSink): void {
  snapshot.discovery = facts.discovery;
  snapshot.apiServices = facts.apiServices;
  snapshot.webhooks = facts.webhooks;
  for (const crd of facts.terminatingCRDs) snapshot.crds[crd.name] = crd;
  for (const gap of facts.gaps.gaps) gaps.add(gap);
}

/**
 * The shared evidence (read once per run) that is on this namespace's chains: the backends of the cluster-wide
 * facts and of its own CRDs' conversion webhooks (Service, EndpointSlices, Pods), and the Nodes of every pod it
 * holds. What other namespaces of the run followed stays out of it.
 */
function attachEvidence(snapshot: Snapshot, facts: ClusterFacts, evidence: EvidenceStore): void {
  const conversions = Object.values(snapshot.crds).flatMap((crd) => (crd.conversionStrategy === 'Webhook' && crd.conversionService ? [crd.conversionService] : []));
  for (const ref of [...facts.chains, ...conversions]) {
    const key = serviceKey(ref);
    const service = evidence.services[key];
    if (service) snapshot.services[key] = service;
    const endpoints = evidence.endpoints[key];
    if (!endpoints) continue;
    snapshot.endpoints[key] = endpoints;
    for (const name of endpoints.podNames) {
      const pod = evidence.pods[`${ref.namespace}/${name}`];
      // A pod of the namespace read as its own (stuck, or using a protected claim) is the same object: kept as read.
      if (pod) snapshot.pods[`${ref.namespace}/${name}`] ??= pod;
    }
  }
  for (const pod of Object.values(snapshot.pods)) {
    const node = pod.nodeName ? evidence.nodes[pod.nodeName] : undefined;
    if (node) snapshot.nodes[node.name] = node;
  }
}
