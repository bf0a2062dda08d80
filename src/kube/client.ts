import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type https from 'node:https';
import { gunzipSync } from 'node:zlib';
import PQueue from 'p-queue';
import { ApiError, kindForNetworkError, kindForStatus } from './errors.js';
import { execCredentialInfo } from './kubeconfig.js';
import { openTransport, TransportError, type RawResponse, type Transport } from './transport.js';

export const ACCEPT = {
  json: 'application/json',
  // No plain-JSON fallback: a server that cannot answer metadata-only must not send full objects (Secrets!).
  metadataList: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  aggregatedDiscovery:
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
    'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
} as const;

/**
 * Queue priorities. The content survey's first pages are bulk work; everything else (a list's next page, the
 * evidence a finding points to) goes ahead of them: otherwise a large collection's second page waits behind every
 * other type's first page and ends up on the critical path (measured: the last of 86 survey lists, then 2 late
 * pages, then the pods).
 */
export const PRIORITY = { bulk: -1, normal: 0 } as const;

export interface RequestRecord {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  status?: number;
  error?: string;
  bytes: number;
  ms: number;
  attempt: number;
}

export interface Response {
  status: number;
  contentType: string;
  body: string;
  bytes: number;
  retryAfterSeconds?: number;
}

export interface ClientOptions {
  requestTimeoutMs: number;
  concurrency: number;
  userAgent: string;
  maxRetries?: number;
  onRequest?: (record: RequestRecord) => void;
}

/**
 * The only way ns-doctor talks to a cluster: GET requests with explicit Accept headers, bounded concurrency,
 * APF-friendly retries (429 Retry-After, backoff on 5xx) and a record of every request for `-v` and stats.
 */
export class KubeClient {
  readonly records: RequestRecord[] = [];
  private readonly queue: PQueue;
  private readonly server: URL;
  private connected?: Promise<Connection>;
  private transport?: Transport;
  private retries = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: ClientOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ApiError('credentials', '', 'no cluster in the current context');
    this.server = new URL(cluster.server);
    this.queue = new PQueue({ concurrency: Math.max(1, options.concurrency) });
  }

  /** Closes kept-alive connections so the process can exit at once. */
  close(): void {
    this.transport?.close();
  }

  get serverUrl(): string {
    return this.server.origin + this.server.pathname.replace(/\/$/, '');
  }

  get stats() {
    return {
      requests: this.records.length,
      bytesReceived: this.records.reduce((sum, r) => sum + r.bytes, 0),
      retries: this.retries,
    };
  }

  /** GET and parse JSON; non-2xx answers throw ApiError. */
  async getJson<T>(path: string, accept: string = ACCEPT.json): Promise<T> {
    const response = await this.get(path, accept);
    if (response.status < 200 || response.status >= 300) throw errorFromResponse(path, response);
    try {
      return JSON.parse(response.body) as T;
    } catch {
      throw new ApiError('server-error', path, 'response was not valid JSON', response.status);
    }
  }

  /** GET returning any HTTP status; network failures, timeouts and credential failures throw ApiError. */
  get(path: string, accept: string = ACCEPT.json, priority: number = PRIORITY.normal): Promise<Response> {
    return this.queue.add(() => this.withRetries(path, accept), { priority });
  }

  private async withRetries(path: string, accept: string): Promise<Response> {
    const maxRetries = this.options.maxRetries ?? 3;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.once(path, accept, attempt);
      } catch (error) {
        const retryable = error instanceof ApiError && error.kind === 'connection' && attempt <= 1;
        if (!retryable) throw error;
        this.retries++;
        await sleep(200);
        continue;
      }
      const delay = retryDelayMs(response, attempt);
      if (delay === undefined || attempt > maxRetries) return response;
      this.retries++;
      await sleep(delay);
    }
  }

  private async once(path: string, accept: string, attempt: number): Promise<Response> {
    const { transport, headers } = await this.connection(path);
    const started = performance.now();
    const record: RequestRecord = { method: 'GET', path, bytes: 0, ms: 0, attempt };
    const finish = () => {
      record.ms = Math.round(performance.now() - started);
      this.records.push(record);
      this.options.onRequest?.(record);
    };
    const fullPath = this.server.pathname.replace(/\/$/, '') + path;
    let raw: RawResponse;
    try {
      raw = await transport.send(
        fullPath,
        { ...headers, Accept: accept, 'Accept-Encoding': 'gzip', 'User-Agent': this.options.userAgent },
        this.options.requestTimeoutMs,
        { onBytes: (count) => (record.bytes += count) },
      );
    } catch (error) {
      const failure = error instanceof TransportError ? error : new TransportError(String(error), undefined);
      record.error = failure.code ?? failure.message;
      finish();
      throw networkError(this.server, this.options.requestTimeoutMs, path, failure);
    }
    record.status = raw.status;
    finish();
    const body = raw.headers['content-encoding'] === 'gzip' ? gunzipSync(raw.body) : raw.body;
    return {
      status: raw.status,
      contentType: String(raw.headers['content-type'] ?? ''),
      body: body.toString('utf8'),
      bytes: record.bytes,
      retryAfterSeconds: parseRetryAfter(raw.headers['retry-after']),
    };
  }

  /** Credentials (exec plugins included) are resolved once per run; a failure is an expired or broken credential. */
  private connection(path: string): Promise<Connection> {
    this.connected ??= connect(this.kc, this.server, this.options.concurrency).then((connection) => {
      this.transport = connection.transport;
      return connection;
    });
    return this.connected.catch((error: Error) => {
      throw new ApiError('credentials', path, `cannot get credentials: ${firstLine(error.message)}`);
    });
  }
}

