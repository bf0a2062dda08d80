// From diagnosis to plan: a pure function of the reports and the snapshots they came from. It decides which
// blockers have a mechanical fix, what exactly each step changes, and which facts each step relies on. It reads
// nothing and writes nothing: evidence.ts reads the evidence, apply.ts is the only code that writes.
import type { Blocker, BlockerId, FixSafety, ObjectRef, Report } from '../model/report.js';
import type { ManualItem, PlanWarning } from '../model/plan.js';
import type { ControllerCandidate, ObjectSample, Snapshot, WebhookState } from '../snapshot/types.js';
import { finalizerOwner } from '../rules/deadlines.js';
import { describeNode } from '../rules/backend-chain.js';
import { sh } from '../util/shell.js';
import type { Candidate, EvidenceSpec, StepDraft } from './types.js';

export const SAFETY_ORDER: readonly FixSafety[] = ['safe', 'caution', 'last-resort'];

export function allows(allow: FixSafety, safety: FixSafety): boolean {
  return SAFETY_ORDER.indexOf(safety) <= SAFETY_ORDER.indexOf(allow);
}

export const OUT_OF_SERVICE = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' };

export interface Draft {
  /** Per blocker, the alternatives preferred first. */
  candidates: { namespace: string; blocker: Blocker; options: Candidate[] }[];
  manual: ManualItem[];
  warnings: PlanWarning[];
}

/**
 * The order steps are applied in, whatever order the diagnosis listed the blockers: a webhook that refuses writes
 * goes first (it would refuse the next steps too), owners waiting on dependents before the dependents' finalizers
 * (otherwise the garbage collector deletes the owner under step 2), the namespace's own finalizers last.
 */
const STEP_RANK: Record<BlockerId, number> = {
  WebhookBlocksDeletion: 0,
  APIServiceBackendInNamespace: 1,
  APIServiceOrphaned: 2,
  APIServiceUnavailable: 3,
  DependentsBlockDeletion: 4,
  FinalizerOwnerMissing: 5,
  FinalizerControllerStalled: 6,
  ControllerCannotCreateInTerminatingNamespace: 7,
  PodsStuckTerminating: 8,
  NamespaceMetadataFinalizerRemaining: 9,
  NamespaceFinalizerRemaining: 10,
  // No mechanical step (each is "manual" in a plan); a new blocker id must take a place here to compile.
  ConversionWebhookDown: 11,
  CRDTerminating: 11,
  PVCInUse: 11,
  NamespaceControllerNotRunning: 11,
  GroupVersionParseFailure: 11,
  NamespaceControllerForbidden: 11,
  ContentDeletionFailed: 11,
};

export function draftPlan(inputs: { report: Report; snapshot: Snapshot }[]): Draft {
  const draft: Draft = { candidates: [], manual: [], warnings: [] };
  for (const { report, snapshot } of inputs) {
    for (const blocker of report.blockers) {
      for (const warning of blocker.warnings ?? []) draft.warnings.push({ blockerId: blocker.id, namespace: report.namespace, warning });
      const { options, reason } = candidatesFor(blocker, snapshot);
      if (options.length) draft.candidates.push({ namespace: report.namespace, blocker, options });
      else draft.manual.push({ blockerId: blocker.id, namespace: report.namespace, summary: blocker.summary, reason });
    }
  }
  draft.candidates.sort((a, b) => STEP_RANK[a.blocker.id] - STEP_RANK[b.blocker.id]);
  return draft;
}

/** Chooses, per blocker, the first alternative --allow permits; the others are withheld with what they need. */
export function selectSteps(draft: Draft, allow: FixSafety): { chosen: StepDraft[]; withheld: { draft: StepDraft; needs: string }[] } {
  const chosen: StepDraft[] = [];
  const withheld: { draft: StepDraft; needs: string }[] = [];
  for (const { options } of draft.candidates) {
    const pick = options.find((o) => allows(allow, o.safety));
    if (pick) chosen.push(...pick.steps);
    else for (const step of options[0]?.steps ?? []) withheld.push({ draft: step, needs: `--allow ${options[0]?.safety ?? 'last-resort'}` });
  }
  return { chosen, withheld };
}

