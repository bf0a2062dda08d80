import type { Blocker } from '../model/report.js';
import type { ContentType, WebhookState } from '../snapshot/types.js';
import { interceptsDeleteOrUpdate, mayMatchNamespace, refusesDeletionWhenDown } from '../snapshot/kubernetes.js';
import { describeBackend } from './backend-chain.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';

const FAILED_CALLING = /failed calling webhook "([^"]+)"/g;

/** An admission webhook with failurePolicy Fail that intercepts DELETE/UPDATE and cannot answer refuses every delete. */
export const webhookBlocksDeletion: Check = {
  id: 'WebhookBlocksDeletion',
  emits: ['WebhookBlocksDeletion'],
  description: 'An admission webhook with failurePolicy Fail matches DELETE/UPDATE of what is left and its backend is down',
  groupSummary({ subject, summary }) {
    return subject.kind === 'Webhook' ? `admission webhook ${subject.webhook} (${subject.configurationKind} ${subject.configuration}) refuses deletions` : summary;
  },
  run(snapshot, { now, conditions }) {
    if (!snapshot.namespace?.deletionTimestamp) return [];
    const named = new Set([...(conditions.contentFailure ?? '').matchAll(FAILED_CALLING)].map((m) => m[1]));
    const remaining = snapshot.content?.types ?? [];
    const blockers: Blocker[] = [];
    for (const webhook of snapshot.webhooks ?? []) {
      if (!refusesDeletionWhenDown(webhook)) continue;
      if (!mayMatchNamespace(webhook.namespaceSelector, snapshot.namespaceName)) continue;
      const matched = remaining.filter((t) => interceptsDeletion(webhook, t));
      const namedByController = named.has(webhook.name);
      if (matched.length === 0 && !namedByController) continue;
      const backend = webhook.service ? describeBackend(snapshot, webhook.service, 1, now) : undefined;
      const backendDown = backend ? backend.serviceMissing || backend.readyEndpoints === 0 : false;
      if (!backendDown && !namedByController) continue;
      const kindFlag = webhook.configurationKind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfiguration' : 'mutatingwebhookconfiguration';
      const ops = [...new Set(webhook.rules.flatMap((r) => r.operations))].join(',');
      const evidence = [
        link(
          { kind: webhook.configurationKind, name: webhook.configuration, apiVersion: 'admissionregistration.k8s.io/v1' },
          `webhook ${webhook.name}: failurePolicy ${webhook.failurePolicy}, operations ${ops}, matches ${matched.map(typeName).join(', ') || 'the content the controller deletes'}`,
          0,
        ),
        ...(namedByController ? [link({ kind: 'Namespace', name: snapshot.namespaceName }, `the namespace controller reports: failed calling webhook "${webhook.name}"`, 0)] : []),
        ...(backend?.links ?? []),
        ...(webhook.url ? [link({ kind: 'URL', name: webhook.url }, 'called by URL: reachability cannot be checked from here', 1)] : []),
      ];
      const inNamespace = webhook.service?.namespace === snapshot.namespaceName;
      blockers.push({
        id: 'WebhookBlocksDeletion',
        subject: { kind: 'Webhook', configurationKind: webhook.configurationKind, configuration: webhook.configuration, webhook: webhook.name },
        summary: `admission webhook ${webhook.name} refuses deletions: failurePolicy Fail and its backend ${webhook.service ? `${webhook.service.namespace}/${webhook.service.name}` : webhook.url} ${backend?.serviceMissing ? 'does not exist' : 'has no ready endpoints'}${inNamespace ? ' (it lives in the namespace being deleted)' : ''}`,
        evidence,
        fixes: [
          inNamespace
            ? {
                safety: 'safe',
                description: 'the webhook backend is being deleted with this namespace: delete its configuration too',
                command: sh`kubectl delete ${kindFlag} ${webhook.configuration}`,
                cost: 'the policy it enforced stops applying cluster-wide',
              }
            : {
                safety: 'safe',
                description: `restore the webhook backend${webhook.service ? ` ${webhook.service.namespace}/${webhook.service.name}` : ''}; deletion resumes on the next pass`,
                ...(webhook.service ? { command: sh`kubectl -n ${webhook.service.namespace} get pods,endpointslices -l ${`kubernetes.io/service-name=${webhook.service.name}`}` } : {}),
              },
          {
            safety: 'caution',
            description: `exclude namespace ${snapshot.namespaceName} from the webhook with a namespaceSelector`,
            command: sh`kubectl edit ${kindFlag} ${webhook.configuration}`,
          },
          {
            safety: 'last-resort',
            description: 'let requests through while the backend is down: set failurePolicy to Ignore',
            command: sh`kubectl patch ${kindFlag} ${webhook.configuration} --type=json -p ${JSON.stringify([{ op: 'replace', path: `/webhooks/${indexOf(snapshot.webhooks ?? [], webhook)}/failurePolicy`, value: 'Ignore' }])}`,
            cost: 'the policy is not enforced for anyone while the backend is down',
          },
        ],
      });
    }
    return blockers;
  },
};

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
