// Turns a snapshot into a report: runs every check, then decides the verdict. No I/O here.
import { CHECKS } from '../checks/registry.js';
import type { CheckContext } from '../checks/types.js';
import { formatCounts } from '../util/format.js';
import { REPORT_API_VERSION, type Blocker, type Gap, type Report, type Verdict } from '../model/report.js';
import { inconsistencies } from './consistency.js';
import type { Snapshot } from '../snapshot/types.js';
import { approxDuration, clockTime, humanDuration } from '../util/time.js';
import { parseConditions } from '../rules/conditions.js';
import { explainWaiting, type WaitingExplanation } from './waiting.js';

export interface DiagnoseOptions {
  /** The clock the snapshot is judged at: the run's clock for a live read, the time it was taken for a saved one. */
  now: Date;
  controllerTimeoutMs: number;
  /** --stall-after (default DEFAULT_STALL_AFTER_MS). */
  stallAfterMs?: number;
}

/** --stall-after's default: a controller that has not removed its finalizer in 10 minutes is not "progressing". */
export const DEFAULT_STALL_AFTER_MS = 10 * 60_000;

export function diagnose(snapshot: Snapshot, options: DiagnoseOptions): Report {
  const { now } = options;
  const ns = snapshot.namespace;
  const conditions = parseConditions(ns?.conditions ?? []);
  const terminating = Boolean(ns?.deletionTimestamp) || ns?.phase === 'Terminating';
  const context = { now, controllerTimeoutMs: options.controllerTimeoutMs, stallAfterMs: options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS, conditions };
  const blockers = terminating ? runChecks(snapshot, context) : [];
  const gaps = terminating ? [...snapshot.gaps, ...inconsistencies(snapshot, conditions)] : snapshot.gaps;
  const verdict = decideVerdict(snapshot, terminating, blockers, gaps);
  const waiting = verdict === 'Progressing' ? explainWaiting(snapshot, context) : undefined;
  const terminatingForMs = ns?.deletionTimestamp ? now.getTime() - Date.parse(ns.deletionTimestamp) : undefined;
  return {
    apiVersion: REPORT_API_VERSION,
    kind: 'NamespaceDiagnosis',
    namespace: snapshot.namespaceName,
    ...(ns?.phase ? { phase: ns.phase } : {}),
    ...(ns?.deletionTimestamp ? { deletionTimestamp: ns.deletionTimestamp } : {}),
    ...(terminatingForMs !== undefined ? { terminatingForSeconds: Math.round(terminatingForMs / 1000) } : {}),
    verdict,
    summary: summarize(snapshot, verdict, blockers, gaps, terminatingForMs) + (waiting ? finishLine(waiting, now) : ''),
    blockers,
    remaining: snapshot.content?.types ?? [],
    namespaceFinalizers: { spec: ns?.specFinalizers ?? [], metadata: ns?.metadataFinalizers ?? [] },
    conditions: (ns?.conditions ?? []).filter((c) => c.type.startsWith('Namespace')),
    conditionFacts: {
      discoveryFailures: conditions.discoveryFailures,
      contentRemaining: conditions.contentRemaining,
      finalizersRemaining: conditions.finalizersRemaining,
      ...(conditions.contentFailure ? { contentFailure: conditions.contentFailure } : {}),
      ...(conditions.parseFailure ? { parseFailure: conditions.parseFailure } : {}),
    },
    discovery: {
      mode: snapshot.discovery?.mode ?? 'unavailable',
      groupVersions: snapshot.discovery?.groupVersions.length ?? 0,
      failing: (snapshot.discovery?.groupVersions ?? []).filter((gv) => gv.state !== 'Current'),
    },
    gaps,
    ...(waiting ? { waitingOn: waiting.waitingOn } : {}),
    ...(waiting?.expectedBy !== undefined ? { expectedBy: new Date(waiting.expectedBy).toISOString() } : {}),
    stats: snapshot.stats,
  };
}

/** "; should finish by 09:42 UTC, in ~9m" — or why no finish time is known. */
function finishLine(waiting: WaitingExplanation, now: Date): string {
  if (waiting.expectedBy !== undefined) {
    return `; should finish by ${clockTime(waiting.expectedBy, now)}, in ${approxDuration(waiting.expectedBy - now.getTime())}`;
  }
  return waiting.unknownBecause ? `; no finish time known: ${waiting.unknownBecause}` : '';
}

function runChecks(snapshot: Snapshot, context: CheckContext): Blocker[] {
  const specific = CHECKS.filter((c) => !c.fallback).flatMap((check) => check.run(snapshot, context));
  if (specific.length) return specific;
  return CHECKS.filter((c) => c.fallback).flatMap((check) => check.run(snapshot, context));
}

function decideVerdict(snapshot: Snapshot, terminating: boolean, blockers: Blocker[], gaps: Gap[]): Verdict {
  if (snapshot.namespaceFound === false) return 'NotFound';
  if (snapshot.namespaceFound === 'unknown') return 'Incomplete';
  if (!terminating) return 'NotTerminating';
  if (blockers.length) return 'Blocked';
  if (gaps.length) return 'Incomplete';
  return 'Progressing';
}

function summarize(snapshot: Snapshot, verdict: Verdict, blockers: Blocker[], gaps: Gap[], terminatingForMs: number | undefined): string {
  const name = snapshot.namespaceName;
  const age = terminatingForMs !== undefined ? ` for ${humanDuration(terminatingForMs)}` : '';
  switch (verdict) {
    case 'NotFound':
      return `namespace ${name} does not exist`;
    case 'NotTerminating':
      return `namespace ${name} is ${snapshot.namespace?.phase ?? 'Active'}, not being deleted`;
    case 'Blocked':
      return `namespace ${name} has been Terminating${age} — BLOCKED by ${blockers.length} finding${blockers.length === 1 ? '' : 's'}`;
    case 'Incomplete':
      return snapshot.namespaceFound === 'unknown'
        ? `namespace ${name} could not be read — INCOMPLETE`
        : `namespace ${name} has been Terminating${age} — INCOMPLETE: no blocker proven, but ${gaps.length} thing${gaps.length === 1 ? '' : 's'} could not be read or did not agree`;
    case 'Progressing': {
      const left = snapshot.content?.types.reduce((sum, t) => sum + t.count, 0) ?? 0;
      const finalizers = formatCounts(Object.fromEntries((snapshot.content?.types ?? []).flatMap((t) => Object.entries(t.finalizers))));
      return `namespace ${name} has been Terminating${age} and is progressing: ${left} object${left === 1 ? '' : 's'} left${left ? ` (finalizers: ${finalizers})` : ''}, no blocker found`;
    }
  }
}
