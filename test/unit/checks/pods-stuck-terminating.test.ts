import { describe, expect, it } from 'vitest';
import { podsStuckTerminating } from '../../../src/checks/pods-stuck-terminating.js';
import { contextFor, facts, recorded } from '../helpers.js';

describe('PodsStuckTerminating (recorded: pod on a node whose kubelet stopped posting status)', () => {
  it('reports the pod past its grace period and the node state', () => {
    const snapshot = recorded('pod-terminating');
    const [blocker] = podsStuckTerminating.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('PodsStuckTerminating');
    const chain = facts([blocker]);
    expect(chain[0]).toMatch(/^Pod worker-6f7c9-qk2vd: .*grace period over .* ago, on node node-pod1/);
    expect(chain[1]).toMatch(/^Node node-pod1: Ready=Unknown/);
    expect(blocker.fixes.map((f) => f.command)).toContain('kubectl taint nodes node-pod1 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute');
    expect(blocker.fixes.at(-1)).toMatchObject({ safety: 'last-resort', command: 'kubectl -n pod1 delete pod worker-6f7c9-qk2vd --grace-period=0 --force' });
  });

  it('waits while the grace period is still running', () => {
    const snapshot = recorded('pod-terminating');
    const pod = Object.values(snapshot.pods)[0];
    const context = contextFor(snapshot, { now: new Date(Date.parse(pod.deletionTimestamp!) - 5_000) });
    expect(podsStuckTerminating.run(snapshot, context)).toEqual([]);
  });

  it('says the pod garbage collector should act when the node is gone', () => {
    const snapshot = recorded('pod-terminating');
    snapshot.nodes['node-pod1'] = { name: 'node-pod1', exists: false, taints: [] };
    const [blocker] = podsStuckTerminating.run(snapshot, contextFor(snapshot));
    expect(facts([blocker])).toContain('Node node-pod1: does not exist (deleted)');
    expect(blocker.fixes[0].description).toContain('pod garbage collector');
  });
});
