// `kubectl ns-doctor fix` on the real control plane: each mechanical blocker class is built, planned, applied with
// --apply --plan-id, and the real namespace controller then finishes. What was sent is checked in the API server's
// audit log, for a dedicated user (ns-doctor-fixer, system:masters) so nothing else is counted.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixPlan, FixResult } from '../../src/model/plan.js';
import {auditEvents, auditOffset, controllerManager, kubectl, kubectlJson, kubectlOk, run, scenario, type AuditEvent, userKubeconfig, useScenario, waitFor, waitForNamespaceCondition } from './harness.js';
import { fixCommand, gone, waitGone as waitNamespaceGone } from './fix-command.js';
import {apiServiceServedFrom, deleteStalled, foregroundHeldByDependent } from './stalls.js';

const FIXER = 'ns-doctor-fixer';
const cacheHome = mkdtempSync(join(tmpdir(), 'ns-doctor-fix-cache-'));
let fixerKubeconfig: string;

beforeAll(async () => {
  fixerKubeconfig = await userKubeconfig(FIXER, ['system:masters']);
});

const { fix, fixJson } = fixCommand(cacheHome, () => ({ kubeconfig: fixerKubeconfig }));
const waitGone = (ns: string, timeoutMs = 150_000) => waitNamespaceGone(ns, timeoutMs);

const READS = new Set(['get', 'list', 'watch']);
const by = (user: string) => (e: AuditEvent) => e.user.username === user;
/** A request that changes what is stored: not a read, not a dry run, not a SelfSubjectAccessReview. */
const persisted = (e: AuditEvent) => !READS.has(e.verb) && !e.requestURI.includes('dryRun=All') && e.objectRef?.resource !== 'selfsubjectaccessreviews';
const describeWrite = (e: AuditEvent) => `${e.verb} ${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''} ${e.objectRef?.namespace ?? ''}/${e.objectRef?.name ?? ''}`.trim();

async function appliedEvents(ns: string): Promise<{ message: string; involvedObject: { name: string } }[]> {
  const list = await kubectlJson<{ items: { message: string; involvedObject: { kind: string; name: string } }[] }>([
    'get', 'events', '-n', 'default', '--field-selector', 'reason=NsDoctorFixApplied',
  ]);
  return list.items.filter((e) => e.involvedObject.kind === 'Namespace' && e.involvedObject.name === ns);
}

