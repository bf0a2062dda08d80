import type { Blocker } from '../model/report.js';
import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';

/** Tokens in spec.finalizers other than `kubernetes`: the namespace controller only ever removes its own. */
export const namespaceFinalizerRemaining: Check = {
  id: 'NamespaceFinalizerRemaining',
  description: 'spec.finalizers holds tokens other than kubernetes, which the namespace controller never removes',
  run(snapshot) {
    const ns = snapshot.namespace;
    if (!ns?.deletionTimestamp) return [];
    const foreign = ns.specFinalizers.filter((f) => f !== 'kubernetes');
    if (foreign.length === 0) return [];
    const waitingOnController = ns.specFinalizers.includes('kubernetes');
    return [
      {
        id: 'NamespaceFinalizerRemaining',
        summary: `namespace spec.finalizers has ${foreign.join(', ')}, which only the component that added ${foreign.length === 1 ? 'it' : 'them'} removes${waitingOnController ? ' (after the namespace controller finishes)' : ''}`,
        evidence: [link({ kind: 'Namespace', name: ns.name }, `spec.finalizers: [${ns.specFinalizers.join(', ')}]`, 0)],
        fixes: [
          { safety: 'safe', description: `find the component that owns ${foreign.join(', ')} and let it finish (or reinstall it)` },
          {
            safety: 'last-resort',
            description: 'clear spec.finalizers through the finalize subresource (GET fresh, empty the list, PUT back)',
            command: sh`kubectl get namespace ${ns.name} -o json | jq '.spec.finalizers = []' | kubectl replace --raw ${`/api/v1/namespaces/${ns.name}/finalize`} -f -`,
            cost: 'whatever is still in the namespace stays in etcd, unowned, and reappears if a namespace with this name is created again; the owner of the token never runs its cleanup',
          },
        ],
      },
    ];
  },
};

/** metadata.finalizers on the namespace object itself: a second gate, separate from spec.finalizers. */
export const namespaceMetadataFinalizerRemaining: Check = {
  id: 'NamespaceMetadataFinalizerRemaining',
  description: 'metadata.finalizers on the namespace object hold its removal',
  run(snapshot) {
    const ns = snapshot.namespace;
    if (!ns?.deletionTimestamp || ns.metadataFinalizers.length === 0) return [];
    // orphan/foregroundDeletion are handled by the garbage collector once spec.finalizers are done.
    const gcTokens = ['orphan', 'foregroundDeletion'];
    const custom = ns.metadataFinalizers.filter((f) => !gcTokens.includes(f));
    if (custom.length === 0 && ns.specFinalizers.length > 0) return [];
    const blocker: Blocker = {
      id: 'NamespaceMetadataFinalizerRemaining',
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
