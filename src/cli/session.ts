// What every command that reads a cluster does alike — `kubectl ns-doctor`, `fix`, `watch` and many clusters: build
// the client from the flags, read one namespace or every Terminating one (--all), walk the fatal gaps, diagnose
// against one clock, and choose the exit code of the README's contract. A command adds only what is its own.
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { diagnose } from '../diagnosis/diagnose.js';
import { emptySnapshot } from '../gather/cluster.js';
import { FleetGatherer, listTerminatingNamespaces, type FleetProgress, type SurveyPlan } from '../gather/fleet.js';
import { GapSink } from '../gather/gaps.js';
import { isFatal, SnapshotGatherer } from '../gather/snapshot.js';
import { KubeClient, type RequestRecord } from '../kube/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { EXIT_CODES, type ClusterStatus, type Gap, type Report, type Verdict } from '../model/report.js';
import { formatRequest } from '../render/requests.js';
import type { Snapshot } from '../snapshot/types.js';
import { compareCodePoints } from '../util/order.js';
import { diagnosisSettings, type CliOptions } from './args.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string[];
}

/** Nothing could be diagnosed, for a reason that is the cluster's, not the user's: exit 2. */
export class IncompleteError extends Error {}

type ConnectOptions = Pick<CliOptions, 'kubeconfig' | 'context' | 'requestTimeoutMs' | 'concurrency' | 'verbose'>;

export interface Connection {
  client: KubeClient;
  /** The run's User-Agent and -v hook, for the other clients a command builds on the same credentials (fix's writer). */
  userAgent: string;
  onRequest?: (record: RequestRecord) => void;
}

/**
 * The client of one cluster, from the flags: --kubeconfig and --context (`context`: one of many clusters instead),
 * --request-timeout, --concurrency, and with -v one `log` line per request. `agent` names a long-running part in
 * the User-Agent (watch).
 */
export function connect(options: ConnectOptions, version: string, log: (line: string) => void, how: { context?: string; agent?: string } = {}): Connection & { kc: KubeConfig } {
  const kc = kubeConfigFor(options, how.context);
  return { kc, ...clientFor(kc, options, version, log, how.agent) };
}

export function kubeConfigFor(options: Pick<CliOptions, 'kubeconfig' | 'context'>, context = options.context): KubeConfig {
  return loadKubeConfig({ kubeconfig: options.kubeconfig, context }).kc;
}

export function clientFor(kc: KubeConfig, options: ConnectOptions, version: string, log: (line: string) => void, agent?: string): Connection {
  const userAgent = `kubectl-ns-doctor/${version}${agent ? ` (${agent})` : ''}`;
  const onRequest = options.verbose ? (record: RequestRecord) => log(formatRequest(record)) : undefined;
  const client = new KubeClient(kc, { requestTimeoutMs: options.requestTimeoutMs, concurrency: options.concurrency, userAgent, ...(onRequest ? { onRequest } : {}) });
  return { client, userAgent, ...(onRequest ? { onRequest } : {}) };
}

/** What a run reads: `namespace`, or with `all` every Terminating namespace, read together (gather/fleet.ts). */
export async function gatherSnapshots(
  client: KubeClient,
  target: Pick<CliOptions, 'all' | 'namespace'>,
  hooks: { onProgress?: FleetProgress; verboseLog?: (line: string) => void } = {},
): Promise<Snapshot[]> {
  return target.all ? gatherAll(client, hooks.onProgress ?? (() => undefined), hooks.verboseLog) : [await new SnapshotGatherer(client).gather(target.namespace!)];
}

async function gatherAll(client: KubeClient, onProgress: FleetProgress, verboseLog?: (line: string) => void): Promise<Snapshot[]> {
  onProgress('listing namespaces', 0, 1);
  let listed: Awaited<ReturnType<typeof listTerminatingNamespaces>>;
  try {
    listed = await listTerminatingNamespaces(client);
  } catch (error) {
    if (isFatal(error)) throw error;
    throw new IncompleteError(`cannot list namespaces: ${(error as Error).message}`, { cause: error });
  }
  listed.namespaces.sort((a, b) => compareCodePoints(a.name, b.name));
  const { snapshots, plan } = await new FleetGatherer(client, onProgress).gather(listed.namespaces, listed.resourceVersion);
  verboseLog?.(describePlan(plan));
  // A Terminating namespace that could not be read is still reported: unknown (Incomplete), never left out.
  const unreadable = listed.unreadable.map(({ name, gap }) => {
    const snapshot = emptySnapshot(client, name, new GapSink());
    snapshot.gaps.push(gap);
    return snapshot;
  });
  return [...snapshots, ...unreadable].sort((a, b) => compareCodePoints(a.namespaceName, b.namespaceName));
}

