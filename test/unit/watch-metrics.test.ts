import { beforeAll, describe, expect, it } from 'vitest';
import { escapeLabelValue, MAX_LABEL_VALUE_LENGTH, renderExposition, type MetricFamily } from '../../src/render/prometheus.js';
import { OVERFLOW_SUBJECT, metricSubject, watchSeries, type WatchCounters } from '../../src/watch/series.js';
import type { Report } from '../../src/model/report.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { buildParser, parseExposition, samplesOf } from '../tools/promparse.js';
import { diagnoseAt, recorded, type FixtureName } from './helpers.js';

function as(fixture: FixtureName, name: string): Snapshot {
  const snapshot = recorded(fixture);
  const old = snapshot.namespaceName;
  return JSON.parse(JSON.stringify(snapshot).split(`"${old}"`).join(`"${name}"`).split(`${old}/`).join(`${name}/`)) as Snapshot;
}

const COUNTERS: WatchCounters = {
  scans: 7,
  scanErrors: 2,
  scansOverrun: 1,
  apiRequests: 420,
  apiRetries: 3,
  apiBytes: 123456,
  eventWrites: 0,
  eventWriteErrors: 0,
  lastScanDurationSeconds: 0.25,
  lastScanRequests: 60,
  lastScanSucceeded: true,
  lastScanAt: 1_700_000_100,
};
const BUILD = { version: '1.2.3', nodeVersion: 'v24.0.0' };

// Built once up front: on a machine without the cached binary a cold `go build` exceeds a unit test's 5 s.
beforeAll(() => void buildParser(), 300_000);

describe('the exposition format, read back by Prometheus’ own parser', () => {
  it('escapes backslash, double quote and newline so hostile label values round-trip', () => {
    const hostile = ['a\\b', 'say "hi"', 'two\nlines', 'end\\', '"', 'ünïcødé ✓'];
    const family: MetricFamily = { name: 'x_test', help: 'help with \\ and\nnewline', type: 'gauge', samples: hostile.map((v, i) => ({ labels: { v }, value: i })) };
    const parsed = parseExposition(renderExposition([family]));
    expect(parsed.x_test.help).toBe('help with \\ and\nnewline');
    expect(samplesOf(parsed, 'x_test').map((s) => s.labels.v).sort()).toEqual([...hostile].sort());
  });

  it('shows other control characters as visible escapes, never raw, and cuts overlong values', () => {
    const text = renderExposition([
      { name: 'x_ctl', help: 'h', type: 'gauge', samples: [{ labels: { v: 'esc\u001b[2Jcr\rbidi\u202etab\t' }, value: 1 }, { labels: { v: 'n'.repeat(5000) }, value: 2 }] },
    ]);
    expect(text).not.toMatch(/[\u001b\r\u202e\t]/);
    const values = samplesOf(parseExposition(text), 'x_ctl').map((s) => s.labels.v);
    expect(values).toContain('esc\\u001b[2Jcr\\u000dbidi\\u202etab\\u0009');
    const long = values.find((v) => v.startsWith('n'))!;
    expect(long).toHaveLength(MAX_LABEL_VALUE_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });

  it('replaces a lone surrogate (not UTF-8) and renders NaN and infinities as the format spells them', () => {
    expect(escapeLabelValue('a\ud800b')).toBe('a\ufffdb');
    const parsed = parseExposition(
      renderExposition([{ name: 'x_v', help: 'h', type: 'gauge', samples: [{ labels: { k: 'inf' }, value: Infinity }, { labels: { k: 'nan' }, value: NaN }] }]),
    );
    expect(samplesOf(parsed, 'x_v').find((s) => s.labels.k === 'inf')?.value).toBe(Infinity);
    expect(samplesOf(parsed, 'x_v').find((s) => s.labels.k === 'nan')?.value).toBeNaN();
  });

  it('refuses invalid metric and label names (a programming error, never cluster data)', () => {
    expect(() => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow(/invalid metric name/);
    expect(() => renderExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { __x: 'a' }, value: 1 }] }])).toThrow(/invalid label name/);
  });
});

