// Rendering takes its clock from the caller (the time the reports were diagnosed at), never from the wall clock, so
// a saved diagnosis renders the same whenever it is drawn; and a saved snapshot is diagnosed at its takenAt. On pod-grace, recorded from the real control plane: a
// Progressing namespace whose --all table line says until when it waits.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPORT_API_VERSION, type ReportList } from '../../src/model/report.js';
import { renderClusterList, renderReportList } from '../../src/render/index.js';
import { diagnoseSnapshots, snapshotClock } from '../../src/cli/session.js';
import { diagnoseAt, recorded } from './helpers.js';

const snapshot = recorded('pod-grace');
const report = diagnoseAt(snapshot);
const list: ReportList = { apiVersion: REPORT_API_VERSION, kind: 'NamespaceDiagnosisList', items: [report], stats: report.stats };
const expectedBy = Date.parse(report.expectedBy!);
const tableLine = (text: string) => text.split('\n').find((l) => l.startsWith(`${report.namespace} `));

describe('renderers take now from their caller', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the same list drawn at two clocks differs only as those clocks say', () => {
    expect(report.verdict).toBe('Progressing');
    const sameDay = new Date(expectedBy - 60_000);
    const dayBefore = new Date(expectedBy - 24 * 3600_000);
    const iso = report.expectedBy!;
    // Within ten minutes: the time to the second; another day: the date too.
    expect(tableLine(renderReportList(list, 'text', false, sameDay))).toContain(`(by ${iso.slice(11, 19)} UTC)`);
    expect(tableLine(renderReportList(list, 'text', false, dayBefore))).toContain(`(by ${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC)`);
    expect(renderReportList(list, 'text', false, sameDay)).toBe(renderReportList(list, 'text', false, new Date(sameDay)));
  });

  it('reads no wall clock: a far-off system time changes nothing', () => {
    const at = new Date(snapshot.takenAt);
    const text = renderReportList(list, 'text', false, at);
    const clusters = renderClusterList({ ...list, items: [{ ...report, context: 'lab' }], clusters: [{ context: 'lab', reachable: true, namespaces: 1, gaps: [], stats: report.stats }] }, 'text', false, at, { details: true });
    vi.useFakeTimers({ now: new Date('2199-01-01T00:00:00Z'), toFake: ['Date'] });
    expect(new Date().getUTCFullYear()).toBe(2199);
    expect(renderReportList(list, 'text', false, at)).toBe(text);
    expect(renderClusterList({ ...list, items: [{ ...report, context: 'lab' }], clusters: [{ context: 'lab', reachable: true, namespaces: 1, gaps: [], stats: report.stats }] }, 'text', false, at, { details: true })).toBe(clusters);
    // The day of the given clock: no date is printed, whatever the system's year.
    expect(tableLine(text)).toContain(`(by ${report.expectedBy!.slice(11, 16)} UTC)`);
  });
});

describe('saved snapshots are judged at the time they were taken', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('snapshotClock is the latest takenAt, and a file diagnosed at it says the same whenever it is read', () => {
    const files = [recorded('pod-grace'), recorded('finalizer-live')];
    const clock = snapshotClock(files);
    expect(clock.toISOString()).toBe(new Date(Math.max(...files.map((s) => Date.parse(s.takenAt)))).toISOString());
    const settings = { controllerTimeoutMs: 5 * 60_000, stallAfterMs: 10 * 60_000 };
    const whenSaved = diagnoseSnapshots(files, settings, clock);
    vi.useFakeTimers({ now: new Date('2199-01-01T00:00:00Z'), toFake: ['Date'] });
    const yearsLater = diagnoseSnapshots(files, settings, snapshotClock(files));
    expect(yearsLater).toEqual(whenSaved);
    // At the system's clock the live finalizer would have "stalled" for 173 years that nobody observed.
    expect(yearsLater.reports.map((r) => r.verdict)).toEqual(['Progressing', 'Progressing']);
    expect(diagnoseSnapshots(files, settings, new Date()).reports.map((r) => r.verdict)).not.toEqual(['Progressing', 'Progressing']);
  });
});
