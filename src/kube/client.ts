import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import pLimit, { type LimitFunction } from 'p-limit';
import { ApiError, kindForNetworkError, kindForStatus } from './errors.js';

export const ACCEPT = {
  json: 'application/json',
  // No plain-JSON fallback: a server that cannot answer metadata-only must not send full objects (Secrets!).
  metadataList: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  aggregatedDiscovery:
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
    'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
} as const;

export interface RequestRecord {
  method: 'GET';
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
  private readonly limit: LimitFunction;
  private readonly server: URL;
  private requestOptions?: Promise<https.RequestOptions>;
  private retries = 0;
  private agent?: http.Agent;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: ClientOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ApiError('credentials', '', 'no cluster in the current context');
    this.server = new URL(cluster.server);
    this.limit = pLimit(Math.max(1, options.concurrency));
  }

  /** Closes kept-alive connections so the process can exit at once. */
  close(): void {
    this.agent?.destroy();
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
  get(path: string, accept: string = ACCEPT.json): Promise<Response> {
    return this.limit(() => this.withRetries(path, accept));
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
    const base = await this.baseOptions(path);
    const started = performance.now();
    const record: RequestRecord = { method: 'GET', path, bytes: 0, ms: 0, attempt };
    const finish = () => {
      record.ms = Math.round(performance.now() - started);
      this.records.push(record);
      this.options.onRequest?.(record);
    };
    return new Promise<Response>((resolvePromise, reject) => {
      const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
      const transport = url.protocol === 'http:' ? http : https;
      const request = transport.request(
        url,
        {
          ...base,
          method: 'GET',
          headers: {
            ...(base.headers as Record<string, string>),
            Accept: accept,
            'Accept-Encoding': 'gzip',
            'User-Agent': this.options.userAgent,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            record.bytes += chunk.length;
          });
          res.on('error', (error) => {
            record.error = error.message;
            finish();
            reject(new ApiError('connection', path, `connection lost while reading: ${error.message}`));
          });
          res.on('end', () => {
            record.status = res.statusCode;
            finish();
            let raw = Buffer.concat(chunks);
            if (res.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
            resolvePromise({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              body: raw.toString('utf8'),
              bytes: record.bytes,
              retryAfterSeconds: parseRetryAfter(res.headers['retry-after']),
            });
          });
        },
      );
      if (this.options.requestTimeoutMs > 0) {
        request.setTimeout(this.options.requestTimeoutMs, () => {
          request.destroy(Object.assign(new Error('timeout'), { code: 'NS_DOCTOR_TIMEOUT' }));
        });
      }
      request.on('error', (error: NodeJS.ErrnoException) => {
        record.error = error.code ?? error.message;
        finish();
        if (error.code === 'NS_DOCTOR_TIMEOUT') {
          reject(new ApiError('timeout', path, `timed out after ${this.options.requestTimeoutMs / 1000}s`));
          return;
        }
        const kind = kindForNetworkError(error.code);
        const where = `${url.host}`;
        const text =
          kind === 'tls'
            ? `TLS failure talking to ${where}: ${error.message}`
            : error.code === 'ECONNREFUSED'
              ? `connection refused by ${where}`
              : `cannot reach ${where}: ${error.message}`;
        reject(new ApiError(kind, path, text));
      });
      request.end();
    });
  }

  private baseOptions(path: string): Promise<https.RequestOptions> {
    // Credentials (exec plugins included) are resolved once per run; a failure is an expired/broken credential.
    this.requestOptions ??= (async () => {
      const options: https.RequestOptions = { headers: {} };
      await this.kc.applyToHTTPSOptions(options);
      // client-node's agent opens a new TCP+TLS connection per request; reuse connections instead (measured:
      // 158 handshakes were most of a diagnosis' client CPU). Proxied clusters keep client-node's proxy agent.
      if (!this.kc.getCurrentCluster()?.proxyUrl) {
        const shared = { keepAlive: true, maxSockets: this.options.concurrency };
        this.agent =
          this.server.protocol === 'http:'
            ? new http.Agent(shared)
            : new https.Agent({
                ...shared,
                ca: options.ca,
                cert: options.cert,
                key: options.key,
                pfx: options.pfx,
                passphrase: options.passphrase,
                servername: options.servername,
                ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
              });
        options.agent = this.agent;
      }
      return options;
    })();
    return this.requestOptions.catch((error: Error) => {
      throw new ApiError('credentials', path, `cannot get credentials: ${firstLine(error.message)}`);
    });
  }
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

function firstLine(text: string): string {
  return text.split('\n')[0];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
