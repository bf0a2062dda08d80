// Pause switches: each project's annotation read by its own rule, other switch-shaped names only a "may", and a
// snapshot that keeps those annotations and no other.
import { describe, expect, it } from 'vitest';
import { countedMetaOf, metaOf } from '../../src/gather/convert.js';
import { isPauseAnnotation, pauseHolding, pauseOf, specPausedBy } from '../../src/rules/pause.js';
import type { ObjectSample, Snapshot } from '../../src/snapshot/types.js';
import { recorded } from './helpers.js';

describe('pauseOf', () => {
  it.each([
    [{ 'cluster.x-k8s.io/paused': '' }, { switch: 'cluster.x-k8s.io/paused', on: 'annotation', value: '', project: 'Cluster API', known: true }],
    [{ 'cluster.x-k8s.io/paused': 'false' }, { switch: 'cluster.x-k8s.io/paused', on: 'annotation', value: 'false', project: 'Cluster API', known: true }],
    [{ 'crossplane.io/paused': 'true' }, { switch: 'crossplane.io/paused', on: 'annotation', value: 'true', project: 'Crossplane', known: true }],
    [{ 'argocd.argoproj.io/skip-reconcile': 'true' }, { switch: 'argocd.argoproj.io/skip-reconcile', on: 'annotation', value: 'true', project: 'Argo CD', known: true }],
    [{ 'kamaji.clastix.io/paused': '' }, { switch: 'kamaji.clastix.io/paused', on: 'annotation', value: '', known: false }],
    [{ 'garm-operator.mercedes-benz.com/paused': 'true' }, { switch: 'garm-operator.mercedes-benz.com/paused', on: 'annotation', value: 'true', known: false }],
  ])('%j is paused: %j', (annotations, pause) => {
    expect(pauseOf({ meta: { name: 'm', annotations } })).toEqual(pause);
  });

  it.each([
    [undefined],
    [{}],
    [{ 'crossplane.io/paused': 'false' }],
    [{ 'crossplane.io/paused': 'True ' }],
    [{ 'argocd.argoproj.io/skip-reconcile': 'false' }],
    [{ 'kamaji.clastix.io/paused': 'false' }],
    [{ 'example.com/paused': 'Off' }],
    [{ 'app.kubernetes.io/paused-at': '2026-12-01' }],
    [{ paused: 'true' }],
  ])('%j is not paused', (annotations) => {
    expect(pauseOf({ meta: { name: 'm', ...(annotations ? { annotations } : {}) } })).toBeUndefined();
  });

  it('a known switch that is on is preferred to a guess', () => {
    expect(pauseOf({ meta: { name: 'm', annotations: { 'kamaji.clastix.io/paused': '', 'crossplane.io/paused': 'true' } } })?.project).toBe('Crossplane');
  });
});

