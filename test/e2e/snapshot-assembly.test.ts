// A namespace's snapshot holds the same facts whether it was taken alone (`kubectl ns-doctor X --save-snapshot`) or
// by --all (`kubectl ns-doctor --all --save-snapshot`): both are put together by one function (completeSnapshot in
// src/gather/cluster.ts). On the real control plane, through real kubectl, with three stuck namespaces whose evidence
// chains differ: a broken APIService (every namespace's chain), a custom finalizer nobody removes (CRD, owners), and a
// pod on a NotReady node (the namespace's own pod and node). That a chain one namespace's content points at stays
// that namespace's (evidence and gaps) is shown in test/unit/fleet.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/snapshot/types.js';
import { nsDoctor, scenario } from './harness.js';

const metrics = 'e2e-asm-metrics';
const finalizer = 'e2e-asm-finalizer';
const pods = 'e2e-asm-pods';
const stuck = [metrics, finalizer, pods];

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
    await scenario('metrics-server', 'up', metrics);
    await scenario('crd-finalizer', 'up', finalizer);
    await scenario('pod-terminating', 'up', pods);
  }, 600_000);
  afterAll(async () => {
    await scenario('metrics-server', 'down', metrics);
    await scenario('crd-finalizer', 'down', finalizer);
    await scenario('pod-terminating', 'down', pods);
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);

  it('field by field, each of three namespaces whose evidence chains differ', async () => {
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

    // The cluster's chain (the broken APIService's backend, its pod and node) is in every one.
    for (const ns of stuck) expect(Object.keys(fleet.get(ns)!.services), ns).toContain('kube-system/metrics-server');
    // The stuck pod and its NotReady node are the pods namespace's own.
    expect(Object.keys(fleet.get(pods)!.nodes)).toContain(`node-${pods}`);
    expect(Object.keys(fleet.get(finalizer)!.nodes)).not.toContain(`node-${pods}`);
  }, 300_000);
});
