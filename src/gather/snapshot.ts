// Gathers a read-only Snapshot of one namespace: every request of `kubectl ns-doctor <ns>` starts here. Cluster-wide
// facts, follow-ups and the snapshot's assembly come from cluster.ts (completeSnapshot), as for --all, whose gatherer
// (fleet.ts) only reads content cluster-wide instead.
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import type { ContentSurvey, ResourceType, Snapshot } from '../snapshot/types.js';
import { ClusterReader, completeSnapshot, emptySnapshot, followTerminatingPods, isFatal, recordNamespaceFailure, type FollowContext } from './cluster.js';
import { deletableTypes, mergeSurveys, surveyContent } from './content.js';
import { malformedObjectGap, namespaceOf } from './convert.js';
import { GapSink } from './gaps.js';
import { RbacReader } from './owners.js';
import { parseConditions } from '../rules/conditions.js';
import type { ApiNamespace } from '../kube/api-types.js';

export { isFatal } from './cluster.js';


const isPodOrClaim = (t: ResourceType) => t.group === '' && (t.resource === 'pods' || t.resource === 'persistentvolumeclaims');

export class SnapshotGatherer {
  private readonly cluster: ClusterReader;

  constructor(private readonly client: KubeClient) {
    this.cluster = new ClusterReader(client);
  }

  async gather(namespaceName: string): Promise<Snapshot> {
    const started = performance.now();
    const before = this.client.stats;
    const gaps = new GapSink();
    const snapshot = emptySnapshot(this.client, namespaceName, gaps);
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
    let rawNamespace: ApiNamespace;
    try {
      rawNamespace = await this.client.getJson<ApiNamespace>(`/api/v1/namespaces/${encodeURIComponent(snapshot.namespaceName)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        snapshot.namespaceFound = false;
        return;
      }
      if (isFatal(error)) throw error;
      gaps.fromError(error, { kind: 'namespace', what: `get Namespace ${snapshot.namespaceName}`, impact: 'cannot tell whether the namespace is terminating' });
      return;
    }
    try {
      snapshot.namespace = namespaceOf(rawNamespace);
    } catch (error) {
      if (!(error instanceof ApiError) || error.kind !== 'malformed') throw error;
      // Found, but of a shape that cannot be read: unknown (Incomplete), never "not being deleted".
      gaps.add(malformedObjectGap('namespace', 'Namespace', rawNamespace, error, 'cannot tell whether the namespace is terminating or what holds it'));
      return;
    }
    snapshot.namespaceFound = true;
    if (!snapshot.namespace.deletionTimestamp && snapshot.namespace.phase !== 'Terminating') return;

    const resourceVersion = rawNamespace.metadata?.resourceVersion;
    const conditionHints = parseConditions(snapshot.namespace.conditions);
    const ctx: FollowContext = {
      client: this.client,
      cluster: this.cluster,
      follower: this.cluster.follower(resourceVersion),
      rbac: new RbacReader(this.client, resourceVersion),
      notOlderThan: resourceVersion,
    };
    const includeEvents = conditionHints.contentRemaining.some((r) => r.resource === 'events');
    // The cluster-wide lists go out first; the content survey needs discovery and runs while they are read.
    const [cluster, content] = await Promise.all([
      this.cluster.cluster(resourceVersion),
      this.surveyFollowingPods(ctx, snapshot, gaps, includeEvents),
    ]);
    await completeSnapshot(ctx, snapshot, gaps, cluster, content);
  }

  /**
   * The content survey, with pods and PVCs listed ahead of the other types so that the pods holding the namespace
   * (and their nodes) are followed while the rest of the survey is still running, not after it.
   */
  private async surveyFollowingPods(ctx: FollowContext, snapshot: Snapshot, gaps: GapSink, includeEvents: boolean): Promise<ContentSurvey> {
    const ns = snapshot.namespaceName;
    const rv = ctx.notOlderThan;
    const types = deletableTypes((await this.cluster.discovery()).namespacedResources, includeEvents);
    const podsAndClaims = surveyContent(this.client, gaps, ns, types.filter(isPodOrClaim), rv);
    const others = surveyContent(this.client, gaps, ns, types.filter((t) => !isPodOrClaim(t)), rv);
    const followed = podsAndClaims
      .then((partial) => followTerminatingPods(ctx, snapshot, gaps, partial))
      .catch((error: unknown) => recordNamespaceFailure(error, snapshot, gaps));
    const [first, rest] = await Promise.all([podsAndClaims, others, followed]);
    return mergeSurveys(first, rest);
  }
}
