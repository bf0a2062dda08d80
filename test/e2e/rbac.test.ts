// A user who may read only its own namespace and core types: a CR finalizer it cannot list holds the namespace.
// The diagnosis must say Incomplete and what it could not see, never "nothing there".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose, nsDoctor, scenario } from './harness.js';
import { blockerIds, expectReportShape } from './report-shape.js';

const ns = 'e2e-rbac';
let userKubeconfig = '';

describe('limited RBAC', () => {
  beforeAll(async () => {
    const r = await scenario('rbac-limited', 'up', ns);
    userKubeconfig = r.stdout.trim().split('\n').pop() ?? '';
    expect(userKubeconfig).toMatch(/\.kubeconfig$/);
  });
  afterAll(async () => {
    await scenario('rbac-limited', 'down', ns);
  });

  it('-o json as the limited user: Incomplete (exit 2) with gaps naming what could not be read', async () => {
    const { result, report } = await diagnose(ns, [], { kubeconfig: userKubeconfig });
    expect(result.code, result.stderr).toBe(2);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Incomplete');
    expect(report.phase).toBe('Terminating');
    expect(report.gaps.length).toBeGreaterThan(0);
    const crGap = report.gaps.find((g) => /databasebackups/.test(g.what));
    expect(crGap, JSON.stringify(report.gaps, null, 2)).toBeDefined();
    expect(`${crGap?.httpStatus ?? ''} ${crGap?.reason}`).toMatch(/403|[Ff]orbidden/);
    expect(blockerIds(report)).not.toContain('FinalizerOwnerMissing');
  });

  it('the same namespace as admin: Blocked by FinalizerOwnerMissing', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toContain('FinalizerOwnerMissing');
  });

  it('text output as the limited user says it is incomplete and what was not visible', async () => {
    const r = await nsDoctor([ns], { kubeconfig: userKubeconfig });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/INCOMPLETE/i);
    expect(r.stdout).toContain('databasebackups');
  });
});
