// A CRD deleted while its custom resources still wait on a finalizer: the CRD stays Terminating
// (InstanceDeletionInProgress) and so does the namespace. ns-doctor names both, and says never to strip the CRD's own
// finalizer. Uses its own CRD so that no other test's CRD is deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose, kubectl, kubectlJson, kubectlOk, waitFor, waitForNamespaceCondition } from './harness.js';
import { blocker, blockerIds } from './report-shape.js';

const ns = 'e2e-crd-gone';
const crd = 'snapshots.teardown.ns-doctor.dev';
const finalizer = 'teardown.ns-doctor.dev/release-volume';

const gone = async (args: string[]) => (await kubectl(['get', ...args])).code !== 0;

describe('CRD deleted while its objects wait on a finalizer', () => {
  beforeAll(async () => {
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crd },
        spec: {
          group: 'teardown.ns-doctor.dev',
          scope: 'Namespaced',
          names: { plural: 'snapshots', singular: 'snapshot', kind: 'Snapshot' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      }),
    });
    await kubectlOk(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']);
    await waitFor('snapshots served', async () => (await kubectl(['get', 'snapshots.teardown.ns-doctor.dev', '-A'])).code === 0);
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'teardown.ns-doctor.dev/v1', kind: 'Snapshot', metadata: { name: 'db-0', finalizers: [finalizer] } }),
    });
    await kubectlOk(['delete', 'crd', crd, '--wait=false']);
    await waitFor('CRD Terminating with instances left', async () => {
      const obj = await kubectlJson<{ status?: { conditions?: { type: string; status: string; reason?: string }[] } }>(['get', 'crd', crd]);
      return obj.status?.conditions?.find((c) => c.type === 'Terminating' && c.status === 'True');
    });
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await waitForNamespaceCondition(ns, 'NamespaceFinalizersRemaining', 'True');
  });
  afterAll(async () => {
    await kubectl(['patch', '-n', ns, 'snapshots.teardown.ns-doctor.dev', 'db-0', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitFor(`CRD ${crd} gone`, () => gone(['crd', crd]), { timeoutMs: 120_000 });
    await waitFor(`namespace ${ns} gone`, () => gone(['namespace', ns]), { timeoutMs: 120_000 });
  });

  it('names the terminating CRD and the finalizer without an owner', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(expect.arrayContaining(['FinalizerOwnerMissing', 'CRDTerminating']));
    const b = blocker(report, 'CRDTerminating');
    expect(b.evidence[0].ref).toMatchObject({ kind: 'CustomResourceDefinition', name: crd });
    expect(b.evidence[0].fact).toMatch(/Terminating=True \(Instance\w+\)/);
    expect(b.warnings).toEqual([expect.stringContaining('never remove')]);
    expect(b.fixes.map((f) => f.description).join('\n')).not.toContain('never remove');
    expect(report.remaining).toEqual([expect.objectContaining({ resource: 'snapshots', group: 'teardown.ns-doctor.dev', withDeletionTimestamp: 1 })]);
  });
});
