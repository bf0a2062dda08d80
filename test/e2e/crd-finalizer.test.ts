// A custom resource whose finalizer belongs to an operator that is not running.
import { describe, expect, it } from 'vitest';
import { diagnose, namespaceCondition, nsDoctor, useScenario } from './harness.js';
import { blocker, expectReportShape, link } from './report-shape.js';

const ns = 'e2e-backups';
const finalizer = 'example.ns-doctor.dev/snapshot-cleanup';

describe('custom resource finalizer without a live controller', () => {
  useScenario('crd-finalizer', ns);

  it('the namespace controller reports the finalizer', async () => {
    expect(await namespaceCondition(ns, 'NamespaceFinalizersRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${finalizer} in 1 resource instances`,
    });
  });

  it('-o json: FinalizerOwnerMissing on the DatabaseBackup, counted in remaining', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    const b = blocker(report, 'FinalizerOwnerMissing');
    expect(link(b, 'DatabaseBackup', 'nightly', ns).fact).toContain(finalizer);
    const remaining = report.remaining.find((r) => r.resource === 'databasebackups');
    expect(remaining).toMatchObject({ group: 'example.ns-doctor.dev', count: 1, withFinalizers: 1 });
    expect(remaining?.finalizers).toEqual({ [finalizer]: 1 });
    expect(remaining?.withDeletionTimestamp).toBe(1);
  });

  it('text output names the object and its finalizer', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(1);
    for (const fact of ['BLOCKED', 'nightly', finalizer]) expect(r.stdout).toContain(fact);
  });
});
