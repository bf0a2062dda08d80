import type { Blocker, EvidenceLink } from '../model/report.js';
import { lookupFinalizer, type CatalogEntry } from '../rules/finalizer-catalog.js';
import type { Snapshot } from '../snapshot/types.js';
import { catalogLink, removalCost } from './finalizer-facts.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';
import { lastResortOnNamespace, noStep } from './plan-steps.js';

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
  groupSummary({ subject, summary }) {
    return subject.kind === 'NamespaceFinalizers' ? `namespace metadata.finalizers has ${subject.finalizers.join(', ')}` : summary;
  },
  planPhase: 'namespace-metadata-finalizers',
  plan(blocker, snapshot) {
    const ns = snapshot.namespaceName;
    const finalizers = snapshot.namespace?.metadataFinalizers ?? [];
    if (!finalizers.length) return noStep('metadata.finalizers is already empty');
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
