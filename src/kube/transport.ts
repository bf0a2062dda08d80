// How bytes reach the API server. HTTP/2 when the server offers it (as kubectl does): every request shares one
// TLS connection, so concurrency costs no extra handshakes and the server keeps one connection for us instead of
// eight. Measured on the 86-list survey of the benchmark: 25% less client CPU than eight HTTP/1.1 keep-alive
// connections. HTTP/1.1 keep-alive for plain-HTTP servers, servers that do not offer h2, and proxied clusters.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Exchange {
  /** Called with the byte count of each chunk as it arrives (for -v and stats, also on failure). */
  onBytes(count: number): void;
}

/** A network failure: `code` is Node's error code (ECONNREFUSED, CERT_HAS_EXPIRED, NS_DOCTOR_TIMEOUT, …). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly whileReading = false,
  ) {
    super(message);
  }
}

/** A request with a body. Only src/fix/writer.ts sends one: diagnosis reads with GET and nothing else. */
export interface Outgoing {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body: Buffer;
}

export interface Transport {
  send(path: string, headers: Record<string, string>, timeoutMs: number, exchange: Exchange, outgoing?: Outgoing): Promise<RawResponse>;
  close(): void;
}

/** TLS and auth settings as client-node's KubeConfig.applyToHTTPSOptions produces them. */
export type ConnectionOptions = https.RequestOptions;

export function openTransport(server: URL, options: ConnectionOptions, concurrency: number, proxied: boolean): Transport {
  if (server.protocol === 'http:') return new Http1Transport(server, options, new http.Agent({ keepAlive: true, maxSockets: concurrency }));
  // A proxied cluster keeps the agent client-node built for its proxy-url.
  if (proxied) return new Http1Transport(server, options, options.agent as http.Agent | undefined);
  return new NegotiatedTransport(server, options, concurrency);
}

function tlsSettings(options: ConnectionOptions): tls.ConnectionOptions {
  return {
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    pfx: options.pfx,
    passphrase: options.passphrase,
    ...(options.servername ? { servername: options.servername } : {}),
    ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
  };
}

/**
 * Offers h2 and http/1.1 on the first connection (ALPN) and keeps whichever the server picks for the whole run.
 * A server without h2 costs one extra handshake, once.
 */
class NegotiatedTransport implements Transport {
  private chosen?: Promise<Transport>;
  private current?: Transport;

  constructor(
    private readonly server: URL,
    private readonly options: ConnectionOptions,
    private readonly concurrency: number,
  ) {}

  async send(path: string, headers: Record<string, string>, timeoutMs: number, exchange: Exchange, outgoing?: Outgoing): Promise<RawResponse> {
    this.chosen ??= this.negotiate(timeoutMs).catch((error) => {
      this.chosen = undefined; // a refused or failed first connection is retried by the next request
      throw error;
    });
    const transport = await this.chosen;
    return transport.send(path, headers, timeoutMs, exchange, outgoing);
  }

  close(): void {
    this.current?.close();
  }

  private async negotiate(timeoutMs: number): Promise<Transport> {
    const socket = await connectTls(this.server, { ...tlsSettings(this.options), ALPNProtocols: ['h2', 'http/1.1'] }, timeoutMs);
    if (socket.alpnProtocol === 'h2') {
      this.current = new Http2Transport(this.server, this.options, socket);
    } else {
      socket.destroy();
      const agent = new https.Agent({ keepAlive: true, maxSockets: this.concurrency, ...tlsSettings(this.options) });
      this.current = new Http1Transport(this.server, this.options, agent);
    }
    return this.current;
  }
}

function connectTls(server: URL, settings: tls.ConnectionOptions, timeoutMs: number): Promise<tls.TLSSocket> {
  const host = server.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(server.port || 443),
      // SNI must not carry an IP address; the certificate is still checked against it.
      ...(isIP(host) || settings.servername ? {} : { servername: host }),
      ...settings,
    });
    const fail = (error: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(new TransportError(error.message, error.code));
    };
    if (timeoutMs > 0) {
      socket.setTimeout(timeoutMs, () => fail(Object.assign(new Error('timeout'), { code: 'NS_DOCTOR_TIMEOUT' })));
    }
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.setTimeout(0);
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}

/**
 * A hostile or broken server can send a body of any length: past this an answer is refused and its stream closed,
 * before it can exhaust the heap. A JSON body costs up to ~7x its size in heap (measured for snapshot files, which
 * share the limit); the largest real answers (a page of 500 full Pods, aggregated discovery of hundreds of CRDs) are
 * a few MiB.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Collects a body and counts its bytes; refuses it once it is over MAX_RESPONSE_BYTES. */
