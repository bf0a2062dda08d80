import type { Blocker } from '../model/report.js';
import { clockTime, humanDuration } from '../util/time.js';
import { controllerPassDeadline, controllerSilentUntil } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { manualOnly } from './plan-steps.js';
import { namespaceWriteRefusals } from './webhook-failure.js';
import { sh } from '../util/shell.js';

declare module '../model/report.js' {
  interface BlockerIds {
    NamespaceControllerNotRunning: true;
  }
}

const KCM_PODS = 'kubectl -n kube-system get pods -l component=kube-controller-manager';

/**
 * The namespace controller does not act on the namespace: it has written nothing past --controller-timeout, or it
 * passed over it once and its next pass is overdue (src/rules/deadlines.ts controllerPassDeadline). When a webhook
 * that refuses its writes to the Namespace explains the silence, that is WebhookBlocksDeletion's finding instead.
 */
export const namespaceControllerNotRunning = {
  id: 'NamespaceControllerNotRunning',
  emits: ['NamespaceControllerNotRunning'],
  description: 'No namespace controller acts on the namespace (kube-controller-manager down or namespace-controller disabled)',
  stage: 'controller',
  groupSummary({ subject }) {
    return subject.kind === 'NamespaceController' && subject.problem === 'StoppedActing'
      ? 'the namespace controller stopped acting after its first pass: it may be down, or a call it makes may be refused'
      : 'no namespace controller has acted: kube-controller-manager is down or runs without namespace-controller';
  },
  ...manualOnly(),
  run(snapshot, { now, controllerTimeoutMs, conditions }) {
    const ns = snapshot.namespace;
    if (!ns?.deletionTimestamp) return [];
    // Before this threshold the silence is a wait for the controller's first pass (src/diagnosis/waiting.ts).
    const silentUntil = controllerSilentUntil(ns, conditions.present, controllerTimeoutMs);
    const silent = silentUntil !== undefined && now.getTime() >= silentUntil;
    const pass = silentUntil === undefined ? controllerPassDeadline(snapshot, conditions, controllerTimeoutMs) : undefined;
    const overdue = pass !== undefined && now.getTime() > pass.deadline;
    if (!silent && !overdue) return [];
    if (namespaceWriteRefusals(snapshot, now, true).length) return [];
    const waited = now.getTime() - Date.parse(ns.deletionTimestamp);
    const fixes = [
      { safety: 'safe' as const, description: 'check kube-controller-manager is running and healthy, and that --controllers does not exclude namespace-controller', command: KCM_PODS },
      { safety: 'safe' as const, description: `read its log for errors about namespace ${ns.name} (a refused call is named there)`, command: sh`kubectl -n kube-system logs -l component=kube-controller-manager --tail=500` + sh` | grep -F ${ns.name}` },
    ];
    if (silent) {
      return [
        {
          id: 'NamespaceControllerNotRunning',
          subject: { kind: 'NamespaceController', problem: 'NotRunning' },
          summary: `no namespace controller has acted in ${humanDuration(waited)}: kube-controller-manager is down or runs without namespace-controller`,
          evidence: [
            link({ kind: 'Namespace', name: ns.name }, `Terminating for ${humanDuration(waited)} with no NamespaceDeletion* / NamespaceContentRemaining conditions (threshold ${humanDuration(controllerTimeoutMs)})`, 0),
          ],
          fixes,
        },
      ];
    }
    if (!pass) return [];
    const still = pass.notDeleted
      ? `${pass.notDeleted} object${pass.notDeleted === 1 ? '' : 's'} it never deleted remain${pass.notDeleted === 1 ? 's' : ''}, with nothing left to wait for`
      : 'nothing is left in the namespace, yet its kubernetes finalizer is still there';
    const blocker: Blocker = {
      id: 'NamespaceControllerNotRunning',
      subject: { kind: 'NamespaceController', problem: 'StoppedActing' },
      summary: `the namespace controller has not acted for ${humanDuration(now.getTime() - pass.lastSign)}: ${still}; a live controller comes back within 60s, so it may be down, or a call it makes may be refused (its log says which)`,
      evidence: [
        link(
          { kind: 'Namespace', name: ns.name },
          `its conditions report no failure; last sign of activity: ${pass.lastSignWhat} at ${clockTime(pass.lastSign, now)}; overdue since ${clockTime(pass.deadline, now)} (--controller-timeout ${humanDuration(controllerTimeoutMs)} after it)`,
          0,
        ),
        link({ kind: 'Namespace', name: ns.name }, `spec.finalizers [${ns.specFinalizers.join(', ')}]: only the namespace controller removes kubernetes`, 1),
      ],
      fixes,
    };
    return [blocker];
  },
} satisfies Check;
