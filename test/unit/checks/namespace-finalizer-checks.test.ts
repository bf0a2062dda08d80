// The namespace's own two gates: spec.finalizers tokens and metadata.finalizers (recorded: a namespace created with an
// extra spec.finalizers token).
import { namespaceFinalizerRemaining } from '../../../src/checks/namespace-finalizer-remaining.js';
import { namespaceMetadataFinalizerRemaining } from '../../../src/checks/namespace-metadata-finalizer-remaining.js';
import type { Snapshot } from '../../../src/snapshot/types.js';
import { recorded } from '../helpers.js';
import { testCheck } from './check-tester.js';

function withFinalizers(spec: string[], metadata: string[]): () => Snapshot {
  return () => {
    const snapshot = recorded('ns-finalizer');
    snapshot.namespace!.specFinalizers = spec;
    snapshot.namespace!.metadataFinalizers = metadata;
    return snapshot;
  };
}

testCheck(namespaceFinalizerRemaining, {
  valid: [{ name: 'only the kubernetes token is left', snapshot: withFinalizers(['kubernetes'], []) }],
  invalid: [
    {
      name: 'a foreign token, with the finalize subresource as the last resort and its cost',
      snapshot: () => recorded('ns-finalizer'),
      blockers: [
        {
          id: 'NamespaceFinalizerRemaining',
          summary: /platform\.example\.com\/namespace-cleanup/,
          lastResort: { command: 'kubectl replace --raw /api/v1/namespaces/nsf1/finalize -f -', cost: /reappears if a namespace with this name is created again/ },
        },
      ],
    },
  ],
});

testCheck(namespaceMetadataFinalizerRemaining, {
  valid: [{ name: 'orphan is left to the garbage collector while spec finalizers remain', snapshot: withFinalizers(['kubernetes'], ['orphan']) }],
  invalid: [
    {
      name: 'a custom metadata finalizer on the namespace',
      snapshot: withFinalizers(['kubernetes'], ['example.com/keep']),
      blockers: [{ id: 'NamespaceMetadataFinalizerRemaining', lastResort: { command: `kubectl patch namespace nsf1 --type=merge -p '{"metadata":{"finalizers":null}}'` } }],
    },
  ],
});
