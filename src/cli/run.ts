// Wires the one-way flow: CLI options → snapshot(s) → diagnosis → renderer → exit code.
import { diagnose } from '../diagnosis/diagnose.js';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { listAll } from '../gather/list.js';
import { isFatal, SnapshotGatherer } from '../gather/snapshot.js';
import { watchProgress } from '../gather/watch.js';
import { applyProgress } from '../diagnosis/progress.js';
import { EXIT_CODES, REPORT_API_VERSION, type Progress, type Report, type RequestStats, type Verdict } from '../model/report.js';
import { renderReport, renderReportList } from '../render/index.js';
import { formatRequest, formatRequestTotal } from '../render/requests.js';
import { readSnapshotFile, writeSnapshotFile } from '../snapshot/file.js';
import type { Snapshot } from '../snapshot/types.js';
import type { CliOptions } from './args.js';
import { UsageError } from './args.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string[];
}

export async function run(options: CliOptions, version: string, log: (line: string) => void): Promise<RunResult> {
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
        // What the first look expects is what the watch is measured against.
        const firstLook = diagnose(snapshots[0], { controllerTimeoutMs: options.controllerTimeoutMs });
        const expectedBy = firstLook.expectedBy ? Date.parse(firstLook.expectedBy) : undefined;
        const noFinishTime = firstLook.verdict === 'Progressing' ? 'no finish time known' : `${firstLook.verdict}: no finish time expected`;
        const watched = await watchProgress(client, snapshots[0], options.waitMs, log, expectedBy, noFinishTime);
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

async function gatherAll(client: KubeClient, gatherer: SnapshotGatherer, stderr: string[]): Promise<Snapshot[]> {
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

function exitCodeFor(verdict: Verdict): number {
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

function exitCodeForAll(reports: Report[], stderr: string[]): number {
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
