// Shapes real clusters produce, read on the real control plane:
// - pods on a node that went away, with the container status the kubelet writes for a container it lost
//   (`terminated: {exitCode: 137, reason: ContainerStatusUnknown, startedAt: null, finishedAt: null}`,
//   kubernetes/kubernetes#108733), written through the status subresource: PodsStuckTerminating and its fix show;
// - one object corrupted on the wire (the fault proxy) among good siblings: a gap naming that object, the siblings
//   still diagnosed;
// - discovery answering `{}` or `{"groups": null}` while the namespace controller names content it is waiting
//   for: a malformed discovery gap and an inconsistency gap, Incomplete (exit 2), never "progressing: 0 objects".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { FaultProxy, type Fault } from './fault-proxy.js';
import { diagnose, kubectl, kubectlJson, kubectlOk, nsDoctor, waitFor, waitForNamespaceCondition } from './harness.js';
import { expectReportShape } from './report-shape.js';

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
let proxy: FaultProxy;

async function through(ns: string, faults: Fault[]): Promise<{ code: number; report: Report; stderr: string }> {
  proxy.reset(faults);
  const result = await nsDoctor([ns, '-o', 'json'], { kubeconfig: proxy.kubeconfig() });
  try {
    return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
  } catch {
    throw new Error(`no JSON on stdout (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
}

async function waitGone(ns: string): Promise<void> {
  await waitFor(`namespace ${ns} gone`, async () => {
    if ((await kubectl(['get', 'namespace', ns])).code !== 0) return true;
    await kubectl(['annotate', 'namespace', ns, '--overwrite', `ns-doctor.dev/nudge=${Date.now()}`]);
    return false;
  }, { timeoutMs: 120_000, intervalMs: 2_000 });
}

beforeAll(async () => {
  proxy = await FaultProxy.start();
});
afterAll(async () => {
  await proxy?.stop();
});

describe('pods the kubelet lost, on a node that went away', () => {
  const ns = 'e2e-lost-pods';
  const node = `node-${ns}`;
  const pods = ['web-0', 'web-1', 'web-2'];

  beforeAll(async () => {
    await kubectlOk(['apply', '-f', '-'], {
      input: `{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "${node}"}, "spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]}}`,
    });
    await kubectlOk(['patch', 'node', node, '--subresource=status', '--type=merge', '-p', JSON.stringify({
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: ago(3600), lastTransitionTime: ago(3000) }] },
    })]);
    await kubectlOk(['create', 'namespace', ns]);
    for (const pod of pods) {
      await kubectlOk(['apply', '-n', ns, '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod }, spec: { nodeName: node, terminationGracePeriodSeconds: 2, containers: [{ name: 'web', image: 'registry.example/web:1.0' }] } }),
      });
      // What the kubelet writes for a container it can no longer find: no start or finish time (both null).
      const lost = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' };
      await kubectlOk(['patch', 'pod', pod, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False', reason: 'NodeNotReady', lastTransitionTime: ago(3000) }],
          containerStatuses: [{ name: 'web', ready: false, restartCount: 0, image: 'registry.example/web:1.0', imageID: '', state: { terminated: lost }, lastState: { terminated: lost } }],
        },
      })]);
    }
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await waitForNamespaceCondition(ns, 'NamespaceDeletionContentFailure', 'True', 120_000);
    // Past every pod's grace period (deletionTimestamp is its end).
    await waitFor('grace periods over', async () => {
      const list = await kubectlJson<{ items: { metadata: { deletionTimestamp?: string } }[] }>(['get', 'pods', '-n', ns]);
      return list.items.length === 3 && list.items.every((p) => p.metadata.deletionTimestamp && Date.parse(p.metadata.deletionTimestamp) + 2_000 < Date.now());
    });
  }, 180_000);

  afterAll(async () => {
    await kubectl(['delete', 'pods', '--all', '-n', ns, '--force', '--grace-period=0', '--wait=false']);
    await kubectl(['delete', 'node', node, '--ignore-not-found', '--wait=false']);
    await waitGone(ns);
  }, 180_000);

  it('the API server really serves the null timestamps', async () => {
    const pod = await kubectlJson(['get', 'pod', 'web-0', '-n', ns]);
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown', startedAt: null, finishedAt: null });
  });

  it('PodsStuckTerminating with every pod, its NotReady node and the force-delete fix; nothing unread', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.gaps).toEqual([]);
    const b = report.blockers.find((x) => x.id === 'PodsStuckTerminating');
    expect(b, JSON.stringify(report.blockers.map((x) => x.id))).toBeDefined();
    for (const pod of pods) expect(b!.evidence.some((e) => e.ref.kind === 'Pod' && e.ref.name === pod)).toBe(true);
    expect(b!.evidence.find((e) => e.ref.kind === 'Node')?.fact).toMatch(/Ready=Unknown/);
    expect(b!.evidence.find((e) => e.ref.name === 'web-0')?.fact).toContain('ContainerStatusUnknown (137)');
    expect(b!.fixes.some((f) => f.command?.includes('--force'))).toBe(true);
  });

  it('one pod corrupted on the wire: a gap naming that pod, and its siblings still diagnosed', async () => {
    const corruptWeb1: Fault = {
      path: new RegExp(`^/api/v1/namespaces/${ns}/pods\\?`),
      kind: 'rewrite',
      rewrite: (body: { kind?: string; items?: { metadata: { name: string }; status: { containerStatuses: unknown } }[] }) => {
        // Only the full list (the metadata-only survey is left alone): web-1's container statuses are no objects.
        if (body.kind === 'PodList') for (const pod of body.items ?? []) if (pod.metadata.name === 'web-1') pod.status.containerStatuses = ['not-a-status'];
        return body;
      },
    };
    const { code, report, stderr } = await through(ns, [corruptWeb1]);
    expect(code, stderr).toBe(1);
    expect(report.verdict).toBe('Blocked');
    expect(report.gaps).toEqual([
      expect.objectContaining({ kind: 'evidence', what: `read Pod ${ns}/web-1`, object: { kind: 'Pod', namespace: ns, name: 'web-1' }, reason: expect.stringMatching(/^malformed Pod: containers\.0/) }),
    ]);
    const b = report.blockers.find((x) => x.id === 'PodsStuckTerminating')!;
    const named = b.evidence.filter((e) => e.ref.kind === 'Pod').map((e) => e.ref.name).sort();
    expect(named).toEqual(['web-0', 'web-2']);
    expect(report.remaining.find((r) => r.resource === 'pods')?.count).toBe(3);
  });
});

