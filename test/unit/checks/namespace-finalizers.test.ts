import { describe, expect, it } from 'vitest';
import { namespaceFinalizerRemaining, namespaceMetadataFinalizerRemaining } from '../../../src/checks/namespace-finalizers.js';
import { contextFor, recorded } from '../helpers.js';

describe('NamespaceFinalizerRemaining (recorded: namespace created with an extra spec.finalizers token)', () => {
  it('reports the foreign token and the finalize-subresource last resort with its cost', () => {
    const snapshot = recorded('ns-finalizer');
    const [blocker] = namespaceFinalizerRemaining.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('NamespaceFinalizerRemaining');
    expect(blocker.summary).toContain('platform.example.com/namespace-cleanup');
    const last = blocker.fixes.find((f) => f.safety === 'last-resort')!;
    expect(last.command).toContain('kubectl replace --raw /api/v1/namespaces/nsf1/finalize -f -');
    expect(last.cost).toMatch(/reappears if a namespace with this name is created again/);
  });

  it('is silent when only the kubernetes token is left', () => {
    const snapshot = recorded('ns-finalizer');
    snapshot.namespace!.specFinalizers = ['kubernetes'];
    expect(namespaceFinalizerRemaining.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});

describe('NamespaceMetadataFinalizerRemaining', () => {
  it('reports a custom metadata finalizer on the namespace', () => {
    const snapshot = recorded('ns-finalizer');
    snapshot.namespace!.metadataFinalizers = ['example.com/keep'];
    const [blocker] = namespaceMetadataFinalizerRemaining.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('NamespaceMetadataFinalizerRemaining');
    expect(blocker.fixes.at(-1)!.command).toBe(`kubectl patch namespace nsf1 --type=merge -p '{"metadata":{"finalizers":null}}'`);
  });

  it('leaves orphan to the garbage collector while spec finalizers remain', () => {
    const snapshot = recorded('ns-finalizer');
    snapshot.namespace!.metadataFinalizers = ['orphan'];
    expect(namespaceMetadataFinalizerRemaining.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});
