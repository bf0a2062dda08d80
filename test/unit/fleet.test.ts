// The fleet gatherer of --all against a scripted API server: which lists it makes, and what it counts per namespace.
import { describe, expect, it } from 'vitest';
import { FleetGatherer } from '../../src/gather/fleet.js';
import type { KubeClient, RequestRecord, Response } from '../../src/kube/client.js';
import type { NamespaceState } from '../../src/snapshot/types.js';

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'watch'];
const discovery = {
  '/api': { kind: 'APIGroupDiscoveryList', items: [{ metadata: { name: '' }, versions: [{ version: 'v1', resources: ['configmaps', 'secrets', 'pods'].map((r) => ({ resource: r, scope: 'Namespaced', verbs, responseKind: { kind: r } })) }] }] },
  '/apis': { kind: 'APIGroupDiscoveryList', items: [{ metadata: { name: 'example.com' }, versions: [{ version: 'v1', resources: [{ resource: 'widgets', scope: 'Namespaced', verbs, responseKind: { kind: 'Widget' } }] }] }] },
};
const meta = (namespace: string, name: string, extra: Record<string, unknown> = {}) => ({ metadata: { namespace, name, ...extra } });
const metaList = (items: unknown[], metadata: Record<string, unknown> = {}) => ({ kind: 'PartialObjectMetadataList', metadata, items });

