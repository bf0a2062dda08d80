// A pod stuck Terminating on a node whose kubelet is gone: nothing ever confirms that the pod stopped.
import { describe, expect, it } from 'vitest';
import { diagnose, kubectlJson, namespaceCondition, nsDoctor, useScenario } from './harness.js';
import { blocker, expectReportShape, link } from './report-shape.js';

const ns = 'e2e-stuck-pod';
const pod = 'worker-6f7c9-qk2vd';
const node = `node-${ns}`;

describe('pod Terminating on a NotReady node', () => {
  useScenario('pod-terminating', ns);

  it('the pod is past its grace period and the namespace controller gave up on it', async () => {
    const p = await kubectlJson(['get', 'pod', pod, '-n', ns]);
    expect(Date.parse(p.metadata.deletionTimestamp)).toBeLessThan(Date.now());
    expect((await namespaceCondition(ns, 'NamespaceDeletionContentFailure'))?.message).toContain(
      'unexpected items still remain in namespace: e2e-stuck-pod for gvr: /v1, Resource=pods',
    );
  });

  it('-o json: PodsStuckTerminating with the pod and its NotReady node', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    const b = blocker(report, 'PodsStuckTerminating');
    link(b, 'Pod', pod, ns);
    expect(link(b, 'Node', node).fact).toMatch(/Ready=(Unknown|False)|NotReady/);
    expect(report.remaining.find((r) => r.resource === 'pods' && r.group === '')).toMatchObject({
      count: 1,
      withDeletionTimestamp: 1,
    });
    expect(b.fixes.some((f) => f.command?.includes('--force') && f.command.includes(pod))).toBe(true);
  });

  it('text output names the pod and the node', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(1);
    for (const fact of ['BLOCKED', pod, node]) expect(r.stdout).toContain(fact);
  });
});
