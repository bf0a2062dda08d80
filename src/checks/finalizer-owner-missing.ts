import type { Blocker, EvidenceLink, Fix } from '../model/report.js';
import { since } from '../util/time.js';
import { deletedWithCustomFinalizer, finalizerOwner } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { catalogLink, facts, objectLinks, removeFinalizerFix, typeNameOf, waitingCount } from './finalizer-facts.js';
import { removeCustomFinalizer } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    FinalizerOwnerMissing: true;
  }
}

/** Objects being deleted that wait on a custom finalizer no running controller will remove. */
export const finalizerOwnerMissing = {
  id: 'FinalizerOwnerMissing',
  emits: ['FinalizerOwnerMissing'],
  description: 'Objects wait on a custom finalizer whose controller is not running',
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
    for (const { finalizer, samples } of deletedWithCustomFinalizer(snapshot)) {
      const first = samples[0];
      if (!first) continue;
      // Unknown owner: reported as a gap. A live or unseen one: a wait until it stalls (finalizer-controller-stalled.ts).
      const owner = finalizerOwner(snapshot, finalizer, first.group, first.resource);
      if (owner.state !== 'missing') continue;
      const typeName = typeNameOf(first);
      const total = waitingCount(snapshot, first, finalizer, samples.length);
      const oldest = samples.flatMap((s) => s.meta.deletionTimestamp ?? []).sort()[0];
      const evidence: EvidenceLink[] = objectLinks(samples, finalizer, total, now);
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
        summary: `${total} ${typeName} wait${total === 1 ? 's' : ''} on finalizer ${finalizer}, and no running controller will remove it (oldest deleted ${since(oldest, now)} ago)`,
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
