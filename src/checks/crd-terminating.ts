import { since } from '../util/time.js';
import { formatCounts } from '../util/format.js';
import { link, type Check } from './types.js';
import { manualOnly } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    CRDTerminating: true;
  }
}

/** A CRD deleted while instances remain waits for them; its own finalizer must never be stripped. */
export const crdTerminating = {
  id: 'CRDTerminating',
  emits: ['CRDTerminating'],
  description: 'A CustomResourceDefinition is being deleted and waits for its instances',
  stage: 'finalizers',
  groupSummary({ subject, summary }) {
    return subject.kind === 'CustomResourceDefinition' ? `CRD ${subject.name} is being deleted and waits for its objects` : summary;
  },
  ...manualOnly('the CRD finishes by itself once its objects are gone (see the finalizer findings); its own finalizer is never stripped'),
  run(snapshot, { now }) {
    return Object.values(snapshot.crds)
      .filter((crd) => crd.deletionTimestamp)
      .flatMap((crd) => {
        const remaining = snapshot.content?.types.find((t) => t.group === crd.group && t.resource === crd.plural);
        if (!remaining) return [];
        const terminating = crd.conditions.find((c) => c.type === 'Terminating');
        return {
          id: 'CRDTerminating' as const,
          subject: { kind: 'CustomResourceDefinition' as const, name: crd.name },
          summary: `CRD ${crd.name} is being deleted (${since(crd.deletionTimestamp, now)}) and waits for ${remaining.count} ${crd.plural} in this namespace`,
          evidence: [
            link(
              { kind: 'CustomResourceDefinition', name: crd.name },
              `deleting since ${since(crd.deletionTimestamp, now)}; finalizers ${crd.finalizers.join(', ') || 'none'}` +
                (terminating ? `; Terminating=${terminating.status} (${terminating.reason ?? ''}) ${terminating.message ?? ''}`.trimEnd() : ''),
              0,
            ),
            link({ kind: remaining.kind, name: `${remaining.count} objects`, namespace: snapshot.namespaceName }, `finalizers: ${formatCounts(remaining.finalizers)}`, 1),
          ],
          fixes: [
            { safety: 'safe', description: `fix what holds the ${crd.plural} (see the finalizer findings); the CRD then finishes by itself` },
          ],
          warnings: [`never remove the CRD's customresourcecleanup.apiextensions.k8s.io finalizer: it would orphan the stored objects`],
        };
      });
  },
} satisfies Check;
