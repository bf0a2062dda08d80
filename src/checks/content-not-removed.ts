import type { Blocker, EvidenceLink, Fix } from '../model/report.js';
import { typeName } from '../model/subject.js';
import type { APIServiceState, ContentType, Snapshot } from '../snapshot/types.js';
import { deletedWhen, since } from '../util/time.js';
import { sh } from '../util/shell.js';
import { refOf } from './finalizer-facts.js';
import { manualOnly } from './plan-steps.js';
import { link, type Check } from './types.js';

declare module '../model/report.js' {
  interface BlockerIds {
    ContentNotRemoved: true;
  }
}

const MAX_SAMPLES = 5;

/**
 * The namespace controller deleted a type's objects and still lists them, none with a finalizer: "unexpected items
 * still remain in namespace: <ns> for gvr: <group>/<version>, Resource=<resource>" (deleteAllContentForGroupVersionResource,
 * kubernetes 1.34). kube-apiserver removes an object the moment it is deleted with no finalizer, so what keeps them is
 * the API serving the type: most often an aggregated API whose server accepts DELETE (or answers 405, which the
 * controller ignores) and keeps the objects. Decided from the controller's words, and only while ns-doctor's own read
 * still sees the objects with no finalizer: a finalizer is the finalizer checks' finding, pods are PodsStuckTerminating's.
 */
export const contentNotRemoved = {
  id: 'ContentNotRemoved',
  emits: ['ContentNotRemoved'],
  description: 'Objects the namespace controller deleted are still listed with no finalizer: the API serving them does not remove them',
  stage: 'content',
  groupSummary(blocker) {
    const subject = blocker.subject;
    const type = subject.kind === 'ResourceType' ? typeName(subject.resource, subject.group) : 'some type';
    return `${type} objects are still listed after the namespace controller deleted them, with no finalizer: the API serving them does not remove them`;
  },
  ...manualOnly('the API serving the type has to remove its objects; ns-doctor does not delete them or their APIService for you'),
  run(snapshot, { now, conditions }) {
    const content = snapshot.content;
    if (!snapshot.namespace?.deletionTimestamp || !content) return [];
    const failure = snapshot.namespace.conditions.find((c) => c.type === 'NamespaceDeletionContentFailure');
    return conditions.contentNotRemoved.flatMap((gvr): Blocker[] => {
      // Pods wait on their kubelet (and the controller says this while a pod is still in its grace period).
      if (gvr.group === '' && gvr.resource === 'pods') return [];
      const type = content.types.find((t) => t.group === gvr.group && t.resource === gvr.resource);
      if (!type || type.count === 0 || type.withFinalizers > 0) return [];
      const apiService = servingApiService(snapshot, gvr.group, gvr.version);
      const name = typeName(gvr.resource, gvr.group);
      const ns = snapshot.namespaceName;
      const evidence: EvidenceLink[] = [
        link(
          { kind: 'Namespace', name: ns },
          `NamespaceDeletionContentFailure${failingSince(failure?.lastTransitionTime, now)}: unexpected items still remain for gvr ${gvr.group}/${gvr.version}, Resource=${gvr.resource}`,
          0,
        ),
        link({ kind: type.kind, namespace: ns, name: `${type.count} ${name}` }, stillListed(type), 0),
        ...samples(snapshot, gvr, now),
        ...servedBy(apiService, gvr),
      ];
      return [
        {
          id: 'ContentNotRemoved',
          subject: { kind: 'ResourceType', group: gvr.group, version: gvr.version, resource: gvr.resource },
          summary: `${type.count} ${name} object${type.count === 1 ? ' is' : 's are'} still listed after the namespace controller deleted ${type.count === 1 ? 'it' : 'them'}, with no finalizer: ${culprit(apiService, type.count === 1 ? 'it' : 'them')}`,
          evidence,
          fixes: fixesFor(ns, name, apiService),
        },
      ];
    });
  },
} satisfies Check;

