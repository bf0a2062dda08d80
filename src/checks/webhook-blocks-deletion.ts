import type { Blocker, Fix } from '../model/report.js';
import type { ContentType, Snapshot, WebhookState } from '../snapshot/types.js';
import type { Action, EvidenceSpec } from '../model/step-draft.js';
import { backendEvidence, namespaceEvidence, noStep, oneOption, seg, step } from './plan-steps.js';
import { interceptsDeleteOrUpdate, isNarrowing, mayMatchNamespace, refusesDeletionWhenDown } from '../rules/kubernetes.js';
import { admissionWebhookFailure } from '../rules/webhook-errors.js';
import { describeBackend } from '../rules/backend-chain.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { failureClassPhrase, failurePhrase, namespaceWriteRefusals, observedFailure, safeFixesFor, targetFacts, type NamespaceWriteRefusal } from './webhook-failure.js';
import { controllerOverdue } from '../rules/deadlines.js';

declare module '../model/report.js' {
  interface BlockerIds {
    WebhookBlocksDeletion: true;
  }
}

/** The API server's default timeoutSeconds for admission webhooks (admissionregistration/v1). */
const DEFAULT_TIMEOUT_SECONDS = 10;

/**
 * An admission webhook that intercepts DELETE/UPDATE of what is left and does not let it through: failurePolicy Fail
 * and a backend that cannot answer (the class of failure is read from the controller's own error when it names the
 * webhook, else from the objects), or a webhook that answers and denies (whatever its failurePolicy).
 */
