// `kubectl ns-doctor fix`: diagnose (read-only, as always) → plan (pure) → read the evidence (GET) → print; with
// --apply or --dry-run, hand the plan to src/fix/apply.ts, the only code that writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { applyPlan } from '../fix/apply.js';
import { AuditFile, defaultAuditFile } from '../fix/audit.js';
import { listAll } from '../gather/list.js';
import type { ApiWritableObject } from '../kube/api-types.js';
import { readTextFileBounded } from '../util/files.js';
import { readEvidence, readOne } from '../fix/evidence.js';
import { assemblePlan, formatChange, planChanges } from '../fix/plan.js';
import { draftPlan, selectSteps } from '../fix/planner.js';
import { KubeWriter } from '../fix/writer.js';
import { KubeClient } from '../kube/client.js';
import { EXIT_CODES } from '../model/report.js';
import { RESULT_KIND, REPORT_API_VERSION, type FixPlan, type FixResult } from '../model/plan.js';
import { renderFix } from '../render/index.js';
import { formatRequestTotal } from '../render/requests.js';
import { UsageError, type CliOptions, type FixOptions } from './args.js';
import { watchProgress } from '../gather/watch.js';
import { connect, diagnoseSnapshots, diagnosisExitCode, gatherSnapshots, type RunResult } from './session.js';

export async function runFix(options: CliOptions & { fix: FixOptions }, version: string, log: (line: string) => void): Promise<RunResult> {
  const started = performance.now();
  const stderr: string[] = [];
  const { kc, client, userAgent, onRequest } = connect(options, version, log);
  const writer = new KubeWriter(kc, { requestTimeoutMs: options.requestTimeoutMs, userAgent, ...(onRequest ? { onRequest } : {}) });
  try {
    let made = await makePlan(client, options, stderr, log);
    let { plan, drafts } = made;
    const stats = () => ({ ...client.stats, requests: client.stats.requests + writer.records.length, durationMs: Math.round(performance.now() - started) });
    const diagnosisExit = () => diagnosisExitCode(made.reports, stderr, options.all);
    const fix = options.fix;

    if (!fix.apply && !fix.dryRun) {
      savePlan(plan);
      plan.stats = stats();
      return { exitCode: plan.steps.length ? EXIT_CODES.fixPlanned : diagnosisExit(), stdout: renderFix(plan, undefined, options.output, options.color), stderr };
    }

    let reviewed = fix.planId;
    let reviewedPlan: FixPlan | undefined;
    let planShown = false;
    if (!reviewed && fix.apply && !made.unreachable) {
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new UsageError(`--apply needs --plan-id when not on a terminal: review the plan with 'kubectl ns-doctor fix ${options.all ? '--all' : options.namespace}' first`);
      }
      if (!plan.steps.length) reviewed = plan.planId;
      else {
        process.stdout.write(renderFix(plan, undefined, 'text', options.color));
        if (!(await confirm(plan))) return { exitCode: EXIT_CODES.fixPlanned, stdout: '', stderr: ['not applied: not confirmed'] };
        // The answer may come minutes later: the plan is made again and must still be the one confirmed, exactly
        // as with --plan-id.
        reviewed = plan.planId;
        reviewedPlan = plan;
        made = await makePlan(client, options, [], log);
        ({ plan, drafts } = made);
        planShown = options.output === 'text' && plan.planId === reviewed;
      }
    }
    const finish = (result: Omit<FixResult, 'stats'>, exitCode: number): RunResult => {
      const full: FixResult = { ...result, stats: stats() };
      // Confirmed on a terminal: the plan is already on the screen, above the question.
      const stdout = renderFix(plan, full, options.output, options.color);
      return { exitCode, stdout: planShown ? stdout.slice(renderFix(plan, undefined, 'text', options.color).length + 1) : stdout, stderr };
    };
    const base = { apiVersion: REPORT_API_VERSION as typeof REPORT_API_VERSION, kind: RESULT_KIND, planId: reviewed ?? plan.planId, mode: fix.dryRun ? ('dry-run' as const) : ('apply' as const) };

    if (made.unreachable) {
      // A plan that cannot be made again cannot be compared: the cluster is unreachable, not changed.
      return finish({ ...base, outcome: 'Unreachable', message: `nothing written: the cluster could not be read to make the plan again (${made.unreachable})`, steps: [] }, EXIT_CODES.incomplete);
    }
    if (reviewed && reviewed !== plan.planId) {
      const before = reviewedPlan ?? loadPlan(reviewed);
      const changes = before ? planChanges(before, plan) : [];
      const what = before
        ? changes.length
          ? changes.map(formatChange).join('; ')
          : before.allow !== plan.allow
            ? `it was made with --allow ${before.allow}, this run has --allow ${plan.allow}`
            : 'the plan differs'
        : `the plan reviewed is not on this machine, so what changed cannot be shown; review the new plan`;
      return finish(
        {
          ...base,
          outcome: 'Stopped',
          message: `nothing written: plan ${reviewed} is no longer the plan (now ${plan.planId})${changes.length ? '; what changed is listed below' : `: ${what}`}`,
          steps: [],
          ...(changes.length ? { changes } : {}),
        },
        EXIT_CODES.fixStopped,
      );
    }
    if (!plan.steps.length) {
      return finish({ ...base, outcome: 'NothingToApply', message: 'the plan has no step: nothing to apply', steps: [] }, diagnosisExit());
    }

    let audit: AuditFile | undefined;
    if (fix.apply) {
      try {
        audit = new AuditFile(fix.auditFile ?? defaultAuditFile()).open();
      } catch (error) {
        return finish({ ...base, outcome: 'Failed', message: `nothing written: ${(error as Error).message}; every write is recorded there first`, steps: [] }, EXIT_CODES.fixFailed);
      }
    }
    const clientOptions = { requestTimeoutMs: options.requestTimeoutMs, concurrency: 1, userAgent };
    const result = await applyPlan(plan, drafts, fix.dryRun ? 'dry-run' : 'apply', {
      writer,
      read: (spec) => readOne(client, spec),
      reread: async (spec) => {
        const fresh = new KubeClient(kc, clientOptions);
        try {
          return await readOne(fresh, spec);
        } finally {
          fresh.close();
        }
      },
      list: (path) => listSlim(client, path),
      ...(audit ? { audit } : {}),
      log,
      now: () => new Date(),
      sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    }).finally(() => audit?.close());
    if (result.outcome === 'Applied' && options.waitMs > 0) {
      result.progress = [];
      for (const snapshot of made.snapshots.filter((s) => plan.steps.some((step) => step.namespaces.includes(s.namespaceName)))) {
        const watched = await watchProgress(client, snapshot, options.waitMs, log, undefined, 'the namespace controller retries on its own schedule (backoff up to 60 s)');
        result.progress.push({ namespace: snapshot.namespaceName, ...watched.progress });
      }
    }
    const exitCode = {
      Applied: EXIT_CODES.fixApplied,
      DryRunPassed: EXIT_CODES.fixPlanned,
      Stopped: EXIT_CODES.fixStopped,
      Refused: EXIT_CODES.fixRefused,
      Failed: EXIT_CODES.fixFailed,
      NoAnswer: EXIT_CODES.incomplete,
      Unreachable: EXIT_CODES.incomplete,
      NothingToApply: diagnosisExit(),
    }[result.outcome];
    return finish(result, exitCode);
  } finally {
    client.close();
    writer.close();
    if (options.verbose) {
      const writes = writer.records.length;
      log(`${formatRequestTotal({ ...client.stats, requests: client.stats.requests + writes }, Math.round(performance.now() - started))} (${writes} with a body)`);
    }
  }
}