/** The APIService registered for the group version; undefined for the core group or when none was read. */
function servingApiService(snapshot: Snapshot, group: string, version: string): APIServiceState | undefined {
  if (!group) return undefined;
  return snapshot.apiServices?.find((a) => a.group === group && a.version === version);
}

function culprit(apiService: APIServiceState | undefined, them: 'it' | 'them'): string {
  if (apiService?.service) {
    return `the aggregated API ${apiService.name} (Service ${apiService.service.namespace}/${apiService.service.name}) does not remove ${them}`;
  }
  if (apiService) return 'kube-apiserver serves this type itself and removes such objects at once, so its storage or watch cache may be stale';
  return `the API serving ${them} does not remove ${them}`;
}

/** " (since 4m ago)", or nothing when the condition carries no readable time. */
function failingSince(lastTransitionTime: string | undefined, now: Date): string {
  return Number.isFinite(Date.parse(lastTransitionTime ?? '')) ? ` (since ${since(lastTransitionTime, now)} ago)` : '';
}

function stillListed(type: ContentType): string {
  const deleted = type.withDeletionTimestamp;
  return `still listed, none with a finalizer; ${deleted === type.count ? 'all' : `${deleted} of ${type.count}`} with a deletionTimestamp`;
}

function samples(snapshot: Snapshot, gvr: { group: string; resource: string }, now: Date): EvidenceLink[] {
  return (snapshot.content?.stuck ?? [])
    .filter((s) => s.group === gvr.group && s.resource === gvr.resource && !s.meta.finalizers?.length)
    .slice(0, MAX_SAMPLES)
    .map((s) => link(refOf(s), `${deletedWhen(s.meta.deletionTimestamp, now)}, no finalizer`, 1));
}

function servedBy(apiService: APIServiceState | undefined, gvr: { group: string; version: string }): EvidenceLink[] {
  if (!apiService) return [];
  const ref = { kind: 'APIService', name: apiService.name, apiVersion: 'apiregistration.k8s.io/v1' };
  const fact = apiService.service
    ? `serves ${gvr.group}/${gvr.version} from Service ${apiService.service.namespace}/${apiService.service.name}: its server, not kube-apiserver, decides what a DELETE does`
    : `served by kube-apiserver itself (no Service)`;
  return [link(ref, fact, 1)];
}

function fixesFor(ns: string, name: string, apiService: APIServiceState | undefined): Fix[] {
  const fixes: Fix[] = [
    { safety: 'safe', description: `read them as the API serves them (deletionTimestamp, finalizers)`, command: sh`kubectl get ${name} -n ${ns} -o yaml` },
    {
      safety: 'safe',
      description: "delete them yourself and read the server's answer (the namespace controller ignores a 405 Method Not Allowed, and so hides it)",
      command: sh`kubectl delete ${name} -n ${ns} --all --wait=false`,
    },
  ];
  if (apiService?.service) {
    const { namespace, name: service } = apiService.service;
    fixes.push({
      safety: 'safe',
      description: `read the logs of the aggregated API's server, behind Service ${namespace}/${service}`,
      command: sh`kubectl -n ${namespace} logs service/${service} --tail=200`,
    });
    fixes.push({
      safety: 'last-resort',
      description: `delete APIService ${apiService.name}: the type is no longer discovered, so the namespace controller stops waiting for it`,
      command: sh`kubectl delete apiservice ${apiService.name}`,
      cost: `the ${apiService.group}/${apiService.version} API disappears cluster-wide until it is registered again; what its server stores for namespace ${ns} stays there, orphaned`,
    });
  } else {
    fixes.push({
      safety: 'safe',
      description: 'read kube-apiserver and kube-controller-manager logs for the type',
      command: 'kubectl -n kube-system logs -l component=kube-apiserver --tail=200',
    });
  }
  return fixes;
}
