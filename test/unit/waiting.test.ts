// What a Progressing namespace waits on, on snapshots recorded from the real control plane: pod-grace (a pod deleted
// by the namespace controller with a 600 s grace period, on a Ready node) and finalizer-live (an ObjectBucket whose
// finalizer's operator has RBAC and a Ready pod), plus pod-terminating (2 s grace, node NotReady).
import { describe, expect, it } from 'vitest';
import { applyProgress } from '../../src/diagnosis/progress.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { REPORT_API_VERSION, type Report, type Wait } from '../../src/model/report.js';
import { renderReport } from '../../src/render/index.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText, renderTextList } from '../../src/render/text.js';
import { graceEnds, passAfterPods, requeueSeconds } from '../../src/rules/deadlines.js';
import type { ObjectSample, Snapshot } from '../../src/snapshot/types.js';
import { diagnoseAt, recorded } from './helpers.js';

const POD = 'web-7c9f5d8b6-k2x4p';
const at = (iso: string, plusMs = 0) => new Date(Date.parse(iso) + plusMs);
const podOf = (s: Snapshot) => s.pods[`grace1/${POD}`];
const wait = (report: Report, reason: Wait['reason']) => {
  const found = report.waitingOn?.find((w) => w.reason === reason);
  if (!found) throw new Error(`no ${reason} wait; got ${JSON.stringify(report.waitingOn?.map((w) => w.reason))}: ${report.summary}`);
  return found;
};
const facts = (w: Wait) => w.evidence.map((e) => `${e.ref.kind} ${e.ref.namespace ? `${e.ref.namespace}/` : ''}${e.ref.name}: ${e.fact}`);

