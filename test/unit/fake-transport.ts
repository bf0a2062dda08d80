// A transport under KubeClient that answers from memory, so gather (discovery, paginated metadata-only lists, the
// 410 restart, evidence follow-ups) is unit-tested in milliseconds without Go. It is not a stand-in for the API
// server in anything that claims Kubernetes behaviour: that is what test/e2e does against a real kube-apiserver.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/client.js';
import type { RawResponse, Transport } from '../../src/kube/transport.js';

export interface FakeAnswer {
  status?: number;
  body: unknown;
  contentType?: string;
}

export type Route = (query: URLSearchParams, accept: string) => FakeAnswer | undefined;

export class FakeTransport implements Transport {
  readonly requests: { path: string; query: URLSearchParams; accept: string }[] = [];
  private readonly routes = new Map<string, Route>();

  route(path: string, answer: Route): this {
    this.routes.set(path, answer);
    return this;
  }

  async send(fullPath: string, headers: Record<string, string>, _timeoutMs: number, exchange: { onBytes(count: number): void }): Promise<RawResponse> {
    const url = new URL(fullPath, 'https://fake.invalid');
    const accept = headers.Accept ?? '';
    this.requests.push({ path: url.pathname, query: url.searchParams, accept });
    const answer = this.routes.get(url.pathname)?.(url.searchParams, accept) ?? notFound(url.pathname);
    const body = Buffer.from(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    exchange.onBytes(body.length);
    return { status: answer.status ?? 200, headers: { 'content-type': answer.contentType ?? 'application/json' }, body };
  }

  close(): void {}

  /** The paths asked for, with the queries that matter for paging. */
  asked(path: string): URLSearchParams[] {
    return this.requests.filter((r) => r.path === path).map((r) => r.query);
  }
}

export function fakeClient(transport: FakeTransport): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://fake.invalid', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return new KubeClient(kc, { requestTimeoutMs: 1_000, concurrency: 4, userAgent: 'test', transport, retry: { baseMs: 1 } });
}

function notFound(path: string): FakeAnswer {
  return { status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` } };
}

/**
 * A paginated metadata-only list of `count` objects named <prefix>-<i>, served `limit` at a time with continue
 * tokens, as the API server pages (PartialObjectMetadataList when asked for it).
 */
export function pagedList(count: number, make: (i: number) => object, prefix = 'obj'): Route {
  return (query, accept) => {
    const limit = Number(query.get('limit') ?? count);
    const start = Number(query.get('continue') ?? 0);
    const items = Array.from({ length: Math.max(0, Math.min(limit, count - start)) }, (_, k) => ({
      metadata: { name: `${prefix}-${start + k}`, ...make(start + k) },
    }));
    const next = start + limit < count ? String(start + limit) : undefined;
    return {
      body: {
        kind: accept.includes('as=PartialObjectMetadataList') ? 'PartialObjectMetadataList' : 'List',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: '100', ...(next ? { continue: next } : {}) },
        items,
      },
    };
  };
}
