import { describe, expect, it } from 'vitest';
import { selectorMatches } from '../../src/rules/kubernetes.js';
import {
  parseConditions,
  parseContentNotRemoved,
  parseContentRemaining,
  parseDiscoveryFailures,
  parseFinalizersRemaining,
} from '../../src/rules/conditions.js';

describe('parseDiscoveryFailures', () => {
  it('reads the aggregated-discovery form, not mistaking the gv inside the error for a new entry', () => {
    const message =
      'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1';
    expect(parseDiscoveryFailures(message)).toEqual([
      { groupVersion: 'metrics.k8s.io/v1beta1', error: 'stale GroupVersion discovery: metrics.k8s.io/v1beta1' },
    ]);
  });

  it('reads the legacy form', () => {
    const message =
      'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request';
    expect(parseDiscoveryFailures(message)).toEqual([
      { groupVersion: 'metrics.k8s.io/v1beta1', error: 'the server is currently unable to handle the request' },
    ]);
  });

  it('splits several group versions even when errors contain commas', () => {
    const message =
      'Discovery failed for some groups, 2 failing: unable to retrieve the complete list of server APIs: ' +
      'custom.metrics.k8s.io/v1beta1: Get "https://10.0.0.7:443/apis/custom.metrics.k8s.io/v1beta1": dial tcp 10.0.0.7:443: connect: connection refused, retrying, gave up, ' +
      'metrics.k8s.io/v1beta1: the server is currently unable to handle the request';
    const failures = parseDiscoveryFailures(message);
    expect(failures.map((f) => f.groupVersion)).toEqual(['custom.metrics.k8s.io/v1beta1', 'metrics.k8s.io/v1beta1']);
    expect(failures[0].error).toContain('connection refused, retrying, gave up');
    expect(failures[1].error).toBe('the server is currently unable to handle the request');
  });

  it('does not cut an error at a group version it quotes', () => {
    const message =
      'Discovery failed for some groups, 2 failing: unable to retrieve the complete list of server APIs: ' +
      'metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1: timeout, ' +
      'custom.metrics.k8s.io/v1beta2: the server is currently unable to handle the request';
    expect(parseDiscoveryFailures(message)).toEqual([
      { groupVersion: 'metrics.k8s.io/v1beta1', error: 'stale GroupVersion discovery: metrics.k8s.io/v1beta1: timeout' },
      { groupVersion: 'custom.metrics.k8s.io/v1beta2', error: 'the server is currently unable to handle the request' },
    ]);
  });

  it('returns nothing for the ok message', () => {
    expect(parseDiscoveryFailures('All resources successfully discovered')).toEqual([]);
  });
});

describe('parseContentRemaining', () => {
  it('reads core (empty group) and grouped resources', () => {
    expect(parseContentRemaining('Some resources are remaining: pods. has 2 resource instances, widgets.example.com has 1 resource instances')).toEqual([
      { resource: 'pods', group: '', count: 2 },
      { resource: 'widgets', group: 'example.com', count: 1 },
    ]);
  });
});

describe('parseContentNotRemoved', () => {
  it('reads every "unexpected items" entry, core group included, among other errors, each type once', () => {
    const message =
      'Failed to delete all resource types, 4 remaining: unexpected items still remain in namespace: ns1 for gvr: /v1, Resource=pods, ' +
      'etcdserver: request timed out, unexpected items still remain in namespace: ns1 for gvr: tenancy.example.com/v1alpha1, Resource=projectbindings, ' +
      'unexpected items still remain in namespace: ns1 for gvr: tenancy.example.com/v1alpha1, Resource=projectbindings';
    expect(parseContentNotRemoved(message)).toEqual([
      { group: '', version: 'v1', resource: 'pods' },
      { group: 'tenancy.example.com', version: 'v1alpha1', resource: 'projectbindings' },
    ]);
  });

  it('only while the content failure is True (parseConditions)', () => {
    const condition = { type: 'NamespaceDeletionContentFailure', reason: 'ContentDeletionFailed', message: 'Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: a for gvr: x.io/v1, Resource=ys' };
    expect(parseConditions([{ ...condition, status: 'True' }]).contentNotRemoved).toEqual([{ group: 'x.io', version: 'v1', resource: 'ys' }]);
    expect(parseConditions([{ ...condition, status: 'False' }]).contentNotRemoved).toEqual([]);
  });
});

describe('parseFinalizersRemaining', () => {
  it('reads finalizer names with slashes and counts', () => {
    expect(
      parseFinalizersRemaining(
        'Some content in the namespace has finalizers remaining: example.com/cleanup in 3 resource instances, kubernetes.io/pvc-protection in 1 resource instances',
      ),
    ).toEqual([
      { finalizer: 'example.com/cleanup', count: 3 },
      { finalizer: 'kubernetes.io/pvc-protection', count: 1 },
    ]);
  });
});

describe('parseConditions', () => {
  it('only reads True conditions and knows when none are present', () => {
    expect(parseConditions([]).present).toBe(false);
    const parsed = parseConditions([
      { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
      { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: 'Failed to delete all resource types, 1 remaining: Internal error occurred: failed calling webhook "deny.example.com": failed to call webhook: Post "https://x.y.svc:443/validate?timeout=10s": no endpoints available for service "y"' },
      { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'True', reason: 'GroupVersionParsingFailed', message: 'unexpected GroupVersion string: a/b/c' },
    ]);
    expect(parsed.present).toBe(true);
    expect(parsed.discoveryFailures).toEqual([]);
    expect(parsed.contentFailure).toContain('failed calling webhook "deny.example.com"');
    expect(parsed.parseFailure).toBe('unexpected GroupVersion string: a/b/c');
  });
});

describe('label selectors, as the API server evaluates them', () => {
  const labels = { 'kubernetes.io/metadata.name': 'web', team: 'web', tier: 'frontend' };
  it.each([
    [undefined, true],
    [{}, true],
    [{ matchLabels: { team: 'web' } }, true],
    [{ matchLabels: { team: 'shop' } }, false],
    [{ matchLabels: { policy: 'strict' } }, false],
    [{ matchExpressions: [{ key: 'team', operator: 'In', values: ['web'] }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'policy', operator: 'NotIn', values: ['strict'] }] }, true],
    [{ matchExpressions: [{ key: 'policy', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }, { key: 'team', operator: 'In', values: ['web'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] }, 'unknown'],
    [{ matchExpressions: [{ operator: 'Exists' }] }, 'unknown'],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});
