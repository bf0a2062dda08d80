// `kubectl ns-doctor watch`: the --all survey every --interval, kept for /metrics (and, with --events, Events), or
// once into a textfile for node_exporter (--once --metrics-file). Read-only like --all: each scan builds a fresh
// KubeConfig (a rotated service-account token is read again) and a fresh client, closed when the scan ends.
import { hostname } from 'node:os';
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import { KubeconfigError, loadKubeConfig, podNamespace } from '../kube/kubeconfig.js';
import { EXIT_CODES, type Report } from '../model/report.js';
import { renderExposition } from '../render/prometheus.js';
import { writeFileAtomic } from '../util/files.js';
import { EventRecorder, EventWriter } from '../watch/events.js';
import { ScanLoop } from '../watch/schedule.js';
import { watchSeries, type ScanResult, type WatchCounters } from '../watch/series.js';
import { ListenError, parseListen, startServer } from '../watch/server.js';
import type { CliOptions, WatchOptions } from './args.js';
import { UsageError } from './args.js';
import { connect, diagnoseSnapshots, exitCodeForAll, gatherSnapshots, IncompleteError, type RunResult } from './session.js';

/** /readyz turns 503 after this many failed scans in a row (and before the first success). */
export const FAILURES_BEFORE_UNREADY = 3;

interface State {
  last?: ScanResult;
  counters: WatchCounters;
  consecutiveFailures: number;
  lastError?: string;
}

export async function runWatch(
  options: CliOptions & { watch: WatchOptions },
  version: string,
  log: (line: string) => void,
  signals: NodeJS.EventEmitter = process,
): Promise<RunResult> {
  const watch = options.watch;
  const state: State = {
    counters: { scans: 0, scanErrors: 0, scansOverrun: 0, apiRequests: 0, apiRetries: 0, apiBytes: 0, eventWrites: 0, eventWriteErrors: 0 },
    consecutiveFailures: 0,
  };
  const events = watch.events ? eventRecorder(options, version, state.counters, log) : undefined;
  const build = { version, nodeVersion: process.version };
  // Rendered once per change of state, not per scrape: a page of thousands of series would otherwise be rebuilt by
  // every scraper (measured: 57 ms idle, up to 0.9 s while a scan competes for the CPU, at 1,000 namespaces).
  let changes = 0;
  let page: { at: number; text: string } | undefined;
  const changed = () => changes++;
  const render = () => {
    if (page?.at !== changes) page = { at: changes, text: renderExposition(watchSeries(state.last, state.counters, build, watch.limits)) };
    return page.text;
  };

  const scan = async (signal: AbortSignal): Promise<void> => {
    const started = performance.now();
    const counters = state.counters;
    counters.scans++;
    changed();
    let client: KubeClient | undefined;
    try {
      ({ client } = connect(options, version, log, { agent: 'watch' }));
      const scanClient = client;
      signal.addEventListener('abort', () => scanClient.close());
      const snapshots = await gatherSnapshots(client, { all: true });
      const { reports, fatal } = diagnoseSnapshots(snapshots, options, new Date());
      if (fatal[0]) throw new IncompleteError(fatal[0].reason);
      if (signal.aborted) throw new IncompleteError(`scan timed out after ${watch.scanTimeoutMs / 1000}s`);
      state.last = { reports, finishedAt: Date.now() / 1000 };
      state.consecutiveFailures = 0;
      state.lastError = undefined;
      counters.lastScanSucceeded = true;
      log(`watch: scan ${counters.scans}: ${describe(reports)}, ${client.stats.requests} requests, ${seconds(started)} s`);
      changed();
      if (events && !signal.aborted) await events.record(reports);
    } catch (error) {
      counters.scanErrors++;
      counters.lastScanSucceeded = false;
      state.consecutiveFailures++;
      state.lastError = signal.aborted ? `scan timed out after ${watch.scanTimeoutMs / 1000}s` : messageOf(error);
      log(`watch: scan ${counters.scans} failed: ${state.lastError}`);
    } finally {
      if (client) {
        const stats = client.stats;
        counters.apiRequests += stats.requests;
        counters.apiRetries += stats.retries;
        counters.apiBytes += stats.bytesReceived;
        counters.lastScanRequests = stats.requests;
        client.close();
      }
      counters.lastScanDurationSeconds = Number(seconds(started));
      counters.lastScanAt = Date.now() / 1000;
      changed();
    }
  };

  const loop = new ScanLoop({
    intervalMs: watch.intervalMs,
    timeoutMs: watch.scanTimeoutMs,
    scan,
    onOverrun: () => {
      state.counters.scansOverrun++;
      changed();
    },
    onTimeout: () => log(`watch: scan ${state.counters.scans} passed --scan-timeout ${watch.scanTimeoutMs / 1000}s: aborting it`),
  });

  if (watch.once) {
    await loop.runOnce();
    if (watch.metricsFile) {
      try {
        writeFileAtomic(watch.metricsFile, render());
      } catch (error) {
        return { exitCode: EXIT_CODES.incomplete, stdout: '', stderr: [`error: cannot write ${watch.metricsFile}: ${messageOf(error)}`] };
      }
    } else {
      process.stdout.write(render());
    }
    if (!state.last) return { exitCode: EXIT_CODES.incomplete, stdout: '', stderr: [`error: ${state.lastError ?? 'the scan failed'}`] };
    return { exitCode: exitCodeForAll(state.last.reports, []), stdout: '', stderr: [] };
  }

  let server;
  try {
    server = await startServer(parseListen(watch.listen), {
      metrics: render,
      healthy: () => {
        // A scan is bounded by --scan-timeout and its requests by --request-timeout: a loop that has not moved for
        // well past both is wedged, and a restart is the cure.
        const stuckMs = watch.intervalMs + 2 * watch.scanTimeoutMs + 60_000;
        const idleMs = performance.now() - loop.lastProgressAt;
        return idleMs > stuckMs ? { ok: false, reason: `no scan has ended for ${Math.round(idleMs / 1000)}s` } : { ok: true, reason: 'ok' };
      },
      ready: () => {
        if (!state.last) return { ok: false, reason: state.lastError ? `no successful scan yet: ${state.lastError}` : 'no scan has finished yet' };
        if (state.consecutiveFailures >= FAILURES_BEFORE_UNREADY) return { ok: false, reason: `${state.consecutiveFailures} scans failed in a row: ${state.lastError}` };
        return { ok: true, reason: 'ok' };
      },
    });
  } catch (error) {
    if (error instanceof ListenError) throw new IncompleteError(error.message);
    throw error;
  }
  log(`watch: serving ${server.url}/metrics, /healthz, /readyz; a scan every ${watch.intervalMs / 1000}s`);
  loop.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`watch: ${signal}: stopping`);
      signals.removeListener('SIGTERM', onTerm);
      signals.removeListener('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    signals.on('SIGTERM', onTerm);
    signals.on('SIGINT', onInt);
  });
  loop.stop();
  await server.close();
  // The scan in flight was aborted (its client closed): let it settle, briefly, so the process exits at once.
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([loop.settled(), new Promise((resolve) => (grace = setTimeout(resolve, 5_000)))]);
  clearTimeout(grace);
  return { exitCode: EXIT_CODES.ok, stdout: '', stderr: [] };
}