describe('discovery of the wrong shape, while the namespace controller names what remains', () => {
  const ns = 'e2e-discovery-shape';
  const finalizer = 'e2e.ns-doctor.dev/hold';

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: [finalizer] } }) });
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await waitForNamespaceCondition(ns, 'NamespaceContentRemaining', 'True', 120_000);
  }, 180_000);

  afterAll(async () => {
    await kubectl(['patch', 'configmap', 'held', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await waitGone(ns);
  }, 180_000);

  it.each([
    ['{}', {}],
    ['{"groups": null}', { kind: 'APIGroupList', groups: null }],
  ])('/apis answering %s: malformed discovery and the controller\'s content unseen, Incomplete (exit 2)', async (_name, answer) => {
    const { code, report, stderr } = await through(ns, [{ path: /^\/apis$/, kind: 'rewrite', rewrite: () => answer }]);
    expect(code, stderr).toBe(2);
    expect(report.verdict).toBe('Incomplete');
    expect(report.summary).not.toMatch(/progressing/);
    expect(report.gaps).toContainEqual(expect.objectContaining({ kind: 'discovery', reason: expect.stringContaining('malformed discovery response: /apis has no') }));
    expect(report.gaps).toContainEqual(
      expect.objectContaining({ kind: 'inconsistent', resource: 'configmaps', reason: expect.stringMatching(/^NamespaceContentRemaining reports \d+ configmaps in the namespace; the survey found none/) }),
    );
    expect(report.gaps).toContainEqual(expect.objectContaining({ kind: 'inconsistent', reason: expect.stringContaining(`NamespaceFinalizersRemaining reports ${finalizer} in 1 resource instances`) }));
  });
});
