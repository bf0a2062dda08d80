// Wires the one-way flow: CLI options → snapshot(s) → diagnosis → renderer → exit code.
import { diagnose } from '../diagnosis/diagnose.js';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { listAll } from '../gather/list.js';
import { isFatal, SnapshotGatherer } from '../gather/snapshot.js';
import { EXIT_CODES, REPORT_API_VERSION, type Progress, type Report, type RequestStats, type Verdict } from '../model/report.js';
import { humanDuration } from '../util/time.js';
import { renderReport, renderReportList } from '../render/index.js';
import { formatRequest, formatRequestTotal } from '../render/requests.js';
import { readSnapshotFile, writeSnapshotFile } from '../snapshot/file.js';
import type { Snapshot } from '../snapshot/types.js';
import type { CliOptions } from './args.js';
import { UsageError } from './args.js';
import { runFix } from './fix.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string[];
}

export async function run(options: CliOptions, version: string, log: (line: string) => void): Promise<RunResult> {
  if (options.fix) return runFix({ ...options, fix: options.fix }, version, log);
  const stderr: string[] = [];
  const started = performance.now();
  let snapshots: Snapshot[];
  let all = options.all;
  let client: KubeClient | undefined;
  let progress: Progress | undefined;

  if (options.fromSnapshot) {
    const file = readSnapshotFile(options.fromSnapshot);
    snapshots = options.namespace ? file.snapshots.filter((s) => s.namespaceName === options.namespace) : file.snapshots;
    if (options.namespace && snapshots.length === 0) throw new UsageError(`snapshot ${options.fromSnapshot} has no namespace ${options.namespace}`);
    all = file.all && !options.namespace;
  } else {
    const { kc } = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context });
    client = new KubeClient(kc, {
      requestTimeoutMs: options.requestTimeoutMs,
      concurrency: options.concurrency,
      userAgent: `kubectl-ns-doctor/${version}`,
      ...(options.verbose ? { onRequest: (record) => log(formatRequest(record)) } : {}),
    });
    const gatherer = new SnapshotGatherer(client);
    try {
      snapshots = all ? await gatherAll(client, gatherer, stderr) : [await gatherer.gather(options.namespace!)];
      if (!all && options.waitMs > 0 && snapshots[0].namespace?.deletionTimestamp) {
        const watched = await watchProgress(client, snapshots[0], options.waitMs, log);
        snapshots = [watched.snapshot];
        progress = watched.progress;
      }
    } finally {
      client.close();
    }
    if (options.saveSnapshot) writeSnapshotFile(options.saveSnapshot, snapshots, all);
  }

  for (const snapshot of snapshots) {
    const fatal = snapshot.gaps.find((g) => g.kind === 'fatal');
    if (fatal) stderr.push(`error: ${fatal.reason}`);
  }
  const reports = snapshots.map((s) => diagnose(s, { controllerTimeoutMs: options.controllerTimeoutMs }));
  if (progress && client) {
    applyProgress(reports[0], progress);
    reports[0].stats = { ...client.stats, durationMs: Math.round(performance.now() - started) };
  }
  if (client && options.verbose) log(formatRequestTotal(client.stats, Math.round(performance.now() - started)));

  const exitCode = all ? exitCodeForAll(reports, stderr) : exitCodeFor(reports[0].verdict);
  const stdout = all
    ? renderReportList({ apiVersion: REPORT_API_VERSION, kind: 'NamespaceDiagnosisList', items: reports, stats: listStats(reports, client, started) }, options.output, options.color)
    : renderReport(reports[0], options.output, options.color);
  return { exitCode, stdout, stderr: [...new Set(stderr)] };
}

