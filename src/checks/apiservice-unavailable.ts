import type { Blocker, EvidenceLink, Fix, FixSafety } from '../model/report.js';
import type { EvidenceSpec } from '../model/step-draft.js';
import { namespaceEvidence, noStep, oneOption, seg, step } from './plan-steps.js';
import type { APIServiceState, Snapshot, ServiceRef } from '../snapshot/types.js';
import { describeBackend } from '../rules/backend-chain.js';
import { link, type Check, type CheckContext } from './types.js';
import { sh } from '../util/shell.js';
import { isFailingAggregatedApi } from '../rules/kubernetes.js';

declare module '../model/report.js' {
  interface BlockerIds {
    APIServiceBackendInNamespace: true;
    APIServiceOrphaned: true;
    APIServiceUnavailable: true;
  }
}

/**
 * The namespace controller refuses to remove its `kubernetes` finalizer while any group version fails discovery,
 * even when the namespace is empty. Each unavailable aggregated API is followed to its backend and classified:
 * backend broken, APIService orphaned by an uninstall, or backend living in the namespace being deleted.
 */
export const apiServiceUnavailable = {
  id: 'APIServiceUnavailable',
  // In the order their steps run: safest first (the API that can never come back, then the orphan, then the broken one).
  emits: ['APIServiceBackendInNamespace', 'APIServiceOrphaned', 'APIServiceUnavailable'],
  description: 'An aggregated API (APIService) is unavailable, so discovery fails and the namespace controller will not finish',
  stage: 'discovery',
  groupSummary({ id, subject, summary }) {
    if (subject.kind === 'GroupVersion') return `API ${subject.groupVersion} fails discovery, so the namespace controller will not finish`;
    if (subject.kind !== 'APIService') return summary;
    // The backend's causes (CrashLoopBackOff, node NotReady) are the cluster's, the same for every namespace.
    if (id === 'APIServiceUnavailable') return summary;
    if (id === 'APIServiceOrphaned') return `APIService ${subject.name} points at a Service that no longer exists (left behind by an uninstall?)`;
    return `API ${subject.groupVersion} is served from inside a namespace being deleted: it can never come back`;
  },
  planPhase: 'restore-discovery',
  plan(blocker, snapshot) {
    const ns = snapshot.namespaceName;
    const subject = blocker.subject;
    const apiService = subject.kind === 'APIService' ? snapshot.apiServices?.find((a) => a.name === subject.name) : undefined;
    if (!apiService?.service) return noStep('the APIService could not be read, so there is nothing exact to change');
    const service = `${apiService.service.namespace}/${apiService.service.name}`;
    const api = `${apiService.group}/${apiService.version}`;
    const target: EvidenceSpec = {
      ref: { kind: 'APIService', name: apiService.name, apiVersion: 'apiregistration.k8s.io/v1' },
      path: `/apis/apiregistration.k8s.io/v1/apiservices/${seg(apiService.name)}`,
      expect: { exists: 'true', 'apiservice.service': service, 'apiservice.available': apiService.available?.status ?? 'none' },
    };
    const deleteIt = (safety: FixSafety, description: string, cost: string, evidence: EvidenceSpec[]) =>
      oneOption(safety, [step(blocker, ns, safety, `delete APIService ${apiService.name}: ${description}`, cost, target, evidence, { type: 'delete' }, 'apiservice')]);
    if (blocker.id === 'APIServiceBackendInNamespace') {
      return deleteIt(
        'safe',
        `it is served from namespace ${ns}, which is being deleted`,
        `API ${api} disappears from the cluster (it is already unreachable and cannot come back)`,
        [namespaceEvidence(ns, { deleting: 'true' })],
      );
    }
    const removesApi = `removes API ${api} for the whole cluster until its product re-registers it`;
    if (blocker.id === 'APIServiceOrphaned' && snapshot.services[service]?.namespaceTerminating) {
      const { namespace, name } = apiService.service;
      return deleteIt('safe', `its Service ${service} is gone with its namespace ${namespace}, which is being deleted`, `API ${api} disappears from the cluster (it is already unreachable and cannot come back)`, [
        { ref: { kind: 'Service', namespace, name }, path: `/api/v1/namespaces/${seg(namespace)}/services/${seg(name)}`, expect: { exists: 'false' } },
        namespaceEvidence(namespace, { deleting: 'true' }),
      ]);
    }
    if (blocker.id === 'APIServiceOrphaned') {
      const { namespace, name } = apiService.service;
      return deleteIt('caution', `its Service ${service} no longer exists (left behind by an uninstall)`, removesApi, [
        { ref: { kind: 'Service', namespace, name }, path: `/api/v1/namespaces/${seg(namespace)}/services/${seg(name)}`, expect: { exists: 'false' } },
      ]);
    }
    return deleteIt('last-resort', `its API ${api} is unavailable and blocks discovery`, removesApi, []);
  },
  run(snapshot, context) {
    const ns = snapshot.namespace;
    if (!ns?.deletionTimestamp || !ns.specFinalizers.includes('kubernetes')) return [];
    // Live discovery wins; the controller's condition only speaks for group versions live discovery did not see
    // (conditions are rewritten on each pass but freeze once the controller is done or gone).
    const live = new Map((snapshot.discovery?.groupVersions ?? []).map((gv) => [gv.groupVersion, gv]));
    const failingGroupVersions = new Map<string, string>();
    for (const gv of live.values()) {
      if (gv.state !== 'Current') failingGroupVersions.set(gv.groupVersion, gv.reason ?? gv.state);
    }
    for (const failure of context.conditions.discoveryFailures) {
      if (!live.has(failure.groupVersion)) failingGroupVersions.set(failure.groupVersion, failure.error);
    }

    const blockers: Blocker[] = [];
    const explained = new Set<string>();
    for (const apiService of snapshot.apiServices ?? []) {
      const groupVersion = `${apiService.group}/${apiService.version}`;
      if (!isFailingAggregatedApi(apiService, failingGroupVersions)) continue;
      explained.add(groupVersion);
      if (apiService.service) blockers.push(blockerFor(snapshot, apiService, apiService.service, failingGroupVersions.get(groupVersion), context));
    }

    // Failing group versions whose APIService could not be read (or has no service): still proven by discovery.
    for (const [groupVersion, reason] of failingGroupVersions) {
      if (explained.has(groupVersion)) continue;
      const apiServiceName = groupVersion.includes('/') ? `${groupVersion.split('/')[1]}.${groupVersion.split('/')[0]}` : undefined;
      blockers.push({
        id: 'APIServiceUnavailable',
        subject: apiServiceName ? { kind: 'APIService', name: apiServiceName, groupVersion } : { kind: 'GroupVersion', groupVersion },
        summary: `API ${groupVersion} fails discovery, so the namespace controller will not finish`,
        evidence: [
          link({ kind: 'Namespace', name: ns.name }, `discovery of ${groupVersion} fails: ${reason}`, 0),
          ...(apiServiceName
            ? [link({ kind: 'APIService', name: apiServiceName, apiVersion: 'apiregistration.k8s.io/v1' }, 'could not be read (see gaps)', 1)]
            : []),
        ],
        fixes: apiServiceName
          ? [
              { safety: 'safe', description: `inspect the APIService and its backend`, command: sh`kubectl get apiservice ${apiServiceName} -o yaml` },
              deleteApiServiceFix(apiServiceName, 'last-resort'),
            ]
          : [],
      });
    }
    return blockers;
  },
} satisfies Check;

