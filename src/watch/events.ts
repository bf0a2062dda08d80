// `watch --events`: one Warning Event per blocked namespace and cause, kept up to date across scans instead of a new
// Event per scan. The only write `watch` makes, through its own narrow writer: create, get and patch of core/v1
// Events in one namespace, nothing else (its RBAC is a separate Role: deploy/kustomize/components/events).
//
// Where: the API server files an Event about a cluster-scoped object (a Namespace) only in "default" (or
// kube-system): legacyValidateEvent in k8s.io/kubernetes/pkg/apis/core/validation/events.go. So in "default" the
// Event regards the blocked Namespace itself; in the tool's own namespace it regards the watch's own Pod, and names
// the blocked Namespace in `related` and in its message.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { connect, gunzipBounded, networkError, type Connection } from '../kube/client.js';
import { ApiError, kindForStatus } from '../kube/errors.js';
import { TransportError } from '../kube/transport.js';
import type { Report } from '../model/report.js';
import { metricSubject, type WatchCounters } from './series.js';

/** An Event is written again (count + 1, lastTimestamp) at most this often; the API server keeps Events 1 h. */
export const EVENT_REFRESH_MS = 10 * 60_000;
/** Writes per scan at most: a thousand namespaces blocked at once are not a thousand writes a minute. */
export const MAX_EVENT_WRITES_PER_SCAN = 50;
const MAX_MESSAGE = 1024;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

interface EventAnswer {
  status: number;
  body?: { count?: number; firstTimestamp?: string };
  message: string;
}

/** Create, get or merge-patch an Event in one namespace: the paths are built here, from validated names only. */
export class EventWriter {
  private connected?: Promise<Connection>;
  private readonly server: URL;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly options: { requestTimeoutMs: number; userAgent: string },
  ) {
    if (!NAME.test(namespace)) throw new ApiError('malformed', '', `invalid events namespace ${namespace}`);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ApiError('credentials', '', 'no cluster in the current context');
    this.server = new URL(cluster.server);
  }

  create(event: object): Promise<EventAnswer> {
    return this.send('POST', `/api/v1/namespaces/${this.namespace}/events`, 'application/json', event);
  }

  get(name: string): Promise<EventAnswer> {
    return this.send('GET', this.eventPath(name), undefined, undefined);
  }

  patch(name: string, patch: object): Promise<EventAnswer> {
    return this.send('PATCH', this.eventPath(name), 'application/merge-patch+json', patch);
  }

  close(): void {
    void this.connected?.then((c) => c.transport.close(), () => undefined);
  }

  private eventPath(name: string): string {
    if (!NAME.test(name)) throw new ApiError('malformed', '', `invalid event name ${name}`);
    return `/api/v1/namespaces/${this.namespace}/events/${name}`;
  }

  private async send(method: 'POST' | 'GET' | 'PATCH', path: string, contentType: string | undefined, body: object | undefined): Promise<EventAnswer> {
    this.connected ??= connect(this.kc, this.server, 1);
    const { transport, headers } = await this.connected.catch((error: Error) => {
      throw new ApiError('credentials', path, `cannot get credentials: ${error.message.split('\n')[0]}`);
    });
    try {
      const raw = await transport.send(
        this.server.pathname.replace(/\/$/, '') + path,
        { ...headers, Accept: 'application/json', 'Accept-Encoding': 'gzip', 'User-Agent': this.options.userAgent, ...(contentType ? { 'Content-Type': contentType } : {}) },
        this.options.requestTimeoutMs,
        { onBytes: () => undefined },
        ...(body && method !== 'GET' ? [{ method, body: Buffer.from(JSON.stringify(body)) }] : []),
      );
      const text = (raw.headers['content-encoding'] === 'gzip' ? gunzipBounded(path, raw.body) : raw.body).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const object = parsed && typeof parsed === 'object' ? (parsed as EventAnswer['body'] & { message?: string }) : undefined;
      return { status: raw.status, ...(object ? { body: object } : {}), message: String(object?.message ?? text.trim()).split('\n')[0] ?? '' };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const failure = error instanceof TransportError ? error : new TransportError(String(error), undefined);
      throw networkError(this.server, this.options.requestTimeoutMs, path, failure);
    }
  }
}

interface Tracked {
  name: string;
  count: number;
  firstTimestamp: string;
  writtenAt: number;
}

export interface EventPlace {
  namespace: string;
  /** The watch's own pod: what the Event regards outside "default". */
  podName?: string;
  instance: string;
}

interface Blocked {
  key: string;
  namespace: string;
  cause: string;
  subject: string;
  summary: string;
}