function candidatesFor(blocker: Blocker, snapshot: Snapshot): { options: Candidate[]; reason: string } {
  const none = (reason: string) => ({ options: [], reason });
  const ns = snapshot.namespaceName;
  switch (blocker.id) {
    case 'APIServiceBackendInNamespace':
    case 'APIServiceOrphaned':
    case 'APIServiceUnavailable': {
      const subject = blocker.subject;
      const apiService = subject.kind === 'APIService' ? snapshot.apiServices?.find((a) => a.name === subject.name) : undefined;
      if (!apiService?.service) return none('the APIService could not be read, so there is nothing exact to change');
      const service = `${apiService.service.namespace}/${apiService.service.name}`;
      const target: EvidenceSpec = {
        ref: { kind: 'APIService', name: apiService.name, apiVersion: 'apiregistration.k8s.io/v1' },
        path: `/apis/apiregistration.k8s.io/v1/apiservices/${seg(apiService.name)}`,
        expect: { exists: 'true', 'apiservice.service': service, 'apiservice.available': apiService.available?.status ?? 'none' },
      };
      const evidence: EvidenceSpec[] = [];
      let safety: FixSafety = 'last-resort';
      let description = `delete APIService ${apiService.name}: its API ${apiService.group}/${apiService.version} is unavailable and blocks discovery`;
      let cost = `removes API ${apiService.group}/${apiService.version} for the whole cluster until its product re-registers it`;
      if (blocker.id === 'APIServiceBackendInNamespace') {
        safety = 'safe';
        description = `delete APIService ${apiService.name}: it is served from namespace ${ns}, which is being deleted`;
        cost = `API ${apiService.group}/${apiService.version} disappears from the cluster (it is already unreachable and cannot come back)`;
        evidence.push(namespaceEvidence(ns, { deleting: 'true' }));
      } else if (blocker.id === 'APIServiceOrphaned') {
        safety = 'caution';
        description = `delete APIService ${apiService.name}: its Service ${service} no longer exists (left behind by an uninstall)`;
        evidence.push({
          ref: { kind: 'Service', namespace: apiService.service.namespace, name: apiService.service.name },
          path: `/api/v1/namespaces/${seg(apiService.service.namespace)}/services/${seg(apiService.service.name)}`,
          expect: { exists: 'false' },
        });
      }
      return { options: [{ safety, steps: [step(blocker, ns, safety, description, cost, target, evidence, { type: 'delete' }, 'apiservice')] }], reason: '' };
    }
    case 'NamespaceFinalizerRemaining': {
      const foreign = (snapshot.namespace?.specFinalizers ?? []).filter((f) => f !== 'kubernetes');
      if (!foreign.length) return none('no finalizer token other than kubernetes is left');
      return lastResortOnNamespace(
        blocker,
        ns,
        `remove ${foreign.join(', ')} from spec.finalizers of namespace ${ns} through /finalize (the kubernetes token, if any, stays for the namespace controller)`,
        'whatever the owner of the token would have cleaned up is never cleaned up; objects still in the namespace stay in etcd and reappear if it is re-created',
        foreign.map((f) => `specFinalizer:${f}`),
        { type: 'finalize-namespace', drop: foreign },
        // Recorded so the guard (guards.ts) can tell a request that would drop it: the planner never does.
        { 'specFinalizer:kubernetes': (snapshot.namespace?.specFinalizers ?? []).includes('kubernetes') ? 'present' : 'absent' },
      );
    }
    case 'NamespaceMetadataFinalizerRemaining': {
      const finalizers = snapshot.namespace?.metadataFinalizers ?? [];
      if (!finalizers.length) return none('metadata.finalizers is already empty');
      return lastResortOnNamespace(
        blocker,
        ns,
        `remove ${finalizers.join(', ')} from metadata.finalizers of namespace ${ns}`,
        'the cleanup those finalizers guard never runs; leftovers stay in etcd and reappear if the namespace is re-created',
        finalizers.map((f) => `finalizer:${f}`),
        { type: 'remove-finalizers', finalizers },
      );
    }
    case 'FinalizerOwnerMissing':
    case 'FinalizerControllerStalled':
    case 'ControllerCannotCreateInTerminatingNamespace': {
      const subject = blocker.subject;
      if (subject.kind !== 'Finalizer') return none('the objects could not be identified');
      const { finalizer } = subject;
      const samples = (snapshot.content?.stuck ?? []).filter(
        (s) => s.group === subject.group && s.resource === subject.resource && s.meta.deletionTimestamp && s.meta.finalizers?.includes(finalizer),
      );
      const first = samples[0];
      if (!first) return none('the objects could not be identified');
      const owner = finalizerOwner(snapshot, finalizer, first.group, first.resource);
      const missing = blocker.id === 'FinalizerOwnerMissing';
      if (missing && owner.state !== 'missing') return none('whether a controller still owns the finalizer is not proven: nothing is removed');
      const why = missing ? 'no running controller will' : 'its controller has not, and will not by itself';
      // The catalog's cost when it knows the finalizer (what leaks where), as the finding says it.
      const cost = blocker.fixes.find((f) => f.safety === 'last-resort')?.cost ?? 'the cleanup that finalizer guards never runs: external resources (cloud disks, DNS records, …) may leak';
      const total = Math.max(samples.length, snapshot.content?.types.find((t) => t.group === first.group && t.resource === first.resource)?.finalizers[finalizer] ?? 0);
      const typeLabel = typeName(first);
      // One step for the whole cause: each object still gets its own request and preconditions when applied.
      const batch = total > 1 ? { list: collectionOf(first), finalizer, objects: total } : undefined;
      const description = batch
        ? `remove finalizer ${finalizer} from all ${total} ${typeLabel} being deleted in ${first.meta.namespace} (${first.kind} ${first.meta.name} shown; each object gets its own request): ${why}`
        : `remove finalizer ${finalizer} from ${first.kind} ${first.meta.namespace}/${first.meta.name}: ${why}`;
      const draft = step(
        blocker,
        ns,
        'last-resort',
        description,
        cost,
        contentEvidence(first, { deleting: 'true', [`finalizer:${finalizer}`]: 'present' }),
        owner.state === 'missing' ? ownerAbsence(owner.candidates, owner.known?.workloads.map((w) => w.selector) ?? []) : [],
        { type: 'remove-finalizers', finalizers: [finalizer] },
        typeLabel,
      );
      return { options: [{ safety: 'last-resort', steps: [{ ...draft, ...(batch ? { batch } : {}) }] }], reason: '' };
    }
    case 'DependentsBlockDeletion': {
      const owners = (snapshot.content?.stuck ?? []).filter(
        (s) => s.meta.deletionTimestamp && s.meta.finalizers?.some((f) => f === 'foregroundDeletion' || f === 'orphan'),
      );
      if (!owners.length) return none('the waiting objects could not be identified');
      // What the API server itself does when such an owner is deleted again with propagationPolicy=Background (as the
      // namespace controller does): drop the GC finalizer. Sent as a JSON patch, not as that DELETE: a DELETE with a
      // resourceVersion precondition on an object that is already being deleted is refused by 1.34 (409, "ResourceVersion
      // in precondition: ,"), and without one nothing would guard against a change since the re-read.
      // One step per type and GC finalizer, covering every such owner (the diagnosis samples at most 50 per type).
      const groups = new Map<string, { owner: ObjectSample; gcFinalizer: string; sampled: number }>();
      for (const owner of owners) {
        const gcFinalizer = owner.meta.finalizers!.find((f) => f === 'foregroundDeletion' || f === 'orphan')!;
        const key = `${owner.group}/${owner.resource}/${gcFinalizer}`;
        const group = groups.get(key);
        if (group) group.sampled++;
        else groups.set(key, { owner, gcFinalizer, sampled: 1 });
      }
      const steps = [...groups.values()].map(({ owner, gcFinalizer, sampled }) => {
        const total = Math.max(sampled, snapshot.content?.types.find((t) => t.group === owner.group && t.resource === owner.resource)?.finalizers[gcFinalizer] ?? 0);
        const batch = total > 1 ? { list: collectionOf(owner), finalizer: gcFinalizer, objects: total } : undefined;
        const draft = step(
          blocker,
          ns,
          'caution',
          batch
            ? `remove ${gcFinalizer} from all ${total} ${typeName(owner)} being deleted in ${owner.meta.namespace} (${owner.kind} ${owner.meta.name} shown; each object gets its own request), as a background re-delete by the namespace controller would: the API server then deletes them`
            : `remove ${gcFinalizer} from ${owner.kind} ${owner.meta.namespace}/${owner.meta.name}, as a background re-delete by the namespace controller would: the API server then deletes it`,
          gcFinalizer === 'orphan'
            ? 'its dependents are deleted instead of orphaned (in a namespace being deleted they go anyway)'
            : 'its dependents are deleted after it instead of before it (they are in the namespace being deleted anyway)',
          contentEvidence(owner, { deleting: 'true', [`finalizer:${gcFinalizer}`]: 'present' }),
          [],
          { type: 'remove-finalizers', finalizers: [gcFinalizer] },
          typeName(owner),
        );
        return batch ? { ...draft, batch } : draft;
      });
      return { options: [{ safety: 'caution', steps }], reason: '' };
    }
    case 'PodsStuckTerminating': {
      const now = new Date(snapshot.takenAt);
      const stuck = Object.values(snapshot.pods).filter(
        (p) => p.namespace === ns && p.deletionTimestamp && Date.parse(p.deletionTimestamp) < now.getTime() && p.nodeName,
      );
      const steps: StepDraft[] = [];
      for (const nodeName of [...new Set(stuck.map((p) => p.nodeName!))]) {
        const node = snapshot.nodes[nodeName];
        if (!node?.exists || !describeNode(node, now).unhealthy) continue;
        if (node.taints.some((t) => t.key === OUT_OF_SERVICE.key)) continue;
        const pods = stuck.filter((p) => p.nodeName === nodeName);
        steps.push(
          step(
            blocker,
            ns,
            'caution',
            `mark node ${nodeName} out of service (taint ${OUT_OF_SERVICE.key}=${OUT_OF_SERVICE.value}:NoExecute): the pod garbage collector then force-deletes its terminating pods`,
            `right only if node ${nodeName} is really shut down: every pod on it is evicted, its terminating pods are removed without the kubelet confirming they stopped, and their volumes are detached`,
            {
              ref: { kind: 'Node', name: nodeName },
              path: `/api/v1/nodes/${seg(nodeName)}`,
              expect: { exists: 'true', 'node.ready': node.ready?.status ?? 'none', [`taint:${OUT_OF_SERVICE.key}`]: 'absent' },
            },
            pods.map((p) => ({
              ref: { kind: 'Pod', namespace: p.namespace, name: p.name },
              path: `/api/v1/namespaces/${seg(p.namespace)}/pods/${seg(p.name)}`,
              metadataOnly: true,
              expect: { exists: 'true', deleting: 'true' },
            })),
            { type: 'add-taint', taint: OUT_OF_SERVICE },
            'node',
          ),
        );
      }
      if (!steps.length) return none('no stuck pod is on a node that exists and is down: the pod garbage collector or the kubelet has to act (see the fixes)');
      return { options: [{ safety: 'caution', steps }], reason: '' };
    }
    case 'WebhookBlocksDeletion': {
      const subject = blocker.subject;
      const webhook =
        subject.kind === 'Webhook'
          ? (snapshot.webhooks ?? []).find((w) => w.configurationKind === subject.configurationKind && w.configuration === subject.configuration && w.name === subject.webhook)
          : undefined;
      if (!webhook) return none('the webhook configuration this finding is about is no longer in the snapshot');
      // A backend that is missing or has no ready endpoint is re-checked before writing; any other class (TLS,
      // timeout, refused, denied) comes from the controller's own error, and the namespace still being deleted is
      // what the step relies on.
      const backendDown = blocker.failure?.class === 'no-endpoints' || blocker.failure?.class === 'service-not-found';
      if (!webhook.service && backendDown) return none('the webhook is called by URL: whether its backend is down cannot be checked from here');
      const resource = webhook.configurationKind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfigurations' : 'mutatingwebhookconfigurations';
      const service = webhook.service ? `${webhook.service.namespace}/${webhook.service.name}` : (webhook.url ?? 'url');
      const target: EvidenceSpec = {
        ref: { kind: webhook.configurationKind, name: webhook.configuration, apiVersion: 'admissionregistration.k8s.io/v1' },
        path: `/apis/admissionregistration.k8s.io/v1/${resource}/${seg(webhook.configuration)}`,
        expect: {
          exists: 'true',
          [`webhook:${webhook.name}.failurePolicy`]: webhook.failurePolicy,
          [`webhook:${webhook.name}.service`]: webhook.service ? service : 'url',
        },
      };
      const backend = backendDown ? backendEvidence(snapshot, webhook) : namespaceEvidence(ns, { deleting: 'true' });
      const kubectlType = resource.replace(/s$/, '');
      if (webhook.service?.namespace === ns) {
        const siblings = (snapshot.webhooks ?? []).filter((w) => w.configurationKind === webhook.configurationKind && w.configuration === webhook.configuration);
        const others = siblings.filter((w) => w.service?.namespace !== ns).map((w) => w.name);
        if (!others.length) {
          // Every webhook of the configuration is served from the namespace being deleted: the whole object is dead.
          const whole = { ...target, expect: { ...target.expect, [`webhooks.servedOutside:${ns}`]: '0' } };
          return {
            options: [
              {
                safety: 'safe',
                steps: [
                  step(
                    blocker,
                    ns,
                    'safe',
                    `delete ${webhook.configurationKind} ${webhook.configuration}: every webhook in it is served from namespace ${ns}, which is being deleted`,
                    'the policy it enforced stops applying cluster-wide',
                    whole,
                    [backend, namespaceEvidence(ns, { deleting: 'true' })],
                    { type: 'delete' },
                    kubectlType,
                  ),
                ],
              },
            ],
            reason: '',
          };
        }
        // Other webhooks of the configuration are served from elsewhere (or by url) and may be healthy: only the
        // dead entry goes.
        return {
          options: [
            {
              safety: 'safe',
              steps: [
                step(
                  blocker,
                  ns,
                  'safe',
                  `remove webhook ${webhook.name} from ${webhook.configurationKind} ${webhook.configuration}: its backend ${service} lives in namespace ${ns}, which is being deleted; the configuration and its other webhooks (${others.join(', ')}) stay`,
                  `the policy of webhook ${webhook.name} stops applying cluster-wide (its backend cannot come back)`,
                  target,
                  [backend, namespaceEvidence(ns, { deleting: 'true' })],
                  { type: 'remove-webhook', webhook: webhook.name },
                  kubectlType,
                ),
              ],
            },
          ],
          reason: '',
        };
      }
      return {
        options: [
          {
            safety: 'caution',
            steps: [
              step(
                blocker,
                ns,
                'caution',
                `exclude namespace ${ns} from webhook ${webhook.name} (namespaceSelector: kubernetes.io/metadata.name NotIn [${ns}]), so deleting what is left is no longer sent to ${backendDown ? `its dead backend ${service}` : `${service} (${blocker.failure?.class ?? 'failing'})`}`,
                `the webhook no longer checks anything in namespace ${ns} (which is being deleted); elsewhere it is unchanged`,
                target,
                [backend],
                { type: 'exclude-namespace', webhook: webhook.name, namespace: ns },
                kubectlType,
              ),
            ],
          },
        ],
        reason: '',
      };
    }
    case 'CRDTerminating':
      return none('the CRD finishes by itself once its objects are gone (see the finalizer findings); its own finalizer is never stripped');
    case 'ConversionWebhookDown':
      return none('restore the conversion service; changing the conversion strategy is only right if the schemas are identical, which ns-doctor cannot prove');
    case 'PVCInUse':
      return none('the pod that still uses the claim has to go first; ns-doctor does not remove pvc-protection');
    default:
      return none('no mechanical fix: see the fixes in the diagnosis');
  }
}

