import { describe, expect, it } from 'vitest';
import { applyPlan, attributesOf, LOST_ANSWER_REREAD_MS, type ApplyDeps } from '../../../src/fix/apply.js';
import type { AuditEntry } from '../../../src/fix/audit.js';
import { guardRequest } from '../../../src/fix/guards.js';
import { draftPlan, selectSteps } from '../../../src/fix/planner.js';
import { assemblePlan } from '../../../src/fix/plan.js';
import type { ApiRequest } from '../../../src/model/plan.js';
import type { WriteResponse } from '../../../src/fix/writer.js';
import { diagnoseAt, recorded } from '../helpers.js';
import { apiService, namespace, readsFor } from './objects.js';

const APISERVICE = '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.custom.metrics.k8s.io';
const NAMESPACE = '/api/v1/namespaces/orph1';

function orphanedPlan() {
  const snapshot = recorded('apiservice-orphaned');
  const report = diagnoseAt(snapshot);
  const draft = draftPlan([{ report, snapshot }]);
  const objects: Record<string, unknown> = {
    [APISERVICE]: apiService('v1beta1.custom.metrics.k8s.io', { namespace: 'monitoring', name: 'prometheus-adapter' }, 'False'),
    [NAMESPACE]: namespace('orph1', ['kubernetes']),
  };
  const { plan, drafts } = assemblePlan([report], draft, readsFor(selectSteps(draft, 'caution').chosen, objects), 'caution', { requests: 0, bytesReceived: 0, retries: 0, durationMs: 0 });
  return { plan, drafts, objects };
}

/** A fake API server: answers SSARs with `allowed`, every write with `status(request)`, and records all of it. */
function fakeServer(objects: Record<string, unknown>, options: { allowed?: boolean; status?: (r: ApiRequest) => number } = {}) {
  const sent: ApiRequest[] = [];
  const audit: AuditEntry[] = [];
  const read: ApplyDeps['read'] = async (spec) => {
    const object = objects[spec.path];
    return object ? { exists: true, object: structuredClone(object) } : { exists: false };
  };
  const deps: ApplyDeps = {
    writer: {
      async send(request: ApiRequest): Promise<WriteResponse> {
        sent.push(request);
        if (request.path.endsWith('/selfsubjectaccessreviews')) return { status: 201, body: { status: { allowed: options.allowed ?? true } }, message: '' };
        const status = options.status?.(request) ?? 200;
        return { status, body: { metadata: { name: 'orph1.ns-doctor-abcde' } }, message: status >= 300 ? 'refused by the fake' : '' };
      },
    },
    read,
    reread: read,
    list: async () => [],
    audit: { path: '/dev/null', record: (entry) => audit.push(entry) },
    log: () => undefined,
    now: () => new Date('2026-12-01T10:00:00Z'),
    sleep: async () => undefined,
  };
  const writes = () => sent.filter((r) => !r.path.endsWith('/selfsubjectaccessreviews') && r.query.dryRun !== 'All');
  return { deps, sent, writes, audit };
}

