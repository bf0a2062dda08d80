// Reconciliation paused on purpose, on the real control plane (real-world cause 10): a Cluster API Machine annotated
// cluster.x-k8s.io/paused waits on a controller that runs and, by design, leaves it alone. Blocked at once (never a
// wait until --stall-after); the fixes printed are real kubectl commands that work here; a pause switch ns-doctor
// does not know is only a "may", never a verdict.
import { describe, expect, it } from 'vitest';
import type { FixPlan } from '../../src/model/plan.js';
import { diagnose, kubectlJson, kubectlOk, nsDoctor, run, useScenario } from './harness.js';
import { blocker, blockerIds, expectReportShape, link } from './report-shape.js';

describe('a paused Cluster API Machine in a Terminating namespace', () => {
  const ns = 'e2e-paused';
  const finalizer = 'machine.cluster.x-k8s.io';
  useScenario('paused-reconcile', ns);

  it('is Blocked at once by the pause, with the running controller named and the resume before the last resort', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(blockerIds(report)).toEqual(['FinalizerControllerStalled']);
    const b = blocker(report, 'FinalizerControllerStalled');
    expect(b.subject).toEqual({ kind: 'Finalizer', finalizer, group: 'cluster.x-k8s.io', resource: 'machines' });
    expect(b.finalizer).toMatchObject({
      objects: 2,
      owner: { confidence: 'runs', project: 'Cluster API', pods: [{ namespace: 'capi-system', name: 'capi-controller-manager-7d4b9c6f8-m2x7q', ready: true }] },
      stall: { reason: 'Paused', source: { kind: 'Machine', name: 'md-0-7k2fp', namespace: ns }, pause: { switch: 'cluster.x-k8s.io/paused', on: 'annotation', value: '', project: 'Cluster API' } },
    });
    // Minutes old, far inside --stall-after: the pause alone decides.
    expect(b.finalizer!.stall!.waitedSeconds).toBeLessThan(600);
    expect(link(b, 'Machine', 'md-0-7k2fp', ns).fact).toMatch(/^deleted (?:\d+m)?(?:\d+s)? ago, waiting on finalizer machine\.cluster\.x-k8s\.io$/);
    expect(b.evidence.filter((e) => e.ref.name === 'md-0-7k2fp' && e.depth === 1).map((e) => e.fact)).toEqual(['annotation cluster.x-k8s.io/paused="": reconciliation paused (Cluster API)']);
    expect(b.summary).toContain('reconciliation of Machine md-0-7k2fp is paused');
    expect(b.fixes.map((f) => f.safety)).toEqual(['safe', 'caution', 'last-resort']);
    // No "restart the controller": it is not wedged, it was told to wait.
    expect(b.fixes.some((f) => f.command?.includes('delete pod'))).toBe(false);
    expect(b.fixes[1].cost).toMatch(/finish the move first/);
    const text = await nsDoctor([ns]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`$ kubectl -n ${ns} annotate machines.cluster.x-k8s.io md-0-7k2fp cluster.x-k8s.io/paused-`);
  });

  it('the safe fix lists what is paused, and the resume command is one kubectl really runs', async () => {
    const { report } = await diagnose(ns);
    const [safe, resume] = blocker(report, 'FinalizerControllerStalled').fixes;
    const listed = await run('bash', ['-c', safe.command!]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${ns}\\s+md-0-7k2fp\\s*$`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^${ns}\\s+md-0-9xq4c\\s+<none>$`, 'm'));

    expect(resume.command).toBe(`kubectl -n ${ns} annotate machines.cluster.x-k8s.io md-0-7k2fp cluster.x-k8s.io/paused-`);
    const resumed = await run('bash', ['-c', resume.command!]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const machine = await kubectlJson<{ metadata: { annotations?: Record<string, string> } }>(['get', 'machines.cluster.x-k8s.io', 'md-0-7k2fp', '-n', ns]);
    expect(machine.metadata.annotations?.['cluster.x-k8s.io/paused']).toBeUndefined();

    // Resumed, both Machines wait on the running controller, bounded by --stall-after: Progressing.
    const after = await diagnose(ns);
    expect(after.result.code, after.result.stderr).toBe(0);
    expect(after.report.verdict).toBe('Progressing');
    expect(after.report.waitingOn!.find((w) => w.reason === 'FinalizerController')).toMatchObject({ finalizer: { finalizer, objects: 2, owner: { confidence: 'runs' } } });
  });

  it('a pause-shaped annotation of a project ns-doctor does not know is shown as "may", and decides nothing', async () => {
    await kubectlOk(['annotate', 'machines.cluster.x-k8s.io', 'md-0-9xq4c', '-n', ns, 'infra.example.com/paused=true']);
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(0);
    expect(report.verdict).toBe('Progressing');
    const wait = report.waitingOn!.find((w) => w.reason === 'FinalizerController')!;
    expect(wait.evidence.map((e) => e.fact)).toContain(
      'annotation infra.example.com/paused="true": reconciliation may be paused (many operators name their pause switch so; ns-doctor does not know this one)',
    );
  });

  it('fix: nothing safe to write (resuming is a person\'s decision); the last resort removes only that finalizer, guarded by a test op', async () => {
    await kubectlOk(['annotate', 'machines.cluster.x-k8s.io', 'md-0-7k2fp', '-n', ns, 'cluster.x-k8s.io/paused=']);
    const safe = await nsDoctor(['fix', ns, '-o', 'json']);
    const safePlan = JSON.parse(safe.stdout) as FixPlan;
    expect(safePlan.steps).toEqual([]);
    const last = await nsDoctor(['fix', ns, '--allow', 'last-resort', '-o', 'json']);
    expect(last.code, last.stderr).toBe(10);
    const plan = JSON.parse(last.stdout) as FixPlan;
    expect(plan.steps.map((s) => [s.blockerId, s.safety])).toEqual([['FinalizerControllerStalled', 'last-resort']]);
    expect(JSON.stringify(plan.steps[0].request.body)).toContain('"op":"test"');
    expect(plan.steps[0].description).toContain(`remove finalizer ${finalizer} from all 2 machines.cluster.x-k8s.io`);
  });
});

