// Issue 18 items 1, 2, 3, 7 and 8 on the real control plane: a live controller that says it fails, an owner guessed
// from RBAC, Kubernetes' own finalizers, foreground deletion before the namespace controller's first pass, and pods
// held only by a custom finalizer. Never a false all-clear; the right cause and the right fix first.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixPlan, FixResult } from '../../src/model/plan.js';
import type { Report } from '../../src/model/report.js';
import { controllerManager, diagnose, kubectlJson, kubectlOk, nsDoctor, useScenario, waitFor } from './harness.js';
import { gone } from './fix-command.js';
import { blocker, blockerIds, expectReportShape } from './report-shape.js';

const THREE_DAYS_MS = 3 * 86_400_000;
const RFC3339 = /("takenAt":\s*)?"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)"/g;

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ns-doctor-e2e-owners-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Saves what was read, then moves every timestamp in it but `takenAt` `ms` into the past: "Terminating for 3 days"
 * when the snapshot was taken, without waiting (a saved snapshot is judged at its takenAt).
 */
async function snapshotMovedBack(ns: string, ms: number): Promise<string> {
  const file = join(scratch, `${ns}.json`);
  const saved = await nsDoctor([ns, '-o', 'json', '--save-snapshot', file]);
  expect([0, 1, 2]).toContain(saved.code);
  const moved = readFileSync(file, 'utf8').replace(RFC3339, (all: string, takenAt: string | undefined, time: string) =>
    takenAt ? all : `"${new Date(Date.parse(time) - ms).toISOString()}"`,
  );
  writeFileSync(file, moved);
  return file;
}

async function fixJson<T>(args: string[]): Promise<{ code: number; out: T; stderr: string }> {
  const r = await nsDoctor(['fix', ...args, '-o', 'json']);
  return { code: r.code, out: JSON.parse(r.stdout) as T, stderr: r.stderr };
}