describe('applyPlan', () => {
  it('applies: SSARs first, then dry runs of every step and Event, then per step the write and its Event', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects);
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Applied');
    expect(server.sent.map((r) => `${r.method} ${r.path}${r.query.dryRun ? ' (dry run)' : ''}`)).toEqual([
      'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      `DELETE ${APISERVICE} (dry run)`,
      'POST /api/v1/namespaces/default/events (dry run)',
      `DELETE ${APISERVICE} (dry run)`,
      `DELETE ${APISERVICE}`,
      'POST /api/v1/namespaces/default/events',
    ]);
    // A DELETE with a body takes dryRun from the body only: it must be there.
    const dry = server.sent.find((r) => r.method === 'DELETE' && r.query.dryRun === 'All')!;
    expect(dry.body).toMatchObject({ dryRun: ['All'], preconditions: expect.any(Object) });
    expect(server.writes()[1].body).toMatchObject({ reason: 'NsDoctorFixApplied', involvedObject: { kind: 'Namespace', name: 'orph1' }, type: 'Warning' });
    expect(result.steps).toEqual([expect.objectContaining({ status: 'applied', events: [{ namespace: 'default', name: 'orph1.ns-doctor-abcde', about: 'orph1' }] })]);
  });

  it('dry-run mode sends nothing but SSARs and dry runs', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects);
    const result = await applyPlan(plan, drafts, 'dry-run', server.deps);
    expect(result.outcome).toBe('DryRunPassed');
    expect(server.writes()).toEqual([]);
  });

  it('refuses the whole plan, naming the verbs, when a permission is missing; nothing else is sent', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects, { allowed: false });
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Refused');
    expect(result.missingPermissions).toEqual([
      expect.objectContaining({ verb: 'delete', group: 'apiregistration.k8s.io', resource: 'apiservices', name: 'v1beta1.custom.metrics.k8s.io', step: 1 }),
      expect.objectContaining({ verb: 'create', group: '', resource: 'events', namespace: 'default', step: 1 }),
    ]);
    expect(result.message).toContain('delete apiservices.apiregistration.k8s.io');
    expect(server.sent.every((r) => r.path.endsWith('/selfsubjectaccessreviews'))).toBe(true);
  });

  it('a refused dry run stops everything before any write', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects, { status: (r) => (r.method === 'DELETE' ? 403 : 201) });
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Failed');
    expect(server.writes()).toEqual([]);
  });

  it('stops before the step when its evidence changed after the plan was checked (the API recovered)', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const recovered = structuredClone(objects);
    (recovered[APISERVICE] as { status: { conditions: { status: string }[] } }).status.conditions[0].status = 'True';
    const server = fakeServer(recovered);
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Stopped');
    expect(result.changes).toEqual([{ ref: expect.objectContaining({ kind: 'APIService' }), field: 'apiservice.available', planned: 'False', now: 'True' }]);
    expect(server.writes()).toEqual([]);
  });

  it('stops when the object was re-created under the same name (another uid)', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const recreated = structuredClone(objects);
    (recreated[APISERVICE] as { metadata: { uid: string } }).metadata.uid = 'a-new-uid';
    const server = fakeServer(recreated);
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Stopped');
    expect(result.changes).toEqual([expect.objectContaining({ field: 'uid', now: 'a-new-uid' })]);
    expect(server.writes()).toEqual([]);
  });

  it('a 409 on the write (changed between re-read and write) is a stop, with no Event recorded', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    // Someone else writes the APIService between the re-read and the write: the re-read after the 409 sees it.
    const changedUnderUs = (r: ApiRequest) => {
      if (r.method !== 'DELETE' || r.query.dryRun === 'All') return 200;
      (objects[APISERVICE] as { metadata: { resourceVersion: string } }).metadata.resourceVersion = '424242';
      return 409;
    };
    const server = fakeServer(objects, { status: changedUnderUs });
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Stopped');
    expect(result.steps[0]).toMatchObject({ status: 'stopped', httpStatus: 409 });
    expect(server.writes().map((r) => r.method)).toEqual(['DELETE']);
  });

  it('a write that gets no answer is "no answer: it may have been applied", re-read (bounded), recorded, exit class NoAnswer', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects);
    const send = server.deps.writer.send;
    server.deps.writer = {
      send: (r) => (r.method === 'DELETE' && r.query.dryRun !== 'All' ? Promise.reject(new Error('timed out after 30s')) : send(r)),
    };
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('NoAnswer');
    // The fake still holds the object exactly as read: the re-read proves the write did not happen.
    expect(result.steps[0]).toMatchObject({ status: 'no-answer', message: 'no answer: it may have been applied', lostAnswer: { reread: 'not-applied' } });
    expect(server.audit.map((e) => [e.phase, e.what, e.request.method, e.status])).toEqual([
      ['attempt', 'step', 'DELETE', undefined],
      ['outcome', 'step', 'DELETE', 0],
    ]);
    expect(result.auditFile).toBe('/dev/null');
  });

  it('after a lost answer the re-read sees the object gone: "applied"; it keeps trying while the server is down, within its bound', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects);
    const send = server.deps.writer.send;
    server.deps.writer = { send: (r) => (r.method === 'DELETE' && r.query.dryRun !== 'All' ? Promise.reject(new Error('socket hang up')) : send(r)) };
    let rereads = 0;
    server.deps.reread = async () => (++rereads < 3 ? { exists: false, error: 'connection refused', unreachable: true } : { exists: false });
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(rereads).toBe(3);
    expect(result.steps[0]?.lostAnswer).toMatchObject({ reread: 'applied' });
  });

  it('the re-read is bounded: a server that never comes back gives "unreadable" after LOST_ANSWER_REREAD_MS', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects);
    const send = server.deps.writer.send;
    server.deps.writer = { send: (r) => (r.method === 'DELETE' && r.query.dryRun !== 'All' ? Promise.reject(new Error('reset')) : send(r)) };
    let clock = Date.parse('2026-12-01T10:00:00Z');
    server.deps.now = () => new Date(clock);
    server.deps.sleep = async (ms) => void (clock += ms);
    let rereads = 0;
    server.deps.reread = async () => (rereads++, { exists: false, error: 'connection refused', unreachable: true });
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.steps[0]?.lostAnswer?.reread).toBe('unreadable');
    expect(rereads).toBeLessThanOrEqual(LOST_ANSWER_REREAD_MS / 2000 + 1);
  });

  it('steps not reached after a stop are not-run, never dry-run-passed', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects, { status: (r) => (r.method === 'DELETE' && r.query.dryRun !== 'All' ? 500 : 200) });
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Failed');
    expect(result.steps.map((s) => s.status)).not.toContain('dry-run-passed');
  });

  it('a 422 on a dry run of an object that has not changed is a refusal (admission), not "evidence changed"', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects, { status: (r) => (r.method === 'DELETE' ? 422 : 201) });
    const result = await applyPlan(plan, drafts, 'dry-run', server.deps);
    expect(result.outcome).toBe('Failed');
  });

  it('a 409 on a dry run of an object that did change is a stop', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const moved = structuredClone(objects);
    (moved[APISERVICE] as { metadata: { resourceVersion: string } }).metadata.resourceVersion = '999999';
    const server = fakeServer(moved, { status: (r) => (r.method === 'DELETE' ? 409 : 201) });
    const result = await applyPlan(plan, drafts, 'dry-run', server.deps);
    expect(result.outcome).toBe('Stopped');
  });

  it('permission checks without an answer: Unreachable, nothing written (not "missing permissions")', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects);
    server.deps.writer = { send: () => Promise.reject(new Error('connection refused')) };
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Unreachable');
    expect(result.missingPermissions).toBeUndefined();
  });

  it('an audit record that cannot be written stops before the write is sent', async () => {
    const { plan, drafts, objects } = orphanedPlan();
    const server = fakeServer(objects);
    server.deps.audit = { path: '/full', record: () => { throw new Error('cannot write to the audit file /full: ENOSPC'); } };
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Failed');
    expect(result.message).toContain('ENOSPC');
    expect(server.writes()).toEqual([]);
  });
});

