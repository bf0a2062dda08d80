import { conversionWebhookFailure } from '../rules/webhook-errors.js';
import { describeBackend } from '../rules/backend-chain.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { failureClassPhrase, failurePhrase, observedFailure, safeFixesFor, targetFacts, type WebhookTarget } from './webhook-failure.js';
import { manualOnly } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    ConversionWebhookDown: true;
  }
}

/** The API server waits a fixed 30 s for a conversion webhook (apiextensions-apiserver's webhook converter). */
const CONVERSION_TIMEOUT_SECONDS = 30;

/**
 * A CRD served through a conversion webhook cannot be listed or deleted in other versions while that webhook fails:
 * down, untrusted certificate, too slow. Service- and URL-configured webhooks alike; the class of failure is read
 * from the namespace controller's own error when it names the CRD's group, else from the objects.
 */
export const conversionWebhookDown = {
  id: 'ConversionWebhookDown',
  emits: ['ConversionWebhookDown'],
  description: "A CRD's conversion webhook fails (down, untrusted certificate, too slow), so its objects cannot be read or deleted",
  stage: 'conversion',
  groupSummary({ subject, summary, failure }) {
    if (subject.kind !== 'ConversionWebhook') return summary;
    return `conversion webhook of CRD ${subject.crd} fails${failure ? ` (${failureClassPhrase(failure.class)})` : ''}, so its objects cannot be read or deleted`;
  },
  ...manualOnly('restore the conversion service; changing the conversion strategy is only right if the schemas are identical, which ns-doctor cannot prove'),
  run(snapshot, { now, conditions }) {
    return Object.values(snapshot.crds)
      .filter((crd) => crd.conversionStrategy === 'Webhook')
      .flatMap((crd) => {
        // The controller's words first; else the API server's answer to our own list of the type, same words.
        const listFailure = snapshot.gaps.find((g) => g.kind === 'content' && g.resource === `${crd.plural}.${crd.group}` && !g.object)?.reason;
        const fromList = conversionWebhookFailure(listFailure, crd.group, crd.kind);
        const reported = conversionWebhookFailure(conditions.contentFailure, crd.group, crd.kind) ?? (fromList && { ...fromList, source: 'api-server' as const });
        const present =
          snapshot.content?.types.some((t) => t.group === crd.group && t.resource === crd.plural) ||
          snapshot.content?.unlisted?.some((t) => t.group === crd.group && t.resource === crd.plural);
        if (!reported && !present) return [];
        const target: WebhookTarget = {
          ...(crd.conversionService ? { service: crd.conversionService } : {}),
          ...(crd.conversionURL ? { url: crd.conversionURL } : {}),
          ...(crd.conversionHasCABundle !== undefined ? { hasCABundle: crd.conversionHasCABundle } : {}),
        };
        const backend = target.service ? describeBackend(snapshot, target.service, 1, now) : undefined;
        const failure = reported ?? observedFailure(target, backend);
        if (!failure) return [];
        const caBundleOf = sh`kubectl get crd ${crd.name} -o ${'jsonpath={.spec.conversion.webhook.clientConfig.caBundle}'}`;
        return [
          {
            id: 'ConversionWebhookDown' as const,
            subject: { kind: 'ConversionWebhook' as const, crd: crd.name },
            summary: `conversion webhook of CRD ${crd.name} fails: ${failurePhrase(failure, target, CONVERSION_TIMEOUT_SECONDS)}; its objects cannot be read or deleted`,
            failure,
            evidence: [
              link({ kind: 'CustomResourceDefinition', name: crd.name }, `conversion strategy Webhook, ${targetFacts(target, CONVERSION_TIMEOUT_SECONDS).join(', ')}`, 0),
              ...(failure.source === 'controller'
                ? [link({ kind: 'Namespace', name: snapshot.namespaceName }, `the namespace controller reports (${failure.class}): ${failure.message}`, 0)]
                : failure.source === 'api-server'
                  ? [link({ kind: 'CustomResourceDefinition', name: crd.name }, `listing its objects fails (${failure.class}): ${failure.message}`, 0)]
                  : []),
              ...(backend?.links ?? []),
            ],
            fixes: [
              ...safeFixesFor(failure, target, snapshot, caBundleOf, CONVERSION_TIMEOUT_SECONDS),
              ...(failure.class === 'tls'
                ? [
                    {
                      safety: 'safe' as const,
                      description:
                        "if cert-manager issues the webhook's certificate, its CA injector keeps the CRD's caBundle in step: check the CRD's cert-manager.io/inject-ca-from annotation and that cainjector runs",
                      command: sh`kubectl get crd ${crd.name} -o ${'jsonpath={.metadata.annotations}'}`,
                    },
                  ]
                : []),
              {
                safety: 'last-resort' as const,
                description: 'switch the CRD to strategy None — only if all its versions have identical schemas',
                command: sh`kubectl patch crd ${crd.name} --type=merge -p '{"spec":{"conversion":{"strategy":"None","webhook":null}}}'`,
                cost: 'objects stored in other versions are served without conversion and may be read wrongly',
              },
            ],
          },
        ];
      });
  },
} satisfies Check;