describe('item 1: a live controller whose own words say it fails', () => {
  const ns = 'e2e-s3-fails';
  useScenario('controller-fails', ns);

  it('is Blocked at once, each object by what its controller says: its condition, its Event elsewhere, the refusal to create in a Terminating namespace', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    const byFinalizer = (finalizer: string) => report.blockers.find((b) => b.finalizer?.finalizer === finalizer);
    expect(byFinalizer('s3.example.com/cleanup')).toMatchObject({
      id: 'FinalizerControllerStalled',
      finalizer: {
        group: 's3.ns-doctor.dev',
        resource: 'buckets',
        owner: { confidence: 'may', pods: [{ namespace: `${ns}-system`, name: 's3-operator-5c8d7b9f6-x7k2p', ready: true, restarts: 3 }] },
        stall: { reason: 'ObjectCondition', condition: { type: 'Ready', status: 'False', reason: 'DeleteFailed' }, source: { kind: 'Bucket', name: 'assets', namespace: ns } },
      },
    });
    expect(byFinalizer('s3.example.com/cleanup')!.finalizer!.stall!.message).toContain('s3:DeleteBucket');
    expect(byFinalizer('s3.example.com/retention')).toMatchObject({
      id: 'FinalizerControllerStalled',
      finalizer: { stall: { reason: 'Event', source: { kind: 'Event', namespace: `${ns}-system` } } },
    });
    expect(byFinalizer('s3.example.com/retention')!.finalizer!.stall!.message).toContain('BucketNotEmpty');
    expect(byFinalizer('s3.example.com/usage')).toMatchObject({
      id: 'ControllerCannotCreateInTerminatingNamespace',
      finalizer: { stall: { reason: 'CannotCreateInTerminatingNamespace' } },
    });
    expect(byFinalizer('s3.example.com/usage')!.finalizer!.stall!.message).toContain(`unable to create new content in namespace ${ns} because it is being terminated`);
    for (const b of report.blockers) {
      // Safest first: fix what the controller reports (with its logs), and only last, that one finalizer.
      expect(b.fixes[0]).toMatchObject({ safety: 'safe', command: `kubectl -n ${ns}-system logs s3-operator-5c8d7b9f6-x7k2p --all-containers --since=1h` });
      const last = b.fixes.at(-1)!;
      expect(last.safety).toBe('last-resort');
      expect(last.command).toMatch(/--type=json -p '\[\{"op":"test","path":"\/metadata\/finalizers","value":\["s3\.example\.com\/\w+"\]\},\{"op":"remove","path":"\/metadata\/finalizers\/0"\}\]'$/);
    }
  });

  it('text output quotes the controller (escaped) and says the pod only may remove it', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('Ready=False (DeleteFailed): AccessDenied');
    expect(r.stdout).toContain('may remove s3.example.com/cleanup');
    expect(r.stdout).not.toContain('runs the controller that removes');
  });

  it('Terminating for 3 days (saved snapshot, timestamps moved back): still Blocked, never "progressing"', async () => {
    const file = await snapshotMovedBack(ns, THREE_DAYS_MS);
    const r = await nsDoctor(['--from-snapshot', file, '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.terminatingForSeconds).toBeGreaterThan(3 * 86_400 - 60);
    expect(blockerIds(report).sort()).toEqual(['ControllerCannotCreateInTerminatingNamespace', 'FinalizerControllerStalled', 'FinalizerControllerStalled']);
  });

  it('fix: the planner offers removing just each finalizer (last resort), guarded by a test op', async () => {
    const { code, out } = await fixJson<FixPlan>([ns, '--allow', 'last-resort']);
    expect(code).toBe(10);
    expect(out.steps.map((s) => [s.blockerId, s.safety, s.request.method, s.request.path]).sort()).toEqual(
      [
        ['ControllerCannotCreateInTerminatingNamespace', 'last-resort', 'PATCH', `/apis/s3.ns-doctor.dev/v1/namespaces/${ns}/buckets/usage`],
        ['FinalizerControllerStalled', 'last-resort', 'PATCH', `/apis/s3.ns-doctor.dev/v1/namespaces/${ns}/buckets/assets`],
        ['FinalizerControllerStalled', 'last-resort', 'PATCH', `/apis/s3.ns-doctor.dev/v1/namespaces/${ns}/buckets/audit-logs`],
      ].sort(),
    );
    for (const step of out.steps) expect(JSON.stringify(step.request.body)).toContain('"op":"test"');
  });
});

describe('item 2: an unrelated Ready pod that may update configmaps is never named the controller', () => {
  const ns = 'e2e-export';
  const finalizer = 'backup.example.com/export';
  useScenario('rbac-only-owner', ns);

  it('freshly deleted: a wait bounded by --stall-after, and the pod only "may" remove it', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(0);
    expect(report.verdict).toBe('Progressing');
    const wait = report.waitingOn!.find((w) => w.reason === 'FinalizerController')!;
    expect(wait.finalizer).toMatchObject({ finalizer, group: '', resource: 'configmaps', owner: { confidence: 'may', pods: [{ namespace: `${ns}-ingress`, ready: true }] } });
    expect(wait.deadline).toBeDefined();
    expect(Date.parse(wait.deadline!) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect(wait.evidence.map((e) => e.fact).join('\n')).not.toContain('runs the controller');
  });

  it('Terminating for 3 days (snapshot moved back): FinalizerControllerStalled, not a wait without end', async () => {
    const file = await snapshotMovedBack(ns, THREE_DAYS_MS);
    const r = await nsDoctor(['--from-snapshot', file, '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(blockerIds(report)).toEqual(['FinalizerControllerStalled']);
    expect(report.blockers[0].finalizer).toMatchObject({ finalizer, owner: { confidence: 'may' }, stall: { reason: 'StallAfter', stallAfterSeconds: 600 } });
    expect(report.blockers[0].finalizer!.stall!.waitedSeconds).toBeGreaterThan(3 * 86_400 - 60);
  });

  it('past --stall-after on the live cluster, fix removes just that finalizer and the namespace goes', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const { result, report } = await diagnose(ns, ['--stall-after', '2s']);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['FinalizerControllerStalled']);
    const { code, out: plan } = await fixJson<FixPlan>([ns, '--stall-after', '2s', '--allow', 'last-resort']);
    expect(code).toBe(10);
    expect(plan.steps.map((s) => [s.blockerId, s.request.method, s.request.path])).toEqual([
      ['FinalizerControllerStalled', 'PATCH', `/api/v1/namespaces/${ns}/configmaps/export-state`],
    ]);
    const applied = await fixJson<FixResult>([ns, '--stall-after', '2s', '--allow', 'last-resort', '--apply', '--plan-id', plan.planId]);
    expect(applied.code, applied.stderr).toBe(11);
    await waitFor(`namespace ${ns} gone`, () => gone(['namespace', ns]), { timeoutMs: 120_000 });
  });
});

