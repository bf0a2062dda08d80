import type { EvidenceLink, Fix } from '../model/report.js';
import { describeNode, describePod } from '../rules/backend-chain.js';
import { namespacePods, podHeldOnlyByFinalizer, podPastGrace } from '../rules/deadlines.js';
import { isBuiltInFinalizer } from '../rules/kubernetes.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';
import type { StepDraft } from '../model/step-draft.js';
import type { PodState } from '../snapshot/types.js';
import { noStep, oneOption, seg, step } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    PodsStuckTerminating: true;
  }
}

/** Kubernetes' non-graceful node shutdown: the pod garbage collector force-deletes the terminating pods of a node so tainted. */
const OUT_OF_SERVICE = { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' };

/** Pods whose grace period is over but still exist: their kubelet cannot confirm they stopped. */
export const podsStuckTerminating = {
  id: 'PodsStuckTerminating',
  emits: ['PodsStuckTerminating'],
  description: 'Pods are past their grace period and still Terminating (node down or gone)',
  stage: 'content',
  groupSummary({ subject, summary }) {
    if (subject.kind !== 'Nodes') return summary;
    const on = subject.names.length ? `, still Terminating on node${subject.names.length === 1 ? '' : 's'} ${subject.names.join(', ')}` : ', still Terminating';
    return `pods past their grace period${on}`;
  },
  planPhase: 'pods',
  plan(blocker, snapshot) {
    const ns = snapshot.namespaceName;
    const now = new Date(snapshot.takenAt);
    // Tainting a node removes no finalizer: a pod that only a custom finalizer keeps is the finalizer's finding, and
    // alone it never makes a node worth tainting.
    const stuck = Object.values(snapshot.pods).filter(
      (p) => p.namespace === ns && p.deletionTimestamp && Date.parse(p.deletionTimestamp) < now.getTime() && p.nodeName && !podHeldOnlyByFinalizer(p),
    );
    const steps: StepDraft[] = [];
    for (const nodeName of [...new Set(stuck.flatMap((p) => (p.nodeName ? [p.nodeName] : [])))]) {
      const node = snapshot.nodes[nodeName];
      if (!node?.exists || !describeNode(node, now).unhealthy) continue;
      if (node.taints.some((t) => t.key === OUT_OF_SERVICE.key)) continue;
      const pods = stuck.filter((p) => p.nodeName === nodeName);
      steps.push(
        step(
          blocker,
          ns,
          'caution',
          `mark node ${nodeName} out of service (taint ${OUT_OF_SERVICE.key}=${OUT_OF_SERVICE.value}:NoExecute): the pod garbage collector then force-deletes its terminating pods`,
          `right only if node ${nodeName} is really shut down: every pod on it is evicted, its terminating pods are removed without the kubelet confirming they stopped, and their volumes are detached`,
          {
            ref: { kind: 'Node', name: nodeName },
            path: `/api/v1/nodes/${seg(nodeName)}`,
            expect: { exists: 'true', 'node.ready': node.ready?.status ?? 'none', [`taint:${OUT_OF_SERVICE.key}`]: 'absent' },
          },
          pods.map((p) => ({
            ref: { kind: 'Pod', namespace: p.namespace, name: p.name },
            path: `/api/v1/namespaces/${seg(p.namespace)}/pods/${seg(p.name)}`,
            metadataOnly: true,
            expect: { exists: 'true', deleting: 'true' },
          })),
          { type: 'add-taint', taint: OUT_OF_SERVICE },
          'node',
        ),
      );
    }
    if (!steps.length && blocker.subject.kind === 'Finalizer') return noStep(`the pods are held only by finalizer ${blocker.subject.finalizer}: its controller removes it, or remove just it by hand (see the fixes)`);
    if (!steps.length) return noStep('no stuck pod is on a node that exists and is down: the pod garbage collector or the kubelet has to act (see the fixes)');
    return oneOption('caution', steps);
  },
  run(snapshot, { now }) {
    // Inside its grace period the same pod is a wait (src/diagnosis/waiting.ts): podPastGrace decides both.
    // A pod that only a custom finalizer keeps is the finalizer's finding (FinalizerOwnerMissing, …): one cause, once.
    const stuck = namespacePods(snapshot).filter((p) => podPastGrace(p, now) && !podHeldOnlyByFinalizer(p));
    if (stuck.length === 0) return [];
    const evidence: EvidenceLink[] = [];
    const fixes: Fix[] = [];
    const byNode = new Map<string, typeof stuck>();
    for (const pod of stuck) byNode.set(pod.nodeName ?? '', [...(byNode.get(pod.nodeName ?? '') ?? []), pod]);
    for (const [nodeName, pods] of byNode) {
      for (const pod of pods.slice(0, 5)) {
        const finalizers = pod.finalizers.length ? `; finalizers ${pod.finalizers.join(', ')}` : '';
        evidence.push(link({ kind: 'Pod', namespace: pod.namespace, name: pod.name }, describePod(pod, now).fact + finalizers, 0));
      }
      if (!nodeName) continue;
      const node = snapshot.nodes[nodeName];
      const nodeFacts = describeNode(node, now);
      evidence.push(link({ kind: 'Node', name: nodeName }, nodeFacts.fact, 1));
      if (node && !node.exists) {
        fixes.push({ safety: 'safe', description: `node ${nodeName} is gone: the pod garbage collector removes its pods; check kube-controller-manager runs pod-garbage-collector-controller` });
      } else if (nodeFacts.unhealthy) {
        fixes.push({ safety: 'safe', description: `bring node ${nodeName} back (kubelet, network): its kubelet confirms the pods stopped`, command: sh`kubectl describe node ${nodeName}` });
        fixes.push({
          safety: 'caution',
          description: `if node ${nodeName} is shut down for good, mark it out of service so its pods are removed`,
          command: sh`kubectl taint nodes ${nodeName} node.kubernetes.io/out-of-service=nodeshutdown:NoExecute`,
        });
        fixes.push({ safety: 'caution', description: `if the machine no longer exists, delete the Node object`, command: sh`kubectl delete node ${nodeName}` });
      } else {
        fixes.push({ safety: 'safe', description: `node ${nodeName} looks Ready: check its kubelet logs for why it does not finish the pods`, command: sh`kubectl describe node ${nodeName}` });
      }
    }
    const podFinalizers = new Set(stuck.flatMap((p) => p.finalizers));
    const customFinalizers = [...podFinalizers].filter((f) => !isBuiltInFinalizer(f));
    // No kubelet has anything left to do for a pod never scheduled or finished: only its finalizer holds it, and a
    // forced delete removes no finalizer (findings F3: batch.kubernetes.io/job-tracking with the Job controller off).
    const finalizerOnly = stuck.filter((p) => p.finalizers.length && (!p.nodeName || p.phase === 'Succeeded' || p.phase === 'Failed'));
    fixes.push(...finalizerOnlyFixes(finalizerOnly));
    const first = stuck.find((p) => !finalizerOnly.includes(p));
    // A forced delete skips the kubelet, not the finalizers: with a custom one, the pod stays until it is removed.
    const stillHeld = customFinalizers.length ? `; it does not remove finalizers: ${customFinalizers.join(', ')} must still go (see its finding)` : '';
    if (first) fixes.push({
      safety: 'last-resort',
      description: `force-delete the pods (one shown)${stillHeld}`,
      command: sh`kubectl -n ${first.namespace} delete pod ${first.name} --grace-period=0 --force`,
      cost: 'the containers may still run on the node, holding volumes and IPs; a StatefulSet may start a duplicate',
    });
    const heldByFinalizer = namespacePods(snapshot).filter(podHeldOnlyByFinalizer).length;
    const deleted = snapshot.content?.types.find((t) => t.group === '' && t.resource === 'pods')?.withDeletionTimestamp;
    const total = Math.max(stuck.length, (deleted ?? 0) - heldByFinalizer);
    const nodes = [...byNode.keys()].filter(Boolean);
    // Held by one finalizer alone, the cause is that finalizer (its controller), not a node.
    const onlyFinalizer = finalizerOnly.length === stuck.length && new Set(stuck.map((p) => p.finalizers.join(','))).size === 1 ? stuck[0]?.finalizers[0] : undefined;
    return [
      {
        id: 'PodsStuckTerminating',
        subject: onlyFinalizer ? { kind: 'Finalizer', finalizer: onlyFinalizer, group: '', resource: 'pods' } : { kind: 'Nodes', names: [...nodes].sort(compareCodePoints) },
        summary: `${total} pod${total === 1 ? ' is' : 's are'} past the grace period and still Terminating${nodes.length ? ` on ${nodes.join(', ')}` : ''}${podFinalizers.size ? ` (finalizers: ${[...podFinalizers].join(', ')})` : ''}`,
        evidence,
        fixes,
      },
    ];
  },
} satisfies Check;

/** Who removes a built-in pod finalizer, for the safe fix. */
const POD_FINALIZER_OWNERS: Record<string, string> = {
  'batch.kubernetes.io/job-tracking': "the Job controller (kube-controller-manager's job-controller) removes it once it has counted the pod",
};

/** For pods only a finalizer holds: its owner first, then removing just that finalizer, never a forced delete. */
function finalizerOnlyFixes(pods: PodState[]): Fix[] {
  const first = pods[0];
  const finalizer = first?.finalizers[0];
  if (!first || !finalizer) return [];
  const ops = [
    { op: 'test', path: '/metadata/finalizers', value: first.finalizers },
    { op: 'remove', path: `/metadata/finalizers/0` },
  ];
  return [
    {
      safety: 'safe',
      description: `${pods.length === 1 ? 'the pod is' : `${pods.length} pods are`} held only by finalizer ${finalizer} (no kubelet has anything left to do): ${POD_FINALIZER_OWNERS[finalizer] ?? 'the controller that added it removes it'}; check that it runs`,
      command: 'kubectl -n kube-system get pods -l component=kube-controller-manager',
    },
    {
      safety: 'last-resort',
      description: `remove just ${finalizer} from the pod (one shown; a forced delete would not: it removes no finalizer)`,
      command: sh`kubectl -n ${first.namespace} patch pod ${first.name} --type=json -p ${JSON.stringify(ops)}`,
      cost: finalizer === 'batch.kubernetes.io/job-tracking' ? "the Job may not count this pod's result (its succeeded/failed numbers can be off by one)" : 'the cleanup that finalizer guards never runs',
    },
  ];
}
