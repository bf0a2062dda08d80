import { describe, expect, it } from 'vitest';
import { factOf, factsOf } from '../../../src/fix/facts.js';
import { buildRequest, RequestBuildError } from '../../../src/fix/requests.js';
import type { ApiWritableObject } from '../../../src/kube/api-types.js';

describe('facts read off an object (untrusted: whatever the server sent)', () => {
  it('reads what steps rely on', () => {
    const cm = { metadata: { deletionTimestamp: 'x', finalizers: ['a.example.com/f'] } };
    expect(factsOf(cm, ['exists', 'deleting', 'finalizer:a.example.com/f', 'finalizer:b'])).toEqual({
      exists: 'true',
      deleting: 'true',
      'finalizer:a.example.com/f': 'present',
      'finalizer:b': 'absent',
    });
    expect(factsOf(undefined, ['exists', 'deleting'])).toEqual({ exists: 'false', deleting: 'absent' });
    const vwc = { webhooks: [{ name: 'w.example.com', clientConfig: { service: { namespace: 'p', name: 's' } } }] };
    expect(factOf(vwc, 'webhook:w.example.com.failurePolicy')).toBe('Fail');
    expect(factOf(vwc, 'webhook:w.example.com.service')).toBe('p/s');
    const slices = { items: [{ endpoints: [{ conditions: { ready: false } }, { conditions: {} }] }] };
    expect(factOf(slices, 'endpoints.ready')).toBe('1');
  });

  it('a finalizer list that is not a list is empty, never a substring match', () => {
    // Shapes the API never promises, as a hostile or broken server could send them.
    const untrusted = (object: unknown) => object as ApiWritableObject;
    expect(factOf(untrusted({ metadata: { finalizers: 'a.example.com/f-and-more' } }), 'finalizer:a.example.com/f')).toBe('absent');
    expect(factOf(untrusted({ spec: { taints: 'node.kubernetes.io/out-of-service' } }), 'taint:node.kubernetes.io/out-of-service')).toBe('absent');
    expect(() => buildRequest({ type: 'remove-finalizers', finalizers: ['f'] }, '/x', untrusted({ metadata: { uid: 'u', resourceVersion: '1', finalizers: 'f' } }))).toThrow(RequestBuildError);
    expect(() => buildRequest({ type: 'delete' }, '/x', untrusted({ metadata: { uid: 7, resourceVersion: '1' } }))).toThrow(RequestBuildError);
  });
});
