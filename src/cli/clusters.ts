// Many clusters (`--context a --context b`, `--all-contexts`): the same read-only diagnosis in each cluster, read in
// parallel, one report grouped by cluster. A cluster that cannot be read is a named gap of its context, never an abort.
import PQueue from 'p-queue';
import { groupByCause } from '../diagnosis/groups.js';
import type { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import { KubeconfigError, kubeconfigContexts, UnknownContextError } from '../kube/kubeconfig.js';
import { REPORT_API_VERSION, type CauseGroup, type ClusterStatus, type Gap, type Report, type ReportList } from '../model/report.js';
import { renderClusterList } from '../render/index.js';
import { formatRequestTotal } from '../render/requests.js';
import type { Snapshot } from '../snapshot/types.js';
import type { CliOptions, ClusterSelection } from './args.js';
import { clientFor, diagnoseSnapshots, exitCodeForClusters, gatherSnapshots, IncompleteError, kubeConfigFor, type RunResult } from './session.js';

/**
 * Clusters read at once. Each has its own connection and its own `--concurrency` requests in flight, so this bounds
 * the sockets and requests in flight (4 × 8 by default) and the memory of `--all` (one survey of 1,000 namespaces
 * peaks at ~130 MB RSS; see docs/benchmarks.md). The others wait their turn.
 */
export const CLUSTERS_IN_PARALLEL = 4;

interface ClusterRun {
  status: ClusterStatus;
  reports: Report[];
  groups: CauseGroup[];
  stderr: string[];
  /** The clock its reports were diagnosed at (none when the cluster could not be read). */
  diagnosedAt?: Date;
}

type ManyClusterOptions = CliOptions & { clusters: ClusterSelection };

/** Which contexts a run reads: those named (each checked against the kubeconfig) or every one of the merged kubeconfig. */
export function selectedContexts(options: ManyClusterOptions): string[] {
  const source = options.kubeconfig ? { kubeconfig: options.kubeconfig } : {};
  if (!options.clusters.all) {
    kubeconfigContexts(source, options.clusters.names);
    return options.clusters.names;
  }
  const every = kubeconfigContexts(source);
  if (every.length === 0) throw new KubeconfigError('--all-contexts: the kubeconfig defines no context');
  return every;
}

export async function runClusters(options: ManyClusterOptions, version: string, log: (line: string) => void): Promise<RunResult> {
  const started = performance.now();
  const contexts = selectedContexts(options);
  const queue = new PQueue({ concurrency: CLUSTERS_IN_PARALLEL });
  const runs = await Promise.all(contexts.map((context) => queue.add<ClusterRun>(() => diagnoseCluster(context, options, version, log))));
  // Each cluster is diagnosed at its own clock, as soon as it is read; the list is drawn at the last of them.
  const clocks = runs.flatMap((r) => (r.diagnosedAt ? [r.diagnosedAt.getTime()] : []));
  const now = clocks.length ? new Date(Math.max(...clocks)) : new Date();

  const items = runs.flatMap((r) => r.reports);
  const clusters = runs.map((r) => r.status);
  const stats = {
    requests: sum(clusters, (c) => c.stats.requests),
    bytesReceived: sum(clusters, (c) => c.stats.bytesReceived),
    retries: sum(clusters, (c) => c.stats.retries),
    durationMs: Math.round(performance.now() - started),
  };
  if (options.verbose) log(`${contexts.length} contexts: ${formatRequestTotal(stats, stats.durationMs)}`);
  const list: ReportList = { apiVersion: REPORT_API_VERSION, kind: 'NamespaceDiagnosisList', items, groups: runs.flatMap((r) => r.groups), clusters, stats };
  return {
    exitCode: exitCodeForClusters(items, clusters, !options.all),
    stdout: renderClusterList(list, options.output, options.color, now, { details: options.details, ...(options.all ? {} : { namespace: options.namespace! }) }),
    stderr: [...new Set(runs.flatMap((r) => r.stderr))],
  };
}

async function diagnoseCluster(context: string, options: ManyClusterOptions, version: string, log: (line: string) => void): Promise<ClusterRun> {
  const started = performance.now();
  const say = (line: string) => log(`[${context}] ${line}`);
  let client: KubeClient;
  let cluster: { name?: string; server?: string } = {};
  try {
    const kc = kubeConfigFor(options, context);
    const current = kc.getCurrentCluster();
    cluster = { ...(current?.name ? { name: current.name } : {}), ...(current?.server ? { server: current.server } : {}) };
    ({ client } = clientFor(kc, options, version, say));
  } catch (error) {
    // Checked up front: a context the kubeconfig does not define is the user's mistake, not this cluster's.
    if (error instanceof UnknownContextError) throw error;
    if (!(error instanceof KubeconfigError || error instanceof ApiError || error instanceof TypeError)) throw error;
    const reason = error instanceof ApiError ? error.reason : error.message;
    return unreachable(context, cluster, [{ kind: 'fatal', what: `context ${context} in the kubeconfig`, reason }], noStats(started));
  }

  const clusterGaps: Gap[] = [];
  let snapshots: Snapshot[] = [];
  try {
    snapshots = await gatherSnapshots(client, options, options.verbose ? { verboseLog: say } : {});
  } catch (error) {
    const failure = error instanceof IncompleteError && error.cause instanceof ApiError ? error.cause : error;
    if (!(failure instanceof ApiError || failure instanceof IncompleteError)) throw error;
    // gatherAll throws an IncompleteError when the namespace list fails, and rethrows a failure of the connection
    // (refused, TLS, credentials) from any request as it is.
    const what = error instanceof IncompleteError ? 'list namespaces' : 'the API server';
    const reason = failure instanceof ApiError ? failure.reason : failure.message;
    const httpStatus = failure instanceof ApiError ? failure.status : undefined;
    clusterGaps.push({ kind: 'cluster', what, reason, ...(httpStatus ? { httpStatus } : {}), impact: 'no namespace of this cluster was diagnosed' });
  } finally {
    client.close();
  }
  const stats = { ...client.stats, durationMs: Math.round(performance.now() - started) };
  if (options.verbose) say(formatRequestTotal(stats, stats.durationMs));

  // Unreachable: not one answer came back from the server, or it refused the credentials (401), which no
  // diagnosis gets past. Its gaps say which: refused, TLS, timed out, expired credentials.
  if (!client.records.some((r) => r.status !== undefined && r.status !== 401)) {
    const gaps = [...clusterGaps, ...snapshots.flatMap((s) => s.gaps)];
    return unreachable(context, cluster, gaps.map((g) => ({ ...g, kind: 'fatal' as const })), stats);
  }
  const { reports: diagnosed, fatal, now } = diagnoseSnapshots(snapshots, options, new Date());
  const reports = diagnosed.map((report) => withContext(report, context));
  const stderr = [...clusterGaps, ...fatal].map(
    (gap) => `error: context ${context}: ${gap.what}: ${gap.reason}`,
  );
  return {
    status: { context, ...clusterFields(cluster), reachable: true, namespaces: reports.length, gaps: clusterGaps, stats },
    reports,
    groups: groupByCause(reports).map((group) => ({ context, ...group })),
    stderr,
    diagnosedAt: now,
  };
}

function unreachable(context: string, cluster: { name?: string; server?: string }, gaps: Gap[], stats: ClusterStatus['stats']): ClusterRun {
  const reasons = [...new Set(gaps.map((g) => g.reason))].join('; ');
  return {
    status: { context, ...clusterFields(cluster), reachable: false, namespaces: 0, gaps, stats },
    reports: [],
    groups: [],
    stderr: [`error: context ${context} is unreachable: ${reasons}`],
  };
}

/** `context` right after apiVersion and kind, where a reader of the JSON looks first. */
function withContext(report: Report, context: string): Report {
  const { apiVersion, kind, ...rest } = report;
  return { apiVersion, kind, context, ...rest };
}

function clusterFields(cluster: { name?: string; server?: string }): Pick<ClusterStatus, 'cluster' | 'server'> {
  return { ...(cluster.name ? { cluster: cluster.name } : {}), ...(cluster.server ? { server: cluster.server } : {}) };
}

function noStats(started: number): ClusterStatus['stats'] {
  return { requests: 0, bytesReceived: 0, retries: 0, durationMs: Math.round(performance.now() - started) };
}

function sum<T>(items: T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}
