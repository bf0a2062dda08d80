// Gathers a read-only Snapshot: every request ns-doctor makes starts here. Cluster-wide facts (discovery,
// APIServices, webhooks, CRDs) are read once and shared when several namespaces are diagnosed (--all).
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import { SNAPSHOT_VERSION, type APIServiceState, type ContentSurvey, type CRDState, type ResourceType, type Snapshot, type WebhookState } from '../snapshot/types.js';
import { BackendFollower, CACHED, type EvidenceStore } from './backends.js';
import { deletableTypes, mergeSurveys, surveyContent } from './content.js';
import { apiServiceOf, crdOf, namespaceOf, podOf, webhooksOf } from './convert.js';
import { discover } from './discovery.js';
import { GapSink } from './gaps.js';
import { collectionPath, listAll, listItems } from './list.js';
import { findFinalizerOwners } from './owners.js';
import { parseConditions } from '../diagnosis/conditions.js';
import { interceptsDeleteOrUpdate, isBuiltInFinalizer } from '../snapshot/kubernetes.js';
import type { DiscoveryState } from '../snapshot/types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

const MAX_TERMINATING_PODS = 50;

const isPodOrClaim = (t: ResourceType) => t.group === '' && (t.resource === 'pods' || t.resource === 'persistentvolumeclaims');

/** Connection, TLS and credential failures mean nothing can be read: the run stops with one clear line. */
export function isFatal(error: unknown): error is ApiError {
  return error instanceof ApiError && ['connection', 'unreachable', 'tls', 'credentials', 'unauthorized'].includes(error.kind);
}

interface ClusterFacts {
  discovery: DiscoveryState;
  apiServices?: APIServiceState[];
  webhooks?: WebhookState[];
  terminatingCRDs: CRDState[];
  gaps: GapSink;
}

export class SnapshotGatherer {
  private clusterFacts?: Promise<ClusterFacts>;
  private discoveryRead?: Promise<DiscoveryState>;
  private readonly discoveryGaps = new GapSink();
  private readonly shared: EvidenceStore = { services: {}, endpoints: {}, pods: {}, nodes: {} };

  constructor(private readonly client: KubeClient) {}