describe('orphaned APIService behind two namespaces (--all): plan, dry run, apply', () => {
  const nsA = 'e2e-fix-orphan-a';
  const nsB = 'e2e-fix-orphan-b';
  const apiservice = 'v1beta1.custom.metrics.k8s.io';
  let plan: FixPlan;

  beforeAll(async () => {
    await scenario('apiservice-orphaned', 'up', nsA);
    await kubectlOk(['create', 'namespace', nsB]);
    await kubectlOk(['-n', nsB, 'create', 'configmap', 'left-behind']);
    await kubectlOk(['delete', 'namespace', nsB, '--wait=false']);
    await waitForNamespaceCondition(nsB, 'NamespaceDeletionDiscoveryFailure', 'True');
  });
  afterAll(async () => {
    await scenario('apiservice-orphaned', 'down', nsA);
    await waitGone(nsB);
  });

  it('safe only: no step, the caution step is listed with its cost and what it needs (diagnosis exit 1)', async () => {
    const { r, out } = await fixJson<FixPlan>([nsA]);
    expect(r.code, r.stderr).toBe(1);
    expect(out.kind).toBe('NamespaceFixPlan');
    expect(out.steps).toEqual([]);
    expect(out.withheld).toEqual([expect.objectContaining({ blockerId: 'APIServiceOrphaned', safety: 'caution', needs: '--allow caution', cost: expect.stringContaining('custom.metrics.k8s.io/v1beta1') })]);
  });

  it('--allow caution --all: one DELETE with preconditions, shared by both namespaces (exit 10)', async () => {
    const live = await kubectlJson<{ metadata: { uid: string; resourceVersion: string } }>(['get', 'apiservice', apiservice]);
    const { r, out } = await fixJson<FixPlan>(['--all', '--allow', 'caution']);
    expect(r.code, r.stderr).toBe(10);
    plan = out;
    expect(plan.planId).toMatch(/^[0-9a-f]{16}$/);
    expect(plan.steps).toHaveLength(1);
    const [step] = plan.steps;
    expect(step).toMatchObject({ index: 1, blockerId: 'APIServiceOrphaned', safety: 'caution' });
    expect([...step.namespaces].sort()).toEqual([nsA, nsB]);
    expect(step.request).toEqual({
      method: 'DELETE',
      path: `/apis/apiregistration.k8s.io/v1/apiservices/${apiservice}`,
      query: {},
      contentType: 'application/json',
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion } },
    });
    expect(step.evidence.map((e) => [e.ref.kind, e.exists, e.facts])).toEqual([
      ['APIService', true, { exists: 'true', 'apiservice.service': 'monitoring/prometheus-adapter', 'apiservice.available': 'False' }],
      ['Service', false, { exists: 'false' }],
    ]);
    const text = await fix(['--all', '--allow', 'caution']);
    expect(text.code).toBe(10);
    expect(text.stdout).toContain(`Plan ${plan.planId}`);
    expect(text.stdout).toContain(`DELETE /apis/apiregistration.k8s.io/v1/apiservices/${apiservice}`);
    expect(text.stdout).toContain(`kubectl ns-doctor fix --all --allow caution --apply --plan-id ${plan.planId}`);
  });

  it('plan mode and the server-side dry run send no write (audit log); the APIService is untouched', async () => {
    const offset = auditOffset();
    expect((await fix([nsA, '--allow', 'caution'])).code).toBe(10);
    const { r, out } = await fixJson<FixResult>(['--all', '--allow', 'caution', '--dry-run']);
    expect(r.code, r.stderr).toBe(10);
    expect(out).toMatchObject({ kind: 'NamespaceFixResult', mode: 'dry-run', outcome: 'DryRunPassed', planId: plan.planId });
    const mine = auditEvents(offset).filter(by(FIXER));
    expect(mine.filter((e) => e.verb === 'get').length).toBeGreaterThan(10);
    // The dry runs did reach the server (the DELETE and the two Events), and nothing else was sent that writes.
    expect(mine.filter((e) => e.requestURI.includes('dryRun=All')).map(describeWrite).sort()).toEqual([
      'create events default/',
      'create events default/',
      `delete apiservices /${apiservice}`,
    ]);
    expect(mine.filter(persisted).map(describeWrite)).toEqual([]);
    const live = await kubectlJson<{ metadata: { resourceVersion: string } }>(['get', 'apiservice', apiservice]);
    expect(live.metadata.resourceVersion).toBe((plan.steps[0].request.body as { preconditions: { resourceVersion: string } }).preconditions.resourceVersion);
  });

  it('--apply without --plan-id and without a terminal is a usage error; nothing is written', async () => {
    const offset = auditOffset();
    const r = await fix(['--all', '--allow', 'caution', '--apply']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--apply needs --plan-id/);
    expect(auditEvents(offset).filter(by(FIXER)).filter(persisted)).toEqual([]);
  });

  it('--apply --plan-id: the APIService is deleted once, each namespace gets an Event, and both finish', async () => {
    const offset = auditOffset();
    const { r, out } = await fixJson<FixResult>(['--all', '--allow', 'caution', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    expect(out).toMatchObject({ outcome: 'Applied', mode: 'apply', planId: plan.planId });
    expect(out.steps).toEqual([expect.objectContaining({ index: 1, status: 'applied', httpStatus: 200 })]);
    expect(out.steps[0].events?.map((e) => [e.namespace, e.about]).sort()).toEqual([['default', nsA], ['default', nsB]]);
    const writes = auditEvents(offset).filter(by(FIXER)).filter(persisted);
    expect(writes.map(describeWrite).sort()).toEqual(['create events default/', 'create events default/', `delete apiservices /${apiservice}`]);
    await waitGone(nsA);
    await waitGone(nsB);
    for (const ns of [nsA, nsB]) {
      const events = await appliedEvents(ns);
      expect(events.some((e) => e.message.includes(`plan ${plan.planId}`) && e.message.includes(`DELETE /apis/apiregistration.k8s.io/v1/apiservices/${apiservice}`))).toBe(true);
    }
  });
});

