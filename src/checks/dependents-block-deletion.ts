import type { EvidenceLink } from '../model/report.js';
import { beforeFirstPass, blockingDependents, foregroundDependentsGoing } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';
import type { ObjectSample } from '../snapshot/types.js';
import { collectionOf, contentEvidence, countWithFinalizer, noStep, oneOption, step, typeName } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    DependentsBlockDeletion: true;
  }
}

/** foregroundDeletion waits for dependents with blockOwnerDeletion; orphan waits for the garbage collector. */
export const dependentsBlockDeletion = {
  id: 'DependentsBlockDeletion',
  emits: ['DependentsBlockDeletion'],
  description: 'Objects wait on foregroundDeletion/orphan: dependents or the garbage collector hold them',
  stage: 'content',
  groupSummary() {
    return 'objects wait for their dependents or the garbage collector';
  },
  planPhase: 'owners-before-dependents',
  plan(blocker, snapshot) {
    const ns = snapshot.namespaceName;
    const owners = (snapshot.content?.stuck ?? []).flatMap((owner) => {
      const gcFinalizer = owner.meta.deletionTimestamp ? owner.meta.finalizers?.find(isGarbageCollectorFinalizer) : undefined;
      return gcFinalizer ? [{ owner, gcFinalizer }] : [];
    });
    if (!owners.length) return noStep('the waiting objects could not be identified');
    // What the API server itself does when such an owner is deleted again with propagationPolicy=Background (as the
    // namespace controller does): drop the GC finalizer. Sent as a JSON patch, not as that DELETE: a DELETE with a
    // resourceVersion precondition on an object that is already being deleted is refused by 1.34 (409, "ResourceVersion
    // in precondition: ,"), and without one nothing would guard against a change since the re-read.
    // One step per type and GC finalizer, covering every such owner (the diagnosis samples at most 50 per type).
    const groups = new Map<string, { owner: ObjectSample; gcFinalizer: string; sampled: number }>();
    for (const { owner, gcFinalizer } of owners) {
      const key = `${owner.group}/${owner.resource}/${gcFinalizer}`;
      const group = groups.get(key);
      if (group) group.sampled++;
      else groups.set(key, { owner, gcFinalizer, sampled: 1 });
    }
    const steps = [...groups.values()].map(({ owner, gcFinalizer, sampled }) => {
      const total = Math.max(sampled, countWithFinalizer(snapshot, owner, gcFinalizer));
      const batch = total > 1 ? { list: collectionOf(ns, owner), finalizer: gcFinalizer, objects: total } : undefined;
      const draft = step(
        blocker,
        ns,
        'caution',
        batch
          ? `remove ${gcFinalizer} from all ${total} ${typeName(owner)} being deleted in ${ns} (${owner.kind} ${owner.meta.name} shown; each object gets its own request), as a background re-delete by the namespace controller would: the API server then deletes them`
          : `remove ${gcFinalizer} from ${owner.kind} ${ns}/${owner.meta.name}, as a background re-delete by the namespace controller would: the API server then deletes it`,
        gcFinalizer === 'orphan'
          ? 'its dependents are deleted instead of orphaned (in a namespace being deleted they go anyway)'
          : 'its dependents are deleted after it instead of before it (they are in the namespace being deleted anyway)',
        contentEvidence(ns, owner, { deleting: 'true', [`finalizer:${gcFinalizer}`]: 'present' }),
        [],
        { type: 'remove-finalizers', finalizers: [gcFinalizer] },
        typeName(owner),
      );
      return batch ? { ...draft, batch } : draft;
    });
    return oneOption('caution', steps);
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
        s.meta.finalizers?.some(isGarbageCollectorFinalizer) &&
        !foregroundDependentsGoing(snapshot, s, now),
    );
    if (owners.length === 0) return [];
    const evidence: EvidenceLink[] = [];
    let dependentsFound = 0;
    for (const owner of owners.slice(0, 10)) {
      const finalizer = owner.meta.finalizers?.find(isGarbageCollectorFinalizer) ?? 'foregroundDeletion';
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
    const kubectlType = typeName(first);
    const finalizers = first.meta.finalizers ?? [];
    const gcFinalizer = finalizers.find(isGarbageCollectorFinalizer) ?? 'foregroundDeletion';
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
            command: sh`kubectl -n ${first.meta.namespace ?? snapshot.namespaceName} patch ${kubectlType} ${first.meta.name} --type=json -p ${JSON.stringify(ops)}`,
            cost: 'dependents are left behind (orphaned) instead of being deleted first',
          },
        ],
      },
    ];
  },
} satisfies Check;

function isGarbageCollectorFinalizer(finalizer: string): boolean {
  return finalizer === 'foregroundDeletion' || finalizer === 'orphan';
}
