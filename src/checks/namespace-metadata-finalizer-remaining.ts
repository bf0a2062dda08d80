import type { Blocker } from '../model/report.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';

/** metadata.finalizers on the namespace object itself: a second gate, separate from spec.finalizers. */
export const namespaceMetadataFinalizerRemaining: Check = {
  id: 'NamespaceMetadataFinalizerRemaining',
  emits: ['NamespaceMetadataFinalizerRemaining'],
  description: 'metadata.finalizers on the namespace object hold its removal',
  groupSummary({ subject, summary }) {
    return subject.kind === 'NamespaceFinalizers' ? `namespace metadata.finalizers has ${subject.finalizers.join(', ')}` : summary;
  },
  run(snapshot) {
    const ns = snapshot.namespace;
    if (!ns?.deletionTimestamp || ns.metadataFinalizers.length === 0) return [];
    // orphan/foregroundDeletion are handled by the garbage collector once spec.finalizers are done.
    const gcTokens = ['orphan', 'foregroundDeletion'];
    const custom = ns.metadataFinalizers.filter((f) => !gcTokens.includes(f));
    if (custom.length === 0 && ns.specFinalizers.length > 0) return [];
    const blocker: Blocker = {
      id: 'NamespaceMetadataFinalizerRemaining',
      subject: { kind: 'NamespaceFinalizers', field: 'metadata', finalizers: [...ns.metadataFinalizers].sort(compareCodePoints) },
      summary: `namespace metadata.finalizers has ${ns.metadataFinalizers.join(', ')}${custom.length ? ', set by another component' : ', which the garbage collector should have removed'}`,
      evidence: [link({ kind: 'Namespace', name: ns.name }, `metadata.finalizers: [${ns.metadataFinalizers.join(', ')}]`, 0)],
      fixes: [
        custom.length
          ? { safety: 'safe', description: `find the component that owns ${custom.join(', ')} and let it finish` }
          : { safety: 'safe', description: 'check that kube-controller-manager runs garbage-collector-controller' },
        {
          safety: 'last-resort',
          description: 'drop the namespace metadata finalizers',
          command: sh`kubectl patch namespace ${ns.name} --type=merge -p '{"metadata":{"finalizers":null}}'`,
          cost: 'the cleanup those finalizers guard never runs; leftovers stay in etcd and reappear if the namespace is re-created',
        },
      ],
    };
    return [blocker];
  },
};