describe('namespace finalizer token: evidence changed between plan and apply', () => {
  const ns = 'e2e-fix-ns-finalizer';
  const token = 'platform.example.com/namespace-cleanup';

  useScenario('ns-finalizer', ns);

  it('never removes a namespace finalizer token without --allow last-resort', async () => {
    const { r, out } = await fixJson<FixPlan>([ns, '--allow', 'caution']);
    expect(r.code, r.stderr).toBe(1);
    expect(out.steps).toEqual([]);
    expect(out.withheld).toEqual([expect.objectContaining({ blockerId: 'NamespaceFinalizerRemaining', safety: 'last-resort', needs: '--allow last-resort' })]);
  });

  it('stops with nothing written when the namespace changed after the review (exit 12), and says what changed', async () => {
    const { out: plan } = await fixJson<FixPlan>([ns, '--allow', 'last-resort']);
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].request).toMatchObject({ method: 'PUT', path: `/api/v1/namespaces/${ns}/finalize`, body: { spec: { finalizers: [] } } });
    const before = await kubectlJson<{ metadata: { resourceVersion: string } }>(['get', 'namespace', ns]);
    await kubectlOk(['annotate', 'namespace', ns, 'ns-doctor.dev/e2e=changed-after-review']);
    const offset = auditOffset();
    const { r, out } = await fixJson<FixResult>([ns, '--allow', 'last-resort', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(12);
    expect(out.outcome).toBe('Stopped');
    expect(out.message).toContain(`nothing written: plan ${plan.planId} is no longer the plan`);
    expect(out.changes).toEqual(
      expect.arrayContaining([
        { ref: { kind: 'Namespace', name: ns }, field: 'resourceVersion', planned: before.metadata.resourceVersion, now: expect.not.stringMatching(`^${before.metadata.resourceVersion}$`) },
      ]),
    );
    expect(auditEvents(offset).filter(by(FIXER)).filter((e) => !READS.has(e.verb))).toEqual([]);
    expect((await kubectlJson(['get', 'namespace', ns])).spec.finalizers).toEqual([token]);
  });

  it('on a terminal, --apply alone shows the plan and asks; anything but yes writes nothing', async () => {
    const offset = auditOffset();
    // script(1) gives the plugin a terminal; the answer comes through it.
    const r = await run('script', ['-qec', `kubectl ns-doctor fix ${ns} --allow last-resort --apply`, '/dev/null'], {
      kubeconfig: fixerKubeconfig,
      input: 'no\n',
      env: { XDG_CACHE_HOME: cacheHome },
    });
    expect(r.code, r.stdout).toBe(10);
    expect(r.stdout).toMatch(/Apply the 1 step\(s\) of plan [0-9a-f]{16}\? Type yes to apply/);
    expect(r.stdout).toContain('not applied: not confirmed');
    expect(auditEvents(offset).filter(by(FIXER)).filter((e) => !READS.has(e.verb))).toEqual([]);
    expect((await kubectlJson(['get', 'namespace', ns])).spec.finalizers).toEqual([token]);
  });

  it('re-planned and applied: only the token goes, through /finalize, and the namespace is deleted', async () => {
    const { out: plan } = await fixJson<FixPlan>([ns, '--allow', 'last-resort']);
    const offset = auditOffset();
    const { r, out } = await fixJson<FixResult>([ns, '--allow', 'last-resort', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    expect(out.steps[0]).toMatchObject({ status: 'applied', request: { method: 'PUT', path: `/api/v1/namespaces/${ns}/finalize` } });
    expect(auditEvents(offset).filter(by(FIXER)).filter(persisted).map(describeWrite)).toEqual([expect.stringMatching(new RegExp(`^update namespaces/finalize .*/${ns}$`)), 'create events default/']);
    await waitGone(ns);
  });
});

describe('custom finalizer whose owner is gone: refused for a user without the verbs, applied as last resort', () => {
  const ns = 'e2e-fix-crd';
  const reader = 'ns-doctor-fix-reader';
  const role = 'ns-doctor-e2e:fix-reader';
  let readerKubeconfig: string;

  beforeAll(async () => {
    await scenario('crd-finalizer', 'up', ns);
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }] },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: role },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
            subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: reader }],
          },
        ],
      }),
    });
    readerKubeconfig = await userKubeconfig(reader);
    await waitFor('RBAC for the reader', async () => (await kubectl(['get', 'namespace', ns], { kubeconfig: readerKubeconfig })).code === 0);
  });
  afterAll(async () => {
    await kubectl(['delete', 'clusterrolebinding,clusterrole', role, '--ignore-not-found']);
    await scenario('crd-finalizer', 'down', ns);
  });

  it('a user who may read but not patch is refused before anything is written, naming the verbs (exit 13)', async () => {
    const asReader = { kubeconfig: readerKubeconfig };
    const { r: planned, out: plan } = await fixJson<FixPlan>([ns, '--allow', 'last-resort'], asReader);
    expect(planned.code, planned.stderr).toBe(10);
    expect(plan.steps.map((s) => [s.blockerId, s.request.method, s.request.path])).toEqual([
      ['FinalizerOwnerMissing', 'PATCH', `/apis/example.ns-doctor.dev/v1/namespaces/${ns}/databasebackups/nightly`],
    ]);
    const offset = auditOffset();
    const { r, out } = await fixJson<FixResult>([ns, '--allow', 'last-resort', '--apply', '--plan-id', plan.planId], asReader);
    expect(r.code, r.stderr + r.stdout).toBe(13);
    expect(out.outcome).toBe('Refused');
    expect(out.missingPermissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ verb: 'patch', group: 'example.ns-doctor.dev', resource: 'databasebackups', namespace: ns, name: 'nightly' }),
        expect.objectContaining({ verb: 'create', group: '', resource: 'events', namespace: 'default' }),
      ]),
    );
    expect(out.message).toContain('patch databasebackups.example.ns-doctor.dev');
    expect(out.steps.every((s) => s.status === 'not-run')).toBe(true);
    const mine = auditEvents(offset).filter(by(reader));
    expect(mine.filter((e) => e.objectRef?.resource === 'selfsubjectaccessreviews').length).toBeGreaterThan(0);
    expect(mine.filter((e) => !READS.has(e.verb) && e.objectRef?.resource !== 'selfsubjectaccessreviews')).toEqual([]);
    const cr = await kubectlJson(['-n', ns, 'get', 'databasebackups', 'nightly']);
    expect(cr.metadata.finalizers).toEqual(['example.ns-doctor.dev/snapshot-cleanup']);
  });

  it('applied by a user who may: only that finalizer is removed (JSON patch with test ops) and the namespace finishes', async () => {
    const { out: plan } = await fixJson<FixPlan>([ns, '--allow', 'last-resort']);
    const [step] = plan.steps;
    expect(step.safety).toBe('last-resort');
    expect(step.request.contentType).toBe('application/json-patch+json');
    expect(step.request.body).toEqual([
      { op: 'test', path: '/metadata/uid', value: expect.any(String) },
      { op: 'test', path: '/metadata/resourceVersion', value: expect.any(String) },
      { op: 'test', path: '/metadata/finalizers', value: ['example.ns-doctor.dev/snapshot-cleanup'] },
      { op: 'replace', path: '/metadata/finalizers', value: [] },
    ]);
    const { r } = await fixJson<FixResult>([ns, '--allow', 'last-resort', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    await waitGone(ns);
    expect(await gone(['crd', 'databasebackups.example.ns-doctor.dev'])).toBe(false);
  });
});

