// An APIService left behind by an uninstall: its Service no longer exists.
import { describe, expect, it } from 'vitest';
import { diagnose, kubectlJson, namespaceCondition, nsDoctor, useScenario } from './harness.js';
import { blocker, blockerIds, expectReportShape, link } from './report-shape.js';

const ns = 'e2e-orphaned';
const apiserviceName = 'v1beta1.custom.metrics.k8s.io';

describe('APIService whose Service is gone', () => {
  useScenario('apiservice-orphaned', ns);

  it('the aggregator reports ServiceNotFound and the namespace controller a discovery failure', async () => {
    const apiservice = await kubectlJson(['get', 'apiservice', apiserviceName]);
    expect(apiservice.status.conditions.find((c: { type: string }) => c.type === 'Available')).toMatchObject({
      status: 'False',
      reason: 'ServiceNotFound',
      message: 'service/prometheus-adapter in "monitoring" is not present',
    });
    expect((await namespaceCondition(ns, 'NamespaceDeletionDiscoveryFailure'))?.message).toContain(
      'custom.metrics.k8s.io/v1beta1',
    );
  });

  it('-o json: APIServiceOrphaned, told apart from a broken API', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    expect(blockerIds(report)).toContain('APIServiceOrphaned');
    expect(blockerIds(report)).not.toContain('APIServiceUnavailable');
    const b = blocker(report, 'APIServiceOrphaned');
    expect(link(b, 'APIService', apiserviceName).fact).toContain('ServiceNotFound');
    expect(b.fixes.map((f) => f.command)).toContain(`kubectl delete apiservice ${apiserviceName}`);
  });

  it('text output names the APIService, the missing Service and the fix', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(1);
    for (const fact of [apiserviceName, 'ServiceNotFound', 'monitoring/prometheus-adapter', `kubectl delete apiservice ${apiserviceName}`]) {
      expect(r.stdout).toContain(fact);
    }
  });
});
