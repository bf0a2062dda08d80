import { claimWaitsForPodsInGrace, namespacePods } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';
import { manualOnly } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    PVCInUse: true;
  }
}

/** A PVC being deleted keeps kubernetes.io/pvc-protection while any pod still uses it. */
export const pvcInUse = {
  id: 'PVCInUse',
  emits: ['PVCInUse'],
  description: 'PersistentVolumeClaims wait on kubernetes.io/pvc-protection because a pod still uses them',
  stage: 'content',
  groupSummary() {
    return 'PersistentVolumeClaims are held by kubernetes.io/pvc-protection';
  },
  ...manualOnly('the pod that still uses the claim has to go first; ns-doctor does not remove pvc-protection'),
  run(snapshot, { now }) {
    // A claim whose users are all inside their grace period waits for them (src/diagnosis/waiting.ts): same predicate.
    const claims = (snapshot.content?.stuck ?? []).filter(
      (s) =>
        s.group === '' &&
        s.resource === 'persistentvolumeclaims' &&
        s.meta.deletionTimestamp &&
        s.meta.finalizers?.includes('kubernetes.io/pvc-protection') &&
        !claimWaitsForPodsInGrace(snapshot, s.meta.name, now),
    );
    if (claims.length === 0) return [];
    const pods = namespacePods(snapshot);
    const evidence = claims.flatMap((claim) => {
      const users = pods.filter((p) => p.claimNames.includes(claim.meta.name));
      return [
        link({ kind: 'PersistentVolumeClaim', namespace: claim.meta.namespace, name: claim.meta.name }, 'deleted, held by kubernetes.io/pvc-protection', 0),
        ...(users.length
          ? users.map((p) =>
              link({ kind: 'Pod', namespace: p.namespace, name: p.name }, `still uses the claim${p.deletionTimestamp ? ' (itself Terminating)' : ` (${p.phase ?? 'unknown phase'})`}${p.nodeName ? ` on node ${p.nodeName}` : ''}`, 1),
            )
          : [link({ kind: 'Pod', namespace: claim.meta.namespace, name: '(none found)' }, 'no pod uses it: the pvc-protection controller should remove the finalizer; check it runs', 1)]),
      ];
    });
    const first = claims[0];
    if (!first) return [];
    const firstUser = pods.find((p) => p.claimNames.includes(first.meta.name));
    const used = claims.filter((c) => pods.some((p) => p.claimNames.includes(c.meta.name))).length;
    const subjectPhrase = `${claims.length} PersistentVolumeClaim${claims.length === 1 ? ' is' : 's are'} held by kubernetes.io/pvc-protection`;
    return [
      {
        id: 'PVCInUse',
        subject: { kind: 'PersistentVolumeClaims', namespace: snapshot.namespaceName, names: claims.map((c) => c.meta.name).sort(compareCodePoints) },
        // Said as the evidence says it (findings C5): a claim no pod uses waits on the protection controller.
        summary:
          used === claims.length
            ? `${claims.length} PersistentVolumeClaim${claims.length === 1 ? ' is' : 's are'} protected because pods still use them`
            : used === 0
              ? `${subjectPhrase}, though no pod uses ${claims.length === 1 ? 'it' : 'them'}: the pvc-protection controller should have removed it`
              : `${subjectPhrase}: ${used} still used by pods, ${claims.length - used} by none (the pvc-protection controller should have released those)`,
        evidence,
        fixes: [
          firstUser
            ? { safety: 'safe', description: `stop the pods that use the claims (see PodsStuckTerminating if they are Terminating)`, command: sh`kubectl -n ${firstUser.namespace} delete pod ${firstUser.name}` }
            : { safety: 'safe', description: 'check that kube-controller-manager runs pvc-protection-controller' },
          {
            safety: 'last-resort',
            description: 'remove the pvc-protection finalizer (one claim shown)',
            command: sh`kubectl -n ${first.meta.namespace ?? snapshot.namespaceName} patch pvc ${first.meta.name} --type=json -p ${JSON.stringify([
              { op: 'test', path: '/metadata/finalizers', value: first.meta.finalizers },
              { op: 'remove', path: `/metadata/finalizers/${(first.meta.finalizers ?? []).indexOf('kubernetes.io/pvc-protection')}` },
            ])}`,
            cost: 'the volume may still be mounted by a running pod; its data can be lost or corrupted when the volume is released',
          },
        ],
      },
    ];
  },
} satisfies Check;
