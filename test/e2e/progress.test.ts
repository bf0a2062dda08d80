// "Progressing" says what it waits for and until when, on the real control plane through real kubectl:
// a pod inside its grace period on a Ready node, the same pod after its deadline on a NotReady node (with --wait
// saying it is late), and a finalizer whose controller runs and removes it after a delay (gone under --wait).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Wait } from '../../src/model/report.js';
import {diagnose, kubectl, kubectlJson, kubectlOk, nsDoctor, scenario, useScenario } from './harness.js';
import { blocker, blockerIds, expectReportShape, link } from './report-shape.js';

/** A deadline as the renderer writes it: the date only when it is not today's (a run near midnight, as CI's was). */
const AT = String.raw`(?:\d{4}-\d\d-\d\d )?\d\d:\d\d(?::\d\d)? UTC`;

interface PodMeta {
  metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
}

function waitFor(report: { waitingOn?: Wait[]; summary: string }, reason: Wait['reason']): Wait {
  const found = report.waitingOn?.find((w) => w.reason === reason);
  if (!found) throw new Error(`no ${reason} wait in: ${JSON.stringify(report, null, 2)}`);
  return found;
}

describe('a pod inside its grace period, then past it', () => {
  const ns = 'e2e-grace';
  const pod = 'web-7c9f5d8b6-k2x4p';
  const node = `node-${ns}`;
  const grace = 40;
  let namespaceDeletedAt = 0;
  let graceEnds = 0;
  let expectedBy = 0;

  beforeAll(async () => {
    await scenario('pod-grace', 'up', ns, { env: { SCENARIO_GRACE: String(grace) } });
    const n = await kubectlJson<{ metadata: { deletionTimestamp: string } }>(['get', 'namespace', ns]);
    namespaceDeletedAt = Date.parse(n.metadata.deletionTimestamp);
  });
  afterAll(async () => {
    await scenario('pod-grace', 'down', ns);
  });

  it('the API server sets the pod\'s deletionTimestamp to the DELETE time plus the grace period (not before it)', async () => {
    const p = await kubectlJson<PodMeta>(['get', 'pod', pod, '-n', ns]);
    expect(p.metadata.deletionGracePeriodSeconds).toBe(grace);
    graceEnds = Date.parse(p.metadata.deletionTimestamp!);
    const deletedAt = graceEnds - grace * 1000;
    // The namespace controller's DELETE: after the namespace's (its first pass waits 5 s), and already done now.
    expect(deletedAt).toBeGreaterThanOrEqual(namespaceDeletedAt);
    expect(deletedAt).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('-o json: Progressing, the pod named with its node, grace period and deadline; expectedBy from the requeue', async () => {
    const before = Date.now();
    const { result, report } = await diagnose(ns);
    const after = Date.now();
    expect(result.code, result.stderr).toBe(0);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Progressing');
    expect(report.blockers).toEqual([]);
    const pods = waitFor(report, 'PodGracePeriod');
    expect(report.waitingOn![0]).toBe(pods);
    expect(Date.parse(pods.deadline!)).toBe(graceEnds);
    const podLink = pods.evidence.find((e) => e.ref.kind === 'Pod' && e.ref.name === pod)!;
    expect(podLink.fact).toMatch(new RegExp(`^grace period ${grace}s, ends ${AT} \\(in (?:\\d+m)?(?:\\d+s)?\\), on node ${node}$`));
    expect(pods.evidence.find((e) => e.ref.kind === 'Node')?.fact).toMatch(/^Ready=True/);
    expect(pods.summary).toMatch(/the namespace controller deletes pods first, so the other \d+ objects wait for it/);
    // The controller looks again grace/2+1 s after a pass while the namespace is younger than the grace period.
    const pass = waitFor(report, 'NamespaceControllerPass');
    expect(Date.parse(pass.deadline!) - graceEnds).toBe((Math.floor(grace / 2) + 1) * 1000);
    expectedBy = Date.parse(report.expectedBy!);
    expect(expectedBy).toBe(Date.parse(pass.deadline!));
    // The time left is ~40 s + 21 s less the seconds already gone: either side of a minute, so "~59s" or "~1m".
    const left = new RegExp(String.raw`should finish by ${AT}, in ~(\d+)([sm])$`).exec(report.summary);
    expect(left, report.summary).not.toBeNull();
    const leftSeconds = Number(left![1]) * (left![2] === 'm' ? 60 : 1);
    const slack = left![2] === 'm' ? 60 : 2;
    expect(leftSeconds).toBeGreaterThanOrEqual(Math.floor((expectedBy - after) / 1000) - slack);
    expect(leftSeconds).toBeLessThanOrEqual(Math.ceil((expectedBy - before) / 1000) + 2);
  });

  it('text: the time left is the real time left, to within a few seconds', async () => {
    const before = Date.now();
    const r = await nsDoctor([ns]);
    const after = Date.now();
    expect(r.code, r.stderr).toBe(0);
    const match = new RegExp(`Pod ${ns}/${pod} {2}grace period ${grace}s, ends (?:\\d{4}-\\d\\d-\\d\\d )?(\\S+) UTC \\(in (\\d+)s\\), on node ${node}`).exec(r.stdout);
    expect(match, r.stdout).not.toBeNull();
    expect(match![1]).toBe(new Date(graceEnds).toISOString().slice(11, 19));
    const left = Number(match![2]);
    expect(left).toBeGreaterThanOrEqual(Math.floor((graceEnds - after) / 1000) - 2);
    expect(left).toBeLessThanOrEqual(Math.ceil((graceEnds - before) / 1000) + 2);
    expect(r.stdout).toContain('Waiting on (most decisive first):');
  });

  it('node NotReady inside the grace period: still a wait, which says when it turns into a blocker', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await kubectlOk(['patch', 'node', node, '--subresource=status', '--type=merge', '-p', JSON.stringify({
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down', lastHeartbeatTime: now, lastTransitionTime: now }] },
    })]);
    const { result, report } = await diagnose(ns);
    expect(Date.now(), 'the grace period ended before this check ran').toBeLessThan(graceEnds);
    expect(result.code, result.stderr).toBe(0);
    const nodeLink = waitFor(report, 'PodGracePeriod').evidence.find((e) => e.ref.kind === 'Node')!;
    expect(nodeLink.fact).toMatch(new RegExp(String.raw`^Ready=False .*no kubelet will confirm the pod stopped, so it is PodsStuckTerminating after ${AT}$`));
  });

  it('--wait past the expected finish: says it is late, and ends Blocked by the stuck pod on its NotReady node', async () => {
    const seconds = Math.ceil((expectedBy - Date.now()) / 1000) + 6;
    const r = await nsDoctor([ns, '--wait', `${seconds}s`, '-o', 'json'], { timeoutMs: (seconds + 60) * 1000 });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('Blocked');
    expect(blockerIds(report)).toEqual(['PodsStuckTerminating']);
    link(blocker(report, 'PodsStuckTerminating'), 'Pod', pod, ns);
    expect(link(blocker(report, 'PodsStuckTerminating'), 'Node', node).fact).toMatch(/^Ready=False/);
    expect(report.progress).toMatchObject({ namespaceGone: false, late: true, expectedBy: new Date(expectedBy).toISOString() });
    expect(report.progress.lateBySeconds).toBeGreaterThan(0);
    expect(report.summary).toMatch(new RegExp(String.raw`LATE: expected by ${AT}, (?:\d+m)?(?:\d+s)? past that$`));
    expect(r.stderr).toMatch(new RegExp(String.raw`watching namespace e2e-grace for up to [0-9ms]+; expected by ${AT}`));
    expect(r.stderr).toMatch(/namespace e2e-grace is late: still Terminating after [0-9ms]+ of watching; LATE: expected by/);
    // And a plain look now: the same pod, past its deadline, is a blocker and no longer a wait.
    const after = await diagnose(ns);
    expect(after.result.code, after.result.stderr).toBe(1);
    expect(blockerIds(after.report)).toEqual(['PodsStuckTerminating']);
    expect(after.report.waitingOn).toBeUndefined();
    expect(after.report.expectedBy).toBeUndefined();
  });
});

describe('a finalizer whose controller runs, and removes it after a delay', () => {
  const ns = 'e2e-live';
  const system = `${ns}-system`;
  const operatorPod = 'bucket-operator-6b7f9c5d4-q8m2z';
  const finalizer = 'storage.ns-doctor.dev/bucket-cleanup';
  const cleanupMs = 20_000;

  /**
   * The operator's work, as a live controller does it: watch the bucket, and once it has been deleted, clean up
   * (takes cleanupMs) and remove just its finalizer, guarded by a test op. Resolves with when it removed it.
   */
  async function bucketOperator(): Promise<number> {
    let seenDeletedAt: number | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const got = await kubectl(['get', 'objectbucket', 'photos', '-n', ns, '-o', 'json']);
      if (got.code !== 0) throw new Error(`the bucket went away before the operator removed its finalizer: ${got.stderr}`);
      const bucket = JSON.parse(got.stdout) as { metadata: { deletionTimestamp?: string; finalizers?: string[] } };
      if (bucket.metadata.deletionTimestamp) {
        seenDeletedAt ??= Date.now();
        if (Date.now() - seenDeletedAt >= cleanupMs) {
          const index = bucket.metadata.finalizers!.indexOf(finalizer);
          const ops = [
            { op: 'test', path: '/metadata/finalizers', value: bucket.metadata.finalizers },
            { op: 'remove', path: `/metadata/finalizers/${index}` },
          ];
          await kubectlOk(['patch', 'objectbucket', 'photos', '-n', ns, '--type=json', '-p', JSON.stringify(ops)]);
          return Date.now();
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('the operator never saw the bucket deleted');
  }

  let operator: Promise<number>;

  beforeAll(async () => {
    await scenario('finalizer-live', 'up', ns);
    operator = bucketOperator();
    operator.catch(() => undefined); // awaited by the tests; no unhandled rejection in between
  });
  afterAll(async () => {
    await operator?.catch(() => undefined);
    await scenario('finalizer-live', 'down', ns);
  });

  it('-o json: Progressing, waiting on the pod RBAC links (it only "may" remove it), bounded by --stall-after', async () => {
    const bucket = await kubectlJson<{ metadata: { deletionTimestamp: string } }>(['get', 'objectbucket', 'photos', '-n', ns]);
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(0);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Progressing');
    expect(report.blockers).toEqual([]);
    const w = waitFor(report, 'FinalizerController');
    expect(report.waitingOn![0]).toBe(w);
    // No deadline is known for the cleanup itself; past --stall-after (10m) from the bucket's own deletion it is a finding.
    expect(Date.parse(w.deadline!)).toBe(Date.parse(bucket.metadata.deletionTimestamp) + 10 * 60_000);
    expect(w.finalizer).toMatchObject({ finalizer, owner: { confidence: 'may', pods: [{ namespace: system, name: operatorPod, ready: true }] } });
    expect(w.summary).toContain(`pod ${system}/${operatorPod} may remove it (RBAC only)`);
    expect(w.evidence.find((e) => e.ref.kind === 'ObjectBucket' && e.ref.name === 'photos')?.fact).toMatch(new RegExp(`^deleted (?:\\d+m)?(?:\\d+s)? ago, waiting on finalizer ${finalizer}$`));
    expect(w.evidence.find((e) => e.ref.kind === 'Pod')).toMatchObject({ ref: { namespace: system, name: operatorPod }, depth: 1 });
    expect(w.command).toBe(`kubectl -n ${system} logs ${operatorPod} --all-containers --since=1h`);
    expect(Date.parse(report.expectedBy!)).toBe(Date.parse(w.deadline!) + 8_000);
  });

  it('text names the controller pod, as one that may remove the finalizer', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Pod ${system}/${operatorPod}  Ready; may remove ${finalizer}: ServiceAccount ${system}/bucket-operator`);
    expect(r.stdout).not.toContain('runs the controller');
  });

  it('--wait: the controller removes its finalizer, and the namespace is gone while watched', async () => {
    const started = Date.now();
    const r = await nsDoctor([ns, '--wait', '90s', '-o', 'json'], { timeoutMs: 150_000 });
    const removedAt = await operator;
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('NotTerminating');
    expect(report.progress).toMatchObject({ namespaceGone: true, objectsBefore: 1, objectsAfter: 0 });
    expect(report.progress).toMatchObject({ late: false });
    // Gone only after the operator removed its finalizer: within the controller's 8 s requeue and one 5 s poll.
    expect(removedAt).toBeGreaterThan(started);
    expect(started + report.progress.waitedSeconds * 1000).toBeGreaterThanOrEqual(removedAt - 1000);
    expect(started + report.progress.waitedSeconds * 1000).toBeLessThanOrEqual(removedAt + 30_000);
    expect(r.stderr).toMatch(new RegExp(String.raw`watching namespace e2e-live for up to 1m30s; expected by ${AT} \(in (9m|10m)`));
    expect(r.stderr).toMatch(/namespace e2e-live is gone after [0-9ms]+ of watching, on time/);
    expect(r.stderr).toMatch(/namespace e2e-live is gone after [0-9ms]+ of watching/);
    expect((await kubectl(['get', 'namespace', ns])).code).not.toBe(0);
  });
});

describe('foreground deletion whose dependent pod is inside its grace period', () => {
  const ns = 'e2e-foreground-pod';

  useScenario('foreground-pod', ns);

  it('is Progressing (not DependentsBlockDeletion): the owner waits for the pod, until the pod\'s deadline', async () => {
    const p = await kubectlJson<PodMeta>(['get', 'pod', 'worker-0', '-n', ns]);
    const owner = await kubectlJson<{ metadata: { deletionTimestamp?: string; finalizers?: string[] } }>(['get', 'configmap', 'owner', '-n', ns]);
    expect(owner.metadata.finalizers).toEqual(['foregroundDeletion']);
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(0);
    expect(report.verdict).toBe('Progressing');
    expect(report.blockers).toEqual([]);
    expect(report.waitingOn!.map((w) => w.reason)).toEqual(['PodGracePeriod', 'ForegroundDeletion', 'NamespaceControllerPass']);
    const fg = waitFor(report, 'ForegroundDeletion');
    expect(Date.parse(fg.deadline!)).toBe(Date.parse(p.metadata.deletionTimestamp!));
    expect(fg.evidence.map((e) => `${e.depth} ${e.ref.kind} ${e.ref.name}`)).toEqual(['0 ConfigMap owner', '1 Pod worker-0']);
    expect(fg.evidence[1].fact).toMatch(new RegExp(String.raw`^dependent with blockOwnerDeletion, Terminating, grace period ends ${AT} \(in (?:\d+m)?(?:\d+s)?\)$`));
  });
});
