// The namespace controller is not running: kube-controller-manager restarted without it. A deleted namespace gets
// no deletion conditions at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose, kubectlJson, nsDoctor, scenario } from './harness.js';
import { blocker, blockerIds, expectReportShape, link } from './report-shape.js';

const ns = 'e2e-no-controller';

describe('namespace controller not running', () => {
  beforeAll(async () => {
    await scenario('ns-controller-down', 'up', ns);
    // Past the --controller-timeout used below, with margin.
    await new Promise((r) => setTimeout(r, 7_000));
  });
  afterAll(async () => {
    await scenario('ns-controller-down', 'down', ns);
  });

  it('the namespace is Terminating with no deletion conditions', async () => {
    const n = await kubectlJson(['get', 'namespace', ns]);
    expect(n.status.phase).toBe('Terminating');
    expect(n.status.conditions ?? []).toEqual([]);
    expect(n.spec.finalizers).toEqual(['kubernetes']);
  });

  it('-o json --controller-timeout 5s: NamespaceControllerNotRunning', async () => {
    const { result, report } = await diagnose(ns, ['--controller-timeout', '5s']);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    const b = blocker(report, 'NamespaceControllerNotRunning');
    link(b, 'Namespace', ns);
    expect(report.conditions).toEqual([]);
  });

  it('with the default controller timeout (5m) it is not called a dead controller yet', async () => {
    const { report } = await diagnose(ns);
    expect(blockerIds(report)).not.toContain('NamespaceControllerNotRunning');
  });

  it('text output says the namespace controller is not running', async () => {
    const r = await nsDoctor([ns, '--controller-timeout', '5s']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/namespace controller/i);
  });
});
