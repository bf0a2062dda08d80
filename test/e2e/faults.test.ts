// Fault injection: a flaky or hostile API in front of the real kube-apiserver (fault-proxy.ts), every case run
// through kubectl's plugin dispatch. Each asserts the exit code, the verdict (never NotTerminating or Progressing
// when a read failed and nothing was proven), the named gap and a bound on the wall time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { FaultProxy, type Fault } from './fault-proxy.js';
import { nsDoctor, scenario } from './harness.js';

const ns = 'e2e-faults';
const crList = new RegExp(`^/apis/example\\.ns-doctor\\.dev/v1/namespaces/${ns}/databasebackups\\?`);
const crType = 'databasebackups.example.ns-doctor.dev';
let proxy: FaultProxy;

async function diagnoseThrough(faults: Fault[], extra: string[] = []) {
  proxy.reset(faults);
  const started = Date.now();
  const result = await nsDoctor([ns, '-o', 'json', '--request-timeout', '2s', ...extra], { kubeconfig: proxy.kubeconfig() });
  const seconds = (Date.now() - started) / 1000;
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`no JSON on stdout (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
  return { result, report, seconds };
}

/** The custom resource list failed, so the FinalizerOwnerMissing blocker cannot be proven: Incomplete, never clean. */
function expectUnprovenBecauseCrListFailed(report: Report, code: number, reason: RegExp) {
  expect(code).toBe(2);
  expect(report.verdict).toBe('Incomplete');
  expect(report.blockers).toEqual([]);
  // One path failed, so exactly one gap: the other reads still went out (a broken path does not end the run).
  expect(report.gaps, JSON.stringify(report.gaps)).toHaveLength(1);
  const gap = report.gaps.find((g) => g.kind === 'content' && g.resource === crType);
  expect(gap, JSON.stringify(report.gaps)).toBeDefined();
  expect(gap!.reason).toMatch(reason);
  // No partial list is presented as complete: the type whose list failed is not in remaining[].
  expect(report.remaining.find((r) => r.resource === 'databasebackups')).toBeUndefined();
}

describe('fault injection between ns-doctor and the API server', () => {
  beforeAll(async () => {
    await scenario('crd-finalizer', 'up', ns);
    proxy = await FaultProxy.start();
  });
  afterAll(async () => {
    await proxy?.stop();
    await scenario('crd-finalizer', 'down', ns);
  });

  it('baseline through the proxy: Blocked by the finalizer, exit 1', async () => {
    const { result, report } = await diagnoseThrough([]);
    expect(result.code, result.stderr).toBe(1);
    expect(report.blockers.map((b) => b.id)).toEqual(['FinalizerOwnerMissing']);
    expect(report.gaps).toEqual([]);
  });

  it('429 with Retry-After on the namespace and the list: waits, retries, and still proves the blocker', async () => {
    const { result, report, seconds } = await diagnoseThrough([
      { path: new RegExp(`^/api/v1/namespaces/${ns}$`), kind: '429', times: 2 },
      { path: crList, kind: '429', times: 1 },
    ]);
    expect(result.code, result.stderr).toBe(1);
    expect(report.verdict).toBe('Blocked');
    expect(report.stats.retries).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeGreaterThanOrEqual(2); // Retry-After: 1 was honoured twice in a row
    expect(seconds).toBeLessThan(20);
  });

  it('500 on every try of a list: retried with backoff, then a named gap, Incomplete, exit 2', async () => {
    const { result, report, seconds } = await diagnoseThrough([{ path: crList, kind: '500' }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /^500 Internal error occurred/);
    expect(proxy.count(crList)).toBe(4);
    expect(seconds).toBeLessThan(20);
  });

  it('503 on every try of a list: retried like 500, then a named gap', async () => {
    const { result, report, seconds } = await diagnoseThrough([{ path: crList, kind: '503' }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /^503 the server is currently unable/);
    expect(proxy.count(crList)).toBe(4);
    expect(seconds).toBeLessThan(20);
  });

  it('403 on a list: not retried, a named gap', async () => {
    const { result, report } = await diagnoseThrough([{ path: crList, kind: '403' }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /^403 injected: forbidden/);
    expect(proxy.count(crList)).toBe(1);
  });

  it('an answer slower than --request-timeout: timed out, retried within the time bound, a named gap', async () => {
    const { result, report, seconds } = await diagnoseThrough([{ path: crList, kind: 'delay', delayMs: 30_000 }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /timed out after 2s/);
    // 4 tries of 2 s plus backoff, never the 30 s the server would have taken.
    expect(seconds).toBeLessThan(20);
  });

  it('a body cut mid-stream: a named gap, the rest of the report intact', async () => {
    const { result, report, seconds } = await diagnoseThrough([{ path: crList, kind: 'cut' }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /connection lost while reading|malformed/);
    expect(report.namespaceFinalizers.spec).toEqual(['kubernetes']);
    expect(seconds).toBeLessThan(20);
  });

  it('a connection reset: retried, then a named gap', async () => {
    const { result, report, seconds } = await diagnoseThrough([{ path: crList, kind: 'reset' }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /ECONNRESET|socket hang up|connection/i);
    expect(proxy.count(crList)).toBeGreaterThan(1);
    expect(seconds).toBeLessThan(20);
  });

  it('a 200 whose body is not valid JSON: one named gap, and the rest of the report is still printed', async () => {
    const { result, report } = await diagnoseThrough([{ path: crList, kind: 'badjson' }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /^malformed response: not valid JSON/);
    expect(report.summary).toContain(ns);
    expect(report.discovery.mode).toBe('aggregated');
  });

  it('a body that never ends: refused at 16 MiB, a named gap, the process never near its heap limit', async () => {
    const { result, report, seconds } = await diagnoseThrough([{ path: crList, kind: 'huge' }]);
    expectUnprovenBecauseCrListFailed(report, result.code, /^response larger than 16 MiB: refused$/);
    expect(proxy.count(crList)).toBe(1);
    expect(seconds).toBeLessThan(20);
  });

  it('invalid JSON for discovery: the content is unknown, said so, Incomplete (text output too)', async () => {
    const faults: Fault[] = [{ path: /^\/apis$/, kind: 'badjson' }];
    const { result, report } = await diagnoseThrough(faults);
    expect(result.code).toBe(2);
    expect(report.verdict).toBe('Incomplete');
    expect(report.gaps.find((g) => g.kind === 'discovery')?.reason).toMatch(/^malformed response/);
    proxy.reset(faults);
    const text = await nsDoctor([ns], { kubeconfig: proxy.kubeconfig() });
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('INCOMPLETE');
    expect(text.stdout).toContain('Content left in the namespace: unknown for some types');
  });

  it('every request answered 503: bounded, exit 2, one line per gap, never a clean bill of health', async () => {
    const { result, report, seconds } = await diagnoseThrough([{ path: /./, kind: '503' }]);
    expect(result.code).toBe(2);
    expect(report.verdict).toBe('Incomplete');
    expect(report.gaps[0]).toMatchObject({ kind: 'namespace', httpStatus: 503 });
    expect(seconds).toBeLessThan(20);
  });
});
