import type { EvidenceLink, Fix } from '../model/report.js';
import { describeNode, describePod } from '../rules/backend-chain.js';
import { namespacePods, podHeldOnlyByFinalizer, podPastGrace } from '../rules/deadlines.js';
import { isBuiltInFinalizer } from '../rules/kubernetes.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';

/** Pods whose grace period is over but still exist: their kubelet cannot confirm they stopped. */
export const podsStuckTerminating: Check = {
  id: 'PodsStuckTerminating',
  emits: ['PodsStuckTerminating'],
  description: 'Pods are past their grace period and still Terminating (node down or gone)',
  groupSummary({ subject, summary }) {
    if (subject.kind !== 'Nodes') return summary;
    const on = subject.names.length ? `, still Terminating on node${subject.names.length === 1 ? '' : 's'} ${subject.names.join(', ')}` : ', still Terminating';
    return `pods past their grace period${on}`;
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
    const first = stuck[0];
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
    return [
      {
        id: 'PodsStuckTerminating',
        subject: { kind: 'Nodes', names: [...nodes].sort(compareCodePoints) },
        summary: `${total} pod${total === 1 ? ' is' : 's are'} past the grace period and still Terminating${nodes.length ? ` on ${nodes.join(', ')}` : ''}${podFinalizers.size ? ` (finalizers: ${[...podFinalizers].join(', ')})` : ''}`,
        evidence,
        fixes,
      },
    ];
  },
};