function blockerFor(snapshot: Snapshot, apiService: APIServiceState, service: ServiceRef, discoveryError: string | undefined, context: CheckContext): Blocker {
  const namespaceName = snapshot.namespaceName;
  const groupVersion = `${apiService.group}/${apiService.version}`;
  const condition = apiService.available;
  const conditionText = condition
    ? `Available=${condition.status}${condition.reason ? ` (${condition.reason})` : ''}${condition.message ? `: ${condition.message}` : ''}`
    : 'no Available condition yet';
  const evidence: EvidenceLink[] = [
    link(
      { kind: 'APIService', name: apiService.name, apiVersion: 'apiregistration.k8s.io/v1' },
      discoveryError ? `${conditionText}; discovery: ${discoveryError}` : conditionText,
      0,
    ),
  ];
  const backend = describeBackend(snapshot, service, 1, context.now);
  evidence.push(...backend.links);
  const subject = { kind: 'APIService', name: apiService.name, groupVersion } as const;

  if (service.namespace === namespaceName) {
    return {
      id: 'APIServiceBackendInNamespace',
      subject,
      summary: `API ${groupVersion} is served from inside namespace ${namespaceName}, which is being deleted: it can never come back`,
      evidence,
      fixes: [
        {
          safety: 'safe',
          description: `delete the APIService first: its backend is being deleted with the namespace anyway`,
          command: sh`kubectl delete apiservice ${apiService.name}`,
          cost: `API ${groupVersion} disappears from the cluster (it is already unreachable)`,
        },
      ],
    };
  }

  const orphaned = backend.serviceMissing || condition?.reason === 'ServiceNotFound';
  if (orphaned && snapshot.services[`${service.namespace}/${service.name}`]?.namespaceTerminating) {
    return {
      id: 'APIServiceOrphaned',
      subject,
      summary: `APIService ${apiService.name} points at Service ${service.namespace}/${service.name}, which is gone with its namespace ${service.namespace}, itself being deleted: it can never come back`,
      evidence: [...evidence, link({ kind: 'Namespace', name: service.namespace }, 'being deleted: the backend cannot be reinstalled there', 1)],
      fixes: [
        {
          safety: 'safe',
          description: `delete the APIService: its backend's namespace ${service.namespace} is being deleted, so nothing can serve ${groupVersion} again`,
          command: sh`kubectl delete apiservice ${apiService.name}`,
          cost: `API ${groupVersion} disappears from the cluster (it is already unreachable and cannot come back)`,
        },
      ],
    };
  }
  if (orphaned) {
    return {
      id: 'APIServiceOrphaned',
      subject,
      summary: `APIService ${apiService.name} points at Service ${service.namespace}/${service.name}, which no longer exists (left behind by an uninstall?)`,
      evidence,
      fixes: [
        {
          safety: 'safe',
          description: `if ${groupVersion} is still wanted, reinstall the product that serves it; deletion resumes within a minute once no API fails discovery`,
        },
        {
          safety: 'caution',
          description: 'if the product was uninstalled, delete the APIService it left behind — this is the right fix then',
          command: sh`kubectl delete apiservice ${apiService.name}`,
          cost: `removes API ${groupVersion} cluster-wide`,
        },
      ],
    };
  }

  const cause = backend.causes.length ? ` (${[...new Set(backend.causes)].join(', ')})` : '';
  const fixes: Fix[] = [
    {
      safety: 'safe',
      description: `repair the backend of ${groupVersion}${cause}; the namespace controller retries by itself, and deletion resumes within a minute once no API fails discovery`,
      command: firstPodCommand(snapshot, service.namespace, backend) ?? sh`kubectl -n ${service.namespace} describe service ${service.name}`,
    },
  ];
  const onBadNode = backend.podsOnUnhealthyNodes[0];
  if (onBadNode) {
    fixes.push({
      safety: 'caution',
      description: `move the backend off node ${onBadNode.node}: cordon it and delete the pod so it is rescheduled`,
      command: sh`kubectl cordon ${onBadNode.node} && kubectl -n ${onBadNode.namespace} delete pod ${onBadNode.pod}`,
    });
  }
  fixes.push(deleteApiServiceFix(apiService.name, 'last-resort', groupVersion));
  return {
    id: 'APIServiceUnavailable',
    subject,
    summary: `API ${groupVersion} is unavailable${cause}, so the namespace controller will not finish`,
    evidence,
    fixes,
  };
}