describe('a Machine paused through its Cluster (spec.paused, as clusterctl move leaves it)', () => {
  const ns = 'e2e-paused-cluster';
  useScenario('paused-reconcile', ns, { env: { SCENARIO_PAUSE: 'cluster' } });

  it('both wait on the running controller, and both are Blocked by the Cluster\'s pause, read from the full object', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    const byResource = (resource: string) => report.blockers.find((b) => b.finalizer?.resource === resource);
    for (const [resource, finalizer] of [['clusters', 'cluster.cluster.x-k8s.io'], ['machines', 'machine.cluster.x-k8s.io']] as const) {
      expect(byResource(resource), `${resource}: ${JSON.stringify(report.blockers)}`).toMatchObject({
        id: 'FinalizerControllerStalled',
        subject: { kind: 'Finalizer', finalizer, group: 'cluster.x-k8s.io', resource },
        finalizer: { owner: { confidence: 'runs', project: 'Cluster API' }, stall: { reason: 'Paused', source: { kind: 'Cluster', name: 'prod-eu1', namespace: ns }, pause: { switch: 'spec.paused', on: 'spec', value: 'true', project: 'Cluster API' } } },
      });
    }
    const machines = byResource('machines')!;
    expect(machines.summary).toContain('reconciliation of Cluster prod-eu1, which owns them, is paused');
    expect(machines.evidence.map((e) => e.fact)).toContain('spec.paused=true: reconciliation paused (Cluster API)');
    expect(machines.fixes[1].command).toBe(`kubectl -n ${ns} patch clusters.cluster.x-k8s.io prod-eu1 --type=merge -p '{"spec":{"paused":false}}'`);
  });

  it('the resume command works on the real server, and then nothing is paused: a wait on the running controller', async () => {
    const { report } = await diagnose(ns);
    const [safe, resume] = report.blockers.find((b) => b.finalizer?.resource === 'machines')!.fixes;
    const listed = await run('bash', ['-c', safe.command!]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${ns}\\s+prod-eu1\\s+true$`, 'm'));
    const resumed = await run('bash', ['-c', resume.command!]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = await diagnose(ns);
    expect(after.result.code, after.result.stderr).toBe(0);
    expect(after.report.verdict).toBe('Progressing');
  });
});