export const webhookBlocksDeletion = {
  id: 'WebhookBlocksDeletion',
  emits: ['WebhookBlocksDeletion'],
  description: 'An admission webhook refuses the deletions: failurePolicy Fail and a backend that cannot answer, or its policy denies them',
  stage: 'admission',
  groupSummary({ subject, summary, failure }) {
    if (subject.kind !== 'Webhook') return summary;
    return `admission webhook ${subject.webhook} (${subject.configurationKind} ${subject.configuration}) refuses deletions${failure ? ` (${failureClassPhrase(failure.class)})` : ''}`;
  },
  planPhase: 'unblock-admission',
  plan(blocker, snapshot) {
    const ns = snapshot.namespaceName;
    const subject = blocker.subject;
    const webhook =
      subject.kind === 'Webhook'
        ? (snapshot.webhooks ?? []).find((w) => w.configurationKind === subject.configurationKind && w.configuration === subject.configuration && w.name === subject.webhook)
        : undefined;
    if (!webhook) return noStep('the webhook configuration this finding is about is no longer in the snapshot');
    // A backend that is missing or has no ready endpoint is re-checked before writing; any other class (TLS,
    // timeout, refused, denied) comes from the controller's own error, and the namespace still being deleted is
    // what the step relies on.
    const backendDown = blocker.failure?.class === 'no-endpoints' || blocker.failure?.class === 'service-not-found';
    if (!webhook.service && backendDown) return noStep('the webhook is called by URL: whether its backend is down cannot be checked from here');
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
    const backend = backendDown && webhook.service ? backendEvidence(snapshot, webhook.service) : namespaceEvidence(ns, { deleting: 'true' });
    const kubectlType = resource.replace(/s$/, '');
    if (webhook.service?.namespace === ns) {
      const removal = deadWebhookRemoval(snapshot, webhook, service, target);
      return oneOption('safe', [
        step(blocker, ns, 'safe', removal.description, removal.cost, removal.target, [backend, namespaceEvidence(ns, { deleting: 'true' })], removal.action, kubectlType),
      ]);
    }
    return oneOption('caution', [
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
    ]);
  },
  run(snapshot, { now, conditions, controllerTimeoutMs }) {
    if (!snapshot.namespace?.deletionTimestamp) return [];
    const remaining = snapshot.content?.types ?? [];
    const blockers: Blocker[] = [];
    for (const webhook of snapshot.webhooks ?? []) {
      const reported = admissionWebhookFailure(conditions.contentFailure, webhook.name);
      // A denial blocks whatever the failurePolicy; a call that fails blocks only with failurePolicy Fail.
      if (!(reported?.class === 'denied') && !refusesDeletionWhenDown(webhook)) continue;
      // Without the controller's own words naming it, a webhook is blamed only when it surely sees this namespace's
      // objects: its namespaceSelector matches the namespace's labels, and no objectSelector or matchConditions
      // narrow it to objects whose labels the survey does not keep (those only "may" be intercepted).
      if (!reported && !mayMatchNamespace(webhook.namespaceSelector, snapshot.namespaceName, snapshot.namespace.labels)) continue;
      if (!reported && (isNarrowing(webhook.objectSelector) || webhook.matchConditions)) continue;
      const matched = remaining.filter((t) => interceptsDeletion(webhook, t));
      if (matched.length === 0 && !reported) continue;
      const backend = webhook.service ? describeBackend(snapshot, webhook.service, 1, now) : undefined;
      const failure = reported ?? observedFailure(webhook, backend);
      if (!failure) continue;
      const kindFlag = webhook.configurationKind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfiguration' : 'mutatingwebhookconfiguration';
      const ops = [...new Set(webhook.rules.flatMap((r) => r.operations))].join(',');
      const ready = backend?.readyEndpoints;
      const staleNoEndpoints = failure.class === 'no-endpoints' && failure.source === 'controller' && ready !== undefined && ready > 0;
      const evidence = [
        link(
          { kind: webhook.configurationKind, name: webhook.configuration, apiVersion: 'admissionregistration.k8s.io/v1' },
          `webhook ${webhook.name}: failurePolicy ${webhook.failurePolicy}, operations ${ops}, matches ${matched.map(typeName).join(', ') || 'the content the controller deletes'}; ${targetFacts(webhook, DEFAULT_TIMEOUT_SECONDS).join(', ')}`,
          0,
        ),
        ...(failure.source === 'controller'
          ? [link({ kind: 'Namespace', name: snapshot.namespaceName }, `the namespace controller reports (${failure.class}): ${failure.message}`, 0)]
          : []),
        ...(backend?.links ?? []),
        ...(staleNoEndpoints ? [link({ kind: 'Namespace', name: snapshot.namespaceName }, `the controller's error is older than the endpoints now read (${ready} ready): it may be gone on the next pass`, 0)] : []),
      ];
      const inNamespace = webhook.service?.namespace === snapshot.namespaceName;
      const index = indexOf(snapshot.webhooks ?? [], webhook);
      const caBundleOf = sh`kubectl get ${kindFlag} ${webhook.configuration} -o ${`jsonpath={.webhooks[${index}].clientConfig.caBundle}`}`;
      const timeoutSeconds = webhook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
      blockers.push({
        id: 'WebhookBlocksDeletion',
        subject: { kind: 'Webhook', configurationKind: webhook.configurationKind, configuration: webhook.configuration, webhook: webhook.name },
        summary: `admission webhook ${webhook.name} refuses deletions: ${failure.class === 'denied' ? '' : `failurePolicy ${webhook.failurePolicy} and `}${failurePhrase(failure, webhook, DEFAULT_TIMEOUT_SECONDS)}${inNamespace ? ' (it lives in the namespace being deleted)' : ''}`,
        evidence,
        failure,
        fixes: [
          ...(inNamespace
            ? [{ safety: 'safe' as const, ...removalFix(snapshot, webhook, kindFlag, index, 'the webhook backend is being deleted with this namespace', (w) => w.service?.namespace === snapshot.namespaceName) }]
            : safeFixesFor(failure, webhook, snapshot, caBundleOf, timeoutSeconds)),
          ...(failure.class === 'timeout' && timeoutSeconds < 30
            ? [
                {
                  safety: 'caution' as const,
                  description: `give the backend more time: raise timeoutSeconds from ${timeoutSeconds} to 30 (the most the API allows)`,
                  command: sh`kubectl patch ${kindFlag} ${webhook.configuration} --type=json -p ${JSON.stringify([{ op: 'replace', path: `/webhooks/${index}/timeoutSeconds`, value: 30 }])}`,
                  cost: 'every request it intercepts may wait up to 30 s while the backend is slow',
                },
              ]
            : []),
          {
            safety: 'caution',
            description: `exclude namespace ${snapshot.namespaceName} from the webhook with a namespaceSelector${onlyThisNamespace(webhook, snapshot.namespaceName) ? ` (it selects only ${snapshot.namespaceName}: excluding it turns the webhook off entirely)` : ''}`,
            command: sh`kubectl edit ${kindFlag} ${webhook.configuration}`,
          },
          ...lastResorts(snapshot, webhook, failure.class, kindFlag, index),
        ],
      });
    }
    const overdue = controllerOverdue(snapshot, now, controllerTimeoutMs, conditions);
    for (const refusal of namespaceWriteRefusals(snapshot, now, overdue)) {
      const { webhook } = refusal;
      if (blockers.some((b) => b.subject.kind === 'Webhook' && b.subject.configuration === webhook.configuration && b.subject.webhook === webhook.name)) continue;
      blockers.push(namespaceWriteBlocker(snapshot, refusal, overdue));
    }
    return blockers;
  },
} satisfies Check;

