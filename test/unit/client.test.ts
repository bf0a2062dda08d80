// Transport behaviour (retries, timeouts, paging parameters) against a tiny local HTTP responder. This is a unit
// test of the client, not of Kubernetes behaviour: everything about the API server is tested end to end.
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, KubeClient, retryDelayMs } from '../../src/kube/client.js';
import { ApiError } from '../../src/kube/errors.js';
import { apiFailure } from './helpers.js';
import { listPaged } from '../../src/gather/list.js';

let server: Server | undefined;

afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<KubeClient> {
  server = createServer(handler);
  await new Promise<void>((ready) => server!.listen(0, '127.0.0.1', ready));
  return clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

function clientFor(url: string, requestTimeoutMs = 2_000): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node only allows plain HTTP with skipTLSVerify.
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  // A short backoff keeps the suite fast; the policy's own numbers are tested below with a fixed random source.
  return new KubeClient(kc, { requestTimeoutMs, concurrency: 2, userAgent: 'test', retry: { baseMs: 20 } });
}

describe('KubeClient', () => {
  it('retries 429 after Retry-After and counts every attempt', async () => {
    let calls = 0;
    const client = await serve((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'Retry-After': '0' }).end('{"message":"too many requests"}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    await expect(client.getJson('/api')).resolves.toEqual({ ok: true });
    expect(calls).toBe(2);
    expect(client.stats.requests).toBe(2);
    expect(client.stats.retries).toBe(1);
  });

  it('retries 500, 502, 503 and 504 alike, then answers with the last response', async () => {
    for (const status of [500, 502, 503, 504]) {
      let calls = 0;
      const client = await serve((_req, res) => {
        calls++;
        res.writeHead(status).end('{"message":"try later"}');
      });
      const error = await apiFailure(client.getJson('/apis/metrics.k8s.io/v1beta1'));
      expect(error.reason).toBe(`${status} try later`);
      expect(calls).toBe(1 + DEFAULT_RETRY.maxRetries);
      await new Promise<void>((done) => server!.close(() => done()));
      server = undefined;
    }
  }, 20_000);

  it('does not retry what a retry cannot change (403, 404, 501)', async () => {
    for (const status of [403, 404, 501]) {
      let calls = 0;
      const client = await serve((_req, res) => {
        calls++;
        res.writeHead(status).end('{}');
      });
      await apiFailure(client.getJson('/api'));
      expect(calls).toBe(1);
      await new Promise<void>((done) => server!.close(() => done()));
      server = undefined;
    }
  });

  it('gives up on every later request once the server refuses connections, instead of retrying each', async () => {
    const probe = createServer();
    await new Promise<void>((ready) => probe.listen(0, '127.0.0.1', ready));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const client = clientFor(`http://127.0.0.1:${port}`);
    await apiFailure(client.getJson('/api'));
    const sentBefore = client.stats.requests;
    const later = await apiFailure(client.getJson('/apis'));
    expect(later.message).toMatch(/^not sent: the API server stopped answering \(connection refused/);
    expect(client.stats.requests).toBe(sentBefore);
  });

  it('refuses a body over 16 MiB as it arrives, and a small gzip that inflates past 16 MiB', async () => {
    const huge = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 17; i++) res.write(chunk);
      res.end('{}');
    });
    const error = await apiFailure(huge.getJson('/api'));
    expect(error.kind).toBe('malformed');
    expect(error.message).toBe('response larger than 16 MiB: refused');
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;

    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    const inflating = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(bomb);
    });
    const inflated = await apiFailure(inflating.getJson('/api'));
    expect(inflated.kind).toBe('malformed');
    expect(inflated.message).toBe('response larger than 16 MiB once decompressed: refused');
  });

  it('reports a 403 with the server message', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(403).end('{"kind":"Status","message":"pods is forbidden: User \\"alice\\" cannot list resource \\"pods\\""}');
    });
    const error = await apiFailure(client.getJson('/api/v1/pods'));
    expect(error.kind).toBe('forbidden');
    expect(error.reason).toMatch(/^403 pods is forbidden/);
  });

  it('times out slow requests with the configured timeout', async () => {
    server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((ready) => server!.listen(0, '127.0.0.1', ready));
    const client = clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 200);
    const error = await apiFailure(client.getJson('/api'));
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('timed out after 0.2s');
    server.closeAllConnections();
  });

  it('reports connection refused as one line', async () => {
    const probe = createServer();
    await new Promise<void>((ready) => probe.listen(0, '127.0.0.1', ready));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((done) => probe.close(() => done()));
    const error = await apiFailure(clientFor(`http://127.0.0.1:${port}`).getJson('/api'));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`connection refused by 127.0.0.1:${port}`);
  });
});

