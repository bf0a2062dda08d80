// Assertions on the JSON contract (src/model/report.ts) shared by the scenario tests.
import { expect } from 'vitest';
import type { Blocker, EvidenceLink, Report } from '../../src/model/report.js';

const VERDICTS = ['NotTerminating', 'Progressing', 'Blocked', 'Incomplete', 'NotFound'];
const SAFETY = ['safe', 'caution', 'last-resort'];

export function expectReportShape(report: Report, namespace: string): void {
  expect(report.apiVersion).toBe('ns-doctor.dev/v1');
  expect(report.kind).toBe('NamespaceDiagnosis');
  expect(report.namespace).toBe(namespace);
  expect(VERDICTS).toContain(report.verdict);
  expect(typeof report.summary).toBe('string');
  expect(Array.isArray(report.blockers)).toBe(true);
  expect(Array.isArray(report.remaining)).toBe(true);
  expect(Array.isArray(report.gaps)).toBe(true);
  expect(Array.isArray(report.conditions)).toBe(true);
  expect(report.namespaceFinalizers).toEqual({ spec: expect.any(Array), metadata: expect.any(Array) });
  expect(['aggregated', 'legacy', 'unavailable']).toContain(report.discovery.mode);
  expect(Array.isArray(report.discovery.failing)).toBe(true);
  expect(report.stats.requests).toBeGreaterThan(0);
  expect(report.stats.bytesReceived).toBeGreaterThan(0);
  expect(typeof report.stats.durationMs).toBe('number');
  for (const b of report.blockers) {
    expect(typeof b.id).toBe('string');
    expect(b.summary.length).toBeGreaterThan(0);
    expect(b.evidence.length).toBeGreaterThan(0);
    for (const e of b.evidence) {
      expect(typeof e.ref.kind).toBe('string');
      expect(typeof e.ref.name).toBe('string');
      expect(typeof e.fact).toBe('string');
      expect(Number.isInteger(e.depth)).toBe(true);
    }
    expect(b.fixes.length).toBeGreaterThan(0);
    for (const f of b.fixes) {
      expect(SAFETY).toContain(f.safety);
      expect(f.description.length).toBeGreaterThan(0);
      if (f.safety === 'last-resort') expect(f.cost, `last-resort fix "${f.description}" has a cost`).toBeTruthy();
    }
  }
  for (const g of report.gaps) {
    expect(g.what.length).toBeGreaterThan(0);
    expect(g.reason.length).toBeGreaterThan(0);
  }
}

export function blockerIds(report: Report): string[] {
  return report.blockers.map((b) => b.id);
}

export function blocker(report: Report, id: string): Blocker {
  const b = report.blockers.find((x) => x.id === id);
  if (!b) throw new Error(`no blocker ${id}; got [${blockerIds(report).join(', ')}]: ${JSON.stringify(report, null, 2)}`);
  return b;
}

/** The evidence link about that object, or a failure listing what the chain holds. */
export function link(b: Blocker, kind: string, name: string | RegExp, namespace?: string): EvidenceLink {
  const found = b.evidence.find(
    (e) =>
      e.ref.kind === kind &&
      (typeof name === 'string' ? e.ref.name === name : name.test(e.ref.name)) &&
      (namespace === undefined || e.ref.namespace === namespace),
  );
  if (!found) {
    const chain = b.evidence.map((e) => `${e.depth} ${e.ref.kind} ${e.ref.namespace ?? ''}/${e.ref.name}: ${e.fact}`);
    throw new Error(`${b.id} has no evidence about ${kind} ${namespace ?? ''}/${name}; chain:\n${chain.join('\n')}`);
  }
  return found;
}
