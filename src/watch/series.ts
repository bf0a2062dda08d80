// What `watch` exports, as metric families: pure, from the last scan's reports and the running counters. Label
// cardinality is bounded here (README "Watch"): per-namespace series for at most `maxNamespaces` namespaces (the
// blocked and oldest first; the rest are counted in ns_doctor_namespaces_omitted), and at most `maxSubjects`
// distinct (cause, subject) pairs (the most namespaces first; the rest share the subject "__other__").
import type { Blocker, Report, Verdict } from '../model/report.js';
import { subjectKey } from '../model/subject.js';
import type { MetricFamily, Sample } from '../render/prometheus.js';
import { compareCodePoints } from '../util/order.js';

/** The `subject` label of a blocker: its typed subject's key, the same key as the --all group (one place). */
export function metricSubject(blocker: Blocker): string {
  return subjectKey(blocker.subject);
}

export const OVERFLOW_SUBJECT = '__other__';

export interface CardinalityLimits {
  maxNamespaces: number;
  maxSubjects: number;
}

export const DEFAULT_LIMITS: CardinalityLimits = { maxNamespaces: 500, maxSubjects: 100 };

/** The outcome of the last scan that succeeded. */
export interface ScanResult {
  reports: Report[];
  /** Seconds since the epoch when it finished. */
  finishedAt: number;
}

/** Since the process started. */
export interface WatchCounters {
  scans: number;
  scanErrors: number;
  /** Scans that ran longer than the interval (the next one started late, never alongside). */
  scansOverrun: number;
  apiRequests: number;
  apiRetries: number;
  apiBytes: number;
  eventWrites: number;
  eventWriteErrors: number;
  /** The last scan, successful or not. */
  lastScanDurationSeconds?: number;
  lastScanRequests?: number;
  lastScanSucceeded?: boolean;
  lastScanAt?: number;
}

export interface BuildInfo {
  version: string;
  nodeVersion: string;
}

const TERMINATING_VERDICTS: Verdict[] = ['Blocked', 'Incomplete', 'Progressing'];
const VERDICT_RANK: Record<Verdict, number> = { Blocked: 0, Incomplete: 1, Progressing: 2, NotTerminating: 3, NotFound: 4 };

/** Which namespaces get their own series when there are more than the limit: blocked first, then the oldest. */
function byImportance(a: Report, b: Report): number {
  return (
    VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict] ||
    (b.terminatingForSeconds ?? 0) - (a.terminatingForSeconds ?? 0) ||
    compareCodePoints(a.namespace, b.namespace)
  );
}

interface Blocked {
  namespace: string;
  cause: string;
  subject: string;
}

