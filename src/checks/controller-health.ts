import { humanDuration } from '../util/time.js';
import { contentFailureIsPodsInGrace, controllerSilentUntil } from '../snapshot/deadlines.js';
import { link, type Check } from './types.js';

/** Terminating for long with `kubernetes` still in spec.finalizers and no deletion condition ever written. */
export const namespaceControllerNotRunning: Check = {
  id: 'NamespaceControllerNotRunning',
  description: 'No namespace controller has acted on the namespace (kube-controller-manager down or namespace-controller disabled)',
  run(snapshot, { now, controllerTimeoutMs, conditions }) {
    const ns = snapshot.namespace;
    // Before this threshold the silence is a wait for the controller's first pass (src/diagnosis/waiting.ts).
    const threshold = controllerSilentUntil(ns, conditions.present, controllerTimeoutMs);
    if (!ns?.deletionTimestamp || threshold === undefined || now.getTime() < threshold) return [];
    const waited = now.getTime() - Date.parse(ns.deletionTimestamp);
    return [
      {
        id: 'NamespaceControllerNotRunning',
        summary: `no namespace controller has acted in ${humanDuration(waited)}: kube-controller-manager is down or runs without namespace-controller`,
        evidence: [
          link({ kind: 'Namespace', name: ns.name }, `Terminating for ${humanDuration(waited)} with no NamespaceDeletion* / NamespaceContentRemaining conditions (threshold ${humanDuration(controllerTimeoutMs)})`, 0),
        ],
        fixes: [
          { safety: 'safe', description: 'check kube-controller-manager is running and healthy, and that --controllers does not exclude namespace-controller', command: 'kubectl -n kube-system get pods -l component=kube-controller-manager' },
          { safety: 'safe', description: 'read its logs for namespace controller errors', command: 'kubectl -n kube-system logs -l component=kube-controller-manager --tail=200' },
        ],
      },
    ];
  },
};

export const groupVersionParseFailure: Check = {
  id: 'GroupVersionParseFailure',
  description: 'A group version in discovery cannot be parsed, so the namespace controller deletes nothing',
  run(snapshot, { conditions }) {
    if (!snapshot.namespace?.deletionTimestamp || !conditions.parseFailure) return [];
    return [
      {
        id: 'GroupVersionParseFailure',
        summary: 'a group version cannot be parsed, so the namespace controller deletes nothing on any pass',
        evidence: [link({ kind: 'Namespace', name: snapshot.namespaceName }, `NamespaceDeletionGroupVersionParsingFailure: ${conditions.parseFailure}`, 0)],
        fixes: [{ safety: 'safe', description: 'fix the APIService or CRD that publishes the malformed group version', command: 'kubectl get apiservices' }],
      },
    ];
  },
};

export const namespaceControllerForbidden: Check = {
  id: 'NamespaceControllerForbidden',
  description: 'The namespace controller is not allowed to delete content (RBAC)',
  run(snapshot, { conditions }) {
    const failure = conditions.contentFailure;
    if (!snapshot.namespace?.deletionTimestamp || !failure || !/forbidden/i.test(failure)) return [];
    return [
      {
        id: 'NamespaceControllerForbidden',
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
};

/** The controller reports a content deletion failure that no more specific check explains. */
export const contentDeletionFailed: Check = {
  id: 'ContentDeletionFailed',
  description: 'The namespace controller reports it failed to delete some content, for a reason no other check explains',
  fallback: true,
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
        summary: `the namespace controller fails to delete content: ${failure}`,
        evidence: [link({ kind: 'Namespace', name: snapshot.namespaceName }, `NamespaceDeletionContentFailure: ${failure}`, 0)],
        fixes: [{ safety: 'safe', description: 'read kube-controller-manager logs for the failing resource type', command: 'kubectl -n kube-system logs -l component=kube-controller-manager --tail=200' }],
      },
    ];
  },
};
