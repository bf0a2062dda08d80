import { describeBackend } from './backend-chain.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';

/** A CRD served through a conversion webhook cannot be listed or deleted in other versions while that webhook is down. */
export const conversionWebhookDown: Check = {
  id: 'ConversionWebhookDown',
  emits: ['ConversionWebhookDown'],
  description: "A CRD's conversion webhook is down, so its objects cannot be read or deleted",
  groupSummary({ subject, summary }) {
    return subject.kind === 'ConversionWebhook' ? `conversion webhook of CRD ${subject.crd} is down, so its objects cannot be deleted` : summary;
  },
  run(snapshot, { now, conditions }) {
    return Object.values(snapshot.crds)
      .filter((crd) => crd.conversionStrategy === 'Webhook')
      .filter((crd) => snapshot.content?.types.some((t) => t.group === crd.group && t.resource === crd.plural) || conditions.contentFailure?.includes(`conversion webhook for ${crd.group}/`))
      .flatMap((crd) => {
        const service = crd.conversionService;
        if (!service) return [];
        const backend = describeBackend(snapshot, service, 1, now);
        const reported = conditions.contentFailure?.includes(`conversion webhook for ${crd.group}/`) ?? false;
        if (!reported && !(backend.serviceMissing || backend.readyEndpoints === 0)) return [];
        return [
          {
            id: 'ConversionWebhookDown' as const,
            subject: { kind: 'ConversionWebhook' as const, crd: crd.name },
            summary: `conversion webhook of CRD ${crd.name} is down (${service.namespace}/${service.name}), so its objects cannot be deleted`,
            evidence: [
              link({ kind: 'CustomResourceDefinition', name: crd.name }, `conversion strategy Webhook → Service ${service.namespace}/${service.name}`, 0),
              ...(reported ? [link({ kind: 'Namespace', name: snapshot.namespaceName }, `the namespace controller reports: ${conditions.contentFailure}`, 0)] : []),
              ...backend.links,
            ],
            fixes: [
              { safety: 'safe' as const, description: `restore the conversion service ${service.namespace}/${service.name}` },
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
};
