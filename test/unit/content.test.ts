import { describe, expect, it } from 'vitest';
import { deletableTypes } from '../../src/gather/content.js';
import type { ResourceType } from '../../src/snapshot/types.js';

const type = (group: string, resource: string, verbs: string[]): ResourceType => ({ group, version: 'v1', resource, kind: resource, namespaced: true, verbs });
const all = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

describe('deletableTypes: what the namespace controller would delete, and so what is surveyed', () => {
  const resources = [
    type('', 'configmaps', all),
    type('', 'events', all),
    type('events.k8s.io', 'events', all),
    type('metrics.k8s.io', 'pods', ['get', 'list']),
    type('authorization.k8s.io', 'localsubjectaccessreviews', ['create']),
  ];

  it('skips types without delete (metrics.k8s.io) or list, and counts events once', () => {
    expect(deletableTypes(resources, true).map((r) => `${r.group}/${r.resource}`)).toEqual(['/configmaps', '/events']);
  });

  it('leaves events out unless the controller reports them remaining (no watch cache: an etcd read)', () => {
    expect(deletableTypes(resources).map((r) => `${r.group}/${r.resource}`)).toEqual(['/configmaps']);
  });
});
