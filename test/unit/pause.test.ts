// Pause switches: each project's annotation read by its own rule, other switch-shaped names only a "may", and a
// snapshot that keeps those annotations and no other.
import { describe, expect, it } from 'vitest';
import { countedMetaOf, metaOf } from '../../src/gather/convert.js';
import { isPauseAnnotation, pauseOf } from '../../src/rules/pause.js';

describe('pauseOf', () => {
  it.each([
    [{ 'cluster.x-k8s.io/paused': '' }, { annotation: 'cluster.x-k8s.io/paused', value: '', project: 'Cluster API', known: true }],
    [{ 'cluster.x-k8s.io/paused': 'false' }, { annotation: 'cluster.x-k8s.io/paused', value: 'false', project: 'Cluster API', known: true }],
    [{ 'crossplane.io/paused': 'true' }, { annotation: 'crossplane.io/paused', value: 'true', project: 'Crossplane', known: true }],
    [{ 'argocd.argoproj.io/skip-reconcile': 'true' }, { annotation: 'argocd.argoproj.io/skip-reconcile', value: 'true', project: 'Argo CD', known: true }],
    [{ 'kamaji.clastix.io/paused': '' }, { annotation: 'kamaji.clastix.io/paused', value: '', known: false }],
    [{ 'garm-operator.mercedes-benz.com/paused': 'true' }, { annotation: 'garm-operator.mercedes-benz.com/paused', value: 'true', known: false }],
  ])('%j is paused: %j', (annotations, pause) => {
    expect(pauseOf(annotations)).toEqual(pause);
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
    expect(pauseOf(annotations)).toBeUndefined();
  });

  it('a known switch that is on is preferred to a guess', () => {
    expect(pauseOf({ 'kamaji.clastix.io/paused': '', 'crossplane.io/paused': 'true' })?.project).toBe('Crossplane');
  });
});

describe('what a snapshot keeps of annotations', () => {
  const raw = (annotations: unknown) => ({ metadata: { name: 'm-0', namespace: 'capi1', annotations } });

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
  });

  it('a broken annotations map is not read, and costs the object nothing', () => {
    for (const broken of ['paused', 42, ['cluster.x-k8s.io/paused'], null]) expect(metaOf(raw(broken))).toEqual({ name: 'm-0', namespace: 'capi1' });
    expect(metaOf(raw({ 'crossplane.io/paused': true, 'cluster.x-k8s.io/paused': '' })).annotations).toEqual({ 'cluster.x-k8s.io/paused': '' });
    expect(metaOf(raw({ 'crossplane.io/paused': 'true'.padEnd(10_000, ' ') })).annotations!['crossplane.io/paused']).toHaveLength(256);
  });
});
