import { describe, expect, it } from 'vitest';
import { EVENT_REFRESH_MS, eventName, EventRecorder, MAX_EVENT_WRITES_PER_SCAN, type EventWriter } from '../../src/watch/events.js';
import type { WatchCounters } from '../../src/watch/series.js';
import type { Report } from '../../src/model/report.js';
import { diagnoseAt, recorded } from './helpers.js';

/** What the recorder sent, and what the API server answers: 201, 409 for a name that exists, 404 for an expired one. */
class RecordingWriter {
  readonly sent: { method: string; name?: string; body?: Record<string, unknown> }[] = [];
  constructor(
    readonly existing = new Map<string, { count: number }>(),
    readonly expired = new Set<string>(),
  ) {}
  create(event: { metadata: { name: string } } & Record<string, unknown>) {
    this.sent.push({ method: 'POST', name: event.metadata.name, body: event });
    if (this.existing.has(event.metadata.name)) return Promise.resolve({ status: 409, message: 'already exists' });
    this.existing.set(event.metadata.name, { count: 1 });
    return Promise.resolve({ status: 201, message: '' });
  }
  get(name: string) {
    this.sent.push({ method: 'GET', name });
    return Promise.resolve({ status: 200, body: this.existing.get(name), message: '' });
  }
  patch(name: string, body: Record<string, unknown>) {
    this.sent.push({ method: 'PATCH', name, body });
    if (this.expired.has(name)) return Promise.resolve({ status: 404, message: 'not found' });
    return Promise.resolve({ status: 200, message: '' });
  }
  close() {}
}

const counters = (): WatchCounters => ({ scans: 0, scanErrors: 0, scansOverrun: 0, apiRequests: 0, apiRetries: 0, apiBytes: 0, eventWrites: 0, eventWriteErrors: 0 });
const blocked: Report = diagnoseAt(recorded('metrics-server'));

function recorder(writer: RecordingWriter, clock: { now: number }, place = { namespace: 'ns-doctor', podName: 'ns-doctor-abc', instance: 'host' }) {
  const c = counters();
  return { c, r: new EventRecorder(() => writer as unknown as EventWriter, place, c, () => undefined, () => clock.now) };
}

describe('EventRecorder', () => {
  it('creates one Event per namespace and cause, then leaves it alone until it is due for a refresh', async () => {
    const writer = new RecordingWriter();
    const clock = { now: 1_000_000 };
    const { r, c } = recorder(writer, clock);
    await r.record([blocked]);
    expect(writer.sent.map((s) => s.method)).toEqual(['POST']);
    const event = writer.sent[0].body as { involvedObject: { kind: string; name: string }; related: { kind: string; name: string }; count: number; reason: string };
    expect(event).toMatchObject({ involvedObject: { kind: 'Pod', name: 'ns-doctor-abc' }, related: { kind: 'Namespace', name: blocked.namespace }, count: 1, reason: 'NamespaceDeletionBlocked' });
    await r.record([blocked]);
    expect(writer.sent).toHaveLength(1);
    clock.now += EVENT_REFRESH_MS;
    await r.record([blocked]);
    expect(writer.sent.map((s) => s.method)).toEqual(['POST', 'PATCH']);
    expect(writer.sent[1].body).toMatchObject({ count: 2 });
    expect(c.eventWrites).toBe(2);
  });

  it('in "default" the Event regards the Namespace itself (the only place the API server files one about it)', async () => {
    const writer = new RecordingWriter();
    const { r } = recorder(writer, { now: 0 }, { namespace: 'default', podName: 'p', instance: 'h' });
    await r.record([blocked]);
    expect(writer.sent[0].body).toMatchObject({ involvedObject: { kind: 'Namespace', name: blocked.namespace } });
    expect(writer.sent[0].body).not.toHaveProperty('related');
  });

  it('carries on the count of an Event an earlier run wrote, and re-creates one that expired', async () => {
    const name = eventName(`${blocked.namespace}\u0000${blocked.blockers[0].id}\u0000APIService/v1beta1.metrics.k8s.io`);
    const writer = new RecordingWriter(new Map([[name, { count: 7 }]]));
    const clock = { now: 0 };
    const { r } = recorder(writer, clock);
    await r.record([blocked]);
    expect(writer.sent.map((s) => `${s.method} ${s.name}`)).toEqual([`POST ${name}`, `GET ${name}`, `PATCH ${name}`]);
    expect(writer.sent[2].body).toMatchObject({ count: 8 });
    writer.expired.add(name);
    writer.existing.delete(name);
    clock.now += EVENT_REFRESH_MS;
    await r.record([blocked]);
    expect(writer.sent.slice(3).map((s) => s.method)).toEqual(['PATCH', 'POST']);
  });

  it('a cause that went away and came back is a new occurrence; writes per scan are bounded', async () => {
    const writer = new RecordingWriter();
    const { r } = recorder(writer, { now: 0 });
    await r.record([blocked]);
    await r.record([]);
    writer.existing.clear();
    await r.record([blocked]);
    expect(writer.sent.map((s) => s.method)).toEqual(['POST', 'POST']);
    const many = Array.from({ length: MAX_EVENT_WRITES_PER_SCAN + 10 }, (_, i) => ({ ...blocked, namespace: `ns-${i}` }));
    const fresh = new RecordingWriter();
    await recorder(fresh, { now: 0 }).r.record(many);
    expect(fresh.sent).toHaveLength(MAX_EVENT_WRITES_PER_SCAN);
  });
});