export async function gatherAll(client: KubeClient, gatherer: SnapshotGatherer, stderr: string[]): Promise<Snapshot[]> {
  const terminating: string[] = [];
  try {
    await listAll<{ metadata: { name: string; deletionTimestamp?: string } }>(
      client,
      '/api/v1/namespaces',
      { metadataOnly: true },
      () => (terminating.length = 0),
      (items) => terminating.push(...items.filter((i) => i.metadata.deletionTimestamp).map((i) => i.metadata.name)),
    );
  } catch (error) {
    if (isFatal(error)) throw error;
    stderr.push(`error: cannot list namespaces: ${(error as Error).message}`);
    throw new IncompleteError(`cannot list namespaces: ${(error as Error).message}`);
  }
  const snapshots: Snapshot[] = [];
  for (const name of terminating.sort()) snapshots.push(await gatherer.gather(name));
  return snapshots;
}

export class IncompleteError extends Error {}

const POLL_MS = 5_000;

/** Polls the namespace (one cheap GET every 5 s) until it is gone or the wait is over, then surveys it again. */
export async function watchProgress(client: KubeClient, first: Snapshot, waitMs: number, log: (line: string) => void) {
  const started = Date.now();
  const objects = (s: Snapshot) => s.content?.types.reduce((sum, t) => sum + t.count, 0) ?? 0;
  const path = `/api/v1/namespaces/${encodeURIComponent(first.namespaceName)}`;
  let gone = false;
  log(`watching namespace ${first.namespaceName} for up to ${humanDuration(waitMs)}…`);
  while (Date.now() - started < waitMs) {
    await new Promise((resolveSleep) => setTimeout(resolveSleep, Math.min(POLL_MS, waitMs - (Date.now() - started))));
    const response = await client.get(path);
    if (response.status === 404) {
      gone = true;
      break;
    }
  }
  const last = gone ? { ...first, namespaceFound: false as const, namespace: undefined } : await new SnapshotGatherer(client).gather(first.namespaceName);
  const before = objects(first);
  const after = gone ? 0 : objects(last);
  const progress: Progress = {
    waitedSeconds: Math.round((Date.now() - started) / 1000),
    objectsBefore: before,
    objectsAfter: after,
    namespaceGone: gone,
    stalled: !gone && after >= before,
  };
  return { snapshot: last, progress };
}

function applyProgress(report: Report, progress: Progress): void {
  report.progress = progress;
  const waited = humanDuration(progress.waitedSeconds * 1000);
  if (progress.namespaceGone) {
    // Gone while we watched is the happy ending, not "not found".
    report.verdict = 'NotTerminating';
    report.summary = `namespace ${report.namespace} finished deleting while watched (${waited}; ${progress.objectsBefore} objects were left at the start)`;
  } else if (progress.stalled) {
    report.summary += progress.objectsAfter
      ? ` — no progress in ${waited} (${progress.objectsAfter} objects left)`
      : ` — nothing left to delete, yet still there after ${waited}`;
  } else {
    report.summary += ` — ${progress.objectsBefore - progress.objectsAfter} objects went away in ${waited} (${progress.objectsAfter} left)`;
  }
}

export function exitCodeFor(verdict: Verdict): number {
  switch (verdict) {
    case 'NotTerminating':
    case 'Progressing':
      return EXIT_CODES.ok;
    case 'Blocked':
      return EXIT_CODES.blocked;
    case 'Incomplete':
      return EXIT_CODES.incomplete;
    case 'NotFound':
      return EXIT_CODES.notFound;
  }
}

export function exitCodeForAll(reports: Report[], stderr: string[]): number {
  if (reports.some((r) => r.verdict === 'Blocked')) return EXIT_CODES.blocked;
  if (reports.some((r) => r.verdict === 'Incomplete') || stderr.length) return EXIT_CODES.incomplete;
  return EXIT_CODES.ok;
}

function listStats(reports: Report[], client: KubeClient | undefined, started: number): RequestStats {
  if (client) return { ...client.stats, durationMs: Math.round(performance.now() - started) };
  return reports.reduce(
    (sum, r) => ({
      requests: sum.requests + r.stats.requests,
      bytesReceived: sum.bytesReceived + r.stats.bytesReceived,
      retries: sum.retries + r.stats.retries,
      durationMs: sum.durationMs + r.stats.durationMs,
    }),
    { requests: 0, bytesReceived: 0, retries: 0, durationMs: 0 },
  );
}
