import type { Blocker, EvidenceLink, Fix } from '../model/report.js';
import { lookupFinalizer, type CatalogEntry } from '../rules/finalizer-catalog.js';
import type { NamespaceState, ObjectSample, Snapshot } from '../snapshot/types.js';
import { catalogLink, refOf, removalCost, removeFinalizerFix } from './finalizer-facts.js';
import { customFinalizers, heldByCustomFinalizer, namespaceBlockingDependents } from '../rules/deadlines.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';
import { lastResortOnNamespace, namespaceEvidence, noStep, objectPathOf, oneOption, step } from './plan-steps.js';
import type { CausePlan } from '../model/step-draft.js';

declare module '../model/report.js' {
  interface BlockerIds {
    NamespaceMetadataFinalizerRemaining: true;
  }
}

/** metadata.finalizers on the namespace object itself: a second gate, separate from spec.finalizers. */
export const namespaceMetadataFinalizerRemaining = {
  id: 'NamespaceMetadataFinalizerRemaining',
  emits: ['NamespaceMetadataFinalizerRemaining'],
  description: 'metadata.finalizers on the namespace object hold its removal',
  stage: 'namespace',
  groupSummary({ subject, summary }) {
    return subject.kind === 'NamespaceFinalizers' ? `namespace metadata.finalizers has ${subject.finalizers.join(', ')}` : summary;
  },
  planPhase: 'namespace-metadata-finalizers',
  plan(blocker, snapshot) {
    const ns = snapshot.namespaceName;
    const finalizers = snapshot.namespace?.metadataFinalizers ?? [];
    if (!finalizers.length) return noStep('metadata.finalizers is already empty');
    const dependents = waitedDependents(snapshot);
    if (dependents.length) return dropForegroundDeletion(blocker, ns, dependents);
    return lastResortOnNamespace(
      blocker,
      ns,
      `remove ${finalizers.join(', ')} from metadata.finalizers of namespace ${ns}`,
      'the cleanup those finalizers guard never runs; leftovers stay in etcd and reappear if the namespace is re-created',
      finalizers.map((f) => `finalizer:${f}`),
      { type: 'remove-finalizers', finalizers },
    );
  },
  run(snapshot) {
    const ns = snapshot.namespace;
    if (!ns?.deletionTimestamp || ns.metadataFinalizers.length === 0) return [];
    // orphan/foregroundDeletion are handled by the garbage collector once spec.finalizers are done.
    const gcTokens = ['orphan', 'foregroundDeletion'];
    const custom = ns.metadataFinalizers.filter((f) => !gcTokens.includes(f));
    if (custom.length === 0 && ns.specFinalizers.length > 0) return [];
    const dependents = custom.length ? [] : waitedDependents(snapshot);
    if (dependents.length) return [dependentsBlocker(snapshot, ns, dependents)];
    const finalizers = ns.metadataFinalizers;
    // Only the custom tokens (or, with none, the garbage collector's), and only if the list is still what was read.
    const kept = custom.length ? finalizers.filter((f) => gcTokens.includes(f)) : [];
    const ops = [{ op: 'test', path: '/metadata/finalizers', value: finalizers }, { op: 'replace', path: '/metadata/finalizers', value: kept }];
    // `kubernetes` is a spec.finalizers token: in metadata.finalizers nothing ever removes it (findings F10).
    const misplaced = custom.includes('kubernetes');
    const known = custom.filter((f) => f !== 'kubernetes').flatMap((finalizer) => {
      const entry = lookupFinalizer(finalizer);
      return entry ? [{ finalizer, entry }] : [];
    });
    const owners = [...new Set(known.map((k) => `${k.entry.owner} (${k.entry.project})`))];
    const blocker: Blocker = {
      id: 'NamespaceMetadataFinalizerRemaining',
      subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: [...ns.metadataFinalizers].sort(compareCodePoints) },
      summary: `namespace metadata.finalizers has ${ns.metadataFinalizers.join(', ')}${misplaced && custom.length === 1 ? ', a spec.finalizers token that nothing removes from metadata' : custom.length ? ', set by another component' : ', which the garbage collector should have removed'}`,
      evidence: [link({ kind: 'Namespace', name: ns.name }, `metadata.finalizers: [${ns.metadataFinalizers.join(', ')}]`, 0), ...ownerLinks(snapshot, known)],
      fixes: [
        custom.length
          ? misplaced && custom.length === 1
            ? { safety: 'safe', description: 'kubernetes belongs in spec.finalizers, where the namespace controller removes it; in metadata.finalizers nothing ever does (a manifest or a tool put it there): remove it (below), and fix what sets it' }
            : {
                safety: 'safe',
                description: owners.length
                  ? `bring back ${owners.join(', ')}, or if it is gone for good${known.some((k) => k.entry.project === 'Rancher') ? ' (a cluster detached from Rancher)' : ''}, nothing will remove ${custom.join(', ')}`
                  : `find the component that owns ${custom.join(', ')} and let it finish`,
              }
          : { safety: 'safe', description: 'check that kube-controller-manager runs garbage-collector-controller' },
        {
          safety: 'last-resort',
          description: custom.length ? `remove just ${custom.join(', ')} from the namespace's metadata.finalizers` : 'drop the namespace metadata finalizers',
          command: sh`kubectl patch namespace ${ns.name} --type=json -p ${JSON.stringify(ops)}`,
          cost: misplaced && custom.length === 1
            ? 'none: no component removes or acts on kubernetes in metadata.finalizers'
            : known.length === custom.length && known.every((k) => k.entry.removalCost === 'none')
            ? removalCost(known[0]?.entry)
            : 'the cleanup those finalizers guard never runs; leftovers stay in etcd and reappear if the namespace is re-created',
        },
      ],
    };
    return [blocker];
  },
} satisfies Check;