describe('a pod inside its grace period (recorded: 600 s, Ready node)', () => {
  const snapshot = recorded('pod-grace');
  const report = diagnoseAt(snapshot);
  const ends = Date.parse(podOf(snapshot).deletionTimestamp!);

  it('the recorded pod proves deletionTimestamp already is the end of the grace period', () => {
    const pod = podOf(snapshot);
    // The controller's DELETE came 5 s after the namespace's (namespaceDeletionGracePeriod), and not after the snapshot.
    const deleteAt = ends - pod.deletionGracePeriodSeconds! * 1000;
    expect(deleteAt - Date.parse(snapshot.namespace!.deletionTimestamp!)).toBe(5_000);
    expect(deleteAt).toBeLessThanOrEqual(Date.parse(snapshot.takenAt));
    expect(graceEnds(pod)).toBe(ends);
  });

  it('is Progressing, and names the pod, its node, its grace period and the time left', () => {
    expect(report.verdict).toBe('Progressing');
    expect(report.blockers).toEqual([]);
    const pods = wait(report, 'PodGracePeriod');
    expect(report.waitingOn![0]).toBe(pods);
    expect(pods.deadline).toBe(new Date(ends).toISOString());
    expect(pods.secondsLeft).toBe(Math.round((ends - Date.parse(snapshot.takenAt)) / 1000));
    expect(facts(pods)[0]).toBe(`Pod grace1/${POD}: grace period 600s, ends 09:59:34 UTC (in 9m57s), on node node-grace1`);
    expect(facts(pods)[1]).toMatch(/^Node node-grace1: Ready=True for 1d \(KubeletReady\)$/);
    expect(pods.summary).toContain('the namespace controller deletes pods first, so the other 5 objects wait for it');
    expect(pods.command).toBe(`kubectl -n grace1 describe pod ${POD}`);
  });

  it('expects the namespace gone at the controller\'s first pass after the pod: its requeue, 600/2+1 s later', () => {
    const pass = wait(report, 'NamespaceControllerPass');
    expect(report.waitingOn!.at(-1)).toBe(pass);
    expect(Date.parse(pass.deadline!) - ends).toBe(301_000);
    expect(report.expectedBy).toBe(pass.deadline);
    expect(pass.summary).toContain('deletes the 5 objects not deleted yet');
    expect(facts(pass)).toContain('ConfigMap grace1/2 configmaps: not deleted yet');
    expect(report.summary).toMatch(/no blocker found; should finish by 10:04 UTC, in ~14m$/);
  });

  it('knows no finish time when objects still to be deleted after the pod carry a custom finalizer', () => {
    const s = recorded('pod-grace');
    s.content!.stuck.push({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', meta: { name: 'web-config', namespace: 'grace1', finalizers: ['example.com/keep'] } });
    const r = diagnoseAt(s);
    expect(r.verdict).toBe('Progressing');
    expect(r.expectedBy).toBeUndefined();
    expect(wait(r, 'PodGracePeriod').deadline).toBe(new Date(ends).toISOString());
    expect(r.summary).toMatch(/no finish time known: finalizer example.com\/keep on 1 object not deleted yet must be removed by their controllers once deleted$/);
  });

  it('says that the controller\'s NamespaceContentRemaining=False does not mean the rest is gone', () => {
    expect(facts(wait(report, 'PodGracePeriod')).join('\n')).toContain('NamespaceContentRemaining=False (ContentRemoved) is what the controller writes while it waits for pods');
  });

  it('one rule: at every moment the pod is either a wait (until its deadline) or PodsStuckTerminating (after), never both or neither', () => {
    for (const offset of [-600_000, -60_000, -1_000, 0, 1, 1_000, 60_000]) {
      const r = diagnoseAt(recorded('pod-grace'), undefined, new Date(ends + offset));
      const waiting = r.waitingOn?.some((w) => w.reason === 'PodGracePeriod') ?? false;
      const stuck = r.blockers.some((b) => b.id === 'PodsStuckTerminating');
      expect([offset, waiting, stuck]).toEqual([offset, offset <= 0, offset > 0]);
      expect(r.verdict).toBe(offset <= 0 ? 'Progressing' : 'Blocked');
    }
  });

  it('on a NotReady node, says the pod becomes stuck when its grace period ends', () => {
    const s = recorded('pod-grace');
    s.nodes['node-grace1'].ready = { type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastTransitionTime: s.takenAt };
    const pods = wait(diagnoseAt(s), 'PodGracePeriod');
    expect(facts(pods)[1]).toBe('Node node-grace1: Ready=False for 0s (KubeletNotReady) — no kubelet will confirm the pod stopped, so it is PodsStuckTerminating after 09:59:34 UTC');
  });

  it('a shortened grace period (a second DELETE moves deletionTimestamp) moves the deadline with it', () => {
    const s = recorded('pod-grace');
    const shortened = Date.parse(s.takenAt) + 20_000;
    podOf(s).deletionTimestamp = new Date(shortened).toISOString();
    podOf(s).deletionGracePeriodSeconds = 27;
    const r = diagnoseAt(s);
    expect(wait(r, 'PodGracePeriod').deadline).toBe(new Date(shortened).toISOString());
    // The controller's estimate still follows spec.terminationGracePeriodSeconds (600): it looks again after 301 s.
    expect(Date.parse(r.expectedBy!) - shortened).toBe(301_000);
  });

  it('escapes what came from the cluster in a wait, and quotes it in the command', () => {
    const s = recorded('pod-grace');
    const pod = podOf(s);
    pod.name = 'web\u001b[2Jx';
    pod.nodeName = 'node\u001b]0;pwned\u0007';
    const r = diagnoseAt(s);
    const text = renderReport(r, 'text', false);
    expect(text).not.toMatch(/\u001b/);
    expect(text).toContain('Pod grace1/web\\x1b[2Jx  grace period 600s');
    expect(wait(r, 'PodGracePeriod').command).toBe("kubectl -n grace1 describe pod $'web\\x1b[2Jx'");
  });

  it('renders the waits in text and markdown', () => {
    const text = renderText(report, false);
    expect(text).toContain('  Waiting on (most decisive first):\n  … 1 pod is inside its grace period until 09:59:34 UTC (in 9m57s)');
    expect(text).toContain(`      Pod grace1/${POD}  grace period 600s, ends 09:59:34 UTC (in 9m57s), on node node-grace1\n        └ Node node-grace1  Ready=True`);
    expect(text).toContain(`if it takes longer:\n        $ kubectl -n grace1 describe pod ${POD}`);
    expect(text.indexOf('[PodGracePeriod]')).toBeLessThan(text.indexOf('[NamespaceControllerPass]'));
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('### Waiting on (most decisive first)');
    expect(markdown).toContain(`  - **Pod** \`grace1/${POD}\` — grace period 600s, ends 09:59:34 UTC (in 9m57s)`);
  });
});

describe('pods in grace while the controller already reports "unexpected items" (recorded: 2 s grace, node NotReady)', () => {
  // The controller's estimate runs from the namespace's deletion (17:45:02), not the pod's (17:45:07 + 2 s).
  const inGrace = new Date('2026-11-28T17:45:08Z');

  it('is Progressing inside the grace period: the content failure is about that very pod', () => {
    const r = diagnoseAt(recorded('pod-terminating'), undefined, inGrace);
    expect(r.conditionFacts.contentFailure).toMatch(/unexpected items still remain .* Resource=pods$/);
    expect(r.verdict).toBe('Progressing');
    expect(r.blockers).toEqual([]);
    expect(facts(wait(r, 'PodGracePeriod'))[1]).toMatch(/^Node node-pod1: Ready=Unknown .*PodsStuckTerminating after 17:45:09 UTC$/);
    // Short grace: the controller is already retrying with backoff, at most as long as it has been failing (5 s).
    expect(Date.parse(r.expectedBy!) - Date.parse('2026-11-28T17:45:09Z')).toBe(5_000);
  });

  it('is Blocked by PodsStuckTerminating once the grace period is over', () => {
    expect(diagnoseAt(recorded('pod-terminating')).blockers.map((b) => b.id)).toEqual(['PodsStuckTerminating']);
  });

  it('still reports the failure when it names anything but those pods: ContentNotRemoved, about that type', () => {
    const s = recorded('pod-terminating');
    const failure = s.namespace!.conditions.find((c) => c.type === 'NamespaceDeletionContentFailure')!;
    failure.message = failure.message!.replace('/v1, Resource=pods', '/v1, Resource=configmaps');
    const r = diagnoseAt(s, undefined, inGrace);
    expect(r.verdict).toBe('Blocked');
    expect(r.blockers.map((b) => [b.id, b.subject])).toEqual([['ContentNotRemoved', { kind: 'ResourceType', group: '', version: 'v1', resource: 'configmaps' }]]);
  });

  it('reports ContentDeletionFailed when the failure is one no check explains', () => {
    const s = recorded('pod-terminating');
    const failure = s.namespace!.conditions.find((c) => c.type === 'NamespaceDeletionContentFailure')!;
    failure.message = 'Failed to delete all resource types, 1 remaining: etcdserver: request timed out';
    expect(diagnoseAt(s, undefined, inGrace).blockers.map((b) => b.id)).toEqual(['ContentDeletionFailed']);
  });
});

describe('a finalizer whose controller runs (recorded: ObjectBucket, operator pod Ready)', () => {
  const snapshot = recorded('finalizer-live');
  const report = diagnoseAt(snapshot);

  it('is Progressing; RBAC alone says the pod "may" remove it (never "runs"); bounded by --stall-after', () => {
    expect(report.verdict).toBe('Progressing');
    const w = wait(report, 'FinalizerController');
    expect(report.waitingOn![0]).toBe(w);
    expect(w.finalizer).toMatchObject({
      finalizer: 'storage.ns-doctor.dev/bucket-cleanup',
      group: 'storage.ns-doctor.dev',
      resource: 'objectbuckets',
      objects: 1,
      owner: { confidence: 'may', pods: [{ namespace: 'live1-system', name: 'bucket-operator-6b7f9c5d4-q8m2z', ready: true }] },
    });
    expect(w.finalizer!.stall).toBeUndefined();
    const deleted = Date.parse(snapshot.content!.stuck[0].meta.deletionTimestamp!);
    expect(Date.parse(w.deadline!)).toBe(deleted + 10 * 60_000);
    expect(facts(w).join('\n')).not.toContain('runs the controller');
    expect(w.command).toBe('kubectl -n live1-system logs bucket-operator-6b7f9c5d4-q8m2z --all-containers --since=1h');
    const pass = wait(report, 'NamespaceControllerPass');
    expect(Date.parse(pass.deadline!)).toBe(Date.parse(w.deadline!) + 8_000);
    expect(Date.parse(report.expectedBy!)).toBe(Date.parse(pass.deadline!));
  });

  it('the same wait is FinalizerControllerStalled once --stall-after has passed since the object\'s own deletion', () => {
    const deleted = Date.parse(snapshot.content!.stuck[0].meta.deletionTimestamp!);
    const late = diagnose(snapshot, { now: new Date(deleted + 10 * 60_000 + 1_000), controllerTimeoutMs: 5 * 60_000 });
    expect(late.blockers.map((b) => b.id)).toEqual(['FinalizerControllerStalled']);
    expect(late.blockers[0].finalizer!.stall).toMatchObject({ reason: 'StallAfter', stallAfterSeconds: 600 });
    expect(late.waitingOn).toBeUndefined();
    const flag = diagnose(snapshot, { now: new Date(deleted + 31_000), controllerTimeoutMs: 5 * 60_000, stallAfterMs: 30_000 });
    expect(flag.blockers.map((b) => b.id)).toEqual(['FinalizerControllerStalled']);
  });

  it('one rule: with no Ready controller pod the same objects are FinalizerOwnerMissing, and no longer a wait', () => {
    const s = recorded('finalizer-live');
    s.finalizerOwners[0].candidates[0].pods[0].ready = false;
    const r = diagnoseAt(s);
    expect(r.blockers.map((b) => b.id)).toEqual(['FinalizerOwnerMissing']);
    expect(r.waitingOn).toBeUndefined();
  });

  it('an unreadable RBAC is neither: it is a gap, and the verdict Incomplete', () => {
    const s = recorded('finalizer-live');
    s.finalizerOwners[0].rbacReadable = false;
    s.gaps.push({ kind: 'evidence', what: 'list RBAC roles and bindings', reason: '403 Forbidden', httpStatus: 403 });
    const r = diagnoseAt(s);
    expect(r.verdict).toBe('Incomplete');
    expect(r.blockers).toEqual([]);
  });
});

describe('foreground deletion whose dependents are going', () => {
  /** The recorded pod becomes the blocking dependent of a ReplicaSet deleted in the foreground. */
  function withForegroundOwner(): Snapshot {
    const s = recorded('pod-grace');
    const pod = podOf(s);
    const owner: ObjectSample = {
      group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet',
      meta: { name: 'web-7c9f5d8b6', namespace: 'grace1', uid: 'rs-uid', deletionTimestamp: s.takenAt, finalizers: ['foregroundDeletion'] },
    };
    const dependent: ObjectSample = {
      group: '', version: 'v1', resource: 'pods', kind: 'Pod',
      meta: { name: pod.name, namespace: 'grace1', deletionTimestamp: pod.deletionTimestamp, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7c9f5d8b6', uid: 'rs-uid', blockOwnerDeletion: true }] },
    };
    s.content!.stuck.push(owner);
    s.content!.blockingDependents.push(dependent);
    return s;
  }

  it('waits while the dependent pod is inside its grace period, until the pod\'s deadline', () => {
    const r = diagnoseAt(withForegroundOwner());
    expect(r.verdict).toBe('Progressing');
    const w = wait(r, 'ForegroundDeletion');
    expect(w.deadline).toBe(podOf(recorded('pod-grace')).deletionTimestamp!.replace('Z', '.000Z'));
    expect(facts(w)[1]).toMatch(new RegExp(`^Pod grace1/${POD}: dependent with blockOwnerDeletion, Terminating, grace period ends 09:59:34 UTC`));
  });

  it('is DependentsBlockDeletion (with PodsStuckTerminating) once the dependent is past its grace period', () => {
    const s = withForegroundOwner();
    const r = diagnoseAt(s, undefined, at(podOf(s).deletionTimestamp!, 1_000));
    expect(r.blockers.map((b) => b.id).sort()).toEqual(['DependentsBlockDeletion', 'PodsStuckTerminating']);
  });

  it('is DependentsBlockDeletion when a dependent is not being deleted at all (the garbage collector is not acting)', () => {
    const s = withForegroundOwner();
    delete s.content!.blockingDependents.at(-1)!.meta.deletionTimestamp;
    expect(diagnoseAt(s).blockers.map((b) => b.id)).toContain('DependentsBlockDeletion');
  });
});

describe('a claim held by pvc-protection for a pod inside its grace period', () => {
  function withClaim(): Snapshot {
    const s = recorded('pod-grace');
    s.content!.stuck.push({
      group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim',
      meta: { name: 'web-data', namespace: 'grace1', deletionTimestamp: s.takenAt, finalizers: ['kubernetes.io/pvc-protection'] },
    });
    podOf(s).claimNames = ['web-data'];
    return s;
  }

  it('waits with the pod (the claim shown under it), and is PVCInUse once the pod is past its grace period', () => {
    const s = withClaim();
    const r = diagnoseAt(s);
    expect(r.verdict).toBe('Progressing');
    expect(facts(wait(r, 'PodGracePeriod'))).toContain('PersistentVolumeClaim grace1/web-data: deleted, held by kubernetes.io/pvc-protection until this pod is gone');
    const after = diagnoseAt(s, undefined, at(podOf(s).deletionTimestamp!, 1_000));
    expect(after.blockers.map((b) => b.id).sort()).toEqual(['PVCInUse', 'PodsStuckTerminating']);
  });
});

describe('before the namespace controller\'s first pass', () => {
  function fresh(): Snapshot {
    const s = recorded('pod-grace');
    s.namespace!.conditions = [];
    s.pods = {};
    s.content!.types = s.content!.types.map((t) => ({ ...t, withDeletionTimestamp: 0, oldestDeletionTimestamp: undefined }));
    s.content!.stuck = [];
    return s;
  }

  it('waits for the first pass, with the NamespaceControllerNotRunning threshold as its deadline and no finish time', () => {
    const s = fresh();
    const deleted = Date.parse(s.namespace!.deletionTimestamp!);
    const r = diagnoseAt(s, 5 * 60_000, new Date(deleted + 2_000));
    expect(r.verdict).toBe('Progressing');
    const w = wait(r, 'NamespaceControllerPass');
    expect(w.deadline).toBe(new Date(deleted + 5 * 60_000).toISOString());
    expect(w.summary).toContain('its first pass is due 5s after the deletion (09:49:34 UTC)');
    expect(r.expectedBy).toBeUndefined();
    expect(r.summary).toMatch(/no finish time known: the namespace controller has not made its first pass yet$/);
  });

  it('is NamespaceControllerNotRunning past that deadline: the same threshold', () => {
    const s = fresh();
    const deleted = Date.parse(s.namespace!.deletionTimestamp!);
    expect(diagnoseAt(s, 5 * 60_000, new Date(deleted + 5 * 60_000 - 1)).verdict).toBe('Progressing');
    expect(diagnoseAt(s, 5 * 60_000, new Date(deleted + 5 * 60_000)).blockers.map((b) => b.id)).toEqual(['NamespaceControllerNotRunning']);
  });
});

describe('the namespace controller\'s requeue', () => {
  it('looks again after estimate/2+1 s (integer division), as namespace_controller.go does', () => {
    expect(requeueSeconds(600)).toBe(301);
    expect(requeueSeconds(15)).toBe(8);
    expect(requeueSeconds(0)).toBe(1);
  });

  it('after the pods: the requeue while inside the longest grace, the retry backoff (≤ 60 s) after it', () => {
    const s = recorded('pod-grace');
    const deleted = Date.parse(s.namespace!.deletionTimestamp!);
    expect(passAfterPods(s, deleted + 100_000) - (deleted + 100_000)).toBe(301_000);
    expect(passAfterPods(s, deleted + 610_000) - (deleted + 610_000)).toBe(301_000);
    podOf(s).terminationGracePeriodSeconds = 10;
    expect(passAfterPods(s, deleted + 13_000) - (deleted + 13_000)).toBe(6_000);
    expect(passAfterPods(s, deleted + 40_000) - (deleted + 40_000)).toBe(30_000);
    expect(passAfterPods(s, deleted + 3_600_000) - (deleted + 3_600_000)).toBe(60_000);
  });
});

describe('--wait against the expected finish', () => {
  const base = () => diagnoseAt(recorded('pod-grace'));
  const now = new Date('2026-12-01T10:00:00Z');

  it('says LATE with how long past the expected finish', () => {
    const r = base();
    applyProgress(r, { waitedSeconds: 60, objectsBefore: 6, objectsAfter: 6, namespaceGone: false, stalled: true, expectedBy: '2026-12-01T09:59:00Z', late: true, lateBySeconds: 60 }, now);
    expect(r.summary).toMatch(/ — no progress in 1m \(6 objects left\) — LATE: expected by 09:59:00 UTC, 1m past that$/);
  });

  it('says on track while the expected finish is ahead, and on time when it went before it', () => {
    const r = base();
    applyProgress(r, { waitedSeconds: 30, objectsBefore: 6, objectsAfter: 6, namespaceGone: false, stalled: true, expectedBy: '2026-12-01T10:02:00Z', late: false }, now);
    expect(r.summary).toMatch(/ — on track: expected by 10:02:00 UTC \(in 2m\)$/);
    const gone = base();
    applyProgress(gone, { waitedSeconds: 20, objectsBefore: 1, objectsAfter: 0, namespaceGone: true, stalled: false, expectedBy: '2026-12-01T10:02:00Z', late: false }, now);
    expect(gone.verdict).toBe('NotTerminating');
    expect(gone.summary).toBe('namespace grace1 finished deleting while watched (20s; 1 object was left at the start) — on time (expected by 10:02:00 UTC)');
  });
});

describe('--all', () => {
  it('the table says what each Progressing namespace waits on, and until when', () => {
    // As --from-snapshot does: each judged at its own clock, the list drawn at the latest of them.
    const snapshots = [recorded('pod-grace'), recorded('finalizer-live')];
    const items = snapshots.map((s) => diagnoseAt(s));
    const drawnAt = new Date(Math.max(...snapshots.map((s) => Date.parse(s.takenAt))));
    const text = renderTextList({ apiVersion: REPORT_API_VERSION, kind: 'NamespaceDiagnosisList', items, stats: { requests: 1, bytesReceived: 1, durationMs: 1, retries: 0 } }, false, drawnAt);
    expect(text).toMatch(/\ngrace1 +\S+ +Progressing +PodGracePeriod,NamespaceControllerPass \(by 10:04 UTC\)\n/);
    expect(text).toMatch(/\nlive1 +\S+ +Progressing +FinalizerController,NamespaceControllerPass \(by 09:59 UTC\)\n/);
  });
});