class Body {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly exchange: Exchange) {}

  /** False once the body is too large: the caller closes the stream and rejects with tooLarge(). */
  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    this.exchange.onBytes(chunk.length);
    if (this.size > MAX_RESPONSE_BYTES) return false;
    this.chunks.push(chunk);
    return true;
  }

  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function tooLarge(): TransportError {
  return new TransportError(`response larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`, 'NS_DOCTOR_TOO_LARGE', true);
}

const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;

class Http2Transport implements Transport {
  private session?: Promise<http2.ClientHttp2Session>;
  private live?: http2.ClientHttp2Session;

  constructor(
    private readonly server: URL,
    private readonly options: ConnectionOptions,
    firstSocket: tls.TLSSocket,
  ) {
    this.session = Promise.resolve(this.open(firstSocket));
  }

  close(): void {
    this.live?.close();
    this.session = undefined;
  }

  async send(path: string, headers: Record<string, string>, timeoutMs: number, exchange: Exchange, outgoing?: Outgoing): Promise<RawResponse> {
    this.session ??= connectTls(this.server, { ...tlsSettings(this.options), ALPNProtocols: ['h2'] }, timeoutMs).then(
      (socket) => this.open(socket),
      (error) => {
        this.session = undefined;
        throw error;
      },
    );
    const session = await this.session;
    return new Promise((resolve, reject) => {
      const head: http2.OutgoingHttpHeaders = { ':path': path, ...(outgoing ? { ':method': outgoing.method } : {}) };
      for (const [name, value] of Object.entries(headers)) head[name.toLowerCase()] = value;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(head, { endStream: !outgoing });
        if (outgoing) stream.end(outgoing.body);
      } catch (error) {
        // The session closed between the check and the request (GOAWAY): the caller retries on a new one.
        this.forget(session);
        reject(new TransportError((error as Error).message, (error as NodeJS.ErrnoException).code));
        return;
      }
      let status = 0;
      let responseHeaders: RawResponse['headers'] = {};
      const body = new Body(exchange);
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = h;
      });
      stream.on('data', (chunk: Buffer) => {
        if (body.add(chunk)) return;
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(tooLarge());
      });
      stream.on('end', () => resolve({ status, headers: responseHeaders, body: body.buffer }));
      stream.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError(error.message, error.code, status > 0)));
      if (timeoutMs > 0) {
        stream.setTimeout(timeoutMs, () => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(new TransportError('timeout', 'NS_DOCTOR_TIMEOUT'));
        });
      }
    });
  }

  private open(socket: tls.TLSSocket): http2.ClientHttp2Session {
    // Node's default flow-control windows are 64 KiB: a large list page would wait a round trip per 64 KiB for
    // the window to reopen. Open them as wide as Go's client does, so a page arrives in one flight.
    const session = http2.connect(this.server.origin, {
      createConnection: () => socket,
      settings: { initialWindowSize: STREAM_WINDOW },
    });
    session.setLocalWindowSize(CONNECTION_WINDOW);
    this.live = session;
    // A GOAWAY (the API server sends them to rebalance clients) or a lost connection: the next request reconnects.
    session.on('goaway', () => this.forget(session));
    session.on('close', () => this.forget(session));
    session.on('error', () => this.forget(session));
    return session;
  }

  private forget(session: http2.ClientHttp2Session): void {
    if (this.live !== session) return;
    this.live = undefined;
    this.session = undefined;
  }
}

class Http1Transport implements Transport {
  constructor(
    private readonly server: URL,
    private readonly options: ConnectionOptions,
    private readonly agent: http.Agent | undefined,
  ) {}

  close(): void {
    this.agent?.destroy();
  }

  send(path: string, headers: Record<string, string>, timeoutMs: number, exchange: Exchange, outgoing?: Outgoing): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const url = new URL(path, this.server.origin);
      const transport = url.protocol === 'http:' ? http : https;
      const request = transport.request(
        url,
        {
          ...this.options,
          ...(this.agent ? { agent: this.agent } : {}),
          method: outgoing?.method ?? 'GET',
          headers: outgoing ? { ...headers, 'Content-Length': String(outgoing.body.length) } : headers,
        },
        (res) => {
          const body = new Body(exchange);
          res.on('data', (chunk: Buffer) => {
            if (body.add(chunk)) return;
            reject(tooLarge());
            res.destroy();
          });
          res.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError(error.message, error.code, true)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body.buffer }));
        },
      );
      if (timeoutMs > 0) {
        request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('timeout'), { code: 'NS_DOCTOR_TIMEOUT' })));
      }
      request.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError(error.message, error.code)));
      request.end(outgoing?.body);
    });
  }
}