function describePlan(plan: SurveyPlan): string {
  const byReason = new Map<string, string[]>();
  for (const { type, reason } of plan.perNamespace) byReason.set(reason, [...(byReason.get(reason) ?? []), type]);
  const perNamespace = [...byReason].map(([reason, types]) => `${types.length} per namespace (${reason}): ${types.join(', ')}`);
  return `survey: ${plan.clusterWide.length} types listed cluster-wide${perNamespace.length ? `; ${perNamespace.join('; ')}` : ''}`;
}

export interface Diagnosis {
  reports: Report[];
  /** What no diagnosis gets past (server unreachable, credentials refused, TLS): the first of each snapshot. */
  fatal: Gap[];
  /** The one clock of the run: the reports were diagnosed at it, and are rendered at it. */
  now: Date;
}

/**
 * Every snapshot diagnosed against one clock, with the fatal gaps named. `now` is the run's clock read after a live
 * read, or `takenAt` for saved snapshots (see snapshotClock).
 */
export function diagnoseSnapshots(snapshots: Snapshot[], options: Pick<CliOptions, 'controllerTimeoutMs' | 'stallAfterMs'>, now: Date): Diagnosis {
  return {
    reports: snapshots.map((s) => diagnose(s, { ...diagnosisSettings(options), now })),
    fatal: snapshots.flatMap((s) => s.gaps.find((g) => g.kind === 'fatal') ?? []),
    now,
  };
}

/**
 * The clock saved snapshots are judged at: when they were taken (the latest, for an --all file read over a few
 * seconds). A file re-diagnosed days later then says what held when it was read, and says it the same way every
 * time; judged at today's clock, a namespace deleted a minute before the save would be "stalled for days" that
 * nobody observed.
 */
export function snapshotClock(snapshots: readonly Snapshot[]): Date {
  const taken = snapshots.map((s) => Date.parse(s.takenAt)).filter((ms) => Number.isFinite(ms));
  return taken.length ? new Date(Math.max(...taken)) : new Date();
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

/** Many namespaces: 1 if any is Blocked; else 2 if any is Incomplete or anything was said on stderr; else 0. */
export function exitCodeForAll(reports: Report[], stderr: string[]): number {
  if (reports.some((r) => r.verdict === 'Blocked')) return EXIT_CODES.blocked;
  if (reports.some((r) => r.verdict === 'Incomplete') || stderr.length) return EXIT_CODES.incomplete;
  return EXIT_CODES.ok;
}

/** `kubectl ns-doctor` (and `fix` with nothing to apply): one namespace's verdict, or the rule of many with --all. */
export function diagnosisExitCode(reports: Report[], stderr: string[], all: boolean): number {
  const single = reports[0];
  return all || !single ? exitCodeForAll(reports, stderr) : exitCodeFor(single.verdict);
}

/**
 * Many clusters, one rule over all of them: 1 if any namespace is Blocked; else 2 if any is Incomplete or any
 * cluster could not be read (unreachable, or its namespaces could not be listed); else, for one namespace, 3 when
 * every cluster was read and none has it; else 0. A cluster not read may hold the namespace, so "not found" is never
 * said past one.
 */
export function exitCodeForClusters(reports: Report[], clusters: ClusterStatus[], oneNamespace: boolean): number {
  if (reports.some((r) => r.verdict === 'Blocked')) return EXIT_CODES.blocked;
  if (reports.some((r) => r.verdict === 'Incomplete') || clusters.some((c) => !c.reachable || c.gaps.length)) return EXIT_CODES.incomplete;
  if (oneNamespace && reports.length > 0 && reports.every((r) => r.verdict === 'NotFound')) return EXIT_CODES.notFound;
  return EXIT_CODES.ok;
}