describe("item 3 and 8: Kubernetes' own finalizers, and pods held only by a custom one", () => {
  const ns = 'e2e-k8s-finalizers';
  const podsNs = `${ns}-pods`;
  useScenario('kubernetes-finalizers', ns);

  it("load-balancer-cleanup waits on the cloud-controller-manager (unseen here, maybe off-cluster), bounded by --stall-after; never an operator that owns services", async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(0);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Progressing');
    const wait = report.waitingOn!.find((w) => w.reason === 'FinalizerController')!;
    expect(wait.finalizer).toMatchObject({ finalizer: 'service.kubernetes.io/load-balancer-cleanup', group: '', resource: 'services', owner: { confidence: 'unseen', project: 'Kubernetes', pods: [] }, removalCost: 'cloud-orphan' });
    expect(Date.parse(wait.deadline!) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect(wait.command).toBe(`kubectl -n ${ns} describe services shop-lb`);
    const text = await nsDoctor([ns]);
    expect(text.stdout).toContain('cloud-controller-manager');
    expect(text.stdout).not.toMatch(/operator that owns/);
  });

  it('past --stall-after the Service is FinalizerControllerStalled, and stripping it leaks a cloud load balancer', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const { result, report } = await diagnose(ns, ['--stall-after', '2s']);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['FinalizerControllerStalled']);
    const lb = blocker(report, 'FinalizerControllerStalled');
    expect(lb.finalizer).toMatchObject({ owner: { confidence: 'unseen' }, removalCost: 'cloud-orphan', stall: { reason: 'StallAfter', stallAfterSeconds: 2 } });
    expect(lb.fixes[0]).toMatchObject({ safety: 'safe', command: `kubectl -n ${ns} describe services shop-lb` });
    expect(lb.fixes.at(-1)!.cost).toContain('cloud load balancer');
    expect(JSON.stringify(lb)).not.toContain('operator that owns');
  });

  it('pods held only by a custom finalizer: one finding, the finalizer fix, no forced delete, no PodsStuckTerminating', async () => {
    const { result, report } = await diagnose(podsNs);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, podsNs);
    expect(blockerIds(report)).toEqual(['FinalizerOwnerMissing']);
    const pods = blocker(report, 'FinalizerOwnerMissing');
    expect(pods.finalizer).toMatchObject({ finalizer: 'example.ns-doctor.dev/pod-hold', group: '', resource: 'pods', objects: 2, owner: { confidence: 'none' } });
    expect(JSON.stringify(pods.fixes)).not.toContain('--force');
    expect(pods.fixes.at(-1)!.command).toMatch(new RegExp(`^kubectl -n ${podsNs} patch pods (batch-0|report-0) --type=json -p '\\[\\{"op":"test"`));
    expect(JSON.stringify(pods)).not.toMatch(/operator that owns/);
    const { code, out: plan } = await fixJson<FixPlan>([podsNs, '--allow', 'last-resort']);
    expect(code).toBe(10);
    // One batch step for the cause: each pod gets its own JSON patch (with test) when applied.
    expect(plan.steps.map((s) => [s.blockerId, s.safety, s.request.method])).toEqual([['FinalizerOwnerMissing', 'last-resort', 'PATCH']]);
    expect(plan.steps[0].batch).toMatchObject({ finalizer: 'example.ns-doctor.dev/pod-hold', objects: 2 });
  });
});

