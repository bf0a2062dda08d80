// A namespace created with an extra spec.finalizers token that nothing will remove.
import { describe, expect, it } from 'vitest';
import { diagnose, kubectlJson, nsDoctor, useScenario } from './harness.js';
import { blocker, expectReportShape, link } from './report-shape.js';

const ns = 'e2e-ns-finalizer';
const token = 'platform.example.com/namespace-cleanup';

describe('extra spec.finalizers token', () => {
  useScenario('ns-finalizer', ns);

  it('the namespace controller removed only its own token', async () => {
    const n = await kubectlJson(['get', 'namespace', ns]);
    expect(n.spec.finalizers).toEqual([token]);
    expect(n.status.conditions.every((c: { status: string }) => c.status === 'False')).toBe(true);
  });

  it('-o json: NamespaceFinalizerRemaining naming the token, fixed through /finalize', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    expect(report.namespaceFinalizers.spec).toEqual([token]);
    const b = blocker(report, 'NamespaceFinalizerRemaining');
    expect(link(b, 'Namespace', ns).fact).toContain(token);
    expect(b.fixes.some((f) => f.command?.includes(`/api/v1/namespaces/${ns}/finalize`))).toBe(true);
  });

  it('text output names the token', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(1);
    for (const fact of ['BLOCKED', token]) expect(r.stdout).toContain(fact);
  });
});
