// A quick smoke of the benchmark (scripts/bench): the script that produces docs/benchmarks.md must keep working as
// the code moves. It starts its own control plane (its own state dir, stopped by the script), builds scenario (a)
// at a small size and measures ns-doctor once. Figures are not asserted as speeds (benchmarks are scripts, not
// timed tests); what is asserted is that the run produced them and that the tool stayed gentle while measured.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './harness.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'ns-doctor-bench-smoke-'));

interface Measured {
  exitCode: number;
  wallMs: number;
  maxRssMB?: number;
  audit: { requests: number };
  server: { etcdListsOwn: number };
}

describe('benchmark smoke (npm run bench, scenario (a), tiny)', () => {
  afterAll(async () => {
    // The script stops its control plane itself; this stops it by pid too if the script was killed on a timeout.
    await run('bash', [join(repoRoot, 'scripts/control-plane/down.sh')], { env: { NS_DOCTOR_STATE_DIR: join(work, 'state') } });
    rmSync(work, { recursive: true, force: true });
  });

  it('runs end to end and prints figures: ns-doctor blocked, requests counted, no etcd-served LIST of its own', async () => {
    const out = join(work, 'results.json');
    const result = await run(
      process.execPath,
      [
        join(repoRoot, 'scripts/bench/bench.mjs'),
        '--quick',
        '--only', 'a',
        '--skip-recipe',
        '--rtt-ms', '0',
        '--repeat', '1',
        '--crds', '2',
        '--state-dir', join(work, 'state'),
        '--json-out', out,
      ],
      { timeoutMs: 600_000 },
    );
    expect(result.code, result.stderr.slice(-4000)).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as { runs: { nsDoctorA: Measured[]; shim: Measured } };
    const [first] = results.runs.nsDoctorA;
    expect(first).toBeDefined();
    // Scenario (a) is a stuck namespace: the tool must say Blocked (exit 1), as in the documented figures.
    expect(first.exitCode).toBe(1);
    expect(first.audit.requests).toBeGreaterThan(5);
    expect(first.server.etcdListsOwn).toBe(0);
    expect(first.maxRssMB).toBeGreaterThan(0);
    expect(results.runs.shim.exitCode).toBe(1);
  }, 660_000);
});
