// What is read about the controllers of waiting objects: bounded, only for live owners, and tolerant of the shapes
// real controllers write (null timestamps, odd entries): an odd entry is a gap about it, its siblings are kept.
// The fake transport only serves answers; the real API server is exercised in test/e2e/finalizer-owners.test.ts.
import { describe, expect, it } from 'vitest';
import { readControllerWords } from '../../src/gather/controller-evidence.js';
import { GapSink } from '../../src/gather/gaps.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { FakeTransport, fakeClient } from './fake-transport.js';
import { recorded } from './helpers.js';

const BUCKETS = '/apis/storage.ns-doctor.dev/v1/namespaces/live1/objectbuckets';

function withBuckets(count: number): Snapshot {
  const snapshot = recorded('finalizer-live');
  const [photos] = snapshot.content!.stuck;
  snapshot.content!.stuck = Array.from({ length: count }, (_, i) => ({ ...photos, meta: { ...photos.meta, name: `bucket-${i}`, uid: `uid-${i}` } }));
  snapshot.content!.types[0].count = count;
  return snapshot;
}

function api(events: unknown): FakeTransport {
  const t = new FakeTransport();
  for (let i = 0; i < 30; i++) {
    t.route(`${BUCKETS}/bucket-${i}`, () => ({
      body: {
        metadata: { name: `bucket-${i}` },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'DeleteFailed', message: 'AccessDenied', lastTransitionTime: null }, null, { type: 7 }] },
      },
    }));
  }
  t.route('/api/v1/events', () => ({ body: events }));
  return t;
}

const event = (name: string, extra: object) => ({
  metadata: { name, namespace: 'live1-system' },
  involvedObject: { kind: 'ObjectBucket', name: 'bucket-0', namespace: 'live1', uid: 'uid-0' },
  type: 'Warning',
  reason: 'CleanupFailed',
  message: 'AccessDenied',
  ...extra,
});

describe('readControllerWords', () => {
  it('reads a bounded sample of full objects (3 per finalizer) and one field-selected page of Warning Events', async () => {
    const t = api({ items: [] });
    const snapshot = withBuckets(30);
    const gaps = new GapSink();
    await readControllerWords(fakeClient(t), gaps, snapshot);
    const gets = t.requests.filter((r) => r.path.startsWith(`${BUCKETS}/`));
    expect(gets).toHaveLength(3);
    expect(t.asked('/api/v1/events')).toHaveLength(1);
    expect(t.asked('/api/v1/events')[0].get('fieldSelector')).toBe('involvedObject.namespace=live1,type=Warning');
    expect(snapshot.events).toEqual([]);
  });

  it('keeps the well-formed conditions (a null lastTransitionTime is read as unknown) and names the odd entries as a gap about that object', async () => {
    const snapshot = withBuckets(1);
    const gaps = new GapSink();
    await readControllerWords(fakeClient(api({ items: [] })), gaps, snapshot);
    expect(snapshot.content!.stuck[0].conditions).toEqual([{ type: 'Ready', status: 'False', reason: 'DeleteFailed', message: 'AccessDenied' }]);
    expect(gaps.gaps).toEqual([expect.objectContaining({ kind: 'evidence', what: 'read status of ObjectBucket live1/bucket-0' })]);
  });

  it('reads new-style Events (eventTime, lastTimestamp null) and skips a malformed one with a gap, keeping its siblings', async () => {
    const snapshot = withBuckets(1);
    const gaps = new GapSink();
    const items = [
      event('new-style', { lastTimestamp: null, eventTime: '2026-12-01T09:49:50.123456Z', series: null, source: null, reportingComponent: 's3-operator' }),
      event('old-style', { lastTimestamp: '2026-12-01T09:49:51Z', count: 4, source: { component: 's3-operator' } }),
      { metadata: { name: 'broken', namespace: 'live1-system' }, involvedObject: null, type: 'Warning' },
    ];
    await readControllerWords(fakeClient(api({ items })), gaps, snapshot);
    expect(snapshot.events!.map((e) => [e.name, e.lastTimestamp, e.source])).toEqual([
      ['new-style', '2026-12-01T09:49:50.123456Z', 's3-operator'],
      ['old-style', '2026-12-01T09:49:51Z', 's3-operator'],
    ]);
    expect(gaps.gaps.map((g) => g.what)).toContain('read Warning Events about objects in live1');
  });

  it('a full page of Warning Events (a continue token) is followed by each sampled waiting object\'s own Events, and named as a gap', async () => {
    const snapshot = withBuckets(5);
    const gaps = new GapSink();
    const t = api(undefined);
    // 250 unrelated Warnings fill the namespace-wide page; the Event that matters is only in bucket-2's own read.
    const noise = Array.from({ length: 250 }, (_, i) => ({ ...event(`noise-${i}`, {}), involvedObject: { kind: 'Pod', name: `web-${i}`, namespace: 'live1' }, reason: 'BackOff' }));
    t.route('/api/v1/events', (query) => {
      const selector = query.get('fieldSelector') ?? '';
      if (selector === 'involvedObject.namespace=live1,type=Warning') return { body: { items: noise, metadata: { continue: 'more' } } };
      if (selector.includes('involvedObject.name=bucket-2,')) return { body: { items: [{ ...event('the-one', {}), involvedObject: { kind: 'ObjectBucket', name: 'bucket-2', namespace: 'live1' } }], metadata: {} } };
      return { body: { items: [], metadata: {} } };
    });
    await readControllerWords(fakeClient(t), gaps, snapshot);
    const selectors = t.asked('/api/v1/events').map((q) => q.get('fieldSelector'));
    expect(selectors[0]).toBe('involvedObject.namespace=live1,type=Warning');
    // The sample (3 per finalizer), each by kind and name: bounded, however many objects wait.
    expect(selectors.slice(1).sort()).toEqual(
      ['bucket-0', 'bucket-1', 'bucket-2'].map((n) => `involvedObject.namespace=live1,involvedObject.name=${n},involvedObject.kind=ObjectBucket,type=Warning`),
    );
    expect(snapshot.events!.find((e) => e.name === 'the-one')?.involvedObject.name).toBe('bucket-2');
    expect(snapshot.events).toHaveLength(251);
    // (The fixture's odd conditions are gaps of their own, about each object's status.)
    expect(gaps.gaps.filter((g) => g.what.includes('Warning Events'))).toEqual([
      expect.objectContaining({ kind: 'evidence', what: 'list Warning Events about objects in live1', reason: expect.stringMatching(/^more than 250 Warning Events: read the first 250, then the Events of the 3 sampled waiting object\(s\) by name$/) }),
    ]);
  });

  it('a page that is not full reads nothing more and names no gap', async () => {
    const t = api({ items: [event('one', {})], metadata: {} });
    const gaps = new GapSink();
    await readControllerWords(fakeClient(t), gaps, withBuckets(5));
    expect(t.asked('/api/v1/events')).toHaveLength(1);
    expect(gaps.gaps.filter((g) => g.what.includes('Warning Events'))).toEqual([]);
  });

  it('reads nothing when no controller is waited on (its owner is missing: FinalizerOwnerMissing needs no words)', async () => {
    const t = api({ items: [] });
    const snapshot = withBuckets(2);
    snapshot.finalizerOwners[0].candidates = [];
    await readControllerWords(fakeClient(t), new GapSink(), snapshot);
    expect(t.requests).toEqual([]);
    expect(snapshot.events).toBeUndefined();
  });
});