/**
 * A webhook served from the namespace being deleted can never answer again. When every webhook of its configuration
 * is served from there, the whole configuration is dead and goes (relying on none being served from elsewhere);
 * otherwise the others are served from elsewhere (or by url) and may be healthy: only the dead entry goes.
 */
function deadWebhookRemoval(
  snapshot: Snapshot,
  webhook: WebhookState,
  service: string,
  target: EvidenceSpec,
): { description: string; cost: string; target: EvidenceSpec; action: Action } {
  const ns = snapshot.namespaceName;
  const others = (snapshot.webhooks ?? [])
    .filter((w) => w.configurationKind === webhook.configurationKind && w.configuration === webhook.configuration && w.service?.namespace !== ns)
    .map((w) => w.name);
  const configuration = `${webhook.configurationKind} ${webhook.configuration}`;
  if (!others.length) {
    return {
      description: `delete ${configuration}: every webhook in it is served from namespace ${ns}, which is being deleted`,
      cost: 'the policy it enforced stops applying cluster-wide',
      target: { ...target, expect: { ...target.expect, [`webhooks.servedOutside:${ns}`]: '0' } },
      action: { type: 'delete' },
    };
  }
  return {
    description: `remove webhook ${webhook.name} from ${configuration}: its backend ${service} lives in namespace ${ns}, which is being deleted; the configuration and its other webhooks (${others.join(', ')}) stay`,
    cost: `the policy of webhook ${webhook.name} stops applying cluster-wide (its backend cannot come back)`,
    target,
    action: { type: 'remove-webhook', webhook: webhook.name },
  };
}

/**
 * Removing a webhook that cannot come back, as text: the whole configuration only when every other webhook in it is
 * proven dead too (`dead`: served from the namespace being deleted, or by the same missing Service), the rule of the
 * plan's deadWebhookRemoval; otherwise just its entry, by a JSON patch whose test op fails if the list moved.
 */
function removalFix(snapshot: Snapshot, webhook: WebhookState, kindFlag: string, index: number, why: string, dead: (w: WebhookState) => boolean): Omit<Fix, 'safety'> {
  const others = (snapshot.webhooks ?? []).filter(
    (w) => w.configurationKind === webhook.configurationKind && w.configuration === webhook.configuration && w.name !== webhook.name && !dead(w),
  );
  if (!others.length) {
    return { description: `${why}: delete its configuration too`, command: sh`kubectl delete ${kindFlag} ${webhook.configuration}`, cost: 'the policy it enforced stops applying cluster-wide' };
  }
  const ops = [{ op: 'test', path: `/webhooks/${index}/name`, value: webhook.name }, { op: 'remove', path: `/webhooks/${index}` }];
  return {
    description: `${why}: remove webhook ${webhook.name} from ${webhook.configuration}; its other webhooks (${others.map((w) => w.name).join(', ')}) are served from elsewhere and stay`,
    command: sh`kubectl patch ${kindFlag} ${webhook.configuration} --type=json -p ${JSON.stringify(ops)}`,
    cost: `the policy of webhook ${webhook.name} stops applying cluster-wide`,
  };
}

function lastResorts(snapshot: Snapshot, webhook: WebhookState, failureClass: string, kindFlag: string, index: number): Fix[] {
  const configuration = webhook.configuration;
  const remove: Fix =
    failureClass === 'service-not-found'
      ? { safety: 'last-resort', ...removalFix(snapshot, webhook, kindFlag, index, 'if its product was uninstalled, the configuration is stale', (w) => sameService(w, webhook)) }
      : {
          safety: 'last-resort',
          description: 'delete the webhook configuration',
          command: sh`kubectl delete ${kindFlag} ${configuration}`,
          cost: 'the policy it enforced stops applying cluster-wide (reinstalling its product brings it back)',
        };
  // A webhook that answers "denied" is not failing: failurePolicy Ignore would change nothing.
  if (failureClass === 'denied') return [remove];
  return [
    {
      safety: 'last-resort',
      description: 'let requests through while the backend fails: set failurePolicy to Ignore',
      command: sh`kubectl patch ${kindFlag} ${configuration} --type=json -p ${JSON.stringify([{ op: 'replace', path: `/webhooks/${index}/failurePolicy`, value: 'Ignore' }])}`,
      cost: 'the policy is not enforced for anyone while the backend fails',
    },
    ...(failureClass === 'service-not-found' ? [remove] : []),
  ];
}

function interceptsDeletion(webhook: WebhookState, type: ContentType): boolean {
  return webhook.rules.some(
    (rule) =>
      interceptsDeleteOrUpdate(rule) &&
      (rule.apiGroups.includes('*') || rule.apiGroups.includes(type.group)) &&
      rule.resources.some((r) => r === '*' || r === '*/*' || r === type.resource || r === `${type.resource}/*`) &&
      rule.scope !== 'Cluster',
  );
}