describe('Cluster API spec.paused, and a pause held by an owner', () => {
  it('spec.paused counts for Cluster API groups only, and only as true', () => {
    expect(specPausedBy('cluster.x-k8s.io', { paused: true })).toBe(true);
    expect(specPausedBy('infrastructure.cluster.x-k8s.io', { paused: true })).toBe(true);
    expect(specPausedBy('cluster.x-k8s.io', { paused: 'true' })).toBe(false);
    expect(specPausedBy('apps', { paused: true })).toBe(false); // a Deployment's paused rollout holds no finalizer
    expect(specPausedBy('cluster.x-k8s.io', null)).toBe(false);
    expect(pauseOf({ meta: { name: 'prod' }, specPaused: true })).toEqual({ switch: 'spec.paused', on: 'spec', value: 'true', project: 'Cluster API', known: true });
  });

  const sample = (kind: string, resource: string, uid: string, owner?: string, extra: Partial<ObjectSample> = {}): ObjectSample => ({
    group: 'cluster.x-k8s.io', version: 'v1beta1', resource, kind,
    meta: { name: `${kind.toLowerCase()}-1`, namespace: 'capi1', uid, deletionTimestamp: '2026-12-01T10:00:00Z', finalizers: [`${resource}.cluster.x-k8s.io`],
      ...(owner ? { ownerReferences: [{ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Owner', name: 'o', uid: owner, controller: true }] } : {}) },
    ...extra,
  });
  function snapshotWith(stuck: ObjectSample[]): Snapshot {
    const s = recorded('crd-finalizer');
    s.content = { ...s.content!, stuck };
    return s;
  }

  it('a Machine is held by its Cluster\'s spec.paused three owners up', () => {
    const cluster = sample('Cluster', 'clusters', 'u-cluster', undefined, { specPaused: true });
    const deployment = sample('MachineDeployment', 'machinedeployments', 'u-md', 'u-cluster');
    const set = sample('MachineSet', 'machinesets', 'u-ms', 'u-md');
    const machine = sample('Machine', 'machines', 'u-m', 'u-ms');
    const held = pauseHolding(snapshotWith([machine, set, deployment, cluster]), machine);
    expect(held?.paused).toBe(cluster);
    expect(held?.pause).toMatchObject({ switch: 'spec.paused', known: true });
  });

  it('a known switch up the chain wins over a guess on the object itself; a cycle of owners ends', () => {
    const owner = sample('MachineSet', 'machinesets', 'u-ms', 'u-m', { meta: { ...sample('MachineSet', 'machinesets', 'u-ms', 'u-m').meta, annotations: { 'cluster.x-k8s.io/paused': '' } } });
    const machine = sample('Machine', 'machines', 'u-m', 'u-ms', { meta: { ...sample('Machine', 'machines', 'u-m', 'u-ms').meta, annotations: { 'example.com/paused': 'true' } } });
    const held = pauseHolding(snapshotWith([machine, owner]), machine);
    expect(held?.paused).toBe(owner);
    expect(held?.pause.switch).toBe('cluster.x-k8s.io/paused');
  });

  it('an owner that is not among the held objects is not looked for: no pause', () => {
    const machine = sample('Machine', 'machines', 'u-m', 'u-gone');
    expect(pauseHolding(snapshotWith([machine]), machine)).toBeUndefined();
  });
});

describe('what a snapshot keeps of annotations', () => {
  const held = { name: 'm-0', namespace: 'capi1', deletionTimestamp: '2026-12-01T10:00:00Z', finalizers: ['machine.cluster.x-k8s.io'] };
  const raw = (annotations: unknown) => ({ metadata: { ...held, annotations } });

  it('only pause switches, whatever else the object carries', () => {
    const annotations = {
      'cluster.x-k8s.io/paused': '',
      'kubectl.kubernetes.io/last-applied-configuration': '{"big":"' + 'x'.repeat(100_000) + '"}',
      'example.com/owner': 'team-a',
    };
    expect(metaOf(raw(annotations)).annotations).toEqual({ 'cluster.x-k8s.io/paused': '' });
    expect(countedMetaOf(raw(annotations)).annotations).toEqual({ 'cluster.x-k8s.io/paused': '' });
    expect(metaOf(raw({ 'example.com/owner': 'team-a' }))).not.toHaveProperty('annotations');
    expect(isPauseAnnotation('kubectl.kubernetes.io/last-applied-configuration')).toBe(false);
    // An object that holds nothing is never paused in a way that matters: its annotations are not scanned.
    expect(countedMetaOf({ metadata: { name: 'cm', annotations } })).not.toHaveProperty('annotations');
  });

  it('a broken annotations map is not read, and costs the object nothing', () => {
    for (const broken of ['paused', 42, ['cluster.x-k8s.io/paused'], null]) expect(metaOf(raw(broken))).toEqual(held);
    expect(metaOf(raw({ 'crossplane.io/paused': true, 'cluster.x-k8s.io/paused': '' })).annotations).toEqual({ 'cluster.x-k8s.io/paused': '' });
    expect(metaOf(raw({ 'crossplane.io/paused': 'true'.padEnd(10_000, ' ') })).annotations!['crossplane.io/paused']).toHaveLength(256);
  });
});
