import { link, type Check } from './types.js';
import { isRbacDenial } from '../rules/controller-words.js';
import { manualOnly } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    NamespaceControllerForbidden: true;
  }
}

export const namespaceControllerForbidden = {
  id: 'NamespaceControllerForbidden',
  emits: ['NamespaceControllerForbidden'],
  description: 'The namespace controller is not allowed to delete content (RBAC)',
  stage: 'permission',
  groupSummary({ summary }) {
    return summary;
  },
  ...manualOnly(),
  run(snapshot, { conditions }) {
    const failure = conditions.contentFailure;
    if (!snapshot.namespace?.deletionTimestamp || !failure || !isRbacDenial(failure)) return [];
    return [
      {
        id: 'NamespaceControllerForbidden',
        subject: { kind: 'NamespaceController', problem: 'Forbidden' },
        summary: 'the namespace controller is forbidden from deleting content: its RBAC is broken',
        evidence: [link({ kind: 'Namespace', name: snapshot.namespaceName }, `NamespaceDeletionContentFailure: ${failure}`, 0)],
        fixes: [
          {
            safety: 'safe',
            description: 'restore the controller role and binding',
            command: 'kubectl get clusterrole system:controller:namespace-controller && kubectl get clusterrolebinding system:controller:namespace-controller',
          },
        ],
      },
    ];
  },
} satisfies Check;