function firstPodCommand(snapshot: Snapshot, namespace: string, backend: ReturnType<typeof describeBackend>): string | undefined {
  const podLink = backend.links.find((l) => l.ref.kind === 'Pod');
  if (!podLink) return undefined;
  const pod = snapshot.pods[`${namespace}/${podLink.ref.name}`];
  const crashed = pod?.containers.some((c) => c.lastTerminationReason || c.restartCount > 0);
  return crashed
    ? sh`kubectl -n ${namespace} logs ${podLink.ref.name} --previous`
    : sh`kubectl -n ${namespace} describe pod ${podLink.ref.name}`;
}

function deleteApiServiceFix(name: string, safety: Fix['safety'], groupVersion?: string): Fix {
  // kubectl top reads metrics.k8s.io only; custom and external metrics feed autoscalers (HPA, KEDA) alone.
  const metrics = name.endsWith('.metrics.k8s.io') && name.split('.').slice(1).join('.') === 'metrics.k8s.io'
    ? ' (HorizontalPodAutoscalers and `kubectl top` lose metrics)'
    : name.endsWith('metrics.k8s.io')
      ? ' (HorizontalPodAutoscalers and KEDA lose the metrics they scale on)'
      : '';
  return {
    safety,
    description: 'only if this API is meant to be gone: delete the APIService',
    command: sh`kubectl delete apiservice ${name}`,
    cost: `removes API ${groupVersion ?? name} for the whole cluster${metrics}`,
  };
}
