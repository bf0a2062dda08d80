// --all: every Terminating namespace, read together (see gather/fleet.ts). Shared by diagnosis and fix.
import type { KubeClient } from '../kube/client.js';
import { FleetGatherer, listTerminatingNamespaces, type SurveyPlan } from '../gather/fleet.js';
import { isFatal } from '../gather/snapshot.js';
import type { Snapshot } from '../snapshot/types.js';
import { compareCodePoints } from '../util/order.js';
import { IncompleteError } from './outcome.js';

export async function gatherAll(
  client: KubeClient,
  stderr: string[],
  onProgress: (phase: string, done: number, total: number) => void,
  verboseLog?: (line: string) => void,
): Promise<Snapshot[]> {
  onProgress('listing namespaces', 0, 1);
  let listed: Awaited<ReturnType<typeof listTerminatingNamespaces>>;
  try {
    listed = await listTerminatingNamespaces(client);
  } catch (error) {
    if (isFatal(error)) throw error;
    stderr.push(`error: cannot list namespaces: ${(error as Error).message}`);
    throw new IncompleteError(`cannot list namespaces: ${(error as Error).message}`, { cause: error });
  }
  listed.namespaces.sort((a, b) => compareCodePoints(a.name, b.name));
  const { snapshots, plan } = await new FleetGatherer(client, onProgress).gather(listed.namespaces, listed.resourceVersion);
  verboseLog?.(describePlan(plan));
  return snapshots;
}

function describePlan(plan: SurveyPlan): string {
  const byReason = new Map<string, string[]>();
  for (const { type, reason } of plan.perNamespace) byReason.set(reason, [...(byReason.get(reason) ?? []), type]);
  const perNamespace = [...byReason].map(([reason, types]) => `${types.length} per namespace (${reason}): ${types.join(', ')}`);
  return `survey: ${plan.clusterWide.length} types listed cluster-wide${perNamespace.length ? `; ${perNamespace.join('; ')}` : ''}`;
}
