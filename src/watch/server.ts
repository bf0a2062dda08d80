// The HTTP endpoints of `watch`, on node's http module: GET (or HEAD) /metrics, /healthz, /readyz. Nothing else is
// served, and nothing is read from a request but its method and path.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EXPOSITION_CONTENT_TYPE } from '../render/prometheus.js';

export interface Endpoints {
  metrics: () => string;
  /** The process is alive and its scan loop moves. */
  healthy: () => { ok: boolean; reason: string };
  /** A scan has succeeded, and scans are not failing now. */
  ready: () => { ok: boolean; reason: string };
}

export interface ListenAddress {
  /** undefined: every interface (":9898"). */
  host?: string;
  port: number;
}

export class ListenError extends Error {}

/** "127.0.0.1:9898", ":9898", "[::1]:9898", "localhost:0" (0: any free port). */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new ListenError(`--listen: expected HOST:PORT, :PORT or [IPv6]:PORT, got "${text}"`);
  const host = match[1] ?? match[2];
  return { ...(host ? { host } : {}), port };
}

export interface RunningServer {
  /** As bound, e.g. http://127.0.0.1:9898 (the real port when 0 was asked). */
  url: string;
  close: () => Promise<void>;
}

export function startServer(listen: ListenAddress, endpoints: Endpoints): Promise<RunningServer> {
  const server: Server = createServer((request, response) => handle(request, response, endpoints));
  // A scraper that opens a connection and sends nothing must not hold a socket for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ListenError(`cannot listen on ${listen.host ?? ''}:${listen.port}: ${error.code ?? error.message}`)),
    );
    server.listen(listen.port, listen.host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address : { address: listen.host ?? '::', port: listen.port, family: '' };
      const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
      resolve({
        url: `http://${host}:${bound.port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function handle(request: IncomingMessage, response: ServerResponse, endpoints: Endpoints): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, request, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  switch (path) {
    case '/metrics': {
      let body: string;
      try {
        body = endpoints.metrics();
      } catch (error) {
        send(response, request, 500, 'text/plain; charset=utf-8', `cannot render metrics: ${(error as Error).message}\n`);
        return;
      }
      send(response, request, 200, EXPOSITION_CONTENT_TYPE, body);
      return;
    }
    case '/healthz':
    case '/livez': {
      const { ok, reason } = endpoints.healthy();
      send(response, request, ok ? 200 : 503, 'text/plain; charset=utf-8', `${reason}\n`);
      return;
    }
    case '/readyz': {
      const { ok, reason } = endpoints.ready();
      send(response, request, ok ? 200 : 503, 'text/plain; charset=utf-8', `${reason}\n`);
      return;
    }
    default:
      send(response, request, 404, 'text/plain; charset=utf-8', 'not found: /metrics, /healthz, /readyz\n');
  }
}

function send(
  response: ServerResponse,
  request: IncomingMessage,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length, 'Cache-Control': 'no-store', ...headers });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}