/** What the catalog says about each token, and whether its owner's pod was found where it usually runs. */
function ownerLinks(snapshot: Snapshot, known: { finalizer: string; entry: CatalogEntry }[]): EvidenceLink[] {
  const links: EvidenceLink[] = [];
  for (const { finalizer, entry } of known) {
    links.push(catalogLink(entry, finalizer));
    const found = snapshot.knownOwners?.find((o) => o.finalizer === finalizer);
    if (!found?.readable) continue;
    const pods = found.pods.map((p) => `${p.namespace}/${p.name} ${p.ready ? 'Ready' : 'not Ready'}`);
    links.push(link({ kind: 'Pods', name: entry.workloads.map((w) => w.selector).join(' or ') }, pods.length ? `found: ${pods.join(', ')}` : `none found: ${entry.owner} does not run in this cluster`, 2));
  }
  return links;
}

/** Dependents the namespace's foregroundDeletion waits on (the garbage collector's rule), when that is all it holds. */
function waitedDependents(snapshot: Snapshot): ObjectSample[] {
  const ns = snapshot.namespace;
  if (!ns?.metadataFinalizers.includes('foregroundDeletion') || ns.metadataFinalizers.includes('orphan')) return [];
  return namespaceBlockingDependents(snapshot);
}

/**
 * The namespace was deleted with propagationPolicy=Foreground: the garbage collector removes foregroundDeletion only
 * once every dependent with blockOwnerDeletion is gone, and one held by its own finalizer holds the namespace with it
 * (kube-controller-manager's garbage collector, processDeletingDependentsItem).
 */
