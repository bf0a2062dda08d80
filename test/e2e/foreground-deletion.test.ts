// Foreground deletion meets namespace deletion. An owner deleted with --cascade=foreground waits (foregroundDeletion)
// for a dependent with blockOwnerDeletion, which itself waits on a finalizer nobody removes. Observed on 1.34: the
// namespace controller's own DeleteCollection (propagationPolicy=Background) replaces the owner's foregroundDeletion,
// so the owner goes and what holds the namespace is the dependent's finalizer alone. ns-doctor must say exactly that.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixPlan, FixResult } from '../../src/model/plan.js';
import { diagnose, kubectl, kubectlJson, kubectlOk, waitFor } from './harness.js';
import { fixCommand, gone } from './fix-command.js';
import { blocker, blockerIds } from './report-shape.js';
import { deleteStalled, foregroundHeldByDependent } from './stalls.js';

const ns = 'e2e-foreground';
const finalizer = 'example.ns-doctor.dev/hold';

describe('foregroundDeletion held by a dependent', () => {
  beforeAll(async () => {
    await foregroundHeldByDependent(ns, finalizer);
    await deleteStalled(ns, 'NamespaceFinalizersRemaining');
  });
  afterAll(async () => {
    await kubectl(['-n', ns, 'patch', 'configmap', 'dependent', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitFor(`namespace ${ns} gone`, () => gone(['namespace', ns]), { timeoutMs: 120_000 });
  });

  it('blames the dependent\'s finalizer, not a foreground deletion the namespace controller already replaced', async () => {
    expect(await gone(['-n', ns, 'configmap', 'owner'])).toBe(true);
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['FinalizerOwnerMissing']);
    const b = blocker(report, 'FinalizerOwnerMissing');
    expect(b.summary).toContain(finalizer);
    const facts = b.evidence.map((e) => `${e.ref.kind} ${e.ref.name}: ${e.fact}`);
    expect(facts[0]).toMatch(new RegExp(`^ConfigMap dependent: deleted .* ago, waiting on finalizer ${finalizer}$`));
    // Kubernetes' own roles (leader election, bootstrap signer) may update ConfigMaps but never own a custom finalizer.
    expect(facts.some((f) => f.startsWith('ServiceAccount '))).toBe(false);
  });
});

// `kubectl delete namespace --cascade=foreground`: the namespace's own metadata.finalizers hold foregroundDeletion,
// which the garbage collector removes only once every dependent naming it with blockOwnerDeletion is gone. Here that
// dependent is cluster-scoped (a ClusterRole, which the namespace's content never shows) and held by a finalizer
// nobody removes: the namespace controller finishes, and the namespace stays for ever.
describe('a namespace deleted in the foreground waits for a cluster-scoped dependent', () => {
  const nsName = 'e2e-foreground-ns';
  const role = `${nsName}-reader`;
  const cacheHome = mkdtempSync(join(tmpdir(), 'ns-doctor-foreground-cache-'));
  const { fixJson } = fixCommand(cacheHome);

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', nsName]);
    const uid = (await kubectlJson<{ metadata: { uid: string } }>(['get', 'namespace', nsName])).metadata.uid;
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role, finalizers: [finalizer], ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: nsName, uid, blockOwnerDeletion: true }] },
        rules: [],
      }),
    });
    await kubectlOk(['delete', 'namespace', nsName, '--cascade=foreground', '--wait=false']);
    // The namespace controller is done (spec.finalizers empty) and the garbage collector has deleted the dependent.
    await waitFor('the namespace controller finishes and the garbage collector deletes the ClusterRole', async () => {
      const [namespace, dependent] = await Promise.all([
        kubectlJson<{ spec?: { finalizers?: string[] }; metadata: { finalizers?: string[] } }>(['get', 'namespace', nsName]),
        kubectlJson<{ metadata: { deletionTimestamp?: string } }>(['get', 'clusterrole', role]),
      ]);
      return !namespace.spec?.finalizers?.length && namespace.metadata.finalizers?.includes('foregroundDeletion') && dependent.metadata.deletionTimestamp;
    });
  });
  afterAll(async () => {
    await kubectl(['patch', 'clusterrole', role, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitFor(`namespace ${nsName} gone`, () => gone(['namespace', nsName]), { timeoutMs: 120_000 });
    await waitFor(`clusterrole ${role} gone`, () => gone(['clusterrole', role]), { timeoutMs: 60_000 });
  });

  it('names the dependent and its finalizer, not the garbage collector, and offers dropping only foregroundDeletion', async () => {
    const { result, report } = await diagnose(nsName);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['NamespaceMetadataFinalizerRemaining']);
    const b = blocker(report, 'NamespaceMetadataFinalizerRemaining');
    expect(b.summary).toBe(`namespace metadata.finalizers has foregroundDeletion: the garbage collector waits for 1 dependent with blockOwnerDeletion (ClusterRole ${role}), held by ${finalizer}`);
    expect(b.evidence.map((e) => `${e.ref.kind} ${e.ref.name}: ${e.fact}`)).toContain(
      `ClusterRole ${role}: ownerReferences name namespace ${nsName} with blockOwnerDeletion; Terminating, finalizers ${finalizer}`,
    );
    expect(b.fixes.map((f) => f.safety)).toEqual(['safe', 'caution', 'last-resort']);
    expect(b.fixes[1]?.command).toBe(`kubectl patch namespace ${nsName} --type=json -p '[{"op":"test","path":"/metadata/finalizers","value":["foregroundDeletion"]},{"op":"remove","path":"/metadata/finalizers/0"}]'`);
    expect(b.fixes[2]?.command).toMatch(new RegExp(`^kubectl patch clusterroles\\.rbac\\.authorization\\.k8s\\.io ${role} --type=json`));
  });

  it('fix --allow caution removes foregroundDeletion alone: the namespace goes, the held ClusterRole stays with its finalizer', async () => {
    const { r, out: plan } = await fixJson<FixPlan>([nsName, '--allow', 'caution']);
    expect(r.code, r.stderr + r.stdout).toBe(10);
    expect(plan.steps.map((s) => [s.blockerId, s.safety, s.request.method, s.request.path])).toEqual([
      ['NamespaceMetadataFinalizerRemaining', 'caution', 'PATCH', `/api/v1/namespaces/${nsName}`],
    ]);
    expect(JSON.stringify(plan.steps[0]?.request.body)).toContain('{"op":"replace","path":"/metadata/finalizers","value":[]}');
    const { r: applied } = await fixJson<FixResult>([nsName, '--allow', 'caution', '--apply', '--plan-id', plan.planId]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(11);
    await waitFor(`namespace ${nsName} gone`, () => gone(['namespace', nsName]), { timeoutMs: 60_000 });
    const dependent = await kubectlJson<{ metadata: { deletionTimestamp?: string; finalizers?: string[] } }>(['get', 'clusterrole', role]);
    expect(dependent.metadata.deletionTimestamp).toBeTruthy();
    expect(dependent.metadata.finalizers).toEqual([finalizer]);
  });
});
