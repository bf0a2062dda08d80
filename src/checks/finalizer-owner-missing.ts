import type { Blocker, EvidenceLink, Fix } from '../model/report.js';
import { since } from '../util/time.js';
import { deletedWithCustomFinalizer, finalizerOwner, pendingWithCustomFinalizer } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { catalogLink, facts, objectLinks, refOf, removeFinalizerFix, typeNameOf, waitingCount } from './finalizer-facts.js';
import { removeCustomFinalizer } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    FinalizerOwnerMissing: true;
  }
}

/**
 * Objects being deleted that wait on a custom finalizer no running controller will remove; and objects not deleted
 * yet that carry one (the namespace controller deletes them after the pods): they will hold the namespace the moment
 * they are deleted, so waiting for the pods first would be an all-clear that cannot hold (findings F9).
 */
export const finalizerOwnerMissing = {
  id: 'FinalizerOwnerMissing',
  emits: ['FinalizerOwnerMissing'],
  description: 'Objects wait on a custom finalizer whose controller is not running',
  stage: 'finalizers',
  groupSummary({ subject, summary }) {
    if (subject.kind !== 'Finalizer') return summary;
    const type = subject.group ? `${subject.resource}.${subject.group}` : subject.resource;
    return `${type} wait on finalizer ${subject.finalizer}, and no running controller will remove it`;
  },
  planPhase: 'finalizers-without-owner',
  plan(blocker, snapshot) {
    return removeCustomFinalizer(blocker, snapshot, 'no running controller will', true);
  },
  run(snapshot, { now }) {
    const blockers: Blocker[] = [];
    const deleted = deletedWithCustomFinalizer(snapshot);
    const isDeletedGroup = (first: { group: string; resource: string }, finalizer: string) =>
      deleted.some((d) => d.finalizer === finalizer && d.samples[0]?.group === first.group && d.samples[0]?.resource === first.resource);
    const pending = pendingWithCustomFinalizer(snapshot).filter((p) => p.samples[0] && !isDeletedGroup(p.samples[0], p.finalizer));
    const groups = [...deleted.map((g) => ({ ...g, notDeletedYet: false })), ...pending.map((g) => ({ ...g, notDeletedYet: true }))];
    for (const { finalizer, samples, notDeletedYet } of groups) {
      const first = samples[0];
      if (!first) continue;
      // Unknown owner: reported as a gap. A live or unseen one: a wait until it stalls (finalizer-controller-stalled.ts).
      const owner = finalizerOwner(snapshot, finalizer, first.group, first.resource);
      if (owner.state !== 'missing') continue;
      const typeName = typeNameOf(first);
      const total = waitingCount(snapshot, first, finalizer, samples.length);
      const oldest = samples.flatMap((s) => s.meta.deletionTimestamp ?? []).sort()[0];
      const evidence: EvidenceLink[] = notDeletedYet
        ? samples.slice(0, 5).map((s) => link(refOf(s), `not deleted yet (the namespace controller deletes pods first); carries finalizer ${finalizer}`, 0))
        : objectLinks(samples, finalizer, total, now);
      const crd = snapshot.crds[`${first.resource}.${first.group}`];
      if (owner.known) evidence.push(catalogLink(owner.known, finalizer));
      if (crd) evidence.push(link({ kind: 'CustomResourceDefinition', name: crd.name }, `defines ${crd.kind}`, 1));
      for (const pod of owner.searched.slice(0, 3)) {
        evidence.push(link({ kind: 'Pod', namespace: pod.namespace, name: pod.name }, `found by ${pod.via}: not Ready (${pod.phase ?? 'unknown'})${pod.restarts ? `, ${pod.restarts} restarts` : ''}`, 1));
      }
      if (owner.candidates.length === 0) {
        evidence.push(link({ kind: 'RBAC', name: `update ${typeName}` }, "granted to no ServiceAccount beyond Kubernetes' own and catch-all admin roles", 1));
      }
      for (const candidate of owner.candidates) {
        const sa = candidate.serviceAccount;
        const pods = candidate.pods.length
          ? candidate.pods.map((p) => `${p.name} ${p.ready ? 'ready' : `not ready (${p.phase ?? 'unknown'})`}`).join(', ')
          : 'no pods run as it';
        evidence.push(link({ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name }, `may update ${typeName} (${candidate.grantedBy}); ${pods}`, 1));
      }
      blockers.push({
        id: 'FinalizerOwnerMissing',
        subject: { kind: 'Finalizer', finalizer, group: first.group, resource: first.resource },
        summary: notDeletedYet
          ? `${total} ${typeName} not deleted yet carr${total === 1 ? 'ies' : 'y'} finalizer ${finalizer}, and no running controller will remove it: the moment the namespace controller deletes ${total === 1 ? 'it' : 'them'} (after the pods), ${total === 1 ? 'it holds' : 'they hold'} the namespace`
          : `${total} ${typeName} wait${total === 1 ? 's' : ''} on finalizer ${finalizer}, and no running controller will remove it (oldest deleted ${since(oldest, now)} ago)`,
        evidence,
        fixes: [restoreOwnerFix(owner, finalizer, typeName, Boolean(crd)), removeFinalizerFix(first, finalizer, owner.known, total)],
        finalizer: facts(snapshot, finalizer, first, samples, owner),
      });
    }
    return blockers;
  },
} satisfies Check;

/** The safe fix: bring back the controller that removes it, named by the most specific evidence there is. */
function restoreOwnerFix(owner: Extract<ReturnType<typeof finalizerOwner>, { state: 'missing' }>, finalizer: string, typeName: string, isCustomType: boolean): Fix {
  const sa = owner.candidates[0]?.serviceAccount;
  const notReady = owner.searched[0];
  let description: string;
  if (notReady && owner.known) description = `repair ${owner.known.owner} (pod ${notReady.namespace}/${notReady.name} is not Ready)`;
  else if (owner.known) description = `reinstall or restart ${owner.known.owner} (${owner.known.project})`;
  else if (sa) description = `scale up or repair the controller running as ServiceAccount ${sa.namespace}/${sa.name}`;
  else if (isCustomType) description = `reinstall the operator that owns ${typeName}`;
  // A built-in type has no operator: whoever added the finalizer is a controller of its own, named by the finalizer.
  else description = `find and restart the controller that added ${finalizer} (its prefix usually names the project)`;
  return { safety: 'safe', description: `${description}; it will finish its cleanup and remove the finalizer` };
}