function eventRecorder(options: CliOptions & { watch: WatchOptions }, version: string, counters: WatchCounters, log: (line: string) => void): EventRecorder {
  const namespace = options.watch.eventsNamespace ?? podNamespace() ?? 'default';
  const podName = process.env.NS_DOCTOR_POD_NAME || undefined;
  if (namespace !== 'default' && !podName) {
    throw new UsageError(
      `--events in namespace ${namespace} needs NS_DOCTOR_POD_NAME (the Events regard the watch's own pod: the API server files Events about a Namespace only in "default")`,
    );
  }
  return new EventRecorder(
    () => {
      const { kc } = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context });
      return new EventWriter(kc, namespace, { requestTimeoutMs: options.requestTimeoutMs, userAgent: `kubectl-ns-doctor/${version} (watch events)` });
    },
    { namespace, ...(podName ? { podName } : {}), instance: hostname() },
    counters,
    log,
  );
}

function describe(reports: Report[]): string {
  const count = (verdict: string) => reports.filter((r) => r.verdict === verdict).length;
  return `${reports.length} Terminating (${count('Blocked')} Blocked, ${count('Incomplete')} Incomplete, ${count('Progressing')} Progressing)`;
}

function seconds(started: number): string {
  return ((performance.now() - started) / 1000).toFixed(3);
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.reason;
  if (error instanceof KubeconfigError || error instanceof IncompleteError || error instanceof Error) return error.message;
  return String(error);
}