describe('watchSeries', () => {
  const apiService = ['team-a', 'team-b', 'team-c'].map((ns) => diagnoseAt(as('metrics-server', ns)));
  const finalizer = ['ci-1', 'ci-2'].map((ns) => diagnoseAt(as('crd-finalizer', ns)));
  const progressing = diagnoseAt(as('pod-grace', 'grace'));
  const reports: Report[] = [...apiService, ...finalizer, progressing];
  const series = (limits?: { maxNamespaces: number; maxSubjects: number }) =>
    parseExposition(renderExposition(watchSeries({ reports, finishedAt: 1_700_000_000 }, COUNTERS, BUILD, limits)));

  it('exports per namespace: how long it has been Terminating, its verdict, and each cause with its subject', () => {
    const parsed = series();
    expect(progressing.verdict).toBe('Progressing');
    expect(samplesOf(parsed, 'ns_doctor_namespace_terminating_seconds').map((s) => [s.labels.namespace, s.value])).toEqual(
      expect.arrayContaining(reports.map((r) => [r.namespace, r.terminatingForSeconds])),
    );
    expect(samplesOf(parsed, 'ns_doctor_namespace_verdict')).toHaveLength(reports.length);
    expect(samplesOf(parsed, 'ns_doctor_namespace_verdict').find((s) => s.labels.namespace === 'grace')?.labels.verdict).toBe('Progressing');
    const blocked = samplesOf(parsed, 'ns_doctor_namespace_blocked');
    expect(blocked.filter((s) => s.labels.cause === 'APIServiceUnavailable').map((s) => [s.labels.namespace, s.labels.subject])).toEqual([
      ['team-a', 'APIService/v1beta1.metrics.k8s.io'],
      ['team-b', 'APIService/v1beta1.metrics.k8s.io'],
      ['team-c', 'APIService/v1beta1.metrics.k8s.io'],
    ]);
    const finalizerSubject = metricSubject(finalizer[0].blockers[0]);
    expect(blocked.filter((s) => s.labels.namespace === 'ci-2').map((s) => s.labels.subject)).toContain(finalizerSubject);
    expect(blocked.some((s) => s.labels.namespace === 'grace')).toBe(false);
    expect(blocked.every((s) => s.value === 1)).toBe(true);
  });

  it('counts namespaces per cause and subject, and per verdict (zero verdicts included)', () => {
    const parsed = series();
    const causes = samplesOf(parsed, 'ns_doctor_cause_namespaces');
    expect(causes.find((s) => s.labels.subject === 'APIService/v1beta1.metrics.k8s.io')?.value).toBe(3);
    expect(causes.find((s) => s.labels.cause === finalizer[0].blockers[0].id)?.value).toBe(2);
    expect(Object.fromEntries(samplesOf(parsed, 'ns_doctor_namespaces').map((s) => [s.labels.verdict, s.value]))).toEqual({ Blocked: 5, Incomplete: 0, Progressing: 1 });
    expect(samplesOf(parsed, 'ns_doctor_namespaces_terminating')[0]?.value).toBe(6);
    expect(samplesOf(parsed, 'ns_doctor_last_successful_scan_timestamp_seconds')[0]?.value).toBe(1_700_000_000);
  });

  it('exports the counters, the last scan and build info with HELP and TYPE', () => {
    const parsed = series();
    expect(parsed.ns_doctor_scan_errors_total).toMatchObject({ type: 'COUNTER', samples: [{ value: 2 }] });
    expect(parsed.ns_doctor_api_requests_total).toMatchObject({ type: 'COUNTER', samples: [{ value: 420 }] });
    expect(parsed.ns_doctor_scan_duration_seconds).toMatchObject({ type: 'GAUGE', samples: [{ value: 0.25 }] });
    expect(samplesOf(parsed, 'ns_doctor_build_info')[0]?.labels).toEqual({ version: '1.2.3', node_version: 'v24.0.0' });
    for (const family of Object.values(parsed)) expect(family.help.length).toBeGreaterThan(10);
  });

  it('caps per-namespace series at --max-namespaces, blocked and oldest first, and counts the rest', () => {
    const parsed = series({ maxNamespaces: 2, maxSubjects: 100 });
    const shown = samplesOf(parsed, 'ns_doctor_namespace_verdict');
    expect(shown).toHaveLength(2);
    expect(shown.every((s) => s.labels.verdict === 'Blocked')).toBe(true);
    expect(samplesOf(parsed, 'ns_doctor_namespaces_omitted')[0]?.value).toBe(4);
    expect(new Set(samplesOf(parsed, 'ns_doctor_namespace_blocked').map((s) => s.labels.namespace)).size).toBe(2);
    // The totals never lose a namespace.
    expect(samplesOf(parsed, 'ns_doctor_cause_namespaces').find((s) => s.labels.subject === 'APIService/v1beta1.metrics.k8s.io')?.value).toBe(3);
  });

  it('caps distinct (cause, subject) pairs at --max-subjects: the rest share subject __other__, counts preserved', () => {
    const parsed = series({ maxNamespaces: 100, maxSubjects: 1 });
    const causes = samplesOf(parsed, 'ns_doctor_cause_namespaces');
    expect(causes.filter((s) => s.labels.subject !== OVERFLOW_SUBJECT)).toEqual([
      { labels: { cause: 'APIServiceUnavailable', subject: 'APIService/v1beta1.metrics.k8s.io' }, value: 3 },
    ]);
    const overflow = causes.filter((s) => s.labels.subject === OVERFLOW_SUBJECT);
    expect(overflow.length).toBeGreaterThan(0);
    expect(overflow.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(2);
    expect(samplesOf(parsed, 'ns_doctor_namespace_blocked').filter((s) => s.labels.namespace === 'ci-1').every((s) => s.labels.subject === OVERFLOW_SUBJECT)).toBe(true);
  });

  it('before any successful scan: counters only, no namespace series', () => {
    const parsed = parseExposition(renderExposition(watchSeries(undefined, { ...COUNTERS, lastScanSucceeded: false }, BUILD)));
    expect(parsed.ns_doctor_namespace_blocked).toBeUndefined();
    expect(parsed.ns_doctor_last_successful_scan_timestamp_seconds).toBeUndefined();
    expect(samplesOf(parsed, 'ns_doctor_last_scan_success')[0]?.value).toBe(0);
  });

  it('a namespace name with characters a cluster should refuse still yields a parseable page', () => {
    const odd = { ...apiService[0], namespace: 'evil"}\nns_doctor_fake 1' };
    const parsed = parseExposition(renderExposition(watchSeries({ reports: [odd], finishedAt: 1 }, COUNTERS, BUILD)));
    expect(parsed.ns_doctor_fake).toBeUndefined();
    expect(samplesOf(parsed, 'ns_doctor_namespace_verdict')[0]?.labels.namespace).toBe('evil"}\nns_doctor_fake 1');
  });
});
