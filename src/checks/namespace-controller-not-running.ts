import { humanDuration } from '../util/time.js';
import { controllerSilentUntil } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { manualOnly } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    NamespaceControllerNotRunning: true;
  }
}

export const namespaceControllerNotRunning = {
  id: 'NamespaceControllerNotRunning',
  emits: ['NamespaceControllerNotRunning'],
  description: 'No namespace controller has acted on the namespace (kube-controller-manager down or namespace-controller disabled)',
  groupSummary() {
    return 'no namespace controller has acted: kube-controller-manager is down or runs without namespace-controller';
  },
  ...manualOnly(),
  run(snapshot, { now, controllerTimeoutMs, conditions }) {
    const ns = snapshot.namespace;
    // Before this threshold the silence is a wait for the controller's first pass (src/diagnosis/waiting.ts).
    const threshold = controllerSilentUntil(ns, conditions.present, controllerTimeoutMs);
    if (!ns?.deletionTimestamp || threshold === undefined || now.getTime() < threshold) return [];
    const waited = now.getTime() - Date.parse(ns.deletionTimestamp);
    return [
      {
        id: 'NamespaceControllerNotRunning',
        subject: { kind: 'NamespaceController', problem: 'NotRunning' },
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
} satisfies Check;
