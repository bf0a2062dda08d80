// Wires the one-way flow: CLI options → snapshot(s) → diagnosis → renderer → exit code.
import type { KubeClient } from '../kube/client.js';
import { watchProgress } from '../gather/watch.js';
import { applyProgress } from '../diagnosis/progress.js';
import { groupByCause } from '../diagnosis/groups.js';
import { EXIT_CODES, REPORT_API_VERSION, type Progress, type Report, type RequestStats } from '../model/report.js';
import { renderReport, renderReportList } from '../render/index.js';
import { formatRequestTotal } from '../render/requests.js';
import { readSnapshotFile, SnapshotFileError, writeSnapshotFile } from '../snapshot/file.js';
import type { Snapshot } from '../snapshot/types.js';
import type { CliOptions } from './args.js';
import { UsageError } from './args.js';
import { progressBar } from './progress.js';
import { runFix } from './fix.js';
import { connect, diagnoseSnapshots, diagnosisExitCode, gatherSnapshots, IncompleteError, snapshotClock, type RunResult } from './session.js';
import { runClusters } from './clusters.js';
import { runWatch } from './watch.js';

/** `progressStream`: where --all draws its progress bar, if it is a terminal (stderr). */
export async function run(
  options: CliOptions,
  version: string,
  log: (line: string) => void,
  progressStream?: NodeJS.WriteStream,
): Promise<RunResult> {
  if (options.fix) return runFix({ ...options, fix: options.fix }, version, log);
  if (options.watch) return runWatch({ ...options, watch: options.watch }, version, log);
  if (options.clusters) return runClusters({ ...options, clusters: options.clusters }, version, log);
  const stderr: string[] = [];
  const started = performance.now();
  let snapshots: Snapshot[];
  let all = options.all;
  let client: KubeClient | undefined;
  let progress: Progress | undefined;
  let saveFailure: string | undefined;

  if (options.fromSnapshot) {
    const file = readSnapshotFile(options.fromSnapshot);
    snapshots = options.namespace ? file.snapshots.filter((s) => s.namespaceName === options.namespace) : file.snapshots;
    if (options.namespace && snapshots.length === 0) throw new UsageError(`snapshot ${options.fromSnapshot} has no namespace ${options.namespace}`);
    all = file.all && !options.namespace;
  } else {
    ({ client } = connect(options, version, log));
    const bar = await progressBar(progressStream, all && !options.verbose);
    try {
      snapshots = await gatherSnapshots(client, options, { onProgress: bar.update, ...(options.verbose ? { verboseLog: log } : {}) });
      const first = snapshots[0];
      if (!all && options.waitMs > 0 && first?.namespace?.deletionTimestamp) {
        // What the first look expects is what the watch is measured against.
        const [firstLook] = diagnoseSnapshots([first], options, new Date()).reports as [Report];
        const expectedBy = firstLook.expectedBy ? Date.parse(firstLook.expectedBy) : undefined;
        const noFinishTime = firstLook.verdict === 'Progressing' ? 'no finish time known' : `${firstLook.verdict}: no finish time expected`;
        const watched = await watchProgress(client, first, options.waitMs, log, expectedBy, noFinishTime);
        snapshots = [watched.snapshot];
        progress = watched.progress;
      }
    } finally {
      bar.stop();
      client.close();
    }
    if (options.saveSnapshot) saveFailure = trySaveSnapshot(options.saveSnapshot, snapshots, all);
  }

  const { reports, fatal, now } = diagnoseSnapshots(snapshots, options, options.fromSnapshot ? snapshotClock(snapshots) : new Date());
  for (const gap of fatal) stderr.push(`error: ${gap.reason}`);
  const single = reports[0];
  if (progress && client && single) {
    applyProgress(single, progress, now);
    single.stats = { ...client.stats, durationMs: Math.round(performance.now() - started) };
  }
  if (client && options.verbose) log(formatRequestTotal(client.stats, Math.round(performance.now() - started)));

  if (!all && !single) throw new IncompleteError('nothing was diagnosed');
  let exitCode = diagnosisExitCode(reports, stderr, all);
  if (saveFailure) {
    // The diagnosis is still printed; a run asked to save that could not is never a clean 0.
    stderr.push(`error: ${saveFailure} (the diagnosis above was made)`);
    if (exitCode === EXIT_CODES.ok) exitCode = EXIT_CODES.incomplete;
  }
  const stdout = all
    ? renderReportList(
        { apiVersion: REPORT_API_VERSION, kind: 'NamespaceDiagnosisList', items: reports, groups: groupByCause(reports), stats: listStats(reports, client, started) },
        options.output,
        options.color,
        now,
        options.details,
      )
    : renderReport(single!, options.output, options.color);
  return { exitCode, stdout, stderr: [...new Set(stderr)] };
}

function trySaveSnapshot(path: string, snapshots: Snapshot[], all: boolean): string | undefined {
  try {
    writeSnapshotFile(path, snapshots, all);
    return undefined;
  } catch (error) {
    if (error instanceof SnapshotFileError) return error.message;
    throw error;
  }
}

function listStats(reports: Report[], client: KubeClient | undefined, started: number): RequestStats {
  if (client) return { ...client.stats, durationMs: Math.round(performance.now() - started) };
  return reports.reduce(
    (sum, r) => ({
      requests: sum.requests + r.stats.requests,
      bytesReceived: sum.bytesReceived + r.stats.bytesReceived,
      retries: sum.retries + r.stats.retries,
      // A fleet's items each carry the whole run's duration (they were read together).
      durationMs: Math.max(sum.durationMs, r.stats.durationMs),
    }),
    { requests: 0, bytesReceived: 0, retries: 0, durationMs: 0 },
  );
}
