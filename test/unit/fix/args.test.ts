import { describe, expect, it } from 'vitest';
import { cliOptions as options } from '../helpers.js';

describe('fix flags', () => {
  it('plan only by default, safe only', async () => {
    expect((await options(['fix', 'payments'])).fix).toEqual({ apply: false, dryRun: false, allow: 'safe' });
  });

  it('--apply --plan-id --allow', async () => {
    const o = await options(['fix', 'payments', '--apply', '--plan-id', '0123456789abcdef', '--allow', 'last-resort', '--wait', '2m']);
    expect(o.fix).toEqual({ apply: true, dryRun: false, planId: '0123456789abcdef', allow: 'last-resort' });
    expect(o.waitMs).toBe(120_000);
    expect((await options(['fix', '--all', '--allow', 'caution', '--dry-run'])).fix).toEqual({ apply: false, dryRun: true, allow: 'caution' });
  });

  it('refuses what would be ambiguous or unsafe to guess, in one line', async () => {
    await expect(options(['fix', 'payments', '--apply', '--plan-id', 'abc'])).rejects.toThrow(/--plan-id: expected the 16 hex digits/);
    await expect(options(['fix', 'payments', '--plan-id', '0123456789abcdef'])).rejects.toThrow(/--plan-id goes with --apply/);
    await expect(options(['fix', 'payments', '--apply', '--dry-run'])).rejects.toThrow(/--apply or --dry-run, not both/);
    await expect(options(['fix', 'payments', '--allow', 'yolo'])).rejects.toThrow(/Invalid values/);
    await expect(options(['fix', 'payments', '-o', 'markdown'])).rejects.toThrow(/text, json or yaml/);
    await expect(options(['fix', 'payments', '--wait', '1m'])).rejects.toThrow(/--wait watches the namespace after --apply/);
    await expect(options(['fix', 'payments', '--from-snapshot', 'x.json'])).rejects.toThrow(/reads the live cluster/);
    await expect(options(['fix'])).rejects.toThrow(/missing namespace/);
  });

  it('fix flags do not exist outside fix', async () => {
    await expect(options(['payments', '--apply'])).rejects.toThrow(/Unknown argument/);
  });
});
