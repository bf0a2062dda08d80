// Snapshots recorded from the real control plane (`kubectl ns-doctor <ns> --save-snapshot`) after each scenario
// in scripts/scenarios/ was built; tests derive variations from them with structuredClone.
import { readFileSync } from 'node:fs';
import { parseConditions } from '../../src/rules/conditions.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { CheckContext } from '../../src/checks/types.js';
import type { Report } from '../../src/model/report.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { ApiError } from '../../src/kube/errors.js';
import { buildParser, toCliOptions, type CliOptions } from '../../src/cli/args.js';

export type FixtureName =
  | 'metrics-server'
  | 'apiservice-orphaned'
  | 'crd-finalizer'
  | 'ns-finalizer'
  | 'pod-terminating'
  | 'webhook-delete'
  | 'pod-grace'
  | 'finalizer-live';

export const FIXTURES: FixtureName[] = ['metrics-server', 'apiservice-orphaned', 'crd-finalizer', 'ns-finalizer', 'pod-terminating', 'webhook-delete', 'pod-grace', 'finalizer-live'];

/** The whole saved file, as --save-snapshot wrote it. */
export function recordedFile(name: FixtureName): { snapshotVersion: number; snapshots: Snapshot[]; all: boolean } {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}.snapshot.json`, import.meta.url), 'utf8'));
}

export function recorded(name: FixtureName): Snapshot {
  return recordedFile(name).snapshots[0];
}

export function contextFor(snapshot: Snapshot, overrides: Partial<CheckContext> = {}): CheckContext {
  return {
    now: new Date(snapshot.takenAt),
    controllerTimeoutMs: 5 * 60_000,
    stallAfterMs: 10 * 60_000,
    conditions: parseConditions(snapshot.namespace?.conditions ?? []),
    ...overrides,
  };
}

export function diagnoseAt(snapshot: Snapshot, controllerTimeoutMs = 5 * 60_000, now = new Date(snapshot.takenAt)): Report {
  return diagnose(snapshot, { now, controllerTimeoutMs });
}

export function facts(report: Report | { evidence: { ref: { kind: string; name: string }; fact: string }[] }[]): string[] {
  const blockers = Array.isArray(report) ? report : report.blockers;
  return blockers.flatMap((b) => b.evidence.map((e) => `${e.ref.kind} ${e.ref.name}: ${e.fact}`));
}

/** The ApiError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function apiFailure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

/** The options the CLI would run with for `argv`, or the usage error it would print, thrown. */
export async function cliOptions(argv: string[]): Promise<CliOptions> {
  let failure: string | undefined;
  const parsed = (await buildParser(argv, 'test')
    .exitProcess(false)
    .fail((message) => {
      failure = message;
    })
    .parseAsync()) as Record<string, unknown>;
  if (failure) throw new Error(failure);
  return toCliOptions(parsed);
}
