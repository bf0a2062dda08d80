// The KubeCon story on a real control plane: metrics-server OOM-killed on a NotReady node → APIService unavailable →
// the real namespace controller cannot discover all APIs → the deleted namespace stays Terminating.
import { describe, expect, it } from 'vitest';
import type { ReportList } from '../../src/model/report.js';
import { diagnose, kubectlJson, namespaceCondition, nsDoctor, stripAnsi, useScenario } from './harness.js';
import { blocker, blockerIds, expectReportShape, link } from './report-shape.js';

const ns = 'e2e-payments';

describe('metrics-server OOM-killed on a NotReady node', () => {
  useScenario('metrics-server', ns);

  it('is really stuck the way the story says (aggregator and namespace controller)', async () => {
    const apiservice = await kubectlJson(['get', 'apiservice', 'v1beta1.metrics.k8s.io']);
    const available = apiservice.status.conditions.find((c: { type: string }) => c.type === 'Available');
    expect(available).toMatchObject({ status: 'False', reason: 'MissingEndpoints' });
    expect(available.message).toContain('service/metrics-server in "kube-system"');
    const discovery = await namespaceCondition(ns, 'NamespaceDeletionDiscoveryFailure');
    expect(discovery).toMatchObject({ status: 'True', reason: 'DiscoveryFailed' });
    expect(discovery?.message).toContain('metrics.k8s.io/v1beta1');
    const nsObj = await kubectlJson(['get', 'namespace', ns]);
    expect(nsObj.status.phase).toBe('Terminating');
    expect(nsObj.spec.finalizers).toEqual(['kubernetes']);
  });

  it('-o json: Blocked by APIServiceUnavailable with the whole chain down to the node', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    expect(report.phase).toBe('Terminating');
    expect(blockerIds(report)).toContain('APIServiceUnavailable');

    const b = blocker(report, 'APIServiceUnavailable');
    const apiservice = link(b, 'APIService', 'v1beta1.metrics.k8s.io');
    expect(apiservice.fact).toMatch(/Available=False/);
    expect(apiservice.fact).toMatch(/MissingEndpoints/);
    const service = link(b, 'Service', 'metrics-server', 'kube-system');
    expect(service.fact).toMatch(/0 ready endpoints/);
    const pod = link(b, 'Pod', /^metrics-server-7d9f8c6b5d-/, 'kube-system');
    expect(pod.fact).toContain('OOMKilled');
    expect(pod.fact).toContain('137');
    expect(pod.fact).toContain('CrashLoopBackOff');
    expect(pod.fact).toMatch(/\b14 restarts\b/);
    const node = link(b, 'Node', 'ip-10-0-3-7.ec2.internal');
    expect(node.fact).toContain('Ready=False');
    expect(apiservice.depth).toBeLessThan(service.depth);
    expect(service.depth).toBeLessThan(pod.depth);
    expect(pod.depth).toBeLessThan(node.depth);

    expect(b.fixes[0].safety).toBe('safe');
    expect(b.fixes.map((f) => f.command)).toContain('kubectl delete apiservice v1beta1.metrics.k8s.io');
    expect(b.fixes.find((f) => f.command === 'kubectl delete apiservice v1beta1.metrics.k8s.io')?.safety).toBe(
      'last-resort',
    );
    expect(report.discovery.failing.map((f) => f.groupVersion)).toContain('metrics.k8s.io/v1beta1');
    expect(report.conditions.find((c) => c.type === 'NamespaceDeletionDiscoveryFailure')?.status).toBe('True');
  });

  it('text output tells the same story', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe(stripAnsi(r.stdout));
    for (const fact of [
      ns,
      'BLOCKED',
      'v1beta1.metrics.k8s.io',
      'MissingEndpoints',
      'kube-system/metrics-server',
      'CrashLoopBackOff',
      'OOMKilled',
      '137',
      'ip-10-0-3-7.ec2.internal',
      'Ready=False',
      'kubectl delete apiservice v1beta1.metrics.k8s.io',
    ]) {
      expect(r.stdout).toContain(fact);
    }
  });

  it('--all lists the namespace as Blocked', async () => {
    const r = await nsDoctor(['--all', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const list = JSON.parse(r.stdout) as ReportList;
    expect(list.kind).toBe('NamespaceDiagnosisList');
    const item = list.items.find((i) => i.namespace === ns);
    expect(item?.verdict).toBe('Blocked');
    expect(item && blockerIds(item)).toContain('APIServiceUnavailable');
  });
});