function step(
  blocker: Blocker,
  namespace: string,
  safety: FixSafety,
  description: string,
  cost: string,
  target: EvidenceSpec,
  evidence: EvidenceSpec[],
  action: StepDraft['action'],
  kubectlType: string,
): StepDraft {
  return { blockerId: blocker.id, namespace, safety, description, cost, target, evidence, action, kubectlType };
}

/** A last-resort change to the namespace object itself, relying on it being deleted with the finalizers named. */
function lastResortOnNamespace(
  blocker: Blocker,
  ns: string,
  description: string,
  cost: string,
  presentFacts: string[],
  action: StepDraft['action'],
  alsoExpect: Record<string, string> = {},
): { options: Candidate[]; reason: string } {
  const expect: Record<string, string> = { deleting: 'true', ...Object.fromEntries(presentFacts.map((f) => [f, 'present'])), ...alsoExpect };
  const target = namespaceEvidence(ns, expect);
  return { options: [{ safety: 'last-resort', steps: [step(blocker, ns, 'last-resort', description, cost, target, [], action, 'namespace')] }], reason: '' };
}

function namespaceEvidence(ns: string, expect: Record<string, string>): EvidenceSpec {
  return { ref: { kind: 'Namespace', name: ns }, path: `/api/v1/namespaces/${seg(ns)}`, expect: { exists: 'true', ...expect } };
}