describe('listPaged', () => {
  it('asks the watch cache for the first page (NotOlderThan) and follows continue tokens', async () => {
    const seen: URLSearchParams[] = [];
    const client = await serve((req, res) => {
      const query = new URL(req.url!, 'http://x').searchParams;
      seen.push(query);
      const kind = 'PartialObjectMetadataList';
      const item = (name: string) => ({ metadata: { name } });
      const page = query.get('continue') ? { kind, items: [item('c')], metadata: {} } : { kind, items: [item('a'), item('b')], metadata: { continue: 'tok' } };
      expect(req.headers.accept).toContain('as=PartialObjectMetadataList');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(page));
    });
    const pages: string[][] = [];
    await listPaged<{ metadata: { name: string } }>(client, '/api/v1/namespaces/x/pods', { metadataOnly: true, notOlderThan: '42' }, (items) => pages.push(items.map((i) => i.metadata.name)));
    expect(pages).toEqual([['a', 'b'], ['c']]);
    expect(seen[0].get('resourceVersion')).toBe('42');
    expect(seen[0].get('resourceVersionMatch')).toBe('NotOlderThan');
    expect(seen[0].get('limit')).toBe('500');
    expect(seen[1].get('continue')).toBe('tok');
    expect(seen[1].has('resourceVersion')).toBe(false);
  });

  it('a watch cache that cannot reach the resourceVersion (504 ResourceVersionTooLarge): no retry, one read from etcd instead', async () => {
    // The Status kube-apiserver 1.34 answers (storage.NewTooLargeResourceVersionError), here for a type whose cache
    // cannot list because its conversion webhook fails; the read without resourceVersion then names the real error.
    const tooLarge = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Timeout', code: 504,
      message: 'Timeout: Too large resource version: 236, current: 120',
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
    };
    const conversionFailed = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'InternalError', code: 500, message: 'conversion webhook for w.example.com/v1beta1, Kind=Widget failed: x509: certificate signed by unknown authority' };
    const seen: URLSearchParams[] = [];
    const client = await serve((req, res) => {
      const query = new URL(req.url!, 'http://x').searchParams;
      seen.push(query);
      const [status, body] = query.has('resourceVersion') ? [504, tooLarge] : [500, conversionFailed];
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
    await expect(listPaged(client, '/apis/w.example.com/v1/namespaces/x/widgets', { metadataOnly: true, notOlderThan: '236' }, () => undefined)).rejects.toThrow(/x509: certificate signed by unknown authority/);
    // One cached attempt, then one etcd read: the API server already retried the conversion webhook itself.
    expect(seen.length).toBe(2);
    expect(seen[0].get('resourceVersionMatch')).toBe('NotOlderThan');
    expect(seen[1].has('resourceVersion') || seen[1].has('resourceVersionMatch')).toBe(false);
  });

  it('a plain 504 (no ResourceVersionTooLarge cause) is retried as before, from the cache', async () => {
    let calls = 0;
    const client = await serve((req, res) => {
      calls++;
      expect(new URL(req.url!, 'http://x').searchParams.get('resourceVersion')).toBe('42');
      if (calls < 3) return void res.writeHead(504, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', reason: 'Timeout', code: 504, message: 'Timeout: request did not complete' }));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'PartialObjectMetadataList', items: [], metadata: {} }));
    });
    await listPaged(client, '/api/v1/namespaces/x/pods', { metadataOnly: true, notOlderThan: '42' }, () => undefined);
    expect(calls).toBe(3);
  });

  it('refuses a full-object answer to a metadata-only list (it could carry Secret data)', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'SecretList', items: [{ data: { password: 'c2VjcmV0' } }] }));
    });
    const seen: unknown[] = [];
    await expect(listPaged(client, '/api/v1/namespaces/x/secrets', { metadataOnly: true }, (items) => seen.push(...items))).rejects.toThrow(/refusing to read full objects/);
    expect(seen).toEqual([]);
  });
});

describe('retry policy', () => {
  const policy = DEFAULT_RETRY;
  const connection = new ApiError('connection', '/api', 'connection reset');

  it('backs off exponentially with equal jitter, capped', () => {
    for (const [attempt, low, high] of [[1, 125, 250], [2, 250, 500], [3, 500, 1000], [6, 2000, 4000], [9, 2000, 4000]] as const) {
      expect(retryDelayMs({ status: 500 }, attempt, policy, () => 0)).toBe(low);
      expect(retryDelayMs({ status: 500 }, attempt, policy, () => 1)).toBe(high);
    }
  });

  it('honours Retry-After on 429 and 503, capped at 10 s', () => {
    expect(retryDelayMs({ status: 429, retryAfterSeconds: 2 }, 1, policy)).toBe(2_000);
    expect(retryDelayMs({ status: 503, retryAfterSeconds: 3600 }, 1, policy)).toBe(10_000);
    expect(retryDelayMs({ status: 429 }, 2, policy, () => 0)).toBe(250);
  });

  it('retries resets, refusals and timeouts, never TLS, credential or 4xx failures', () => {
    expect(retryDelayMs({ error: connection }, 1, policy, () => 0)).toBe(125);
    expect(retryDelayMs({ error: new ApiError('timeout', '/api', 'timed out') }, 1, policy, () => 0)).toBe(125);
    expect(retryDelayMs({ error: new ApiError('unreachable', '/api', 'connection refused') }, 1, policy, () => 0)).toBe(125);
    for (const kind of ['tls', 'credentials', 'unauthorized'] as const) expect(retryDelayMs({ error: new ApiError(kind, '/api', 'x') }, 1, policy)).toBeUndefined();
    for (const status of [200, 400, 401, 403, 404, 409, 410, 501]) expect(retryDelayMs({ status }, 1, policy)).toBeUndefined();
  });
});