  async gather(namespaceName: string): Promise<Snapshot> {
    const started = performance.now();
    const before = this.client.stats;
    const gaps = new GapSink();
    const snapshot: Snapshot = {
      snapshotVersion: SNAPSHOT_VERSION,
      takenAt: new Date().toISOString(),
      server: this.client.serverUrl,
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
    try {
      await this.fill(snapshot, gaps);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      gaps.fromError(error, isFatal(error) ? { kind: 'fatal', what: 'the API server' } : { kind: 'namespace', what: `diagnosis of ${namespaceName}` });
    }
    const after = this.client.stats;
    snapshot.stats = {
      requests: after.requests - before.requests,
      bytesReceived: after.bytesReceived - before.bytesReceived,
      retries: after.retries - before.retries,
      durationMs: Math.round(performance.now() - started),
    };
    return snapshot;
  }

  private async fill(snapshot: Snapshot, gaps: GapSink): Promise<void> {
    let rawNamespace: Raw;
    try {
      rawNamespace = await this.client.getJson<Raw>(`/api/v1/namespaces/${encodeURIComponent(snapshot.namespaceName)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        snapshot.namespaceFound = false;
        return;
      }
      if (isFatal(error)) throw error;
      gaps.fromError(error, { kind: 'namespace', what: `get Namespace ${snapshot.namespaceName}`, impact: 'cannot tell whether the namespace is terminating' });
      return;
    }
    snapshot.namespaceFound = true;
    snapshot.namespace = namespaceOf(rawNamespace);
    if (!snapshot.namespace.deletionTimestamp && snapshot.namespace.phase !== 'Terminating') return;

    const resourceVersion: string | undefined = rawNamespace.metadata.resourceVersion;
    const conditionHints = parseConditions(snapshot.namespace.conditions);
    const follower = new BackendFollower(this.client, gaps, this.shared, resourceVersion);
    const includeEvents = conditionHints.contentRemaining.some((r) => r.resource === 'events');
    // The cluster-wide lists go out first; the content survey needs discovery and runs while they are read.
    const [cluster, content] = await Promise.all([
      this.cluster(resourceVersion),
      this.surveyFollowingPods(snapshot, gaps, follower, resourceVersion, includeEvents),
    ]);
    snapshot.content = content;
    snapshot.discovery = cluster.discovery;
    snapshot.apiServices = cluster.apiServices;
    snapshot.webhooks = cluster.webhooks;
    for (const crd of cluster.terminatingCRDs) snapshot.crds[crd.name] = crd;
    for (const gap of cluster.gaps.gaps) gaps.add(gap);

    await this.followCustomResources(snapshot, gaps, follower, resourceVersion);
    Object.assign(snapshot.services, this.shared.services);
    Object.assign(snapshot.endpoints, this.shared.endpoints);
    Object.assign(snapshot.pods, this.shared.pods);
    Object.assign(snapshot.nodes, this.shared.nodes);
  }

  /**
   * The content survey, with pods and PVCs listed ahead of the other types so that the pods holding the namespace
   * (and their nodes) are followed while the rest of the survey is still running, not after it.
   */
  private async surveyFollowingPods(
    snapshot: Snapshot,
    gaps: GapSink,
    follower: BackendFollower,
    rv: string | undefined,
    includeEvents: boolean,
  ): Promise<ContentSurvey> {
    const ns = snapshot.namespaceName;
    const types = deletableTypes((await this.discovery()).namespacedResources, includeEvents);
    const podsAndClaims = surveyContent(this.client, gaps, ns, types.filter(isPodOrClaim), rv);
    const others = surveyContent(this.client, gaps, ns, types.filter((t) => !isPodOrClaim(t)), rv);
    const followed = podsAndClaims.then((partial) => this.followTerminatingPods(snapshot, gaps, follower, rv, partial));
    const [first, rest] = await Promise.all([podsAndClaims, others, followed]);
    return mergeSurveys(first, rest);
  }

  private cluster(resourceVersion: string | undefined): Promise<ClusterFacts> {
    this.clusterFacts ??= this.readClusterFacts(resourceVersion);
    return this.clusterFacts;
  }

  /** Discovery is read once and shared: by the content survey and by the cluster-wide facts. */
  private discovery(): Promise<DiscoveryState> {
    this.discoveryRead ??= discover(this.client, this.discoveryGaps);
    return this.discoveryRead;
  }

  private async readClusterFacts(resourceVersion: string | undefined): Promise<ClusterFacts> {
    const gaps = new GapSink();
    const follower = new BackendFollower(this.client, gaps, this.shared, resourceVersion);
    const [[apiServices, webhooks, terminatingCRDs], discovery] = await Promise.all([
      Promise.all([
        listItems<Raw>(this.client, '/apis/apiregistration.k8s.io/v1/apiservices', { notOlderThan: resourceVersion })
          .then((items) => items.map(apiServiceOf))
          .catch((error) => gaps.fromError(error, { kind: 'cluster', what: 'list APIServices', impact: 'cannot tell which API extension is unavailable or why' })),
        this.readWebhooks(gaps, resourceVersion),
        this.readTerminatingCRDs(gaps, resourceVersion),
      ]),
      this.discovery(),
    ]);
    for (const gap of this.discoveryGaps.gaps) gaps.add(gap);
    const failing = new Set(discovery.groupVersions.filter((gv) => gv.state !== 'Current').map((gv) => gv.groupVersion));

    const broken = (apiServices ?? []).filter(
      (a) => a.service && (a.available?.status !== 'True' || failing.has(`${a.group}/${a.version}`)),
    );
    const blockingWebhooks = (webhooks ?? []).filter((w) => w.service && w.failurePolicy === 'Fail' && w.rules.some(interceptsDeleteOrUpdate));
    await Promise.all([
      ...broken.map((a) => follower.follow(a.service!)),
      ...blockingWebhooks.map((w) => follower.follow(w.service!)),
    ]);
    return { discovery, apiServices, webhooks, terminatingCRDs, gaps };
  }

  private async readWebhooks(gaps: GapSink, resourceVersion: string | undefined): Promise<WebhookState[] | undefined> {
    try {
      const [validating, mutating] = await Promise.all([
        listItems<Raw>(this.client, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { notOlderThan: resourceVersion }),
        listItems<Raw>(this.client, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { notOlderThan: resourceVersion }),
      ]);
      return [
        ...validating.flatMap((c) => webhooksOf(c, 'ValidatingWebhookConfiguration')),
        ...mutating.flatMap((c) => webhooksOf(c, 'MutatingWebhookConfiguration')),
      ];
    } catch (error) {
      return gaps.fromError(error, { kind: 'cluster', what: 'list admission webhook configurations', impact: 'cannot tell whether a webhook refuses deletions' });
    }
  }

  private async readTerminatingCRDs(gaps: GapSink, resourceVersion: string | undefined): Promise<CRDState[]> {
    const names: string[] = [];
    try {
      await listAll<Raw>(
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
    const crds = await Promise.all(names.slice(0, 20).map((name) => this.readCRD(gaps, name)));
    return crds.filter((c): c is CRDState => Boolean(c));
  }

  private async readCRD(gaps: GapSink, name: string): Promise<CRDState | undefined> {
    try {
      return crdOf(await this.client.getJson<Raw>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}${CACHED}`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      return gaps.fromError(error, { kind: 'evidence', what: `get CustomResourceDefinition ${name}`, impact: 'cannot check its conversion webhook or deletion state' });
    }
  }

  /** Pods past deletion and PVCs still protected: the full pod objects of the namespace, paginated, read only then. */
  private async followTerminatingPods(
    snapshot: Snapshot,
    gaps: GapSink,
    follower: BackendFollower,
    rv: string | undefined,
    content: ContentSurvey,
  ) {
    const podsTerminating = content.types.find((t) => t.group === '' && t.resource === 'pods')?.withDeletionTimestamp ?? 0;
    const protectedClaims = new Set(
      content.stuck
        .filter((s) => s.group === '' && s.resource === 'persistentvolumeclaims' && s.meta.finalizers?.includes('kubernetes.io/pvc-protection'))
        .map((s) => s.meta.name),
    );
    if (podsTerminating === 0 && protectedClaims.size === 0) return;
    let kept = 0;
    try {
      await listAll<Raw>(
        this.client,
        collectionPath('', 'v1', 'pods', snapshot.namespaceName),
        { notOlderThan: rv },
        () => (kept = 0),
        (items) => {
          for (const raw of items) {
            const usesClaim = (raw.spec?.volumes ?? []).some((v: Raw) => protectedClaims.has(v.persistentVolumeClaim?.claimName));
            if ((raw.metadata.deletionTimestamp || usesClaim) && kept < MAX_TERMINATING_PODS) {
              const pod = podOf(raw);
              snapshot.pods[`${pod.namespace}/${pod.name}`] = pod;
              kept++;
            }
          }
        },
      );
    } catch (error) {
      gaps.fromError(error, { kind: 'evidence', what: `list Pods in ${snapshot.namespaceName}`, impact: 'cannot see which pods are stuck or use protected claims' });
      return;
    }
    const nodes = new Set(Object.values(snapshot.pods).map((p) => p.nodeName).filter((n): n is string => Boolean(n)));
    await Promise.all([...nodes].map((n) => follower.fetchNode(n)));
  }

  /**
   * Custom resources that hold the namespace: their CRDs (conversion webhooks, names), and who owns their custom
   * finalizers. Only types with deleted objects waiting on a finalizer, or whose list failed, are followed: a type
   * that lists fine and holds nothing needs no more requests.
   */
  private async followCustomResources(snapshot: Snapshot, gaps: GapSink, follower: BackendFollower, rv: string | undefined) {
    const content = snapshot.content!;
    const waiting = content.stuck.filter((s) => s.meta.deletionTimestamp && (s.meta.finalizers ?? []).some((f) => !isBuiltInFinalizer(f)));
    const types = new Map<string, { group: string; resource: string }>();
    for (const t of [...waiting, ...(content.unlisted ?? [])]) types.set(`${t.group}/${t.resource}`, { group: t.group, resource: t.resource });

    // Any dotted group may be CRD-backed (even *.k8s.io ones such as gateway.networking.k8s.io); a 404 settles it.
    const crds = await Promise.all(
      [...types.values()].filter((t) => t.group.includes('.')).map((t) => this.readCRD(gaps, `${t.resource}.${t.group}`)),
    );
    for (const crd of crds) if (crd) snapshot.crds[crd.name] = crd;
    await Promise.all(
      Object.values(snapshot.crds)
        .filter((crd) => crd.conversionStrategy === 'Webhook' && crd.conversionService)
        .map((crd) => follower.follow(crd.conversionService!)),
    );

    const owned = new Map(waiting.map((s) => [`${s.group}/${s.resource}`, { group: s.group, resource: s.resource }]));
    snapshot.finalizerOwners = await findFinalizerOwners(this.client, gaps, snapshot.namespaceName, [...owned.values()], rv);
  }
}