export interface Connection {
  transport: Transport;
  headers: Record<string, string>;
}

/** TLS, auth headers and a transport for the current context: shared by this client and the fix writer. */
export async function connect(kc: KubeConfig, server: URL, concurrency: number): Promise<Connection> {
  const options: https.RequestOptions = { headers: {} };
  // client-node starts exec plugins with this process' environment: give them what kubectl gives them.
  const execInfo = execCredentialInfo(kc);
  if (execInfo) process.env.KUBERNETES_EXEC_INFO = execInfo;
  await kc.applyToHTTPSOptions(options);
  const proxied = Boolean(kc.getCurrentCluster()?.proxyUrl);
  return { transport: openTransport(server, options, concurrency, proxied), headers: { ...(options.headers as Record<string, string>) } };
}

/** A transport failure as the one-line ApiError the CLI prints. */
export function networkError(server: URL, requestTimeoutMs: number, path: string, failure: TransportError): ApiError {
  if (failure.code === 'NS_DOCTOR_TIMEOUT') return new ApiError('timeout', path, `timed out after ${requestTimeoutMs / 1000}s`);
  if (failure.whileReading) return new ApiError('connection', path, `connection lost while reading: ${failure.message}`);
  const kind = kindForNetworkError(failure.code);
  const where = server.host;
  const text =
    kind === 'tls'
      ? `TLS failure talking to ${where}: ${failure.message}`
      : failure.code === 'ECONNREFUSED'
        ? `connection refused by ${where}`
        : `cannot reach ${where}: ${failure.message}`;
  return new ApiError(kind, path, text);
}

function retryDelayMs(response: Response, attempt: number): number | undefined {
  const asked = response.retryAfterSeconds;
  if (response.status === 429) return Math.min(10_000, (asked ?? attempt) * 1000);
  // 503 from an unavailable aggregated API is a finding, not a transient error: retry it only when APF asks to.
  if (response.status === 503) return asked === undefined ? undefined : Math.min(10_000, asked * 1000);
  if (response.status === 500 || response.status === 502 || response.status === 504) return 250 * 2 ** (attempt - 1);
  return undefined;
}

function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number.parseInt(value, 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

export function errorFromResponse(path: string, response: Response): ApiError {
  let message = `HTTP ${response.status}`;
  try {
    const status = JSON.parse(response.body) as { message?: string; reason?: string };
    if (status.message) message = status.message;
    else if (status.reason) message = status.reason;
  } catch {
    const text = response.body.trim();
    if (text) message = firstLine(text).slice(0, 300);
  }
  return new ApiError(kindForStatus(response.status), path, firstLine(message), response.status);
}

export function firstLine(text: string): string {
  return text.split('\n')[0];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