describe('guards: what ns-doctor never writes', () => {
  const evidence = (path: string, facts: Record<string, string> = {}) => [{ ref: { kind: 'X', name: 'x' }, path, exists: true, facts }];
  const request = (method: ApiRequest['method'], path: string, body: unknown = {}): ApiRequest => ({ method, path, query: {}, contentType: 'application/json', body });

  it('never a CRD, never a Secret, never a namespace DELETE, never another object than the one planned', () => {
    const crd = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/databasebackups.example.ns-doctor.dev';
    expect(guardRequest({ safety: 'last-resort', request: request('PATCH', crd), evidence: evidence(crd) })).toMatch(/CustomResourceDefinition/);
    const secret = '/api/v1/namespaces/a/secrets/s';
    expect(guardRequest({ safety: 'last-resort', request: request('PATCH', secret), evidence: evidence(secret) })).toMatch(/Secrets/);
    expect(guardRequest({ safety: 'last-resort', request: request('DELETE', '/api/v1/namespaces/a'), evidence: evidence('/api/v1/namespaces/a') })).toMatch(/never deletes a namespace/);
    expect(guardRequest({ safety: 'safe', request: request('DELETE', '/api/v1/nodes/b'), evidence: evidence('/api/v1/nodes/a') })).toMatch(/not the object/);
    expect(guardRequest({ safety: 'safe', request: request('DELETE', '/api/v1/nodes/a'), evidence: evidence('/api/v1/nodes/a') })).toBeUndefined();
  });

  it("never removes the namespace's kubernetes finalizer below last-resort", () => {
    const ns = '/api/v1/namespaces/a';
    const drop = request('PUT', `${ns}/finalize`, { spec: { finalizers: [] } });
    const facts = { 'specFinalizer:kubernetes': 'present' };
    expect(guardRequest({ safety: 'caution', request: drop, evidence: evidence(ns, facts) })).toMatch(/--allow last-resort/);
    expect(guardRequest({ safety: 'last-resort', request: drop, evidence: evidence(ns, facts) })).toBeUndefined();
    expect(guardRequest({ safety: 'caution', request: request('PUT', `${ns}/finalize`, { spec: { finalizers: ['kubernetes'] } }), evidence: evidence(ns, facts) })).toBeUndefined();
  });
});