function dependentsBlocker(snapshot: Snapshot, ns: NamespaceState, dependents: ObjectSample[]): Blocker {
  const held = dependents.filter(heldByCustomFinalizer);
  const notDeleted = dependents.filter((d) => !d.meta.deletionTimestamp);
  const heldFinalizers = [...new Set(held.flatMap(customFinalizers))].sort(compareCodePoints);
  const known = heldFinalizers.flatMap((finalizer) => {
    const entry = lookupFinalizer(finalizer);
    return entry ? [{ finalizer, entry }] : [];
  });
  const n = dependents.length;
  const names = dependents.slice(0, 3).map(dependentName).join(', ') + (n > 3 ? ', …' : '');
  const why = held.length
    ? `held by ${heldFinalizers.join(', ')}`
    : notDeleted.length
      ? 'not deleted yet by the garbage collector'
      : 'still being deleted';
  const firstHeld = held[0];
  const firstFinalizer = firstHeld ? customFinalizers(firstHeld)[0] : undefined;
  const fixes: Fix[] = [];
  const these = (objects: ObjectSample[], what: string) => (objects.length === 1 && objects[0] ? dependentName(objects[0]) : `the ${objects.length} ${what}`);
  // One line per finalizer: each has its own owner to bring back (the catalog's when it knows it).
  const perFinalizer = heldFinalizers.map((finalizer) => {
    const entry = lookupFinalizer(finalizer);
    const objects = these(held.filter((d) => d.meta.finalizers?.includes(finalizer)), 'dependents');
    return entry ? `bring back ${entry.owner} (${entry.project}) so that it removes ${finalizer} from ${objects}` : `find the component that owns ${finalizer} and let it finish on ${objects}`;
  });
  if (perFinalizer.length) fixes.push({ safety: 'safe', description: `${perFinalizer.join('; ')}; the garbage collector then removes foregroundDeletion` });
  if (notDeleted.length) {
    fixes.push({ safety: 'safe', description: `the garbage collector deletes ${these(notDeleted, 'dependents not yet deleted')} first: check that kube-controller-manager runs garbage-collector-controller and that their API answers` });
  }
  const finalizers = ns.metadataFinalizers;
  const ops = [
    { op: 'test', path: '/metadata/finalizers', value: finalizers },
    { op: 'remove', path: `/metadata/finalizers/${finalizers.indexOf('foregroundDeletion')}` },
  ];
  fixes.push({
    safety: 'caution',
    description: `remove just foregroundDeletion from the namespace's metadata.finalizers: the namespace goes without waiting for its dependents`,
    command: sh`kubectl patch namespace ${ns.name} --type=json -p ${JSON.stringify(ops)}`,
    cost: dependentsLeftCost(dependents),
  });
  if (firstHeld && firstFinalizer) fixes.push(removeFinalizerFix(firstHeld, firstFinalizer, lookupFinalizer(firstFinalizer), 1));
  return {
    id: 'NamespaceMetadataFinalizerRemaining',
    subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: [...finalizers].sort(compareCodePoints) },
    summary: `namespace metadata.finalizers has foregroundDeletion: the garbage collector waits for ${n} dependent${n === 1 ? '' : 's'} with blockOwnerDeletion (${names}), ${why}`,
    evidence: [
      link({ kind: 'Namespace', name: ns.name }, `metadata.finalizers: [${finalizers.join(', ')}]; deleted with propagationPolicy=Foreground`, 0),
      ...dependents.slice(0, MAX_DEPENDENT_LINKS).map((d) =>
        link(refOf(d), `ownerReferences name namespace ${ns.name} with blockOwnerDeletion; ${d.meta.deletionTimestamp ? `Terminating, finalizers ${d.meta.finalizers?.join(', ') || 'none'}` : 'not yet deleted'}`, 1),
      ),
      ...ownerLinks(snapshot, known),
    ],
    fixes,
  };
}

const MAX_DEPENDENT_LINKS = 10;

function dependentName(d: ObjectSample): string {
  return `${d.kind} ${d.meta.namespace ? `${d.meta.namespace}/` : ''}${d.meta.name}`;
}

function dependentsLeftCost(dependents: ObjectSample[]): string {
  return dependents.some(heldByCustomFinalizer)
    ? 'the dependents outlive the namespace: one held by a finalizer stays Terminating until that finalizer goes; the garbage collector deletes the others once the namespace is gone'
    : 'the dependents are deleted after the namespace instead of before it (the garbage collector deletes them once it is gone)';
}

/** The caution step: only foregroundDeletion, only while the namespace is deleted and the dependents still there. */
function dropForegroundDeletion(blocker: Blocker, ns: string, dependents: ObjectSample[]): CausePlan {
  const target = namespaceEvidence(ns, { deleting: 'true', 'finalizer:foregroundDeletion': 'present' });
  const evidence = dependents.slice(0, MAX_DEPENDENT_LINKS).map((d) => ({
    ref: refOf(d),
    path: objectPathOf(d),
    metadataOnly: true,
    expect: { exists: 'true' },
  }));
  return oneOption('caution', [
    step(
      blocker,
      ns,
      'caution',
      `remove foregroundDeletion from metadata.finalizers of namespace ${ns}: it then goes without waiting for its ${dependents.length} dependent${dependents.length === 1 ? '' : 's'}`,
      dependentsLeftCost(dependents),
      target,
      evidence,
      { type: 'remove-finalizers', finalizers: ['foregroundDeletion'] },
      'namespace',
    ),
  ]);
}
