import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type https from 'node:https';
import { gunzipSync } from 'node:zlib';
import PQueue from 'p-queue';
import type { RequestRecord } from '../model/requests.js';
import { ApiError, kindForNetworkError, kindForStatus } from './errors.js';
import { clientCertificateProblem } from './client-certificate.js';
import { boundExecPlugins, execCredentialInfo } from './kubeconfig.js';
import { MAX_RESPONSE_BYTES, openTransport, TransportError, type RawResponse, type Transport } from './transport.js';

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

export type { RequestRecord };

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
  retry?: Partial<RetryPolicy>;
  onRequest?: (record: RequestRecord) => void;
  /** Bytes go through this instead of the network: lets unit tests drive every layer above the client. */
  transport?: Transport;
}

/**
 * One retry policy for every request (documented in docs/reliability.md). Retried: 429 (after Retry-After, capped),
 * every 5xx but 501, connection resets and refusals, timeouts. Each wait is exponential with jitter ("equal
 * jitter": half fixed, half random), so clients that failed together do not come back together; no retry starts
 * once a request has spent `windowMs`, so one request takes at most about windowMs + requestTimeout.
 */
export interface RetryPolicy {
  maxRetries: number;
  baseMs: number;
  capMs: number;
  retryAfterCapMs: number;
  windowMs: number;
  /** Consecutive final timeouts, with no answer in between, after which the server is taken for hung. */
  timeoutsBeforeGivingUp: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 3,
  baseMs: 250,
  capMs: 4_000,
  retryAfterCapMs: 10_000,
  windowMs: 15_000,
  timeoutsBeforeGivingUp: 3,
};

/** How long to wait before retrying this outcome, or undefined when it is final. */
export function retryDelayMs(
  outcome: { status?: number; body?: string; retryAfterSeconds?: number; error?: ApiError },
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY,
  random: () => number = Math.random,
): number | undefined {
  const backoff = () => {
    const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };
  const asked = outcome.retryAfterSeconds === undefined ? undefined : Math.min(policy.retryAfterCapMs, outcome.retryAfterSeconds * 1000);
  if (outcome.error) return ['connection', 'unreachable', 'timeout'].includes(outcome.error.kind) ? backoff() : undefined;
  const status = outcome.status ?? 0;
  if (outcome.body !== undefined && (isResourceVersionTooLarge(status, outcome.body) || isConversionWebhookFailure(status, outcome.body))) return undefined;
  if (status === 429 || (status >= 500 && status !== 501)) return asked ?? backoff();
  return undefined;
}

/**
 * A list the API server could not convert: it has already retried the conversion webhook itself (the generic
 * webhook's backoff, about 3 s per request measured on 1.34 with a TLS failure), so retrying the list only multiplies
 * that wait (4 × 3 s measured); the error is the finding.
 */
function isConversionWebhookFailure(status: number, body: string): boolean {
  if (status !== 500) return false;
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' && /^conversion webhook for .+? failed: /.test(message);
  } catch {
    return false;
  }
}

/**
 * The watch cache of a type has not reached the resourceVersion asked for within its 3 s wait (504, cause
 * ResourceVersionTooLarge). Asking again the same way waits again: a cache that cannot list its type at all (a
 * conversion webhook that fails) never catches up — measured: 4 attempts × 3 s for one list. The caller re-reads
 * without a resourceVersion instead, as client-go's reflector does on this error.
 */
export function isResourceVersionTooLarge(status: number, body: string): boolean {
  if (status !== 504) return false;
  try {
    const causes = (JSON.parse(body) as { details?: { causes?: { reason?: unknown }[] } }).details?.causes;
    return Array.isArray(causes) && causes.some((c) => c?.reason === 'ResourceVersionTooLarge');
  } catch {
    return false;
  }
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
  private readonly retry: RetryPolicy;
  /** Set once the server is unreachable or hung: the requests still queued fail at once instead of each waiting. */
  private gaveUp?: ApiError;
  private consecutiveTimeouts = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: ClientOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ApiError('credentials', '', 'no cluster in the current context');
    this.server = new URL(cluster.server);
    this.queue = new PQueue({ concurrency: Math.max(1, options.concurrency) });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
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
    return parseObject<T>(path, response.body);
  }

  /** GET returning any HTTP status; network failures, timeouts and credential failures throw ApiError. */
  get(path: string, accept: string = ACCEPT.json, priority: number = PRIORITY.normal): Promise<Response> {
    return this.queue.add(() => this.withRetries(path, accept), { priority });
  }

  private async withRetries(path: string, accept: string): Promise<Response> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      if (this.gaveUp) throw new ApiError(this.gaveUp.kind, path, `not sent: ${this.gaveUp.message}`);
      let response: Response | undefined;
      let failure: ApiError | undefined;
      try {
        response = await this.once(path, accept, attempt);
        this.consecutiveTimeouts = 0;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        failure = error;
      }
      const delay = retryDelayMs({ ...response, ...(failure ? { error: failure } : {}) }, attempt, this.retry);
      const final = delay === undefined || attempt > this.retry.maxRetries || performance.now() - started + delay > this.retry.windowMs;
      if (!final) {
        this.retries++;
        await sleep(delay);
        continue;
      }
      if (response) return response;
      throw this.giveUpAfter(failure!);
    }
  }

  /**
   * A server that cannot be connected to any more (after the retries), or several timeouts in a row, ends every later
   * request at once. One path that keeps resetting or cutting its answer does not: the server itself is there.
   */
  private giveUpAfter(failure: ApiError): ApiError {
    if (failure.kind === 'timeout') this.consecutiveTimeouts++;
    if (failure.kind === 'unreachable' || this.consecutiveTimeouts >= this.retry.timeoutsBeforeGivingUp) {
      this.gaveUp ??= new ApiError(failure.kind, failure.path, `the API server stopped answering (${failure.message})`);
    }
    return failure;
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
    const body = raw.headers['content-encoding'] === 'gzip' ? gunzipBounded(path, raw.body) : raw.body;
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
    this.connected ??= connect(this.kc, this.server, this.options.concurrency, this.options.transport).then((connection) => {
      this.transport = connection.transport;
      return connection;
    });
    return this.connected.catch((error: Error) => {
      if (error instanceof ApiError) throw error;
      throw new ApiError('credentials', path, `cannot get credentials: ${firstLine(error.message)}`);
    });
  }
}