describe('attributesOf: what each request asks the authorizer for', () => {
  const of = (method: ApiRequest['method'], path: string) => attributesOf({ method, path, query: {}, contentType: '', body: {} });
  it('reads namespaced, cluster-scoped and subresource paths', () => {
    expect(of('PATCH', '/apis/example.com/v1/namespaces/a/widgets/w')).toEqual({ verb: 'patch', group: 'example.com', resource: 'widgets', namespace: 'a', name: 'w' });
    expect(of('PUT', '/api/v1/namespaces/a/finalize')).toEqual({ verb: 'update', group: '', resource: 'namespaces', name: 'a', subresource: 'finalize' });
    expect(of('PATCH', '/api/v1/nodes/n')).toEqual({ verb: 'patch', group: '', resource: 'nodes', name: 'n' });
    expect(of('POST', '/api/v1/namespaces/default/events')).toEqual({ verb: 'create', group: '', resource: 'events', namespace: 'default' });
  });
});

describe("the kubernetes-finalizer guard is real: the planner records the fact it reads", () => {
  it('a step that would drop kubernetes below last-resort is refused before anything is sent', async () => {
    const snapshot = recorded('ns-finalizer');
    snapshot.namespace!.specFinalizers = ['kubernetes', 'platform.example.com/namespace-cleanup'];
    const report = diagnoseAt(snapshot);
    const draft = draftPlan([{ report, snapshot }]);
    const objects = { '/api/v1/namespaces/nsf1': namespace('nsf1', ['kubernetes', 'platform.example.com/namespace-cleanup']) };
    const { plan, drafts } = assemblePlan([report], draft, readsFor(selectSteps(draft, 'last-resort').chosen, objects), 'last-resort', { requests: 0, bytesReceived: 0, retries: 0, durationMs: 0 });
    const step = plan.steps.find((s) => s.blockerId === 'NamespaceFinalizerRemaining')!;
    expect(step.evidence[0].facts['specFinalizer:kubernetes']).toBe('present');
    // A planner bug, fed in: the body drops kubernetes too, and the step claims to be only caution.
    const bad = structuredClone(plan);
    const badStep = bad.steps.find((s) => s.blockerId === 'NamespaceFinalizerRemaining')!;
    (badStep.request.body as { spec: { finalizers: string[] } }).spec.finalizers = [];
    badStep.safety = 'caution';
    const server = fakeServer(objects);
    const result = await applyPlan(bad, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Refused');
    expect(result.message).toContain("kubernetes finalizer");
    expect(server.sent).toEqual([]);
  });
});

describe('a batch step: every object of the cause, each with its own preconditions', () => {
  const FINALIZER = 'example.ns-doctor.dev/snapshot-cleanup';
  function batchPlan() {
    const snapshot = recorded('crd-finalizer');
    snapshot.content!.types[0].finalizers[FINALIZER] = 5;
    const cr = snapshot.content!.stuck[0];
    const list = `/apis/example.ns-doctor.dev/v1/namespaces/${cr.meta.namespace}/databasebackups`;
    const item = (name: string, finalizers = [FINALIZER]) => ({ metadata: { name, namespace: cr.meta.namespace, uid: `uid-${name}`, resourceVersion: `rv-${name}`, deletionTimestamp: '2026-11-28T17:44:50Z', finalizers } });
    const objects: Record<string, unknown> = { [`${list}/${cr.meta.name}`]: item(cr.meta.name), [`/api/v1/namespaces/${cr.meta.namespace}`]: namespace(cr.meta.namespace!, ['kubernetes']) };
    const report = diagnoseAt(snapshot);
    const draft = draftPlan([{ report, snapshot }]);
    const { plan, drafts } = assemblePlan([report], draft, readsFor(selectSteps(draft, 'last-resort').chosen, objects), 'last-resort', { requests: 0, bytesReceived: 0, retries: 0, durationMs: 0 });
    const listed = [item(cr.meta.name), item('b1'), item('b2'), item('b3'), item('released', [])];
    return { plan, drafts, objects, list, listed };
  }

  it('writes each listed object that still matches with a patch testing its own uid, resourceVersion and finalizers; counts one that moved; one Event', async () => {
    const { plan, drafts, objects, list, listed } = batchPlan();
    expect(plan.steps).toHaveLength(1);
    const server = fakeServer(objects, { status: (r) => (r.path.endsWith('/b2') && r.query.dryRun !== 'All' ? 409 : 200) });
    server.deps.list = async (path) => (path === list ? structuredClone(listed) : []);
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('Applied');
    expect(result.steps[0]).toMatchObject({ status: 'applied', batch: { matched: 4, applied: 3, moved: 1, failed: 0, noAnswer: 0, notRun: 0 } });
    expect(result.message).toContain('1 object(s) changed before their write');
    const b1 = server.writes().find((r) => r.path === `${list}/b1`)!;
    expect(b1.body).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'uid-b1' },
      { op: 'test', path: '/metadata/resourceVersion', value: 'rv-b1' },
      { op: 'test', path: '/metadata/finalizers', value: [FINALIZER] },
      { op: 'replace', path: '/metadata/finalizers', value: [] },
    ]);
    expect(server.writes().some((r) => r.path.endsWith('/released'))).toBe(false);
    expect(server.writes().filter((r) => r.path.endsWith('/events'))).toHaveLength(1);
    expect(server.audit.filter((e) => e.what === 'batch-object' && e.phase === 'outcome')).toHaveLength(3);
  });

  it('a batch object without an answer stops the batch: no-answer, the rest not tried, exit class NoAnswer', async () => {
    const { plan, drafts, objects, list, listed } = batchPlan();
    const server = fakeServer(objects);
    const send = server.deps.writer.send;
    server.deps.writer = { send: (r) => (r.path.endsWith('/b1') && r.query.dryRun !== 'All' ? Promise.reject(new Error('reset')) : send(r)) };
    server.deps.list = async (path) => (path === list ? structuredClone(listed) : []);
    const result = await applyPlan(plan, drafts, 'apply', server.deps);
    expect(result.outcome).toBe('NoAnswer');
    expect(result.steps[0]?.status).toBe('no-answer');
    expect(result.steps[0]?.batch?.noAnswer).toBe(1);
  });
});