/** Answers like kube-apiserver for the paths the gatherer asks; records every request like KubeClient does. */
class ScriptedServer {
  readonly records: RequestRecord[] = [];
  readonly serverUrl = 'https://127.0.0.1:6443';
  get stats() {
    return { requests: this.records.length, bytesReceived: 0, retries: 0 };
  }
  async getJson<T>(path: string): Promise<T> {
    const r = await this.get(path);
    if (r.status !== 200) {
      const { ApiError } = await import('../../src/kube/errors.js');
      throw new ApiError(r.status === 404 ? 'not-found' : 'forbidden', path, `HTTP ${r.status}`, r.status);
    }
    return JSON.parse(r.body) as T;
  }
  async get(path: string, accept = 'application/json'): Promise<Response> {
    this.records.push({ method: 'GET', path, status: 200, bytes: 0, ms: 0, attempt: 1 });
    const [base, query = ''] = path.split('?');
    const q = new URLSearchParams(query);
    const ok = (body: unknown, contentType = 'application/json'): Response => ({ status: 200, contentType, body: JSON.stringify(body), bytes: 0 });
    const status = (code: number): Response => ({ status: code, contentType: 'application/json', body: JSON.stringify({ message: `HTTP ${code}` }), bytes: 0 });
    if (base in discovery) return ok(discovery[base as keyof typeof discovery], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    if (q.get('resourceVersion') !== '7' && !path.includes('resourceVersion=0')) throw new Error(`not served from the watch cache: ${path}`);
    if (accept.includes('PartialObjectMetadataList') === false && /\/(configmaps|secrets|widgets)$/.test(base)) throw new Error(`not metadata-only: ${path}`);
    switch (base) {
      case '/api/v1/configmaps':
        return ok(metaList([meta('a', 'one'), meta('a', 'two'), meta('b', 'three'), meta('active', 'x')]));
      case '/apis/example.com/v1/namespaces/a/widgets':
        return ok(metaList([]));
      case '/api/v1/namespaces/a/configmaps':
        return ok(metaList([meta('a', 'one')]));
      case '/api/v1/secrets':
        return status(403); // RBAC granted per namespace only
      case '/api/v1/namespaces/a/secrets':
        return ok(metaList([meta('a', 's')]));
      case '/api/v1/namespaces/b/secrets':
        return status(403);
      case '/api/v1/pods':
        // 5,000 pods cluster-wide: 11 pages against 2 namespaced lists.
        return ok(metaList([meta('other', 'p0')], { continue: 'next', remainingItemCount: 5000 }));
      case '/api/v1/namespaces/a/pods':
      case '/api/v1/namespaces/b/pods':
        return ok(metaList([]));
      case '/apis/example.com/v1/widgets':
        return ok(metaList([meta('b', 'w', { finalizers: ['example.com/cleanup'], deletionTimestamp: '2026-01-01T00:00:00Z' })]));
      case '/apis/apiextensions.k8s.io/v1/customresourcedefinitions':
        return ok(metaList([]));
      case '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com':
        return status(404);
      default:
        if (/apiservices|webhookconfigurations|clusterroles|clusterrolebindings|namespaces\/b\/(roles|rolebindings)/.test(base)) return ok({ items: [] });
        throw new Error(`unexpected request ${path}`);
    }
  }
}

const ns = (name: string): NamespaceState => ({ name, phase: 'Terminating', deletionTimestamp: '2026-01-01T00:00:00Z', specFinalizers: ['kubernetes'], metadataFinalizers: [], conditions: [] });

describe('FleetGatherer', () => {
  it('lists each type once for all namespaces, per namespace only where that is cheaper or the only way', async () => {
    const server = new ScriptedServer();
    const progress: [string, number, number][] = [];
    const { snapshots, plan } = await new FleetGatherer(server as unknown as KubeClient, (...p) => progress.push(p)).gather([ns('a'), ns('b')], '7');
    const paths = server.records.map((r) => r.path.split('?')[0]);
    const count = (p: string) => paths.filter((x) => x === p).length;

    expect(count('/api/v1/configmaps')).toBe(1);
    expect(count('/apis/example.com/v1/widgets')).toBe(1);
    expect(paths.filter((p) => /namespaces\/[ab]\/configmaps/.test(p))).toEqual([]);
    // secrets: forbidden cluster-wide, so per namespace; pods: the first page showed 5,000 more, so per namespace.
    expect(count('/api/v1/namespaces/a/secrets') + count('/api/v1/namespaces/b/secrets')).toBe(2);
    expect(count('/api/v1/pods')).toBe(1);
    expect(count('/api/v1/namespaces/a/pods') + count('/api/v1/namespaces/b/pods')).toBe(2);
    expect(plan.clusterWide.sort()).toEqual(['configmaps', 'widgets.example.com']);
    expect(plan.perNamespace.map((p) => p.type).sort()).toEqual(['pods', 'secrets']);
    // Shared facts once, not once per namespace.
    expect(count('/api')).toBe(1);
    expect(count('/apis/apiregistration.k8s.io/v1/apiservices')).toBe(1);

    const [a, b] = snapshots;
    expect(a.namespaceName).toBe('a');
    expect(a.content?.types.map((t) => [t.resource, t.count])).toEqual([['configmaps', 2], ['secrets', 1]]);
    expect(b.content?.types.map((t) => [t.resource, t.count])).toEqual([['configmaps', 1], ['widgets', 1]]);
    // b's secrets could not be read: a gap, never "none".
    expect(b.gaps.map((g) => g.what)).toContain('list secrets in b');
    expect(b.content?.unlisted).toEqual([{ group: '', resource: 'secrets' }]);
    expect(a.gaps).toEqual([]);
    // The owner of b's custom finalizer is searched in b's RBAC only.
    expect(b.finalizerOwners.map((o) => o.resource)).toEqual(['widgets']);
    expect(a.finalizerOwners).toEqual([]);
    expect(count('/apis/rbac.authorization.k8s.io/v1/namespaces/b/roles')).toBe(1);
    expect(paths.some((p) => p.includes('namespaces/a/role'))).toBe(false);
    // Requests made for one namespace alone are counted in its report.
    expect(a.stats.requests).toBe(2);
    expect(progress.at(-1)).toEqual(['following evidence', 6, 6]);
  });

  it('one namespace is surveyed with its own lists', async () => {
    const server = new ScriptedServer();
    const { plan } = await new FleetGatherer(server as unknown as KubeClient).gather([ns('a')], '7');
    expect(plan.clusterWide).toEqual([]);
    expect(server.records.some((r) => r.path.startsWith('/api/v1/configmaps'))).toBe(false);
  });

  it("a chain one namespace's content points at is that namespace's only: its evidence and its gaps", async () => {
    // b's widgets are converted by a webhook whose Service cannot be read (403); a holds no widget.
    class ConversionServer extends ScriptedServer {
      override async get(path: string, accept?: string): Promise<Response> {
        const base = path.split('?')[0];
        const answer = (code: number, body: unknown): Response => ({ status: code, contentType: 'application/json', body: JSON.stringify(body), bytes: 0 });
        if (base === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com') {
          return answer(200, {
            metadata: { name: 'widgets.example.com' },
            spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, conversion: { strategy: 'Webhook', webhook: { clientConfig: { service: { namespace: 'conv', name: 'converter' } } } } },
          });
        }
        if (base === '/api/v1/namespaces/conv/services/converter') return answer(403, { message: 'HTTP 403' });
        return super.get(path, accept);
      }
    }
    const { snapshots } = await new FleetGatherer(new ConversionServer() as unknown as KubeClient).gather([ns('a'), ns('b')], '7');
    const [a, b] = snapshots;
    expect(Object.keys(b.crds)).toEqual(['widgets.example.com']);
    expect(b.gaps.map((g) => g.what)).toContain('get Service conv/converter');
    expect(a.gaps.map((g) => g.what)).not.toContain('get Service conv/converter');
    expect(a.crds).toEqual({});
  });

  it('nothing Terminating: no request at all', async () => {
    const server = new ScriptedServer();
    expect((await new FleetGatherer(server as unknown as KubeClient).gather([], '7')).snapshots).toEqual([]);
    expect(server.records).toEqual([]);
  });
});

describe('listTerminatingNamespaces', () => {
  it('a Terminating namespace of a shape the API never sends is reported unreadable (named), the others are listed', async () => {
    const { listTerminatingNamespaces } = await import('../../src/gather/fleet.js');
    const deleted = '2026-12-01T09:00:00Z';
    const body = {
      kind: 'NamespaceList',
      metadata: { resourceVersion: '7' },
      items: [
        { metadata: { name: 'good', deletionTimestamp: deleted, creationTimestamp: null }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating', conditions: null } },
        { metadata: { name: 'odd', deletionTimestamp: deleted }, spec: { finalizers: 'kubernetes' }, status: { phase: 'Terminating' } },
        { metadata: { name: 'active' }, status: { phase: 'Active' } },
      ],
    };
    const client = { get: async (): Promise<Response> => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body), bytes: 0 }) } as unknown as KubeClient;
    const listed = await listTerminatingNamespaces(client);
    expect(listed.namespaces.map((n) => n.name)).toEqual(['good']);
    expect(listed.unreadable).toEqual([
      { name: 'odd', gap: expect.objectContaining({ kind: 'namespace', what: 'read Namespace odd', object: { kind: 'Namespace', name: 'odd' }, reason: expect.stringMatching(/^malformed Namespace: specFinalizers/) }) },
    ]);
  });
});
