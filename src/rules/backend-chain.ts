// Draws the evidence chain Service → EndpointSlices → Pods → container state → Node from a snapshot.
import type { EvidenceLink } from '../model/report.js';
import type { NodeState, PodState, ServiceRef, Snapshot } from '../snapshot/types.js';
import { humanDuration, since } from '../util/time.js';
import { link } from './evidence-link.js';

export interface BackendVerdict {
  links: EvidenceLink[];
  serviceMissing: boolean;
  readyEndpoints?: number;
  /** Short phrases for a summary, e.g. "OOMKilled", "node ip-10-0-3-7 NotReady". */
  causes: string[];
  /** Backend pods whose node is NotReady, gone or never reported: moving them off the node may bring the API back. */
  podsOnUnhealthyNodes: { namespace: string; pod: string; node: string }[];
}

export function describeBackend(snapshot: Snapshot, ref: ServiceRef, depth: number, now: Date): BackendVerdict {
  const key = `${ref.namespace}/${ref.name}`;
  const service = snapshot.services[key];
  const serviceRef = { kind: 'Service', namespace: ref.namespace, name: ref.name };
  const verdict: BackendVerdict = { links: [], serviceMissing: false, causes: [], podsOnUnhealthyNodes: [] };
  if (!service) {
    verdict.links.push(link(serviceRef, 'not read (see gaps)', depth));
    return verdict;
  }
  if (!service.exists) {
    verdict.serviceMissing = true;
    verdict.links.push(link(serviceRef, 'does not exist', depth));
    verdict.causes.push(`Service ${key} does not exist`);
    return verdict;
  }
  const endpoints = snapshot.endpoints[key];
  const portNote =
    ref.port && service.ports.length && !service.ports.some((p) => p.port === ref.port)
      ? `; not listening on port ${ref.port} (ports: ${service.ports.map((p) => p.port).join(', ')})`
      : '';
  if (portNote) verdict.causes.push(`Service ${key} has no port ${ref.port}`);
  if (endpoints) {
    verdict.readyEndpoints = endpoints.readyAddresses;
    const notReady = endpoints.notReadyAddresses ? `, ${endpoints.notReadyAddresses} not ready` : '';
    const slices = endpoints.slices === 0 ? ' (no EndpointSlices)' : '';
    verdict.links.push(link(serviceRef, `${endpoints.readyAddresses} ready endpoints${notReady}${slices}${portNote}`, depth));
  } else {
    verdict.links.push(link(serviceRef, `exists${portNote}; endpoints not read (see gaps)`, depth));
  }
  if (!service.selector && (endpoints?.podNames.length ?? 0) === 0) {
    verdict.links.push(link(serviceRef, 'has no selector: endpoints are managed by hand or by another controller', depth));
  }
  const pods = (endpoints?.podNames ?? []).map((name) => snapshot.pods[`${ref.namespace}/${name}`]).filter((pod): pod is PodState => pod !== undefined);
  if (pods.length === 0 && service.selector) {
    const selector = Object.entries(service.selector).map(([k, v]) => `${k}=${v}`).join(',');
    verdict.links.push(link(serviceRef, `no pods match selector ${selector}`, depth + 1));
    verdict.causes.push('no backend pods');
  }
  for (const pod of pods) {
    const podFacts = describePod(pod, now);
    verdict.links.push(link({ kind: 'Pod', namespace: pod.namespace, name: pod.name }, podFacts.fact, depth + 1));
    verdict.causes.push(...podFacts.causes);
    if (pod.nodeName) {
      const node = snapshot.nodes[pod.nodeName];
      const nodeFacts = describeNode(node, now);
      verdict.links.push(link({ kind: 'Node', name: pod.nodeName }, nodeFacts.fact, depth + 2));
      if (nodeFacts.unhealthy) {
        verdict.causes.push(`node ${pod.nodeName} ${nodeFacts.short}`);
        verdict.podsOnUnhealthyNodes.push({ namespace: pod.namespace, pod: pod.name, node: pod.nodeName });
      }
    }
  }
  return verdict;
}

export function describePod(pod: PodState, now: Date): { fact: string; causes: string[] } {
  const parts: string[] = [];
  const causes: string[] = [];
  const waiting = pod.containers.find((c) => c.waitingReason);
  const terminated = pod.containers.find((c) => c.lastTerminationReason);
  const restarts = pod.containers.reduce((sum, c) => sum + c.restartCount, 0);
  parts.push(waiting?.waitingReason ?? pod.phase ?? 'unknown phase');
  if (waiting?.waitingReason) causes.push(waiting.waitingReason);
  if (terminated) {
    parts.push(`last exit ${terminated.lastTerminationReason ?? 'terminated'} (${terminated.lastTerminationExitCode ?? '?'})`);
    if (terminated.lastTerminationReason && terminated.lastTerminationReason !== 'Completed') causes.push(terminated.lastTerminationReason);
  }
  if (restarts) parts.push(`${restarts} restarts`);
  const unschedulable = pod.conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable) {
    parts.push(`unschedulable: ${unschedulable.message ?? unschedulable.reason ?? ''}`.trim());
    causes.push('Unschedulable');
  }
  const notReadyContainers = pod.containers.filter((c) => !c.ready).length;
  if (pod.containers.length && notReadyContainers) parts.push(`${notReadyContainers}/${pod.containers.length} containers not ready`);
  if (pod.deletionTimestamp) {
    // A pod's deletionTimestamp is the moment its grace period ends.
    const overdue = now.getTime() - Date.parse(pod.deletionTimestamp);
    parts.push(overdue >= 0 ? `Terminating, grace period over ${since(pod.deletionTimestamp, now)} ago` : `Terminating, grace period ends in ${humanDuration(-overdue)}`);
  }
  if (pod.nodeName) parts.push(`on node ${pod.nodeName}`);
  else if (!unschedulable) parts.push('not scheduled');
  return { fact: parts.join(', '), causes };
}

export function describeNode(node: NodeState | undefined, now: Date): { fact: string; unhealthy: boolean; short: string } {
  if (!node) return { fact: 'not read (see gaps)', unhealthy: false, short: '' };
  if (!node.exists) return { fact: 'does not exist (deleted)', unhealthy: true, short: 'is gone' };
  const parts: string[] = [];
  let unhealthy = false;
  let short = '';
  const ready = node.ready;
  if (!ready) {
    parts.push('no Ready condition (kubelet never reported)');
    unhealthy = true;
    short = 'has never reported Ready';
  } else {
    const age = since(ready.lastTransitionTime, now);
    parts.push(`Ready=${ready.status}${age ? ` for ${age}` : ''}${ready.reason ? ` (${ready.reason})` : ''}`);
    if (ready.status !== 'True') {
      unhealthy = true;
      short = ready.status === 'Unknown' ? 'NotReady (kubelet stopped posting status)' : 'NotReady';
    }
  }
  if (node.unschedulable) parts.push('cordoned');
  const notable = node.taints.filter((t) => t.effect === 'NoExecute' || t.key.startsWith('node.kubernetes.io/'));
  if (notable.length) parts.push(`taints: ${notable.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ')}`);
  return { fact: parts.join(', '), unhealthy, short };
}
