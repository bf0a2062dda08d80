// Foreground deletion meets namespace deletion. An owner deleted with --cascade=foreground waits (foregroundDeletion)
// for a dependent with blockOwnerDeletion, which itself waits on a finalizer nobody removes. Observed on 1.34: the
// namespace controller's own DeleteCollection (propagationPolicy=Background) replaces the owner's foregroundDeletion,
// so the owner goes and what holds the namespace is the dependent's finalizer alone. ns-doctor must say exactly that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose, kubectl, waitFor } from './harness.js';
import { blocker, blockerIds } from './report-shape.js';
import {deleteStalled, foregroundHeldByDependent } from './stalls.js';

const ns = 'e2e-foreground';
const finalizer = 'example.ns-doctor.dev/hold';
const gone = async (args: string[]) => (await kubectl(['get', ...args])).code !== 0;

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
