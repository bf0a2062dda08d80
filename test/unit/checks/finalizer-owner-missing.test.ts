import { describe, expect, it } from 'vitest';
import { finalizerOwnerMissing } from '../../../src/checks/finalizer-owner-missing.js';
import { ruleGrantsFinalizerWrite } from '../../../src/gather/owners.js';
import { contextFor, facts, recorded } from '../helpers.js';

describe('FinalizerOwnerMissing (recorded: DatabaseBackup with an uninstalled operator\'s finalizer)', () => {
  it('reports the objects, the finalizer and that no ServiceAccount may update the type', () => {
    const snapshot = recorded('crd-finalizer');
    const [blocker, ...rest] = finalizerOwnerMissing.run(snapshot, contextFor(snapshot));
    expect(rest).toEqual([]);
    expect(blocker.id).toBe('FinalizerOwnerMissing');
    expect(blocker.summary).toContain('example.ns-doctor.dev/snapshot-cleanup');
    expect(facts([blocker]).join('\n')).toMatch(/DatabaseBackup nightly: deleted .* waiting on finalizer example\.ns-doctor\.dev\/snapshot-cleanup/);
    expect(facts([blocker]).join('\n')).toContain('RBAC update databasebackups.example.ns-doctor.dev: granted to no ServiceAccount');
    const patch = blocker.fixes.find((f) => f.safety === 'last-resort')!;
    expect(patch.command).toContain('"op":"test"');
    expect(patch.command).toContain('/metadata/finalizers/0');
    expect(patch.cost).toMatch(/leak/);
  });

  it('is not a blocker while a controller with a ready pod may update the type', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.finalizerOwners[0].candidates = [
      { serviceAccount: { namespace: 'backup-system', name: 'backup-operator' }, grantedBy: 'ClusterRoleBinding x → ClusterRole y', pods: [{ name: 'backup-operator-1', ready: true, phase: 'Running' }] },
    ];
    expect(finalizerOwnerMissing.run(snapshot, contextFor(snapshot))).toEqual([]);
  });

  it('names the candidate controller when it exists but has no ready pod', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.finalizerOwners[0].candidates = [
      { serviceAccount: { namespace: 'backup-system', name: 'backup-operator' }, grantedBy: 'ClusterRoleBinding x → ClusterRole y', pods: [] },
    ];
    const [blocker] = finalizerOwnerMissing.run(snapshot, contextFor(snapshot));
    expect(facts([blocker]).join('\n')).toContain('ServiceAccount backup-operator: may update databasebackups.example.ns-doctor.dev (ClusterRoleBinding x → ClusterRole y); no pods run as it');
    expect(blocker.fixes[0].description).toContain('backup-system/backup-operator');
  });

  it('does not claim the owner is missing when RBAC could not be read', () => {
    const snapshot = recorded('crd-finalizer');
    snapshot.finalizerOwners[0].rbacReadable = false;
    expect(finalizerOwnerMissing.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});

describe('ruleGrantsFinalizerWrite', () => {
  it('matches the group and resource (or its finalizers subresource) with a write verb', () => {
    expect(ruleGrantsFinalizerWrite({ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['update'] }, 'example.com', 'widgets')).toBe(true);
    expect(ruleGrantsFinalizerWrite({ apiGroups: ['example.com'], resources: ['widgets/finalizers'], verbs: ['patch'] }, 'example.com', 'widgets')).toBe(true);
    expect(ruleGrantsFinalizerWrite({ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list'] }, 'example.com', 'widgets')).toBe(false);
    expect(ruleGrantsFinalizerWrite({ apiGroups: ['other.com'], resources: ['widgets'], verbs: ['*'] }, 'example.com', 'widgets')).toBe(false);
  });

  it('ignores catch-all superuser rules, which say nothing about ownership', () => {
    expect(ruleGrantsFinalizerWrite({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, 'example.com', 'widgets')).toBe(false);
  });
});
