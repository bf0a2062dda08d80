// What a run ends in: what to print and the exit code (the contract in the README), shared by `kubectl ns-doctor`
// and `kubectl ns-doctor fix`.
import { EXIT_CODES, type ClusterStatus, type Report, type Verdict } from '../model/report.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string[];
}


/** Nothing could be diagnosed, for a reason that is the cluster's, not the user's: exit 2. */
export class IncompleteError extends Error {}

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