function contentEvidence(sample: ObjectSample, expect: Record<string, string>): EvidenceSpec {
  const base = sample.group ? `/apis/${seg(sample.group)}/${seg(sample.version)}` : `/api/${seg(sample.version)}`;
  const ref: ObjectRef = { kind: sample.kind, name: sample.meta.name, namespace: sample.meta.namespace, apiVersion: apiVersionOf(sample) };
  return {
    ref,
    path: `${base}/namespaces/${seg(sample.meta.namespace!)}/${seg(sample.resource)}/${seg(sample.meta.name)}`,
    metadataOnly: true,
    expect: { exists: 'true', ...expect },
  };
}

function backendEvidence(snapshot: Snapshot, webhook: WebhookState): EvidenceSpec {
  const { namespace, name } = webhook.service!;
  const service = snapshot.services[`${namespace}/${name}`];
  if (service && !service.exists) {
    return { ref: { kind: 'Service', namespace, name }, path: `/api/v1/namespaces/${seg(namespace)}/services/${seg(name)}`, expect: { exists: 'false' } };
  }
  return {
    ref: { kind: 'EndpointSliceList', namespace, name: `kubernetes.io/service-name=${name}`, apiVersion: 'discovery.k8s.io/v1' },
    path: `/apis/discovery.k8s.io/v1/namespaces/${seg(namespace)}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${name}`)}`,
    expect: { 'endpoints.ready': '0' },
  };
}

/**
 * What "no running controller" rests on, read again right before the write: every ServiceAccount RBAC lets remove
 * the finalizer still has no ready pod, and no ready pod carries the labels the finalizer catalog gives its owner.
 * (No RBAC candidate at all is re-checked when the whole plan is made again at apply time.)
 */
function ownerAbsence(candidates: ControllerCandidate[], catalogSelectors: string[]): EvidenceSpec[] {
  const byServiceAccount = candidates.map(({ serviceAccount: sa }) => ({
    ref: { kind: 'PodList', namespace: sa.namespace, name: `serviceAccountName=${sa.name}` },
    path: `/api/v1/namespaces/${seg(sa.namespace)}/pods?fieldSelector=${encodeURIComponent(`spec.serviceAccountName=${sa.name}`)}`,
    expect: { 'pods.ready': '0' },
  }));
  // Where the finalizer catalog says its owner runs (well-known labels, cluster-wide): a controller installed or
  // scaled up meanwhile makes the step stop, as the diagnosis would have called it live.
  const byCatalogLabels = catalogSelectors.map((selector) => ({
    ref: { kind: 'PodList', name: `labelSelector=${selector}` },
    path: `/api/v1/pods?labelSelector=${encodeURIComponent(selector)}`,
    expect: { 'pods.ready': '0' },
  }));
  return [...byServiceAccount, ...byCatalogLabels];
}

function collectionOf(sample: ObjectSample): string {
  const base = sample.group ? `/apis/${seg(sample.group)}/${seg(sample.version)}` : `/api/${seg(sample.version)}`;
  return `${base}/namespaces/${seg(sample.meta.namespace!)}/${seg(sample.resource)}`;
}

function apiVersionOf(sample: ObjectSample): string {
  return sample.group ? `${sample.group}/${sample.version}` : sample.version;
}

function typeName(sample: ObjectSample): string {
  return sample.group ? `${sample.resource}.${sample.group}` : sample.resource;
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The kubectl command a person would type for the same change (shown for review; ns-doctor never runs it). */
export function humanCommand(draft: StepDraft, request: { body: unknown }): string {
  const { ref } = draft.target;
  const nsFlag = ref.namespace ? ['-n', ref.namespace] : [];
  const scoped = (command: string) => (nsFlag.length ? command.replace(/^kubectl /, `kubectl -n ${sh`${ref.namespace!}`} `) : command);
  switch (draft.action.type) {
    case 'delete':
      return scoped(sh`kubectl delete ${draft.kubectlType} ${ref.name}`);
    case 'add-taint':
      return sh`kubectl taint nodes ${ref.name} ${`${draft.action.taint.key}=${draft.action.taint.value}:${draft.action.taint.effect}`}`;
    case 'finalize-namespace':
      return sh`kubectl replace --raw ${`/api/v1/namespaces/${ref.name}/finalize`} -f -` + '   # with the body shown above';
    default:
      return scoped(sh`kubectl patch ${draft.kubectlType} ${ref.name} --type=json -p ${JSON.stringify(request.body)}`);
  }
}