describe('item 7: foreground deletion before the namespace controller\'s first pass', () => {
  const ns = 'e2e-fg-first-pass';

  beforeAll(async () => {
    // Neither the namespace controller nor the garbage collector runs: the state a few seconds after the deletion.
    await controllerManager('restart', 'serviceaccount-controller,root-ca-certificate-publisher-controller');
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['-n', ns, 'create', 'configmap', 'owner']);
    const owner = await kubectlJson<{ metadata: { uid: string } }>(['-n', ns, 'get', 'configmap', 'owner']);
    await kubectlOk(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid, blockOwnerDeletion: true }] },
      }),
    });
    await kubectlOk(['-n', ns, 'delete', 'configmap', 'owner', '--cascade=foreground', '--wait=false']);
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  });
  afterAll(async () => {
    await controllerManager('restart');
    await waitFor(`namespace ${ns} gone`, () => gone(['namespace', ns]), { timeoutMs: 120_000 });
  });

  it('seconds after the deletion it is a wait (exit 0), not DependentsBlockDeletion', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(0);
    expect(report.verdict).toBe('Progressing');
    expect(report.waitingOn!.map((w) => w.reason)).toEqual(['ForegroundDeletion', 'NamespaceControllerPass']);
  });

  it('past --controller-timeout it is a blocker whose last resort removes only foregroundDeletion, by JSON patch with test', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const { result, report } = await diagnose(ns, ['--controller-timeout', '1s']);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['NamespaceControllerNotRunning', 'DependentsBlockDeletion']);
    const last = blocker(report, 'DependentsBlockDeletion').fixes.find((f) => f.safety === 'last-resort')!;
    expect(last.command).toBe(`kubectl -n ${ns} patch configmaps owner --type=json -p '[{"op":"test","path":"/metadata/finalizers","value":["foregroundDeletion"]},{"op":"remove","path":"/metadata/finalizers/0"}]'`);
    expect(last.command).not.toContain('null');
  });

  it('once the controllers run, the namespace goes by itself', async () => {
    await controllerManager('restart');
    await waitFor(`namespace ${ns} gone`, () => gone(['namespace', ns]), { timeoutMs: 120_000 });
  });
});

describe('findings F9: a dead finalizer on an object the controller has not deleted yet (pods first)', () => {
  const ns = 'e2e-pending-fin';
  useScenario('pod-grace', ns, { env: { SCENARIO_GRACE: '600', SCENARIO_PENDING_FINALIZER: '1' } });

  it('is Blocked now, while the pod is still inside its grace period, not an all-clear until the pod is gone', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['FinalizerOwnerMissing']);
    const b = blocker(report, 'FinalizerOwnerMissing');
    expect(b.subject).toEqual({ kind: 'Finalizer', finalizer: 'backup.ns-doctor.dev/export', group: 'backup.ns-doctor.dev', resource: 'exports' });
    expect(b.summary).toMatch(/^1 exports\.backup\.ns-doctor\.dev not deleted yet carries finalizer backup\.ns-doctor\.dev\/export, and no running controller will remove it/);
    const nightly = await kubectlJson<{ metadata: { deletionTimestamp?: string } }>(['get', 'exports.backup.ns-doctor.dev', 'nightly', '-n', ns]);
    expect(nightly.metadata.deletionTimestamp).toBeUndefined();
    // fix has nothing to write yet: the object is not deleted.
    const { code, out } = await fixJson<FixPlan>([ns, '--allow', 'last-resort']);
    expect(code).toBe(1);
    expect(out.steps).toEqual([]);
    expect(out.manual.map((m) => m.reason)).toContain('not deleted yet: nothing to remove until the namespace controller deletes them (after the pods); plan again then');
  });
});
