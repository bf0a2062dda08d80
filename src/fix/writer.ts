// The only code in ns-doctor that sends a request with a body. Used by apply.ts alone (SelfSubjectAccessReviews,
// server-side dry runs, the steps themselves, and the Events that record them). Never retried: a write that
// timed out may have happened, and the next step re-reads the evidence anyway.
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { connect, gunzipBounded, networkError, type Connection, type RequestRecord } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import { TransportError } from '../kube/transport.js';
import type { ApiRequest } from '../model/plan.js';
import { requestUrl } from './requests.js';

export interface WriteResponse {
  status: number;
  /** What a write answers with that apply reads: the created object's name, a review's verdict. Untrusted. */
  body: { metadata?: { name?: string }; status?: { allowed?: boolean } } | undefined;
  /** The API server's message for a refusal (Status.message), one line. */
  message: string;
}

export interface Writer {
  send(request: ApiRequest): Promise<WriteResponse>;
}

export class KubeWriter implements Writer {
  readonly records: RequestRecord[] = [];
  private connected?: Promise<Connection>;
  private readonly server: URL;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: { requestTimeoutMs: number; userAgent: string; onRequest?: (record: RequestRecord) => void },
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ApiError('credentials', '', 'no cluster in the current context');
    this.server = new URL(cluster.server);
  }

  close(): void {
    void this.connected?.then((c) => c.transport.close(), () => undefined);
  }

  async send(request: ApiRequest): Promise<WriteResponse> {
    const path = requestUrl(request);
    this.connected ??= connect(this.kc, this.server, 1);
    const { transport, headers } = await this.connected.catch((error: Error) => {
      throw new ApiError('credentials', path, `cannot get credentials: ${error.message.split('\n')[0]}`);
    });
    const record: RequestRecord = { method: request.method, path, bytes: 0, ms: 0, attempt: 1 };
    const started = performance.now();
    const finish = () => {
      record.ms = Math.round(performance.now() - started);
      this.records.push(record);
      this.options.onRequest?.(record);
    };
    try {
      const raw = await transport.send(
        this.server.pathname.replace(/\/$/, '') + path,
        {
          ...headers,
          Accept: 'application/json',
          'Accept-Encoding': 'gzip',
          'Content-Type': request.contentType,
          'User-Agent': this.options.userAgent,
        },
        this.options.requestTimeoutMs,
        { onBytes: (count) => (record.bytes += count) },
        { method: request.method, body: Buffer.from(JSON.stringify(request.body)) },
      );
      record.status = raw.status;
      finish();
      const text = (raw.headers['content-encoding'] === 'gzip' ? gunzipBounded(path, raw.body) : raw.body).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const message = (body as { message?: string } | undefined)?.message ?? text.trim().split('\n')[0] ?? '';
      return { status: raw.status, body: body && typeof body === 'object' ? (body) : undefined, message: message.split('\n')[0] ?? '' };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const failure = error instanceof TransportError ? error : new TransportError(String(error), undefined);
      record.error = failure.code ?? failure.message;
      finish();
      throw networkError(this.server, this.options.requestTimeoutMs, path, failure);
    }
  }
}
