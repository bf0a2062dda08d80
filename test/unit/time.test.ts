import { describe, expect, it } from 'vitest';
import { humanDuration, parseDuration } from '../../src/util/time.js';

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