function typeName(type: ContentType): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

function indexOf(all: WebhookState[], webhook: WebhookState): number {
  return all.filter((w) => w.configuration === webhook.configuration && w.configurationKind === webhook.configurationKind).indexOf(webhook);
}

/**
 * A webhook that refuses the namespace controller's own writes to the Namespace (its conditions, its finalize call):
 * the controller's error reaches no condition, so the class is read from the objects, or is unknown (a URL) and the
 * finding says "may".
 */
function namespaceWriteBlocker(snapshot: Snapshot, { webhook, backend, failure }: NamespaceWriteRefusal, overdue: boolean): Blocker {
  const ns = snapshot.namespaceName;
  const kindFlag = webhook.configurationKind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfiguration' : 'mutatingwebhookconfiguration';
  const index = indexOf(snapshot.webhooks ?? [], webhook);
  const resources = [...new Set(webhook.rules.flatMap((r) => r.resources))].join(', ');
  const known = failure.class !== 'unknown';
  const what = `the namespace controller's own update of Namespace ${ns} (its conditions and its finalize call)`;
  const summary = known
    ? `admission webhook ${webhook.name} refuses ${what}: failurePolicy ${webhook.failurePolicy} and ${failurePhrase(failure, webhook, DEFAULT_TIMEOUT_SECONDS)}`
    : `admission webhook ${webhook.name} may refuse ${what}: failurePolicy ${webhook.failurePolicy}, it intercepts them, and the controller has stopped making progress; ${failure.message}`;
  const caBundleOf = sh`kubectl get ${kindFlag} ${webhook.configuration} -o ${`jsonpath={.webhooks[${index}].clientConfig.caBundle}`}`;
  return {
    id: 'WebhookBlocksDeletion',
    subject: { kind: 'Webhook', configurationKind: webhook.configurationKind, configuration: webhook.configuration, webhook: webhook.name },
    summary,
    evidence: [
      link(
        { kind: webhook.configurationKind, name: webhook.configuration, apiVersion: 'admissionregistration.k8s.io/v1' },
        `webhook ${webhook.name}: failurePolicy ${webhook.failurePolicy}, intercepts UPDATE of ${resources}, and its selectors match Namespace ${ns}; ${targetFacts(webhook, DEFAULT_TIMEOUT_SECONDS).join(', ')}`,
        0,
      ),
      ...(overdue ? [link({ kind: 'Namespace', name: ns }, 'the namespace controller is overdue: nothing it must wait for remains, and it has not finished (its error is only in its log)', 0)] : []),
      ...(backend?.links ?? []),
    ],
    failure,
    fixes: [
      ...(known
        ? safeFixesFor(failure, webhook, snapshot, caBundleOf, webhook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS)
        : [{ safety: 'safe' as const, description: `read the refusal in kube-controller-manager's log (it names the webhook and why the call failed), then restore its backend`, command: sh`kubectl -n kube-system logs -l component=kube-controller-manager --tail=500` + sh` | grep -F ${webhook.name}` }]),
      {
        safety: 'caution',
        description: `exclude namespace ${ns} from webhook ${webhook.name} (add to its namespaceSelector: kubernetes.io/metadata.name NotIn [${ns}]; \`kubectl ns-doctor fix ${ns} --allow caution\` writes exactly that): the namespace controller's update is then no longer sent there`,
        command: sh`kubectl edit ${kindFlag} ${webhook.configuration}`,
        cost: `the webhook no longer checks anything in namespace ${ns} (which is being deleted); elsewhere it is unchanged`,
      },
      ...lastResorts(snapshot, webhook, failure.class, kindFlag, index),
    ],
  };
}

/** A namespaceSelector that names this namespace alone: excluding it leaves the webhook nothing to see (findings C6). */
function onlyThisNamespace(webhook: WebhookState, namespace: string): boolean {
  const selector = webhook.namespaceSelector;
  if (selector?.matchLabels?.['kubernetes.io/metadata.name'] === namespace) return true;
  return (selector?.matchExpressions ?? []).some((e) => {
    const { key, operator, values } = (e ?? {}) as { key?: string; operator?: string; values?: unknown[] };
    return key === 'kubernetes.io/metadata.name' && operator === 'In' && values?.length === 1 && values[0] === namespace;
  });
}

const sameService = (a: WebhookState, b: WebhookState) => a.service !== undefined && a.service.namespace === b.service?.namespace && a.service.name === b.service.name;
