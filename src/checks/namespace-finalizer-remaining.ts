import { link, type Check } from './types.js';
import { sh } from '../util/shell.js';
import { compareCodePoints } from '../util/order.js';
import { lastResortOnNamespace, noStep } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    NamespaceFinalizerRemaining: true;
  }
}

/** Tokens in spec.finalizers other than `kubernetes`: the namespace controller only ever removes its own. */
export const namespaceFinalizerRemaining = {
  id: 'NamespaceFinalizerRemaining',
  emits: ['NamespaceFinalizerRemaining'],
  description: 'spec.finalizers holds tokens other than kubernetes, which the namespace controller never removes',
  stage: 'namespace',
  groupSummary({ subject, summary }) {
    if (subject.kind !== 'NamespaceFinalizers') return summary;
    return `namespace spec.finalizers has ${subject.finalizers.join(', ')}, which only the component that added ${subject.finalizers.length === 1 ? 'it' : 'them'} removes`;
  },
  planPhase: 'namespace-spec-finalizers',
  plan(blocker, snapshot) {
    const ns = snapshot.namespaceName;
    const foreign = (snapshot.namespace?.specFinalizers ?? []).filter((f) => f !== 'kubernetes');
    if (!foreign.length) return noStep('no finalizer token other than kubernetes is left');
    return lastResortOnNamespace(
      blocker,
      ns,
      `remove ${foreign.join(', ')} from spec.finalizers of namespace ${ns} through /finalize (the kubernetes token, if any, stays for the namespace controller)`,
      'whatever the owner of the token would have cleaned up is never cleaned up; objects still in the namespace stay in etcd and reappear if it is re-created',
      foreign.map((f) => `specFinalizer:${f}`),
      { type: 'finalize-namespace', drop: foreign },
      // Recorded so the guard (src/fix/guards.ts) can tell a request that would drop it: the plan never does.
      { 'specFinalizer:kubernetes': (snapshot.namespace?.specFinalizers ?? []).includes('kubernetes') ? 'present' : 'absent' },
    );
  },
  run(snapshot) {
    const ns = snapshot.namespace;
    if (!ns?.deletionTimestamp) return [];
    const foreign = ns.specFinalizers.filter((f) => f !== 'kubernetes');
    if (foreign.length === 0) return [];
    const waitingOnController = ns.specFinalizers.includes('kubernetes');
    return [
      {
        id: 'NamespaceFinalizerRemaining',
        subject: { kind: 'NamespaceFinalizers', field: 'spec', finalizers: [...foreign].sort(compareCodePoints) },
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
} satisfies Check;