export interface Connection {
  transport: Transport;
  headers: Record<string, string>;
}

/** TLS, auth headers and a transport for the current context: shared by this client and the fix writer. */
export async function connect(kc: KubeConfig, server: URL, concurrency: number, transport?: Transport): Promise<Connection> {
  const options: https.RequestOptions = { headers: {} };
  // client-node starts exec plugins with this process' environment: give them what kubectl gives them.
  const execInfo = execCredentialInfo(kc);
  if (execInfo) process.env.KUBERNETES_EXEC_INFO = execInfo;
  const plugin = boundExecPlugins(kc);
  try {
    await kc.applyToHTTPSOptions(options);
  } catch (error) {
    const bounded = plugin.failure();
    if (bounded) throw new ApiError('credentials', '', bounded.message);
    throw error;
  }
  const problem = clientCertificateProblem(options, kc.getCurrentUser()?.name ?? '');
  if (problem) throw new ApiError('credentials', '', problem);
  const proxied = Boolean(kc.getCurrentCluster()?.proxyUrl);
  return { transport: transport ?? openTransport(server, options, concurrency, proxied), headers: { ...(options.headers as Record<string, string>) } };
}

/** A transport failure as the one-line ApiError the CLI prints. */
export function networkError(server: URL, requestTimeoutMs: number, path: string, failure: TransportError): ApiError {
  if (failure.code === 'NS_DOCTOR_TIMEOUT') return new ApiError('timeout', path, `timed out after ${requestTimeoutMs / 1000}s`);
  if (failure.code === 'NS_DOCTOR_TOO_LARGE') return new ApiError('malformed', path, `${failure.message}: refused`);
  if (failure.whileReading) return new ApiError('connection', path, `connection lost while reading: ${failure.message}`);
  const kind = kindForNetworkError(failure.code);
  const where = server.host;
  const text =
    kind === 'tls'
      ? `TLS failure talking to ${where}: ${tlsProblem(failure)}`
      : failure.code === 'ECONNREFUSED'
        ? `connection refused by ${where}`
        : `cannot reach ${where}: ${failure.message}`;
  return new ApiError(kind, path, text);
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

/** A JSON object, or a `malformed` ApiError naming the read: a 200 with a broken body is a gap, not a crash. */
export function parseObject<T>(path: string, body: string): T {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ApiError('malformed', path, `malformed response: not valid JSON (${body.length} bytes)`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('malformed', path, `malformed response: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as T;
}

/**
 * What went wrong in words a kubectl user knows (kubectl says "x509: certificate signed by unknown authority"), not
 * Node's, whose hints (--use-system-ca, NODE_EXTRA_CA_CERTS) mean nothing to someone running a kubectl plugin.
 */
function tlsProblem(failure: TransportError): string {
  switch (failure.code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return "the server's certificate is signed by an authority the kubeconfig does not trust (check the cluster's certificate-authority-data, or the --context)";
    case 'CERT_HAS_EXPIRED':
      return "the server's certificate has expired";
    case 'CERT_NOT_YET_VALID':
      return "the server's certificate is not valid yet (check this machine's clock)";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the server's certificate is not valid for this address (${firstLine(failure.message).replace(/^Hostname\/IP does not match certificate's altnames: /, '')})`;
    default:
      return firstLine(failure.message).replace(/\s*\(?(Consider|Use|Try) [^.]*--use-system-ca[^.]*\.?\)?/i, '');
  }
}

/** A gzip body is bounded after decompression too: a few KiB can inflate to gigabytes. */
export function gunzipBounded(path: string, compressed: Buffer): Buffer {
  try {
    return gunzipSync(compressed, { maxOutputLength: MAX_RESPONSE_BYTES });
  } catch (error) {
    const tooBig = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new ApiError('malformed', path, tooBig ? `response larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB once decompressed: refused` : 'malformed response: invalid gzip body');
  }
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
