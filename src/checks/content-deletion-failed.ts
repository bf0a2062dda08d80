import { contentFailureIsPodsInGrace } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { manualOnly } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    ContentDeletionFailed: true;
  }
}

export const contentDeletionFailed = {
  id: 'ContentDeletionFailed',
  emits: ['ContentDeletionFailed'],
  description: 'The namespace controller reports it failed to delete some content, for a reason no other check explains',
  fallback: true,
  groupSummary() {
    return 'the namespace controller fails to delete content, for a reason no other check explains';
  },
  ...manualOnly(),
  run(snapshot, { now, conditions }) {
    const failure = conditions.contentFailure;
    if (!snapshot.namespace?.deletionTimestamp || !failure) return [];
    if (/failed calling webhook|conversion webhook|forbidden/i.test(failure)) return [];
    // Pods inside their grace period are a wait; past it they are PodsStuckTerminating (same predicate).
    if (contentFailureIsPodsInGrace(snapshot, failure, now)) return [];
    if ((snapshot.content?.types.length ?? 0) === 0) return []; // stale: nothing is left to delete
    return [
      {
        id: 'ContentDeletionFailed',
        subject: { kind: 'NamespaceContent', namespace: snapshot.namespaceName },
        summary: `the namespace controller fails to delete content: ${failure}`,
        evidence: [link({ kind: 'Namespace', name: snapshot.namespaceName }, `NamespaceDeletionContentFailure: ${failure}`, 0)],
        fixes: [{ safety: 'safe', description: 'read kube-controller-manager logs for the failing resource type', command: 'kubectl -n kube-system logs -l component=kube-controller-manager --tail=200' }],
      },
    ];
  },
} satisfies Check;