/** A batch step's collection, keeping per object only what its request is built from (20,000 objects stay small). */
async function listSlim(client: KubeClient, path: string): Promise<ApiWritableObject[]> {
  let items: ApiWritableObject[] = [];
  await listAll<ApiWritableObject>(
    client,
    path,
    { metadataOnly: true },
    () => (items = []),
    (page) => {
      for (const { metadata: m } of page) {
        items.push({ metadata: { name: m?.name, namespace: m?.namespace, uid: m?.uid, resourceVersion: m?.resourceVersion, deletionTimestamp: m?.deletionTimestamp, finalizers: m?.finalizers } });
      }
    },
  );
  return items;
}

async function makePlan(client: KubeClient, options: CliOptions & { fix: FixOptions }, stderr: string[], log: (line: string) => void) {
  const snapshots = await gatherSnapshots(client, options, options.verbose ? { verboseLog: log } : {});
  const { reports, fatal } = diagnoseSnapshots(snapshots, options, new Date());
  for (const gap of fatal) stderr.push(`error: ${gap.reason}`);
  const draft = draftPlan(snapshots.map((snapshot, i) => ({ report: reports[i]!, snapshot })));
  const { chosen } = selectSteps(draft, options.fix.allow);
  const reads = await readEvidence(client, chosen.flatMap((s) => [s.target, ...s.evidence]));
  const { plan, drafts } = assemblePlan(reports, draft, reads, options.fix.allow, { ...client.stats, durationMs: 0 });
  const unreachable = fatal[0]?.reason ?? [...reads.values()].find((r) => r.unreachable)?.error;
  return { plan, drafts, reports, snapshots, ...(unreachable ? { unreachable } : {}) };
}

/** Anything but "yes" is a no: Ctrl-D (end of input) and Ctrl-C (the terminal is in raw mode) included. */
async function confirm(plan: FixPlan): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const abort = new AbortController();
  rl.on('SIGINT', () => abort.abort());
  rl.on('close', () => abort.abort());
  try {
    const answer = await rl.question(`Apply the ${plan.steps.length} step(s) of plan ${plan.planId}? Type yes to apply: `, { signal: abort.signal });
    return answer.trim().toLowerCase() === 'yes';
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** Plans are kept locally (never sent anywhere) only so a stopped apply can say what changed since the review. */
function plansDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ns-doctor', 'plans');
}

function savePlan(plan: FixPlan): void {
  if (!plan.steps.length) return;
  try {
    mkdirSync(plansDir(), { recursive: true, mode: 0o700 });
    writeFileSync(join(plansDir(), `${plan.planId}.json`), JSON.stringify(plan), { mode: 0o600 });
  } catch {
    // Only the "what changed" detail of a later stop depends on it.
  }
}

/** A plan of any size ns-doctor makes is far below this (a batch step is one step); a bigger file is not ours. */
const MAX_PLAN_BYTES = 16 * 1024 * 1024;

function loadPlan(id: string): FixPlan | undefined {
  try {
    const plan = JSON.parse(readTextFileBounded(join(plansDir(), `${id}.json`), MAX_PLAN_BYTES)) as unknown;
    return isPlan(plan) ? plan : undefined;
  } catch {
    return undefined;
  }
}

/** The cache is a file on disk like any other: only its shape makes it a plan. */
function isPlan(value: unknown): value is FixPlan {
  const plan = value as Partial<FixPlan> | null;
  return Boolean(plan && typeof plan === 'object' && typeof plan.planId === 'string' && Array.isArray(plan.steps) && typeof plan.allow === 'string' && plan.steps.every((s) => s && typeof s === 'object' && Array.isArray(s.evidence)));
}
