// An aggregated API whose backend Service lives inside the namespace being deleted: the namespace controller deletes
// the backend, the API becomes unavailable, and discovery then keeps the namespace Terminating forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose, kubectl, kubectlOk, waitFor } from './harness.js';
import { blocker, blockerIds } from './report-shape.js';
import {apiServiceServedFrom, deleteStalled } from './stalls.js';

const ns = 'e2e-inside';
const apiservice = 'v1alpha1.widgets.inside.example.com';
/** Another namespace deleted at the same time ("helm uninstall monitoring && kubectl delete ns monitoring app"). */
const other = 'e2e-inside-app';

describe('APIService served from inside the namespace being deleted', () => {
  beforeAll(async () => {
    await apiServiceServedFrom(ns, apiservice);
    await kubectlOk(['create', 'namespace', other]);
    await kubectlOk(['-n', other, 'create', 'configmap', 'settings', '--from-literal=a=b']);
    await deleteStalled(ns, 'NamespaceDeletionDiscoveryFailure');
    await deleteStalled(other, 'NamespaceDeletionDiscoveryFailure');
  });
  afterAll(async () => {
    await kubectl(['delete', 'apiservice', apiservice, '--ignore-not-found']);
    for (const name of [ns, other]) await waitFor(`namespace ${name} gone`, async () => (await kubectl(['get', 'namespace', name])).code !== 0, { timeoutMs: 120_000 });
  });

  it('is called APIServiceBackendInNamespace, with deleting the APIService as the safe fix', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['APIServiceBackendInNamespace']);
    const b = blocker(report, 'APIServiceBackendInNamespace');
    expect(b.summary).toContain(`inside namespace ${ns}`);
    expect(b.fixes[0]).toMatchObject({ safety: 'safe', command: `kubectl delete apiservice ${apiservice}` });
  });

  it('findings F8: another namespace blocked by it is told the same: its backend\'s namespace is being deleted, delete the APIService (safe), never "reinstall" first', async () => {
    await waitFor('the backend Service deleted with its namespace', async () => (await kubectl(['-n', ns, 'get', 'services', '-o', 'name'])).stdout.trim() === '');
    const { result, report } = await diagnose(other);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['APIServiceOrphaned']);
    const b = blocker(report, 'APIServiceOrphaned');
    expect(b.summary).toContain(`, which is gone with its namespace ${ns}, itself being deleted: it can never come back`);
    expect(b.fixes.map((f) => [f.safety, f.command])).toEqual([['safe', `kubectl delete apiservice ${apiservice}`]]);
  });

  it('following the safe fix lets the real namespace controller finish', async () => {
    await kubectlOk(['delete', 'apiservice', apiservice]);
    await waitFor(`namespace ${ns} gone`, async () => (await kubectl(['get', 'namespace', ns])).code !== 0, { timeoutMs: 120_000 });
  });
});
