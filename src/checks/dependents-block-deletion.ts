import type { EvidenceLink } from '../model/report.js';
import { beforeFirstPass, blockingDependents, foregroundDependentsGoing } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';

/** foregroundDeletion waits for dependents with blockOwnerDeletion; orphan waits for the garbage collector. */
export const dependentsBlockDeletion: Check = {
  id: 'DependentsBlockDeletion',
  emits: ['DependentsBlockDeletion'],
  description: 'Objects wait on foregroundDeletion/orphan: dependents or the garbage collector hold them',
  groupSummary() {
    return 'objects wait for their dependents or the garbage collector';
  },
  run(snapshot, context) {
    const { now } = context;
    // Before the namespace controller's first pass its background DeleteCollection has not yet dropped
    // foregroundDeletion: a wait (src/diagnosis/waiting.ts) until --controller-timeout, by the same predicate.
    if (beforeFirstPass(snapshot, context)) return [];
    // An owner whose dependents are all on their way out is a wait (src/diagnosis/waiting.ts), by the same predicate.
    const owners = (snapshot.content?.stuck ?? []).filter(
      (s) =>
        s.meta.deletionTimestamp &&
        s.meta.finalizers?.some((f) => f === 'foregroundDeletion' || f === 'orphan') &&
        !foregroundDependentsGoing(snapshot, s, now),
    );
    if (owners.length === 0) return [];
    const evidence: EvidenceLink[] = [];
    let dependentsFound = 0;
    for (const owner of owners.slice(0, 10)) {
      const finalizer = owner.meta.finalizers?.find((f) => f === 'foregroundDeletion' || f === 'orphan') ?? 'foregroundDeletion';
      evidence.push(link({ kind: owner.kind, namespace: owner.meta.namespace, name: owner.meta.name }, `waiting on ${finalizer}`, 0));
      const dependents = blockingDependents(snapshot, owner);
      dependentsFound += dependents.length;
      for (const d of dependents.slice(0, 5)) {
        const state = d.meta.deletionTimestamp ? `Terminating; finalizers ${d.meta.finalizers?.join(', ') || 'none'}` : 'not yet deleted';
        evidence.push(link({ kind: d.kind, namespace: d.meta.namespace, name: d.meta.name }, `dependent with blockOwnerDeletion, ${state}`, 1));
      }
    }
    const first = owners[0];
    if (!first) return [];
    const typeName = first.group ? `${first.resource}.${first.group}` : first.resource;
    const finalizers = first.meta.finalizers ?? [];
    const gcFinalizer = finalizers.find((f) => f === 'foregroundDeletion' || f === 'orphan') ?? 'foregroundDeletion';
    // Only that one finalizer, and only if the list is still what was read: never `finalizers: null`.
    const ops = [
      { op: 'test', path: '/metadata/finalizers', value: finalizers },
      { op: 'remove', path: `/metadata/finalizers/${finalizers.indexOf(gcFinalizer)}` },
    ];
    return [
      {
        id: 'DependentsBlockDeletion',
        subject: {
          kind: 'Owners',
          namespace: snapshot.namespaceName,
          names: owners.map((o) => `${o.kind}/${o.meta.name}`).sort(compareCodePoints),
        },
        summary: `${owners.length} object${owners.length === 1 ? ' waits' : 's wait'} for dependents or the garbage collector (${dependentsFound} blocking dependent${dependentsFound === 1 ? '' : 's'} found)`,
        evidence,
        fixes: [
          { safety: 'safe', description: 'resolve what holds the dependents (see other findings); check kube-controller-manager runs garbage-collector-controller' },
          {
            safety: 'last-resort',
            description: `remove just the ${gcFinalizer} finalizer (one object shown)`,
            command: sh`kubectl -n ${first.meta.namespace ?? snapshot.namespaceName} patch ${typeName} ${first.meta.name} --type=json -p ${JSON.stringify(ops)}`,
            cost: 'dependents are left behind (orphaned) instead of being deleted first',
          },
        ],
      },
    ];
  },
};
