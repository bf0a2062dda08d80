import { link, type Check } from './types.js';
import { manualOnly } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    GroupVersionParseFailure: true;
  }
}

export const groupVersionParseFailure = {
  id: 'GroupVersionParseFailure',
  emits: ['GroupVersionParseFailure'],
  description: 'A group version in discovery cannot be parsed, so the namespace controller deletes nothing',
  stage: 'discovery',
  groupSummary({ summary }) {
    return summary;
  },
  ...manualOnly(),
  run(snapshot, { conditions }) {
    if (!snapshot.namespace?.deletionTimestamp || !conditions.parseFailure) return [];
    return [
      {
        id: 'GroupVersionParseFailure',
        subject: { kind: 'NamespaceController', problem: 'GroupVersionParsing' },
        summary: 'a group version cannot be parsed, so the namespace controller deletes nothing on any pass',
        evidence: [link({ kind: 'Namespace', name: snapshot.namespaceName }, `NamespaceDeletionGroupVersionParsingFailure: ${conditions.parseFailure}`, 0)],
        fixes: [{ safety: 'safe', description: 'fix the APIService or CRD that publishes the malformed group version', command: 'kubectl get apiservices' }],
      },
    ];
  },
} satisfies Check;