/** Each namespace's distinct (cause, subject) pairs. */
function blockedPairs(reports: Report[]): Blocked[] {
  const pairs: Blocked[] = [];
  for (const report of reports) {
    const seen = new Set<string>();
    for (const blocker of report.blockers) {
      const subject = metricSubject(blocker);
      const key = `${blocker.id}\u0000${subject}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ namespace: report.namespace, cause: blocker.id, subject });
    }
  }
  return pairs;
}

/** The (cause, subject) pairs kept as their own label values: those blocking the most namespaces. */
function keptSubjects(pairs: Blocked[], maxSubjects: number): Set<string> {
  const counts = new Map<string, number>();
  for (const { cause, subject } of pairs) counts.set(`${cause}\u0000${subject}`, (counts.get(`${cause}\u0000${subject}`) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  return new Set(ranked.slice(0, maxSubjects).map(([key]) => key));
}

const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: 'gauge', samples });
const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'counter', samples: [{ labels: {}, value }] });
const single = (value: number): Sample[] => [{ labels: {}, value }];

export function watchSeries(
  last: ScanResult | undefined,
  counters: WatchCounters,
  build: BuildInfo,
  limits: CardinalityLimits = DEFAULT_LIMITS,
): MetricFamily[] {
  const families: MetricFamily[] = [
    gauge('ns_doctor_build_info', 'ns-doctor build: version and Node.js runtime (always 1).', [
      { labels: { version: build.version, node_version: build.nodeVersion }, value: 1 },
    ]),
    counter('ns_doctor_scans_total', 'Scans started (one every --interval; each diagnoses every Terminating namespace).', counters.scans),
    counter('ns_doctor_scan_errors_total', 'Scans that failed (namespaces could not be listed, credentials, API server unreachable, scan timeout).', counters.scanErrors),
    counter('ns_doctor_scans_overrun_total', 'Scans that took longer than --interval (the next scan started when it ended, never alongside it).', counters.scansOverrun),
    counter('ns_doctor_api_requests_total', 'Requests sent to the Kubernetes API by the scans (retries included).', counters.apiRequests),
    counter('ns_doctor_api_retries_total', 'Requests retried after 429, 5xx, a reset or a timeout.', counters.apiRetries),
    counter('ns_doctor_api_received_bytes_total', 'Bytes received from the Kubernetes API by the scans.', counters.apiBytes),
    counter('ns_doctor_event_writes_total', 'Events created or updated (--events).', counters.eventWrites),
    counter('ns_doctor_event_write_errors_total', 'Event writes the API server refused or that failed (--events).', counters.eventWriteErrors),
  ];
  if (counters.lastScanDurationSeconds !== undefined) {
    families.push(gauge('ns_doctor_scan_duration_seconds', 'Duration of the last scan, successful or not.', single(counters.lastScanDurationSeconds)));
  }
  if (counters.lastScanRequests !== undefined) {
    families.push(gauge('ns_doctor_scan_api_requests', 'Requests the last scan sent to the Kubernetes API.', single(counters.lastScanRequests)));
  }
  if (counters.lastScanSucceeded !== undefined) {
    families.push(gauge('ns_doctor_last_scan_success', '1 if the last scan succeeded, 0 if it failed.', single(counters.lastScanSucceeded ? 1 : 0)));
  }
  if (counters.lastScanAt !== undefined) {
    families.push(gauge('ns_doctor_last_scan_timestamp_seconds', 'When the last scan ended (Unix time), successful or not.', single(counters.lastScanAt)));
  }
  if (!last) return families;

  families.push(gauge('ns_doctor_last_successful_scan_timestamp_seconds', 'When the last successful scan ended (Unix time); the series below are from it.', single(last.finishedAt)));
  const terminating = last.reports.filter((r) => TERMINATING_VERDICTS.includes(r.verdict));
  families.push(
    gauge('ns_doctor_namespaces_terminating', 'Namespaces Terminating, all of them (never capped).', single(terminating.length)),
    gauge(
      'ns_doctor_namespaces',
      'Terminating namespaces by verdict: Blocked (a blocker was proven), Incomplete (part of the diagnosis could not be done), Progressing (never capped).',
      TERMINATING_VERDICTS.map((verdict) => ({ labels: { verdict }, value: terminating.filter((r) => r.verdict === verdict).length })),
    ),
  );

  const pairs = blockedPairs(terminating);
  const kept = keptSubjects(pairs, limits.maxSubjects);
  const subjectOf = (pair: Blocked) => (kept.has(`${pair.cause}\u0000${pair.subject}`) ? pair.subject : OVERFLOW_SUBJECT);

  const perCause = new Map<string, { cause: string; subject: string; namespaces: Set<string> }>();
  for (const pair of pairs) {
    const subject = subjectOf(pair);
    const key = `${pair.cause}\u0000${subject}`;
    const entry = perCause.get(key) ?? { cause: pair.cause, subject, namespaces: new Set<string>() };
    entry.namespaces.add(pair.namespace);
    perCause.set(key, entry);
  }
  families.push(
    gauge(
      'ns_doctor_cause_namespaces',
      `Terminating namespaces held by each cause (blocker id) and subject (what it is about); beyond --max-subjects pairs, a cause's other subjects are summed under subject="${OVERFLOW_SUBJECT}".`,
      [...perCause.values()]
        .sort((a, b) => compareCodePoints(a.cause, b.cause) || compareCodePoints(a.subject, b.subject))
        .map(({ cause, subject, namespaces }) => ({ labels: { cause, subject }, value: namespaces.size })),
    ),
  );

  const shown = [...terminating].sort(byImportance).slice(0, limits.maxNamespaces);
  const shownNames = new Set(shown.map((r) => r.namespace));
  families.push(
    gauge('ns_doctor_namespaces_omitted', 'Terminating namespaces beyond --max-namespaces: counted above, without per-namespace series.', single(terminating.length - shown.length)),
  );
  const ordered = [...shown].sort((a, b) => compareCodePoints(a.namespace, b.namespace));
  families.push(
    gauge(
      'ns_doctor_namespace_terminating_seconds',
      'How long each namespace has been Terminating (since its deletionTimestamp), as of the last successful scan.',
      ordered.map((r) => ({ labels: { namespace: r.namespace }, value: r.terminatingForSeconds ?? 0 })),
    ),
    gauge(
      'ns_doctor_namespace_verdict',
      'The verdict of each Terminating namespace (1 for its current verdict; one series per namespace).',
      ordered.map((r) => ({ labels: { namespace: r.namespace, verdict: r.verdict }, value: 1 })),
    ),
  );
  const blockedSamples = new Map<string, Sample>();
  for (const pair of pairs) {
    if (!shownNames.has(pair.namespace)) continue;
    const labels = { namespace: pair.namespace, cause: pair.cause, subject: subjectOf(pair) };
    blockedSamples.set(`${labels.namespace}\u0000${labels.cause}\u0000${labels.subject}`, { labels, value: 1 });
  }
  families.push(
    gauge(
      'ns_doctor_namespace_blocked',
      'A blocker holds this namespace: cause is the blocker id, subject what it is about (an APIService, a finalizer, nodes, ...). 1 while it holds; the series disappears when it no longer does.',
      [...blockedSamples.values()].sort(
        (a, b) =>
          compareCodePoints(a.labels.namespace!, b.labels.namespace!) ||
          compareCodePoints(a.labels.cause!, b.labels.cause!) ||
          compareCodePoints(a.labels.subject!, b.labels.subject!),
      ),
    ),
  );
  return families;
}
