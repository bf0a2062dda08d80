// Follows a Service to what serves it: EndpointSlices → Pods → Nodes. Used for APIServices, admission webhooks and
// conversion webhooks alike. Fetches only the objects on the chain, so cost does not grow with cluster size. One
// follower serves a whole run: each chain is read once, and what could not be read on it is kept with the chain and
// handed to each namespace that follows it (never to the others).
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import type { ServiceRef, Snapshot } from '../snapshot/types.js';
import { malformedObjectGap, nodeOf, podOf, readEach, serviceOf } from './convert.js';
import { asApiFailure, GapSink } from './gaps.js';
import { listItems } from './list.js';
import type { ApiEndpointSlice, ApiNode, ApiPod, ApiService } from '../kube/api-types.js';


const MAX_PODS_PER_SERVICE = 10;
/** A GET with resourceVersion=0 is answered from the watch cache; without it, it is a quorum read from etcd. */
export const CACHED = '?resourceVersion=0';

export function serviceKey(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

export type EvidenceStore = Pick<Snapshot, 'services' | 'endpoints' | 'pods' | 'nodes'>;

export class BackendFollower {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly nodeFetches = new Map<string, Promise<void>>();
  /** What could not be read, per chain (a Service's key) and per Node (`node/<name>`). */
  private readonly chainGaps = new Map<string, GapSink>();

  constructor(
    private readonly client: KubeClient,
    private readonly store: EvidenceStore,
    /** A resourceVersion the server has reached, so selector lists are served from the watch cache. */
    private readonly notOlderThan?: string,
  ) {}

  /** Follows the chain from `ref` (once per run), then adds what could not be read on it to `gaps`. */
  async follow(ref: ServiceRef, gaps: GapSink): Promise<void> {
    const key = serviceKey(ref);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.followOnce(ref, this.gapsOf(key));
      this.inFlight.set(key, pending);
    }
    await pending;
    for (const gap of this.gapsOf(key).gaps) gaps.add(gap);
  }

  /**
   * Whether a missing Service's namespace is being deleted (one cached GET, only for a missing backend): then it can
   * never be served again, and deleting what points at it is the safe fix, not reinstalling (findings F8).
   */
  private async namespaceTerminating(namespace: string): Promise<{ namespaceTerminating?: boolean }> {
    try {
      const raw = await this.client.getJson<{ metadata?: { deletionTimestamp?: string } }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}${CACHED}`);
      return typeof raw?.metadata?.deletionTimestamp === 'string' ? { namespaceTerminating: true } : {};
    } catch {
      return {}; // unknown: the finding keeps its general wording
    }
  }

  private gapsOf(key: string): GapSink {
    let sink = this.chainGaps.get(key);
    if (!sink) this.chainGaps.set(key, (sink = new GapSink()));
    return sink;
  }

  private async followOnce(ref: ServiceRef, gaps: GapSink): Promise<void> {
    const key = serviceKey(ref);
    const ns = encodeURIComponent(ref.namespace);
    try {
      const raw = await this.client.getJson<ApiService>(`/api/v1/namespaces/${ns}/services/${encodeURIComponent(ref.name)}${CACHED}`);
      this.store.services[key] = serviceOf(raw);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.store.services[key] = { namespace: ref.namespace, name: ref.name, exists: false, ports: [], ...(await this.namespaceTerminating(ref.namespace)) };
        return;
      }
      gaps.fromError(error, { kind: 'evidence', what: `get Service ${key}`, impact: 'cannot follow this backend' });
      return;
    }

    const podNames = new Set<string>();
    try {
      const slices = await listItems<ApiEndpointSlice>(this.client, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
        labelSelector: `kubernetes.io/service-name=${ref.name}`,
        notOlderThan: this.notOlderThan,
      });
      let ready = 0;
      let notReady = 0;
      for (const slice of slices) {
        try {
          const counted = countEndpoints(slice);
          ready += counted.ready;
          notReady += counted.notReady;
          for (const pod of counted.pods) podNames.add(pod);
        } catch (error) {
          // One slice of a shape the API never sends: a gap about it; the other slices still count.
          gaps.add(malformedObjectGap('evidence', 'EndpointSlice', slice, asApiFailure(error), `ready endpoints of Service ${key} may be undercounted`));
        }
      }
      this.store.endpoints[key] = { service: key, slices: slices.length, readyAddresses: ready, notReadyAddresses: notReady, podNames: [...podNames] };
    } catch (error) {
      gaps.fromError(error, { kind: 'evidence', what: `list EndpointSlices of Service ${key}`, impact: 'cannot count ready endpoints' });
    }

    await this.followPods(ref, podNames, gaps);
  }

  private async followPods(ref: ServiceRef, fromSlices: Set<string>, gaps: GapSink): Promise<void> {
    const key = serviceKey(ref);
    const selector = this.store.services[key]?.selector;
    const ns = encodeURIComponent(ref.namespace);
    const pods: ApiPod[] = [];
    try {
      if (selector && Object.keys(selector).length) {
        const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
        pods.push(...(await listItems<ApiPod>(this.client, `/api/v1/namespaces/${ns}/pods`, { labelSelector, notOlderThan: this.notOlderThan })));
      } else {
        for (const name of [...fromSlices].slice(0, MAX_PODS_PER_SERVICE)) {
          try {
            pods.push(await this.client.getJson<ApiPod>(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}${CACHED}`));
          } catch (error) {
            if (!(error instanceof ApiError && error.status === 404)) throw error;
          }
        }
      }
    } catch (error) {
      gaps.fromError(error, { kind: 'evidence', what: `list Pods behind Service ${key}`, impact: 'cannot see why the backend is down' });
      return;
    }
    const chosen = readEach(gaps, 'evidence', 'Pod', pods.slice(0, MAX_PODS_PER_SERVICE), podOf, `cannot see why the backend of Service ${key} is down`);
    const endpoints = this.store.endpoints[key];
    if (endpoints) endpoints.podNames = [...new Set([...endpoints.podNames, ...chosen.map((p) => p.name)])];
    else this.store.endpoints[key] = { service: key, slices: 0, readyAddresses: 0, notReadyAddresses: 0, podNames: chosen.map((p) => p.name) };
    for (const pod of chosen) this.store.pods[`${pod.namespace}/${pod.name}`] = pod;
    await Promise.all(chosen.filter((p) => p.nodeName).map((p) => this.fetchNode(p.nodeName!, gaps)));
  }

  /** Reads a Node (once per run), then adds to `gaps` whether it could not be read. */
  async fetchNode(name: string, gaps: GapSink): Promise<void> {
    const nodeGaps = this.gapsOf(`node/${name}`);
    let pending = this.nodeFetches.get(name);
    if (!pending) {
      pending = (async () => {
        try {
          this.store.nodes[name] = nodeOf(await this.client.getJson<ApiNode>(`/api/v1/nodes/${encodeURIComponent(name)}${CACHED}`));
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) {
            this.store.nodes[name] = { name, exists: false, taints: [] };
            return;
          }
          nodeGaps.fromError(error, { kind: 'evidence', what: `get Node ${name}`, impact: 'cannot tell whether the node is healthy' });
        }
      })();
      this.nodeFetches.set(name, pending);
    }
    await pending;
    for (const gap of nodeGaps.gaps) gaps.add(gap);
  }
}

/** Ready and not-ready addresses of one EndpointSlice (an endpoint without addresses counts as one), and its pods. */
function countEndpoints(slice: ApiEndpointSlice): { ready: number; notReady: number; pods: string[] } {
  let ready = 0;
  let notReady = 0;
  const pods: string[] = [];
  const endpoints: unknown = slice.endpoints ?? [];
  if (!Array.isArray(endpoints)) throw new ApiError('malformed', '', 'malformed EndpointSlice: endpoints is not a list');
  for (const endpoint of endpoints as NonNullable<ApiEndpointSlice['endpoints']>) {
    if (!endpoint || typeof endpoint !== 'object') throw new ApiError('malformed', '', 'malformed EndpointSlice: an endpoint is not an object');
    const addresses = Array.isArray(endpoint.addresses) ? endpoint.addresses.length || 1 : 1;
    if (endpoint.conditions?.ready === false) notReady += addresses;
    else ready += addresses;
    if (endpoint.targetRef?.kind === 'Pod' && typeof endpoint.targetRef.name === 'string' && endpoint.targetRef.name) pods.push(endpoint.targetRef.name);
  }
  return { ready, notReady, pods };
}