describe('pods stuck on a dead node', () => {
  const ns = 'e2e-fix-pods';
  const node = `node-${ns}`;

  useScenario('pod-terminating', ns);

  it('taints the node out-of-service (caution); the pod garbage collector removes the pod and the namespace finishes', async () => {
    const { out: plan } = await fixJson<FixPlan>([ns, '--allow', 'caution']);
    expect(plan.steps.map((s) => [s.blockerId, s.safety, s.request.method, s.request.path])).toEqual([['PodsStuckTerminating', 'caution', 'PATCH', `/api/v1/nodes/${node}`]]);
    expect(plan.steps[0].evidence.map((e) => e.ref.kind)).toEqual(['Node', 'Pod']);
    const { r, out } = await fixJson<FixResult>([ns, '--allow', 'caution', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    expect(out.outcome).toBe('Applied');
    const taints = (await kubectlJson(['get', 'node', node])).spec.taints as { key: string; effect: string }[];
    expect(taints).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' })]));
    await waitGone(ns);
  });
});

describe('admission webhook whose backend is gone', () => {
  const ns = 'e2e-fix-webhook';

  useScenario('webhook-delete', ns);

  it('excludes the namespace from the webhook (caution), and the namespace controller finishes', async () => {
    const { out: plan } = await fixJson<FixPlan>([ns, '--allow', 'caution']);
    expect(plan.steps.map((s) => [s.blockerId, s.request.method, s.request.path])).toEqual([
      ['WebhookBlocksDeletion', 'PATCH', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${ns}-deny-delete`],
    ]);
    const { r } = await fixJson<FixResult>([ns, '--allow', 'caution', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    const vwc = await kubectlJson(['get', 'validatingwebhookconfiguration', `${ns}-deny-delete`]);
    expect(vwc.webhooks[0].namespaceSelector.matchExpressions).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [ns] }]);
    expect(vwc.webhooks[0].failurePolicy).toBe('Fail');
    await waitGone(ns);
  });
});

describe('APIService served from inside the namespace', () => {
  const ns = 'e2e-fix-inside';
  const apiservice = 'v1alpha1.widgets.fix-inside.example.com';

  beforeAll(async () => {
    await apiServiceServedFrom(ns, apiservice);
    await deleteStalled(ns, 'NamespaceDeletionDiscoveryFailure');
  });
  afterAll(async () => {
    await kubectl(['delete', 'apiservice', apiservice, '--ignore-not-found']);
    await waitGone(ns);
  });

  it('deleting the APIService is a safe step, planned without any --allow; applied, the namespace finishes', async () => {
    const { r: planned, out: plan } = await fixJson<FixPlan>([ns]);
    expect(planned.code, planned.stderr).toBe(10);
    expect(plan.steps.map((s) => [s.blockerId, s.safety, s.request.method, s.request.path])).toEqual([
      ['APIServiceBackendInNamespace', 'safe', 'DELETE', `/apis/apiregistration.k8s.io/v1/apiservices/${apiservice}`],
    ]);
    const r = await fix([ns, '--apply', '--plan-id', plan.planId, '--wait', '90s']);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    expect(r.stdout).toContain('Applied');
    expect(r.stdout).toMatch(new RegExp(`namespace ${ns} is gone`));
    expect(await gone(['apiservice', apiservice])).toBe(true);
  });
});

describe('foreground deletion held by a dependent', () => {
  const ns = 'e2e-fix-foreground';
  const finalizer = 'example.ns-doctor.dev/hold';

  beforeAll(async () => {
    await foregroundHeldByDependent(ns, finalizer);
    await deleteStalled(ns, 'NamespaceFinalizersRemaining');
  });
  afterAll(async () => {
    await kubectl(['-n', ns, 'patch', 'configmap', 'dependent', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitGone(ns);
  });

  it("removes the dependent's finalizer as last resort; the namespace finishes", async () => {
    const { out: plan } = await fixJson<FixPlan>([ns, '--allow', 'last-resort']);
    expect(plan.steps.map((s) => [s.blockerId, s.request.method, s.request.path])).toEqual([
      ['FinalizerOwnerMissing', 'PATCH', `/api/v1/namespaces/${ns}/configmaps/dependent`],
    ]);
    const { r } = await fixJson<FixResult>([ns, '--allow', 'last-resort', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    await waitGone(ns);
  });
});

describe('foregroundDeletion before the namespace controller has run (it is stopped)', () => {
  // On 1.34 the namespace controller's own background DeleteCollection replaces foregroundDeletion, so an owner
  // waiting on it holds a namespace only while that controller has not run: stop it to see that state.
  const ns = 'e2e-fix-foreground-owner';
  const finalizer = 'example.ns-doctor.dev/hold';

  beforeAll(async () => {
    await controllerManager('restart', 'garbage-collector-controller,endpointslice-controller,serviceaccount-controller,root-ca-certificate-publisher-controller');
    await foregroundHeldByDependent(ns, finalizer);
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  });
  afterAll(async () => {
    await controllerManager('restart');
    await kubectl(['-n', ns, 'patch', 'configmap', 'dependent', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitGone(ns);
  });

  // Before --controller-timeout the owner's foregroundDeletion is a wait for the controller's first pass (issue 18
  // item 7): here the namespace controller is stopped for good, which a near-zero timeout says.
  const silentController = ['--controller-timeout', '1ms'];

  it('drops the owner\'s foregroundDeletion (caution) before the dependent\'s finalizer (last resort); the namespace controller then finishes', async () => {
    const { out: caution } = await fixJson<FixPlan>([ns, ...silentController, '--allow', 'caution']);
    expect(caution.steps.map((s) => [s.blockerId, s.safety, s.request.method, s.request.path])).toEqual([
      ['DependentsBlockDeletion', 'caution', 'PATCH', `/api/v1/namespaces/${ns}/configmaps/owner`],
    ]);
    expect((caution.steps[0].request.body as unknown[]).slice(2)).toEqual([
      { op: 'test', path: '/metadata/finalizers', value: ['foregroundDeletion'] },
      { op: 'replace', path: '/metadata/finalizers', value: [] },
    ]);
    expect(caution.withheld.map((w) => w.blockerId)).toEqual(['FinalizerOwnerMissing']);
    const { out: plan } = await fixJson<FixPlan>([ns, ...silentController, '--allow', 'last-resort']);
    expect(plan.steps.map((s) => s.blockerId)).toEqual(['DependentsBlockDeletion', 'FinalizerOwnerMissing']);
    const { r, out } = await fixJson<FixResult>([ns, ...silentController, '--allow', 'last-resort', '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    expect(out.steps.map((s) => s.status)).toEqual(['applied', 'applied']);
    expect(await gone(['-n', ns, 'configmap', 'owner'])).toBe(true);
    await controllerManager('restart');
    await waitGone(ns);
  });
});

describe('fix where there is nothing to fix', () => {
  it('keeps the diagnosis exit codes: 3 for a namespace that does not exist, 0 for an Active one; nothing is written', async () => {
    const offset = auditOffset();
    const missing = await fix(['e2e-fix-no-such-namespace']);
    expect(missing.code, missing.stderr).toBe(3);
    const { r, out } = await fixJson<FixPlan>(['default', '--allow', 'last-resort']);
    expect(r.code, r.stderr).toBe(0);
    expect(out.steps).toEqual([]);
    expect(out.namespaces).toEqual([expect.objectContaining({ namespace: 'default', verdict: 'NotTerminating' })]);
    const applied = await fixJson<FixResult>(['default', '--apply', '--plan-id', out.planId]);
    expect(applied.r.code).toBe(0);
    expect(applied.out.outcome).toBe('NothingToApply');
    expect(auditEvents(offset).filter(by(FIXER)).filter((e) => !READS.has(e.verb))).toEqual([]);
  });
});

describe('admission webhook served from inside the namespace being deleted', () => {
  const ns = 'e2e-fix-webhook-inside';
  const vwc = `${ns}-guard`;

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['-n', ns, 'create', 'service', 'clusterip', 'guard', '--tcp=443:9443']);
    await kubectlOk(['-n', ns, 'create', 'configmap', 'settings']);
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: vwc },
        webhooks: [
          {
            name: 'guard.example.com',
            clientConfig: { service: { namespace: ns, name: 'guard', path: '/validate', port: 443 } },
            rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], scope: 'Namespaced' }],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            failurePolicy: 'Fail',
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            timeoutSeconds: 5,
          },
        ],
      }),
    });
    await deleteStalled(ns, 'NamespaceDeletionContentFailure');
  });
  afterAll(async () => {
    await kubectl(['delete', 'validatingwebhookconfiguration', vwc, '--ignore-not-found']);
    await waitGone(ns);
  });

  it('deleting its configuration is a safe step; applied, the namespace finishes', async () => {
    const { r: planned, out: plan } = await fixJson<FixPlan>([ns]);
    expect(planned.code, planned.stderr).toBe(10);
    expect(plan.steps.map((s) => [s.blockerId, s.safety, s.request.method, s.request.path])).toEqual([
      ['WebhookBlocksDeletion', 'safe', 'DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${vwc}`],
    ]);
    const { r } = await fixJson<FixResult>([ns, '--apply', '--plan-id', plan.planId]);
    expect(r.code, r.stderr + r.stdout).toBe(11);
    expect(await gone(['validatingwebhookconfiguration', vwc])).toBe(true);
    await waitGone(ns);
  });
});
