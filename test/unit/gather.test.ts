// The gather layer over a fake transport (fake-transport.ts): paging, the 410 restart, the refusal of full objects
// to a metadata-only list, malformed answers as gaps. Each of these fails if that mechanism breaks; the same flows
// run against the real API server in test/e2e.
import { describe, expect, it } from 'vitest';
import { SnapshotGatherer } from '../../src/gather/snapshot.js';
import { FakeTransport, fakeClient, pagedList, type Route } from './fake-transport.js';

const ns = 'shop';
const DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const resource = (name: string, kind: string) => ({ resource: name, responseKind: { kind }, scope: 'Namespaced', verbs });
const empty: Route = (_q, accept) => ({
  body: { kind: accept.includes('PartialObjectMetadataList') ? 'PartialObjectMetadataList' : 'List', metadata: { resourceVersion: '100' }, items: [] },
});
const configmaps = `/api/v1/namespaces/${ns}/configmaps`;
const secrets = `/api/v1/namespaces/${ns}/secrets`;

/** A Terminating namespace whose API has configmaps, secrets, pods and PVCs; content lists are empty unless set. */
function cluster(): FakeTransport {
  const api = new FakeTransport();
  api
    .route(`/api/v1/namespaces/${ns}`, () => ({
      body: {
        kind: 'Namespace',
        metadata: { name: ns, resourceVersion: '100', creationTimestamp: '2026-11-30T10:00:00Z', deletionTimestamp: '2026-12-01T09:00:00Z' },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Terminating' },
      },
    }))
    .route('/api', () => ({
      contentType: DISCOVERY,
      body: {
        kind: 'APIGroupDiscoveryList',
        items: [
          {
            metadata: { name: '' },
            versions: [
              {
                version: 'v1',
                freshness: 'Current',
                resources: [resource('configmaps', 'ConfigMap'), resource('secrets', 'Secret'), resource('pods', 'Pod'), resource('persistentvolumeclaims', 'PersistentVolumeClaim')],
              },
            ],
          },
        ],
      },
    }))
    .route('/apis', () => ({ contentType: DISCOVERY, body: { kind: 'APIGroupDiscoveryList', items: [] } }));
  for (const path of [
    '/apis/apiregistration.k8s.io/v1/apiservices',
    '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
    configmaps,
    secrets,
    `/api/v1/namespaces/${ns}/pods`,
    `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
  ]) {
    api.route(path, empty);
  }
  return api;
}

async function gather(api: FakeTransport) {
  const client = fakeClient(api);
  try {
    return await new SnapshotGatherer(client).gather(ns);
  } finally {
    client.close();
  }
}

const held = (i: number) => (i % 100 === 0 ? { finalizers: ['example.com/hold'], deletionTimestamp: '2026-12-01T09:00:01Z' } : {});

describe('gather over a fake transport', () => {
  it('pages through a large list from the watch cache, counting every object once', async () => {
    const api = cluster().route(configmaps, pagedList(1_234, held, 'cm'));
    const snapshot = await gather(api);
    expect(snapshot.gaps).toEqual([]);
    const counted = snapshot.content!.types.find((t) => t.resource === 'configmaps');
    expect(counted).toMatchObject({ count: 1_234, withFinalizers: 13, withDeletionTimestamp: 13, finalizers: { 'example.com/hold': 13 } });
    const pages = api.asked(configmaps);
    expect(pages.map((q) => q.get('continue'))).toEqual([null, '500', '1000']);
    // The first page is served from the watch cache (NotOlderThan the namespace's resourceVersion), never from etcd.
    expect(pages[0].get('resourceVersion')).toBe('100');
    expect(pages[0].get('resourceVersionMatch')).toBe('NotOlderThan');
    expect(pages.every((q) => q.get('limit') === '500')).toBe(true);
    expect(api.requests.filter((r) => r.path === configmaps).every((r) => r.accept.includes('as=PartialObjectMetadataList'))).toBe(true);
  });

  it('restarts a list whose continue token expired (410), without counting the first pages twice', async () => {
    const pages = pagedList(1_234, held, 'cm');
    let expired = false;
    const api = cluster().route(configmaps, (query, accept) => {
      if (query.get('continue') === '1000' && !expired) {
        expired = true;
        return { status: 410, body: { kind: 'Status', code: 410, reason: 'Expired', message: 'The provided continue parameter is too old' } };
      }
      return pages(query, accept);
    });
    const snapshot = await gather(api);
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.content!.types.find((t) => t.resource === 'configmaps')?.count).toBe(1_234);
    expect(api.asked(configmaps).map((q) => q.get('continue'))).toEqual([null, '500', '1000', null, '500', '1000']);
  });

  it('a continue token that expires twice is a named gap, and the type is not counted at all', async () => {
    const pages = pagedList(1_234, held, 'cm');
    const api = cluster().route(configmaps, (query, accept) =>
      query.get('continue') === '1000' ? { status: 410, body: { kind: 'Status', code: 410, message: 'too old' } } : pages(query, accept),
    );
    const snapshot = await gather(api);
    expect(snapshot.gaps).toEqual([expect.objectContaining({ kind: 'content', resource: 'configmaps', httpStatus: 410, reason: '410 continue token expired twice' })]);
    expect(snapshot.content!.types.find((t) => t.resource === 'configmaps')).toBeUndefined();
  });

  it('refuses full objects to a metadata-only list: a gap, and not one byte of Secret data kept', async () => {
    const api = cluster().route(secrets, () => ({
      body: { kind: 'SecretList', metadata: {}, items: [{ metadata: { name: 'db' }, data: { password: 'aHVudGVyMg==' } }] },
    }));
    const snapshot = await gather(api);
    expect(snapshot.gaps).toEqual([expect.objectContaining({ kind: 'content', resource: 'secrets', reason: expect.stringMatching(/refusing to read full objects/) })]);
    expect(JSON.stringify(snapshot)).not.toContain('aHVudGVyMg==');
  });

  it('an item without a name makes its page unreadable: a malformed gap for that type only', async () => {
    const api = cluster().route(configmaps, () => ({ body: { kind: 'PartialObjectMetadataList', metadata: {}, items: [{ metadata: null }] } }));
    const snapshot = await gather(api);
    expect(snapshot.gaps).toEqual([expect.objectContaining({ kind: 'content', resource: 'configmaps', reason: 'malformed response: items[0] has no metadata.name' })]);
  });

  it('one object of a shape the API never sends is a gap naming that object; its siblings are counted and read', async () => {
    const api = cluster().route(
      secrets,
      pagedList(3, (i) => (i === 1 ? { finalizers: 'not-a-list' } : { finalizers: ['example.com/keep'], deletionTimestamp: '2026-12-01T09:00:00Z' }), 'secret'),
    );
    const snapshot = await gather(api);
    expect(snapshot.gaps).toEqual([
      {
        kind: 'content',
        what: 'read Secret secret-1',
        reason: expect.stringMatching(/^malformed object metadata: finalizers: Invalid type/),
        resource: 'secrets',
        object: { kind: 'Secret', name: 'secret-1' },
        impact: 'its finalizers and deletion state are unknown',
      },
    ]);
    expect(snapshot.content!.types.find((t) => t.resource === 'secrets')).toMatchObject({ count: 3, withFinalizers: 2, withDeletionTimestamp: 2 });
    expect(snapshot.content!.stuck.map((s) => s.meta.name)).toEqual(['secret-0', 'secret-2']);
  });

  it('reads what the kubelet writes for a container it lost (null timestamps, kubernetes#108733); a broken sibling is a gap naming it', async () => {
    const lost = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.', startedAt: null, finishedAt: null };
    const pod = (name: string, containerStatuses: unknown) => ({
      metadata: { name, namespace: ns, deletionTimestamp: '2026-12-01T09:00:30Z', deletionGracePeriodSeconds: 30, creationTimestamp: null },
      spec: { nodeName: 'gone-node', terminationGracePeriodSeconds: null },
      status: { phase: 'Running', startTime: null, conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: null, reason: null }], containerStatuses },
    });
    const items = [
      pod('web-0', [{ name: 'web', ready: false, restartCount: 0, state: { terminated: lost }, lastState: { terminated: lost } }]),
      pod('web-1', [null]),
      pod('web-2', [{ name: 'web', ready: false, restartCount: 0, state: { terminated: lost }, lastState: {} }]),
    ];
    const api = cluster().route(`/api/v1/namespaces/${ns}/pods`, (_q, accept) => ({
      body: { kind: accept.includes('PartialObjectMetadataList') ? 'PartialObjectMetadataList' : 'PodList', metadata: { resourceVersion: '100' }, items },
    }));
    const snapshot = await gather(api);
    expect(Object.keys(snapshot.pods).sort()).toEqual([`${ns}/web-0`, `${ns}/web-2`]);
    expect(snapshot.pods[`${ns}/web-0`].containers[0]).toEqual({ name: 'web', ready: false, restartCount: 0, lastTerminationReason: 'ContainerStatusUnknown', lastTerminationExitCode: 137 });
    expect(snapshot.gaps).toEqual([
      expect.objectContaining({ kind: 'evidence', what: `read Pod ${ns}/web-1`, object: { kind: 'Pod', namespace: ns, name: 'web-1' }, reason: expect.stringMatching(/^malformed Pod: /) }),
    ]);
    expect(snapshot.content!.types.find((t) => t.resource === 'pods')).toMatchObject({ count: 3, withDeletionTimestamp: 3 });
  });

  it.each([
    ['aggregated discovery without items', { contentType: DISCOVERY, body: { kind: 'APIGroupDiscoveryList' } }, /\/apis has no items list/],
    ['legacy {}', { body: {} }, /\/apis has no groups list/],
    ['legacy {"groups": null}', { body: { kind: 'APIGroupList', groups: null } }, /\/apis has no groups list/],
  ])('%s from /apis is a malformed discovery gap, never "no groups"', async (_name, answer, reason) => {
    const api = cluster().route('/apis', () => answer);
    if (!('contentType' in answer)) api.route('/api', () => ({ body: { kind: 'APIVersions', versions: ['v1'] } }));
    const snapshot = await gather(api);
    expect(snapshot.discovery?.mode).toBe('unavailable');
    expect(snapshot.gaps).toContainEqual(expect.objectContaining({ kind: 'discovery', reason: expect.stringMatching(reason) }));
  });

  it('a namespace answered with an impossible shape is a namespace gap, not a crash', async () => {
    const api = cluster().route(`/api/v1/namespaces/${ns}`, () => ({ body: { kind: 'Namespace', metadata: { name: ns, deletionTimestamp: 'soon' } } }));
    const snapshot = await gather(api);
    expect(snapshot.gaps).toEqual([expect.objectContaining({ kind: 'namespace', reason: expect.stringMatching(/^malformed Namespace: deletionTimestamp: an RFC 3339 time/) })]);
  });
});
