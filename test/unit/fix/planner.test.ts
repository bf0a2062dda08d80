import { describe, expect, it } from 'vitest';
import { draftPlan, selectSteps } from '../../../src/fix/planner.js';
import { assemblePlan, planId } from '../../../src/fix/plan.js';
import type { FixSafety } from '../../../src/model/report.js';
import type { Snapshot } from '../../../src/snapshot/types.js';
import { diagnoseAt, recorded, type FixtureName } from '../helpers.js';
import { apiService, meta, namespace, readsFor } from './objects.js';

const STATS = { requests: 0, bytesReceived: 0, retries: 0, durationMs: 0 };

function planFor(snapshots: Snapshot[], allow: FixSafety, objects: Record<string, unknown>) {
  const inputs = snapshots.map((snapshot) => ({ snapshot, report: diagnoseAt(snapshot) }));
  const draft = draftPlan(inputs);
  const { chosen } = selectSteps(draft, allow);
  return assemblePlan(inputs.map((i) => i.report), draft, readsFor(chosen, objects), allow, STATS).plan;
}

const fixture = (name: FixtureName) => recorded(name);
const APISERVICE = '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.custom.metrics.k8s.io';

describe('fix planner on the recorded scenarios', () => {
  const orphan = apiService('v1beta1.custom.metrics.k8s.io', { namespace: 'monitoring', name: 'prometheus-adapter' }, 'False');

  it('orphaned APIService: a caution DELETE with uid and resourceVersion preconditions; withheld with its cost when only safe is allowed', () => {
    const safe = planFor([fixture('apiservice-orphaned')], 'safe', { [APISERVICE]: orphan });
    expect(safe.steps).toEqual([]);
    expect(safe.withheld).toEqual([expect.objectContaining({ blockerId: 'APIServiceOrphaned', safety: 'caution', needs: '--allow caution', cost: expect.stringContaining('custom.metrics.k8s.io/v1beta1') })]);
    const plan = planFor([fixture('apiservice-orphaned')], 'caution', { [APISERVICE]: orphan });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].request).toEqual({
      method: 'DELETE',
      path: APISERVICE,
      query: {},
      contentType: 'application/json',
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: orphan.metadata.uid, resourceVersion: orphan.metadata.resourceVersion } },
    });
    expect(plan.steps[0].evidence.map((e) => [e.path, e.exists])).toEqual([
      [APISERVICE, true],
      ['/api/v1/namespaces/monitoring/services/prometheus-adapter', false],
    ]);
    expect(plan.steps[0].command).toBe('kubectl delete apiservice v1beta1.custom.metrics.k8s.io');
  });

  it('drops a step whose evidence moved since the diagnosis (the Service came back) and says why', () => {
    const plan = planFor([fixture('apiservice-orphaned')], 'caution', {
      [APISERVICE]: orphan,
      '/api/v1/namespaces/monitoring/services/prometheus-adapter': { metadata: meta('prometheus-adapter') },
    });
    expect(plan.steps).toEqual([]);
    expect(plan.manual).toEqual([expect.objectContaining({ blockerId: 'APIServiceOrphaned', reason: expect.stringContaining('Service monitoring/prometheus-adapter: exists false → true') })]);
  });

  it('--all: one broken APIService behind two namespaces is one step naming both', () => {
    const second = fixture('apiservice-orphaned');
    second.namespaceName = 'orph2';
    second.namespace!.name = 'orph2';
    const plan = planFor([fixture('apiservice-orphaned'), second], 'caution', { [APISERVICE]: orphan });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].namespaces).toEqual(['orph1', 'orph2']);
  });

  it('namespace finalizer token: last resort only, through /finalize, keeping metadata and the resourceVersion, dropping managedFields', () => {
    const ns = namespace('nsf1', ['platform.example.com/namespace-cleanup']);
    const objects = { '/api/v1/namespaces/nsf1': ns };
    expect(planFor([fixture('ns-finalizer')], 'caution', objects).steps).toEqual([]);
    const plan = planFor([fixture('ns-finalizer')], 'last-resort', objects);
    expect(plan.steps[0].request).toMatchObject({ method: 'PUT', path: '/api/v1/namespaces/nsf1/finalize', query: { fieldManager: 'kubectl-ns-doctor' } });
    const body = plan.steps[0].request.body as { metadata: Record<string, unknown>; spec: { finalizers: string[] } };
    expect(body.spec.finalizers).toEqual([]);
    expect(body.metadata).toMatchObject({ name: 'nsf1', uid: ns.metadata.uid, resourceVersion: ns.metadata.resourceVersion, labels: { 'kubernetes.io/metadata.name': 'nsf1' } });
    expect(body.metadata).not.toHaveProperty('managedFields');
  });

  it('namespace finalizer token next to kubernetes: only the foreign token is dropped', () => {
    const snapshot = fixture('ns-finalizer');
    snapshot.namespace!.specFinalizers = ['kubernetes', 'platform.example.com/namespace-cleanup'];
    const plan = planFor([snapshot], 'last-resort', { '/api/v1/namespaces/nsf1': namespace('nsf1', ['kubernetes', 'platform.example.com/namespace-cleanup']) });
    const finalize = plan.steps.find((s) => s.blockerId === 'NamespaceFinalizerRemaining')!;
    expect((finalize.request.body as { spec: { finalizers: string[] } }).spec.finalizers).toEqual(['kubernetes']);
  });

  it('custom finalizer without an owner: a JSON patch that tests uid, resourceVersion and the finalizers it replaces', () => {
    const path = '/apis/example.ns-doctor.dev/v1/namespaces/crd1/databasebackups/nightly';
    const cr = { metadata: meta('nightly', { namespace: 'crd1', deletionTimestamp: '2026-12-01T09:00:00Z', finalizers: ['example.ns-doctor.dev/snapshot-cleanup', 'other.example.com/keep'] }) };
    const snapshot = fixture('crd-finalizer');
    const plan = planFor([snapshot], 'last-resort', { [path]: cr });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].request).toEqual({
      method: 'PATCH',
      path,
      query: { fieldManager: 'kubectl-ns-doctor' },
      contentType: 'application/json-patch+json',
      body: [
        { op: 'test', path: '/metadata/uid', value: cr.metadata.uid },
        { op: 'test', path: '/metadata/resourceVersion', value: cr.metadata.resourceVersion },
        { op: 'test', path: '/metadata/finalizers', value: ['example.ns-doctor.dev/snapshot-cleanup', 'other.example.com/keep'] },
        { op: 'replace', path: '/metadata/finalizers', value: ['other.example.com/keep'] },
      ],
    });
    expect(plan.steps[0].evidence[0]).toMatchObject({ ref: { kind: 'DatabaseBackup', name: 'nightly' }, facts: { deleting: 'true', 'finalizer:example.ns-doctor.dev/snapshot-cleanup': 'present' } });
  });

  it("a CRD being deleted yields a warning, never a step: its own finalizer is not touched", () => {
    const snapshot = fixture('crd-finalizer');
    const crd = snapshot.crds['databasebackups.example.ns-doctor.dev'];
    crd.deletionTimestamp = snapshot.takenAt;
    crd.finalizers = ['customresourcecleanup.apiextensions.k8s.io'];
    const plan = planFor([snapshot], 'last-resort', {});
    expect(plan.warnings).toEqual([expect.objectContaining({ blockerId: 'CRDTerminating', warning: expect.stringContaining('never remove') })]);
    expect(plan.steps.some((s) => s.request.path.includes('customresourcedefinitions'))).toBe(false);
    expect(plan.manual.map((m) => m.blockerId)).toContain('CRDTerminating');
  });

  it('pods on a dead node: the out-of-service taint on the node (caution), relying on the node being down and the pods terminating', () => {
    const node = { metadata: meta('node-pod1'), spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
    const pod = { metadata: meta('worker-6f7c9-qk2vd', { namespace: 'pod1', deletionTimestamp: '2026-12-01T09:00:00Z' }) };
    const plan = planFor([fixture('pod-terminating')], 'caution', { '/api/v1/nodes/node-pod1': node, '/api/v1/namespaces/pod1/pods/worker-6f7c9-qk2vd': pod });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].request.body).toEqual([
      { op: 'test', path: '/metadata/uid', value: node.metadata.uid },
      { op: 'test', path: '/metadata/resourceVersion', value: node.metadata.resourceVersion },
      { op: 'add', path: '/spec/taints/-', value: { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' } },
    ]);
    // A node that came back (Ready=True) is no longer evidence for the taint.
    const back = structuredClone(node);
    back.status.conditions[0].status = 'True';
    expect(planFor([fixture('pod-terminating')], 'caution', { '/api/v1/nodes/node-pod1': back, '/api/v1/namespaces/pod1/pods/worker-6f7c9-qk2vd': pod }).steps).toEqual([]);
  });

  it('webhook with a dead backend outside the namespace: excludes just this namespace (caution), never failurePolicy Ignore', () => {
    const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/wh1-deny-delete';
    const vwc = {
      metadata: meta('wh1-deny-delete'),
      webhooks: [{ name: 'deny-delete.policy.example.com', failurePolicy: 'Fail', clientConfig: { service: { namespace: 'wh1-policy', name: 'policy-webhook' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'wh1' } } }],
    };
    const slices = '/apis/discovery.k8s.io/v1/namespaces/wh1-policy/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dpolicy-webhook';
    const plan = planFor([fixture('webhook-delete')], 'last-resort', { [path]: vwc, [slices]: { metadata: { resourceVersion: '9' }, items: [] } });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].safety).toBe('caution');
    expect((plan.steps[0].request.body as unknown[]).at(-1)).toEqual({
      op: 'add',
      path: '/webhooks/0/namespaceSelector/matchExpressions',
      value: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['wh1'] }],
    });
    // A list's resourceVersion is the cluster's revision, not evidence.
    expect(plan.steps[0].evidence[1]).not.toHaveProperty('resourceVersion');
  });

  it('a URL webhook the controller reports failing on TLS: exclude the namespace, relying on the namespace still being deleted (not on endpoints)', () => {
    const snapshot = fixture('webhook-delete');
    const webhook = snapshot.webhooks![0];
    delete webhook.service;
    webhook.url = 'https://127.0.0.1:46353/validate';
    const failure = snapshot.namespace!.conditions.find((c) => c.type === 'NamespaceDeletionContentFailure')!;
    failure.message = `Failed to delete all resource types, 1 remaining: Internal error occurred: failed calling webhook "deny-delete.policy.example.com": failed to call webhook: Post "${webhook.url}?timeout=5s": tls: failed to verify certificate: x509: certificate signed by unknown authority`;
    const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/wh1-deny-delete';
    const vwc = {
      metadata: meta('wh1-deny-delete'),
      webhooks: [{ name: 'deny-delete.policy.example.com', failurePolicy: 'Fail', clientConfig: { url: webhook.url }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'wh1' } } }],
    };
    const plan = planFor([snapshot], 'caution', { [path]: vwc, '/api/v1/namespaces/wh1': namespace('wh1', ['kubernetes']) });
    expect(plan.steps.map((s) => [s.safety, s.request.path])).toEqual([['caution', path]]);
    expect(plan.steps[0].description).toContain(`so deleting what is left is no longer sent to ${webhook.url} (tls)`);
    expect(plan.steps[0].evidence.map((e) => e.path)).toEqual([path, '/api/v1/namespaces/wh1']);
  });

  it('a broken (not orphaned) APIService is only a last resort, with the cost of removing the API cluster-wide', () => {
    const path = '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io';
    const objects = { [path]: apiService('v1beta1.metrics.k8s.io', { namespace: 'kube-system', name: 'metrics-server' }, 'False') };
    expect(planFor([fixture('metrics-server')], 'caution', objects).withheld).toEqual([
      expect.objectContaining({ blockerId: 'APIServiceUnavailable', safety: 'last-resort', cost: expect.stringContaining('whole cluster') }),
    ]);
    expect(planFor([fixture('metrics-server')], 'last-resort', objects).steps.map((s) => s.request.method + ' ' + s.request.path)).toEqual([`DELETE ${path}`]);
  });

  it('the plan id covers the evidence: same reads, same id; another resourceVersion, another id', () => {
    const a = planFor([fixture('apiservice-orphaned')], 'caution', { [APISERVICE]: orphan });
    const b = planFor([fixture('apiservice-orphaned')], 'caution', { [APISERVICE]: orphan });
    expect(a.planId).toMatch(/^[0-9a-f]{16}$/);
    expect(b.planId).toBe(a.planId);
    const moved = structuredClone(orphan);
    moved.metadata.resourceVersion = '99999';
    expect(planFor([fixture('apiservice-orphaned')], 'caution', { [APISERVICE]: moved }).planId).not.toBe(a.planId);
    expect(planId([])).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('fix planner: never more than the evidence proves dead (issue 19)', () => {
  const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/wh1-deny-delete';
  /** The webhook-delete scenario with the dead webhook served from inside wh1 itself, next to `siblings`. */
  function webhookInside(siblings: { name: string; service?: { namespace: string; name: string }; url?: string }[]) {
    const snapshot = fixture('webhook-delete');
    const dead = snapshot.webhooks![0];
    dead.service = { namespace: 'wh1', name: 'policy-webhook', port: 443 };
    snapshot.services['wh1/policy-webhook'] = { ...snapshot.services['wh1-policy/policy-webhook'], namespace: 'wh1' };
    snapshot.endpoints['wh1/policy-webhook'] = snapshot.endpoints['wh1-policy/policy-webhook']!;
    for (const s of siblings) {
      snapshot.webhooks!.push({ ...dead, name: s.name, rules: [{ operations: ['CREATE'], apiGroups: [''], resources: ['pods'] }], service: s.service ? { ...s.service, port: 443 } : undefined, ...(s.url ? { url: s.url } : {}) });
    }
    const live = {
      metadata: meta('wh1-deny-delete'),
      webhooks: [
        { name: dead.name, failurePolicy: 'Fail', clientConfig: { service: { namespace: 'wh1', name: 'policy-webhook' } } },
        ...siblings.map((s) => ({ name: s.name, failurePolicy: 'Fail', clientConfig: s.service ? { service: s.service } : { url: s.url } })),
      ],
    };
    const slices = '/apis/discovery.k8s.io/v1/namespaces/wh1/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dpolicy-webhook';
    const objects = { [VWC]: live, [slices]: { items: [] }, '/api/v1/namespaces/wh1': namespace('wh1', ['kubernetes']) };
    return { snapshot, objects, live };
  }

  it('a configuration with a healthy webhook served elsewhere is never deleted: only the dead entry is removed (safe)', () => {
    const { snapshot, objects, live } = webhookInside([{ name: 'audit.security.example.com', service: { namespace: 'security', name: 'auditor' } }]);
    const plan = planFor([snapshot], 'safe', objects);
    expect(plan.steps.map((s) => [s.blockerId, s.safety, s.request.method])).toEqual([['WebhookBlocksDeletion', 'safe', 'PATCH']]);
    expect(plan.steps[0].request.body).toEqual([
      { op: 'test', path: '/metadata/uid', value: live.metadata.uid },
      { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
      { op: 'test', path: '/webhooks/0/name', value: 'deny-delete.policy.example.com' },
      { op: 'remove', path: '/webhooks/0' },
    ]);
  });

  it('the same with a sibling called by url', () => {
    const { snapshot, objects } = webhookInside([{ name: 'external.example.com', url: 'https://policy.example.com/validate' }]);
    const plan = planFor([snapshot], 'safe', objects);
    expect(plan.steps.map((s) => s.request.method)).toEqual(['PATCH']);
  });

  it('every webhook dead for the same reason: the configuration is deleted, relying on none being served from elsewhere', () => {
    const { snapshot, objects } = webhookInside([]);
    const plan = planFor([snapshot], 'safe', objects);
    expect(plan.steps.map((s) => s.request.method)).toEqual(['DELETE']);
    expect(plan.steps[0].evidence[0].facts).toMatchObject({ 'webhooks.servedOutside:wh1': '0' });
  });

  it('a healthy webhook added to the configuration after the diagnosis: the delete is not planned (the fact moved)', () => {
    const { snapshot, objects, live } = webhookInside([]);
    live.webhooks.push({ name: 'late.example.com', failurePolicy: 'Fail', clientConfig: { service: { namespace: 'security', name: 'late' } } });
    const plan = planFor([snapshot], 'safe', objects);
    expect(plan.steps).toEqual([]);
    expect(plan.manual[0]?.reason).toContain('webhooks.servedOutside:wh1 0 → 1');
  });

  it('a Secret held by a dead finalizer is never planned: it is listed as not fixed, with the reason', () => {
    const snapshot = fixture('crd-finalizer');
    const cr = snapshot.content!.stuck[0];
    Object.assign(cr, { group: '', version: 'v1', resource: 'secrets', kind: 'Secret' });
    snapshot.content!.types[0] = { ...snapshot.content!.types[0], group: '', version: 'v1', resource: 'secrets', kind: 'Secret' };
    snapshot.finalizerOwners = [{ group: '', resource: 'secrets', candidates: [], rbacReadable: true }];
    const path = `/api/v1/namespaces/${cr.meta.namespace}/secrets/${cr.meta.name}`;
    const plan = planFor([snapshot], 'last-resort', { [path]: { metadata: { ...meta(cr.meta.name), deletionTimestamp: '2026-11-28T17:44:50Z', finalizers: cr.meta.finalizers } } });
    expect(plan.steps).toEqual([]);
    expect(plan.manual).toEqual([expect.objectContaining({ blockerId: 'FinalizerOwnerMissing', reason: 'ns-doctor never writes Secrets' })]);
  });

  it('20,000 objects on one dead finalizer: one step that covers them all, not 50 steps', () => {
    const snapshot = fixture('crd-finalizer');
    snapshot.content!.types[0].finalizers['example.ns-doctor.dev/snapshot-cleanup'] = 20_000;
    snapshot.content!.types[0].count = 20_000;
    const cr = snapshot.content!.stuck[0];
    const path = `/apis/example.ns-doctor.dev/v1/namespaces/${cr.meta.namespace}/databasebackups/${cr.meta.name}`;
    const plan = planFor([snapshot], 'last-resort', { [path]: { metadata: { ...meta(cr.meta.name), deletionTimestamp: '2026-11-28T17:44:50Z', finalizers: cr.meta.finalizers } } });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0].batch).toEqual({ list: `/apis/example.ns-doctor.dev/v1/namespaces/${cr.meta.namespace}/databasebackups`, finalizer: 'example.ns-doctor.dev/snapshot-cleanup', objects: 20_000 });
    expect(plan.steps[0].description).toContain('all 20000');
  });
});

describe('fix planner: mutating configurations are treated the same', () => {
  it('a mutating configuration with a healthy sibling: only the dead entry is removed', () => {
    const snapshot = fixture('webhook-delete');
    const dead = snapshot.webhooks![0];
    dead.configurationKind = 'MutatingWebhookConfiguration';
    dead.rules = [{ operations: ['DELETE', 'UPDATE'], apiGroups: [''], resources: ['configmaps'], scope: 'Namespaced' }];
    dead.service = { namespace: 'wh1', name: 'policy-webhook', port: 443 };
    snapshot.services['wh1/policy-webhook'] = { ...snapshot.services['wh1-policy/policy-webhook'], namespace: 'wh1' };
    snapshot.endpoints['wh1/policy-webhook'] = snapshot.endpoints['wh1-policy/policy-webhook']!;
    snapshot.webhooks!.push({ ...dead, name: 'defaults.example.com', rules: [{ operations: ['CREATE'], apiGroups: [''], resources: ['pods'] }], service: { namespace: 'kube-system', name: 'defaults', port: 443 } });
    const path = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/wh1-deny-delete';
    const live = {
      metadata: meta('wh1-deny-delete'),
      webhooks: [
        { name: dead.name, failurePolicy: 'Fail', clientConfig: { service: { namespace: 'wh1', name: 'policy-webhook' } } },
        { name: 'defaults.example.com', failurePolicy: 'Fail', clientConfig: { service: { namespace: 'kube-system', name: 'defaults' } } },
      ],
    };
    const slices = '/apis/discovery.k8s.io/v1/namespaces/wh1/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dpolicy-webhook';
    const plan = planFor([snapshot], 'safe', { [path]: live, [slices]: { items: [] }, '/api/v1/namespaces/wh1': namespace('wh1', ['kubernetes']) });
    expect(plan.steps.map((s) => [s.request.method, s.request.path])).toEqual([['PATCH', path]]);
    expect((plan.steps[0].request.body as unknown[]).at(-1)).toEqual({ op: 'remove', path: '/webhooks/0' });
  });
});

describe('what "no running controller" rests on is read again before the write', () => {
  it("a catalog finalizer's step re-reads the owner's well-known pods (cluster-wide, by label), besides RBAC's candidates", () => {
    const snapshot = JSON.parse(JSON.stringify(recorded('crd-finalizer')).split('example.ns-doctor.dev/snapshot-cleanup').join('finalizers.fluxcd.io')) as Snapshot;
    const report = diagnoseAt(snapshot);
    expect(report.blockers.map((b) => b.id)).toContain('FinalizerOwnerMissing');
    const draft = draftPlan([{ report, snapshot }]);
    const steps = draft.candidates.filter((c) => c.blocker.id === 'FinalizerOwnerMissing').flatMap((c) => c.options.flatMap((o) => o.steps));
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      expect(step.evidence).toContainEqual(
        expect.objectContaining({ path: `/api/v1/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/part-of=flux')}`, expect: { 'pods.ready': '0' } }),
      );
    }
  });
});

describe('a node taint removes no finalizer', () => {
  it('a pod held only by a custom finalizer on another dead node never makes that node a taint step', () => {
    const snapshot = recorded('pod-terminating');
    const stuck = Object.values(snapshot.pods)[0];
    const deadNode = snapshot.nodes[stuck.nodeName!];
    // The kubelet of a second dead node already reported the pod Failed: only its finalizer keeps it.
    snapshot.nodes['node-other'] = { ...structuredClone(deadNode), name: 'node-other' };
    const held = { ...structuredClone(stuck), name: 'held-by-finalizer', nodeName: 'node-other', phase: 'Failed', finalizers: ['example.com/hold'] };
    snapshot.pods[`${held.namespace}/${held.name}`] = held;
    const draft = draftPlan([{ snapshot, report: diagnoseAt(snapshot) }]);
    const taints = draft.candidates.filter((c) => c.blocker.id === 'PodsStuckTerminating').flatMap((c) => c.options.flatMap((o) => o.steps));
    expect(taints.map((s) => s.target.ref.name)).toEqual([stuck.nodeName]);
    expect(taints[0].evidence.map((e) => e.ref.name)).toEqual([stuck.name]);
  });
});
