import type { Blocker, EvidenceLink } from '../model/report.js';
import { since } from '../util/time.js';
import { deletedWithCustomFinalizer, finalizerOwner } from '../snapshot/deadlines.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';

/** Objects being deleted that wait on a custom finalizer no running controller will remove. */
export const finalizerOwnerMissing: Check = {
  id: 'FinalizerOwnerMissing',
  emits: ['FinalizerOwnerMissing'],
  description: 'Objects wait on a custom finalizer whose controller is not running',
  groupSummary({ subject, summary }) {
    if (subject.kind !== 'Finalizer') return summary;
    const type = subject.group ? `${subject.resource}.${subject.group}` : subject.resource;
    return `${type} wait on finalizer ${subject.finalizer}, and no running controller will remove it`;
  },
  run(snapshot, { now }) {
    const blockers: Blocker[] = [];
    for (const { finalizer, samples } of deletedWithCustomFinalizer(snapshot)) {
      const first = samples[0];
      if (!first) continue;
      const typeName = first.group ? `${first.resource}.${first.group}` : first.resource;
      const total = snapshot.content?.types.find((t) => t.group === first.group && t.resource === first.resource)?.finalizers[finalizer] ?? samples.length;
      // Unknown owner: reported as a gap. A live one: a wait (src/diagnosis/waiting.ts), decided by the same predicate.
      const owner = finalizerOwner(snapshot, first.group, first.resource);
      if (owner.state !== 'missing') continue;
      const owners = { candidates: owner.candidates };
      const oldest = samples.flatMap((s) => s.meta.deletionTimestamp ?? []).sort()[0];
      const evidence: EvidenceLink[] = samples.slice(0, 5).map((s) =>
        link(
          { kind: s.kind, name: s.meta.name, namespace: s.meta.namespace, apiVersion: s.group ? `${s.group}/${s.version}` : s.version },
          `deleted ${since(s.meta.deletionTimestamp, now)} ago, waiting on finalizer ${finalizer}`,
          0,
        ),
      );
      if (samples.length > 5) evidence.push(link({ kind: first.kind, name: `…and ${total - 5} more`, namespace: first.meta.namespace }, '', 0));
      const crd = snapshot.crds[`${first.resource}.${first.group}`];
      if (crd) evidence.push(link({ kind: 'CustomResourceDefinition', name: crd.name }, `defines ${crd.kind}; its controller removes ${finalizer}`, 1));
      if (owners.candidates.length === 0) {
        evidence.push(link({ kind: 'RBAC', name: `update ${typeName}` }, "granted to no ServiceAccount beyond Kubernetes' own and catch-all admin roles: its controller is not installed", 1));
      }
      for (const candidate of owners.candidates) {
        const sa = candidate.serviceAccount;
        const pods = candidate.pods.length
          ? candidate.pods.map((p) => `${p.name} ${p.ready ? 'ready' : `not ready (${p.phase ?? 'unknown'})`}`).join(', ')
          : 'no pods run as it';
        evidence.push(link({ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name }, `may update ${typeName} (${candidate.grantedBy}); ${pods}`, 1));
      }
      const ns = first.meta.namespace ?? snapshot.namespaceName;
      const ops = [
        { op: 'test', path: '/metadata/finalizers', value: first.meta.finalizers },
        { op: 'remove', path: `/metadata/finalizers/${(first.meta.finalizers ?? []).indexOf(finalizer)}` },
      ];
      const patch = sh`kubectl -n ${ns} patch ${typeName} ${first.meta.name} --type=json -p ${JSON.stringify(ops)}`;
      const controllerHint = owners.candidates[0]
        ? `scale up or repair the controller running as ServiceAccount ${owners.candidates[0].serviceAccount.namespace}/${owners.candidates[0].serviceAccount.name}`
        : `reinstall the operator that owns ${typeName}`;
      blockers.push({
        id: 'FinalizerOwnerMissing',
        subject: { kind: 'Finalizer', finalizer, group: first.group, resource: first.resource },
        summary: `${total} ${typeName} wait${total === 1 ? 's' : ''} on finalizer ${finalizer}, and no running controller will remove it (oldest deleted ${since(oldest, now)} ago)`,
        evidence,
        fixes: [
          { safety: 'safe', description: `${controllerHint}; it will finish its cleanup and remove the finalizer` },
          {
            safety: 'last-resort',
            description: `remove just the ${finalizer} finalizer (one object shown; repeat per object)`,
            command: patch,
            cost: 'the cleanup that finalizer guards never runs: external resources (cloud disks, DNS records, …) may leak',
          },
        ],
      });
    }
    return blockers;
  },
};
