import { contentFailureIsPodsInGrace } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { admissionPolicyDenial, isRbacDenial } from '../rules/controller-words.js';
import type { Blocker } from '../model/report.js';
import { sh } from '../util/shell.js';
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
  stage: 'content',
  fallback: true,
  groupSummary() {
    return 'the namespace controller fails to delete content, for a reason no other check explains';
  },
  ...manualOnly(),
  run(snapshot, { now, conditions }) {
    const failure = conditions.contentFailure;
    if (!snapshot.namespace?.deletionTimestamp || !failure) return [];
    // Webhooks and the controller's own RBAC have their checks; an admission policy's denial is this one's.
    if (/failed calling webhook|conversion webhook|admission webhook "[^"]*" denied/i.test(failure) || isRbacDenial(failure)) return [];
    // Pods inside their grace period are a wait; past it they are PodsStuckTerminating (same predicate).
    if (contentFailureIsPodsInGrace(snapshot, failure, now)) return [];
    if ((snapshot.content?.types.length ?? 0) === 0) return []; // stale: nothing is left to delete
    const policy = admissionPolicyDenial(failure);
    if (policy) return [policyDenial(snapshot.namespaceName, failure, policy)];
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

/**
 * A ValidatingAdmissionPolicy denies the deletions (findings F4): not the controller's RBAC, and no webhook. Its own
 * message says which objects it protects; the fix is on those objects or on the binding, never on the controller.
 */
function policyDenial(namespace: string, failure: string, policy: { policy: string; binding: string; reason: string }): Blocker {
  return {
    id: 'ContentDeletionFailed',
    subject: { kind: 'NamespaceContent', namespace },
    summary: `ValidatingAdmissionPolicy ${policy.policy} (binding ${policy.binding}) denies deleting content: ${policy.reason}`,
    evidence: [link({ kind: 'Namespace', name: namespace }, `NamespaceDeletionContentFailure: ${failure}`, 0)],
    fixes: [
      {
        safety: 'safe',
        description: `change what the policy objects to on the objects it protects (its message says what), or exclude namespace ${namespace} in the binding's matchResources.namespaceSelector; read the policy:`,
        command: sh`kubectl get validatingadmissionpolicy ${policy.policy} -o yaml`,
      },
      {
        safety: 'last-resort',
        description: `delete binding ${policy.binding}`,
        command: sh`kubectl delete validatingadmissionpolicybinding ${policy.binding}`,
        cost: `policy ${policy.policy} stops applying through that binding, cluster-wide`,
      },
    ],
  };
}
