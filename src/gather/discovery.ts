import type { GroupVersionState } from '../model/report.js';
import { ACCEPT, errorFromResponse, parseObject, type KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import type { DiscoveryState, ResourceType } from '../snapshot/types.js';
import { compareCodePoints } from '../util/order.js';
import { asApiFailure, type GapSink } from './gaps.js';
import * as v from 'valibot';
import { DiscoveryStateSchema, firstIssue } from '../snapshot/schema.js';

interface AggregatedResource {
  resource: string;
  responseKind?: { kind?: string };
  scope: 'Namespaced' | 'Cluster';
  verbs?: string[];
}
interface AggregatedVersion {
  version: string;
  resources?: AggregatedResource[];
  freshness?: 'Current' | 'Stale';
}
interface AggregatedGroup {
  metadata?: { name?: string };
  versions?: AggregatedVersion[];
}
interface AggregatedList {
  kind?: string;
  items?: AggregatedGroup[];
}

/**
 * Two requests with aggregated discovery (v2, then v2beta1); legacy discovery (one request per group version) only
 * when the server does not speak it. Failing group versions are recorded, never fatal.
 */
export async function discover(client: KubeClient, gaps: GapSink): Promise<DiscoveryState> {
  try {
    const aggregated = await aggregatedDiscovery(client);
    return checkedShape(aggregated ?? (await legacyDiscovery(client, gaps)));
  } catch (caught) {
    const error = asApiFailure(caught);
    gaps.add({
      kind: 'discovery',
      what: 'API discovery (/api, /apis)',
      reason: error.reason,
      httpStatus: error.status,
      impact: 'cannot tell which APIs exist or fail; the remaining content could not be listed',
    });
    return { mode: 'unavailable', groupVersions: [], namespacedResources: [] };
  }
}

async function aggregatedDiscovery(client: KubeClient): Promise<DiscoveryState | undefined> {
  const paths = ['/api', '/apis'];
  const responses = await Promise.all(paths.map((path) => client.get(path, ACCEPT.aggregatedDiscovery)));
  const lists: AggregatedList[] = [];
  for (const [i, response] of responses.entries()) {
    const path = paths[i] ?? '/apis';
    if (response.status !== 200) throw errorFromResponse(path, response);
    if (!/apidiscovery\.k8s\.io/.test(response.contentType)) return undefined;
    const list = parseObject<AggregatedList>(path, response.body);
    // A discovery document without its list is not "no APIs": the namespace controller would still see them.
    if (!Array.isArray(list.items)) throw new ApiError('malformed', path, `malformed discovery response: ${path} has no items list`);
    lists.push(list);
  }
  const groupVersions: GroupVersionState[] = [];
  const namespacedResources: ResourceType[] = [];
  const clusterResources: ResourceType[] = [];
  for (const group of lists.flatMap((list) => list.items ?? [])) {
    const groupName = group.metadata?.name ?? '';
    let preferredTaken = false;
    // Versions are listed in preference order; the namespace controller works on the preferred one.
    for (const version of group.versions ?? []) {
      const groupVersion = groupName ? `${groupName}/${version.version}` : version.version;
      const stale = version.freshness === 'Stale';
      groupVersions.push({
        groupVersion,
        state: stale ? 'Stale' : 'Current',
        ...(stale ? { reason: `stale GroupVersion discovery: ${groupVersion}` } : {}),
      });
      if (stale || preferredTaken) continue;
      preferredTaken = true;
      for (const resource of version.resources ?? []) {
        const namespaced = resource.scope === 'Namespaced';
        (namespaced ? namespacedResources : clusterResources).push({
          group: groupName,
          version: version.version,
          resource: resource.resource,
          kind: resource.responseKind?.kind ?? resource.resource,
          namespaced,
          verbs: resource.verbs ?? [],
        });
      }
    }
  }
  return { mode: 'aggregated', groupVersions, namespacedResources, clusterResources };
}

interface LegacyGroupList {
  groups?: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { groupVersion: string } }[];
}
interface LegacyResourceList {
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

async function legacyDiscovery(client: KubeClient, gaps: GapSink): Promise<DiscoveryState> {
  const core = await client.getJson<{ versions?: string[] }>('/api');
  const groups = await client.getJson<LegacyGroupList>('/apis');
  // `{}` or `{"groups": null}` is a document without its list, never "no groups".
  if (!Array.isArray(core.versions)) throw new ApiError('malformed', '/api', 'malformed discovery response: /api has no versions list');
  if (!Array.isArray(groups.groups)) throw new ApiError('malformed', '/apis', 'malformed discovery response: /apis has no groups list');
  const targets: { group: string; version: string; preferred: boolean }[] = core.versions.map((v) => ({
    group: '',
    version: v,
    preferred: v === 'v1',
  }));
  for (const group of groups.groups) {
    for (const version of group.versions) {
      targets.push({
        group: group.name,
        version: version.version,
        preferred: (group.preferredVersion?.groupVersion ?? group.versions[0]?.groupVersion) === version.groupVersion,
      });
    }
  }
  const groupVersions: GroupVersionState[] = [];
  const namespacedResources: ResourceType[] = [];
  const clusterResources: ResourceType[] = [];
  await Promise.all(
    targets.map(async (target) => {
      const groupVersion = target.group ? `${target.group}/${target.version}` : target.version;
      const path = target.group ? `/apis/${groupVersion}` : `/api/${target.version}`;
      try {
        const list = await client.getJson<LegacyResourceList>(path);
        groupVersions.push({ groupVersion, state: 'Current' });
        if (!target.preferred) return;
        for (const resource of list.resources ?? []) {
          if (resource.name.includes('/')) continue;
          (resource.namespaced ? namespacedResources : clusterResources).push({
            group: target.group,
            version: target.version,
            resource: resource.name,
            kind: resource.kind,
            namespaced: resource.namespaced,
            verbs: resource.verbs ?? [],
          });
        }
      } catch (caught) {
        const error = asApiFailure(caught);
        groupVersions.push({
          groupVersion,
          state: error.status === 503 ? 'Unavailable' : 'Error',
          reason: error.reason,
        });
        if (error.status === 403) {
          gaps.add({ kind: 'discovery', what: `discovery of ${groupVersion}`, reason: error.reason, httpStatus: 403 });
        }
      }
    }),
  );
  groupVersions.sort((a, b) => compareCodePoints(a.groupVersion, b.groupVersion));
  return { mode: 'legacy', groupVersions, namespacedResources, clusterResources };
}

/** What the checks will read of discovery has the snapshot's shape, or the whole read is one malformed gap. */
function checkedShape(state: DiscoveryState): DiscoveryState {
  const result = v.safeParse(DiscoveryStateSchema, state);
  if (!result.success) throw new ApiError('malformed', '/apis', `malformed discovery response: ${firstIssue(result.issues)}`);
  return state;
}
