// A namespace's snapshot holds the same facts whether it was taken alone (`kubectl ns-doctor X --save-snapshot`) or
// by --all (`kubectl ns-doctor --all --save-snapshot`): both are put together by one function (completeSnapshot in
// src/gather/cluster.ts). On the real control plane, through real kubectl, with four stuck namespaces whose evidence
// chains differ: a broken APIService (every namespace's chain), a custom finalizer nobody removes (CRD, owners), a pod
// on a NotReady node (the namespace's own pod and node), and a CRD whose conversion webhook's Service has no
// endpoints (a chain of that namespace only, which --all used to copy into every other namespace, gaps included).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/snapshot/types.js';
import { kubectl, kubectlOk, nsDoctor, scenario, waitFor, waitForNamespaceCondition } from './harness.js';

const metrics = 'e2e-asm-metrics';
const finalizer = 'e2e-asm-finalizer';
const pods = 'e2e-asm-pods';
const conversion = { ns: 'e2e-asm-conv', backend: 'e2e-asm-conv-backend', group: 'convsvc.e2e.ns-doctor.dev' };
const stuck = [conversion.ns, metrics, finalizer, pods];
const converterKey = `${conversion.backend}/converter`;

/** A CRD converted by a webhook behind a Service with no endpoints: listing its v1 fails, the namespace stays. */
async function conversionUp(): Promise<void> {
  const schema = '{openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}';
  await kubectlOk(['create', 'namespace', conversion.backend]);
  await kubectlOk(['apply', '-n', conversion.backend, '-f', '-'], {
    input: 'apiVersion: v1\nkind: Service\nmetadata: {name: converter}\nspec:\n  selector: {app: converter}\n  ports: [{name: https, port: 443, targetPort: 8443}]\n',
  });
  await kubectlOk(['apply', '-f', '-'], {
    input: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.${conversion.group}}
spec:
  group: ${conversion.group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig: {service: {namespace: ${conversion.backend}, name: converter, path: /convert, port: 443}}
  versions:
  - {name: v1beta1, served: true, storage: true, schema: ${schema}}
  - {name: v1, served: true, storage: false, schema: ${schema}}
`,
  });
  await kubectlOk(['wait', '--for=condition=Established', `crd/widgets.${conversion.group}`, '--timeout=60s']);
  await waitFor(`widgets.${conversion.group} v1beta1 served`, async () => (await kubectl(['get', `widgets.v1beta1.${conversion.group}`, '-A'])).code === 0);
  await kubectlOk(['create', 'namespace', conversion.ns]);
  await kubectlOk(['create', '-f', '-'], { input: `{"apiVersion": "${conversion.group}/v1beta1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "${conversion.ns}"}, "spec": {}}` });
  await kubectlOk(['delete', 'namespace', conversion.ns, '--wait=false']);
  await waitForNamespaceCondition(conversion.ns, 'NamespaceDeletionContentFailure', 'True', 120_000);
}

async function conversionDown(): Promise<void> {
  await kubectl(['patch', 'crd', `widgets.${conversion.group}`, '--type=merge', '-p', '{"spec":{"conversion":{"strategy":"None","webhook":null}}}']);
  await waitFor(`namespace ${conversion.ns} gone`, async () => {
    await kubectl(['annotate', 'namespace', conversion.ns, '--overwrite', `ns-doctor.dev/nudge=${Date.now()}`]);
    return (await kubectl(['get', 'namespace', conversion.ns])).code !== 0;
  }, { timeoutMs: 120_000, intervalMs: 2000 });
  await kubectl(['delete', 'crd', `widgets.${conversion.group}`, '--ignore-not-found']);
  await kubectl(['delete', 'namespace', conversion.backend, '--wait=false']);
}

function saved(file: string): Snapshot[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { snapshots: Snapshot[] }).snapshots;
}

/**
 * What the two ways must agree on: everything but when it was taken, what it cost (--all counts shared requests in
 * the list's total only), and the order of gaps (each gatherer records them as its reads finish).
 */
function facts(snapshot: Snapshot): Omit<Snapshot, 'takenAt' | 'stats'> {
  const { takenAt: _takenAt, stats: _stats, ...rest } = snapshot;
  return { ...rest, gaps: [...rest.gaps].sort((a, b) => (a.what < b.what ? -1 : a.what > b.what ? 1 : 0)) };
}

describe('one namespace alone and in --all: the same snapshot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-e2e-assembly-'));

  beforeAll(async () => {
    // The conversion case first: once the APIService is broken, the controller stops before it lists any content.
    await conversionUp();
    await scenario('crd-finalizer', 'up', finalizer);
    await scenario('pod-terminating', 'up', pods);
    await scenario('metrics-server', 'up', metrics);
  }, 600_000);
  afterAll(async () => {
    await scenario('metrics-server', 'down', metrics);
    await conversionDown();
    await scenario('crd-finalizer', 'down', finalizer);
    await scenario('pod-terminating', 'down', pods);
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);

  it('field by field, each of four namespaces whose evidence chains differ', async () => {
    const allFile = join(dir, 'all.json');
    const all = await nsDoctor(['--all', '-o', 'json', '--save-snapshot', allFile]);
    expect(all.code, all.stderr).toBe(1);
    const fleet = new Map(saved(allFile).map((s) => [s.namespaceName, s]));

    for (const ns of stuck) {
      const file = join(dir, `${ns}.json`);
      const alone = await nsDoctor([ns, '-o', 'json', '--save-snapshot', file]);
      expect(alone.code, `${ns}: ${alone.stderr}`).toBe(1);
      const [single] = saved(file);
      const inFleet = fleet.get(ns);
      expect(inFleet, ns).toBeDefined();
      // Field by field, so that a difference names its field.
      const a = facts(single);
      const b = facts(inFleet!);
      for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
        expect(b[field as keyof typeof b], `${ns}: ${field}`).toEqual(a[field as keyof typeof a]);
      }
    }

    // Each namespace holds the evidence of its own chains and the cluster's, never another namespace's.
    const mine = fleet.get(conversion.ns)!;
    expect(mine.services[converterKey]).toMatchObject({ exists: true, name: 'converter' });
    expect(mine.endpoints[converterKey]).toMatchObject({ readyAddresses: 0 });
    for (const ns of [metrics, finalizer, pods]) {
      expect(Object.keys(fleet.get(ns)!.services), ns).not.toContain(converterKey);
      expect(Object.keys(fleet.get(ns)!.endpoints), ns).not.toContain(converterKey);
    }
    // The cluster's chain (the broken APIService's backend, its pod and node) is in every one.
    for (const ns of stuck) expect(Object.keys(fleet.get(ns)!.services), ns).toContain('kube-system/metrics-server');
    // The stuck pod and its NotReady node are the pods namespace's own.
    expect(Object.keys(fleet.get(pods)!.nodes)).toContain(`node-${pods}`);
    expect(Object.keys(fleet.get(finalizer)!.nodes)).not.toContain(`node-${pods}`);
  }, 300_000);
});