/** The Event's name: stable for one (namespace, cause, subject), so a restarted watch finds its Events again. */
export function eventName(key: string): string {
  return `ns-doctor.${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}

export class EventRecorder {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly newWriter: () => EventWriter,
    private readonly place: EventPlace,
    private readonly counters: WatchCounters,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async record(reports: Report[]): Promise<void> {
    const blocked = blockedOf(reports);
    const current = new Set(blocked.map((b) => b.key));
    // A cause that went away and comes back later is a new occurrence (its old Event may still be there: see 409).
    for (const key of [...this.tracked.keys()]) if (!current.has(key)) this.tracked.delete(key);
    const due = blocked.filter((b) => {
      const tracked = this.tracked.get(b.key);
      return !tracked || this.now() - tracked.writtenAt >= EVENT_REFRESH_MS;
    });
    if (due.length === 0) return;
    const writer = this.newWriter();
    try {
      for (const item of due.slice(0, MAX_EVENT_WRITES_PER_SCAN)) {
        try {
          await this.write(writer, item);
          this.counters.eventWrites++;
        } catch (error) {
          this.counters.eventWriteErrors++;
          this.log(`watch: event for namespace ${item.namespace} (${item.cause}) not written: ${error instanceof ApiError ? error.reason : (error as Error).message}`);
          // Every other write would fail the same way: try again next scan.
          if (error instanceof ApiError && ['connection', 'unreachable', 'tls', 'credentials', 'unauthorized', 'forbidden'].includes(error.kind)) return;
        }
      }
    } finally {
      writer.close();
    }
  }

  private async write(writer: EventWriter, item: Blocked): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const tracked = this.tracked.get(item.key);
    if (tracked) {
      const answer = await writer.patch(tracked.name, { count: tracked.count + 1, lastTimestamp: now, message: messageOf(item) });
      if (answer.status === 404) {
        this.tracked.delete(item.key); // expired (the API server's --event-ttl): a new occurrence
        return this.write(writer, item);
      }
      ensureOk(answer, 'patch');
      this.tracked.set(item.key, { ...tracked, count: tracked.count + 1, writtenAt: this.now() });
      return;
    }
    const name = eventName(item.key);
    const created = await writer.create(this.event(name, item, now));
    if (created.status === 409) {
      // Written by an earlier run of watch: carry its count on.
      const existing = await writer.get(name);
      ensureOk(existing, 'get');
      const count = (typeof existing.body?.count === 'number' ? existing.body.count : 1) + 1;
      ensureOk(await writer.patch(name, { count, lastTimestamp: now, message: messageOf(item) }), 'patch');
      this.tracked.set(item.key, { name, count, firstTimestamp: existing.body?.firstTimestamp ?? now, writtenAt: this.now() });
      return;
    }
    ensureOk(created, 'create');
    this.tracked.set(item.key, { name, count: 1, firstTimestamp: now, writtenAt: this.now() });
  }

  private event(name: string, item: Blocked, now: string): object {
    const namespaceRef = { apiVersion: 'v1', kind: 'Namespace', name: item.namespace };
    const regarding =
      this.place.namespace === 'default' || !this.place.podName
        ? namespaceRef
        : { apiVersion: 'v1', kind: 'Pod', name: this.place.podName, namespace: this.place.namespace };
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: this.place.namespace, labels: { 'app.kubernetes.io/managed-by': 'ns-doctor' } },
      involvedObject: regarding,
      ...(regarding === namespaceRef ? {} : { related: namespaceRef }),
      reason: 'NamespaceDeletionBlocked',
      message: messageOf(item),
      type: 'Warning',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'ns-doctor' },
      reportingComponent: 'ns-doctor',
      reportingInstance: this.place.instance.slice(0, 128),
    };
  }
}

function blockedOf(reports: Report[]): Blocked[] {
  const blocked = new Map<string, Blocked>();
  for (const report of reports) {
    for (const blocker of report.blockers) {
      const subject = metricSubject(blocker);
      const key = `${report.namespace}\u0000${blocker.id}\u0000${subject}`;
      if (!blocked.has(key)) blocked.set(key, { key, namespace: report.namespace, cause: blocker.id, subject, summary: blocker.summary });
    }
  }
  return [...blocked.values()];
}

function messageOf(item: Blocked): string {
  const message = `namespace ${item.namespace} is blocked [${item.cause}]: ${item.summary}`;
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

function ensureOk(answer: EventAnswer, what: string): void {
  if (answer.status < 200 || answer.status >= 300) {
    throw new ApiError(kindForStatus(answer.status), '', `event ${what}: ${answer.message || `HTTP ${answer.status}`}`, answer.status);
  }
}
