// The search for what a foreground-deleted namespace waits on, over a fake transport: read once per run for every
// namespace, each namespace given only its own dependents and gaps. The real garbage collector's behaviour is
// test/e2e/foreground-deletion.test.ts.
import { describe, expect, it } from 'vitest';
import { attachNamespaceDependents, readNamespaceOwned } from '../../src/gather/namespace-dependents.js';
import { GapSink } from '../../src/gather/gaps.js';
import type { ResourceType, Snapshot } from '../../src/snapshot/types.js';
import { FakeTransport, fakeClient } from './fake-transport.js';

const type = (group: string, resource: string, kind: string, verbs = ['get', 'list']): ResourceType => ({ group, version: 'v1', resource, kind, namespaced: false, verbs });
const CLUSTER_ROLES = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
const PVS = '/api/v1/persistentvolumes';
const blocks = (uid: string, kind = 'Namespace', blockOwnerDeletion: unknown = true) => ({ apiVersion: 'v1', kind, name: 'x', uid, blockOwnerDeletion });

function snapshotOf(name: string, uid: string): Snapshot {
  return {
    namespaceName: name,
    namespace: { name, uid, deletionTimestamp: '2026-12-05T19:00:00Z', specFinalizers: [], metadataFinalizers: ['foregroundDeletion'], conditions: [] },
  } as Partial<Snapshot> as Snapshot;
}

describe('dependents of namespaces deleted with foregroundDeletion', () => {
  it('lists each listable cluster-scoped type once; each namespace gets its own dependents, its own malformed objects, and every failed type as a gap', async () => {
    const api = new FakeTransport()
      .route(CLUSTER_ROLES, () => ({
        body: {
          kind: 'PartialObjectMetadataList',
          metadata: { resourceVersion: '100' },
          items: [
            { metadata: { name: 'of-a', ownerReferences: [blocks('uid-a')], finalizers: ['example.com/hold'], deletionTimestamp: '2026-12-05T19:00:01Z' } },
            { metadata: { name: 'of-b', ownerReferences: [blocks('uid-b')] } },
            { metadata: { name: 'not-blocking', ownerReferences: [blocks('uid-a', 'Namespace', false)] } },
            { metadata: { name: 'owned-by-a-deployment', ownerReferences: [blocks('uid-a', 'Deployment')] } },
            { metadata: { name: 'broken', ownerReferences: [blocks('uid-a')], finalizers: 'not-a-list' } },
            { metadata: { name: 'odd-refs', ownerReferences: [null, 7] } },
          ],
        },
      }))
      .route(PVS, () => ({ status: 403, body: { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'persistentvolumes is forbidden' } }));
    const client = fakeClient(api);
    const owned = await readNamespaceOwned(client, [type('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole'), type('', 'persistentvolumes', 'PersistentVolume'), type('', 'componentstatuses', 'ComponentStatus'), type('', 'tokenreviews', 'TokenReview', ['create'])], '100');
    client.close();
    expect(api.requests.map((r) => r.path).sort()).toEqual([PVS, CLUSTER_ROLES]);

    const [a, b] = [snapshotOf('a', 'uid-a'), snapshotOf('b', 'uid-b')];
    const [gapsA, gapsB] = [new GapSink(), new GapSink()];
    attachNamespaceDependents(a, owned, gapsA);
    attachNamespaceDependents(b, owned, gapsB);
    expect(a.namespaceDependents?.map((d) => d.meta.name)).toEqual(['of-a']);
    expect(b.namespaceDependents?.map((d) => d.meta.name)).toEqual(['of-b']);
    expect(gapsA.gaps.map((g) => g.what)).toEqual(['read ClusterRole broken', 'list persistentvolumes (dependents of namespace a)']);
    expect(gapsB.gaps.map((g) => [g.what, g.httpStatus])).toEqual([['list persistentvolumes (dependents of namespace b)', 403]]);
  });
});
