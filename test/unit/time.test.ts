import { describe, expect, it } from 'vitest';
import { approxDuration, clockTime, deletedWhen, humanDuration, parseDuration } from '../../src/util/time.js';

describe('durations', () => {
  it('parses kubectl-style durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('5')).toBe(5_000);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
    expect(() => parseDuration('s')).toThrow();
  });

  it('prints the two largest units', () => {
    expect(humanDuration(0)).toBe('0s');
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration((4 * 86400 + 2 * 3600 + 5) * 1000)).toBe('4d2h');
    expect(humanDuration((3 * 60 + 10) * 1000)).toBe('3m10s');
  });
});

describe('deadlines', () => {
  const now = new Date('2026-12-01T09:33:10Z');
  it('shows a deadline as UTC clock time: seconds when near, the date when not today', () => {
    expect(clockTime(Date.parse('2026-12-01T09:42:07Z'), now)).toBe('09:42:07 UTC');
    expect(clockTime(Date.parse('2026-12-01T09:52:07Z'), now)).toBe('09:52 UTC');
    expect(clockTime(Date.parse('2026-12-02T01:00:00Z'), now)).toBe('2026-12-02 01:00 UTC');
  });
  it('near midnight a deadline seconds away is on the next day: date and seconds both', () => {
    const lateEvening = new Date('2026-12-04T23:59:13Z');
    expect(clockTime(Date.parse('2026-12-05T00:00:11Z'), lateEvening)).toBe('2026-12-05 00:00:11 UTC');
  });
  it("a pod's deletionTimestamp in the future is the end of its grace period, not \"deleted 0s ago\"", () => {
    expect(deletedWhen('2026-12-01T09:42:07Z', now)).toBe('deleted, grace period ends 09:42:07 UTC');
    expect(deletedWhen('2026-12-01T09:30:10Z', now)).toBe('deleted 3m ago');
    expect(deletedWhen(undefined, now)).toBe('deleted at an unknown time');
  });
  it('rounds an estimate to its largest unit', () => {
    expect(approxDuration(9 * 60_000 + 43_000)).toBe('~9m');
    expect(approxDuration(44_000)).toBe('~44s');
    expect(approxDuration(0)).toBe('~0s');
  });
});
