import { describe, expect, it } from 'vitest';
import { complete, COMPLETION_SCRIPT } from '../../src/cli/completion.js';

describe('plugin completion (cobra __complete format)', () => {
  it('offers output formats after -o, without file fallback', async () => {
    expect(await complete(['-o', 'y'], 'test')).toBe('yaml\n:4\n');
    expect(await complete(['fix', 'payments', '--allow', 'c'], 'test')).toBe('caution\n:4\n');
    expect(await complete(['fix', 'payments', '--a'], 'test')).toBe('--all\n--apply\n--allow\n:4\n');
    expect(await complete(['payments', '--a'], 'test')).toBe('--all\n:4\n');
  });

  it('offers flags for a dash', async () => {
    const lines = (await complete(['--w'], 'test')).trim().split('\n');
    expect(lines).toEqual(['--wait', ':4']);
  });

  it('lets the shell complete file names for file flags', async () => {
    expect(await complete(['--kubeconfig', ''], 'test')).toBe(':0\n');
  });

  it('ships a kubectl_complete-ns_doctor script that delegates to the plugin', () => {
    expect(COMPLETION_SCRIPT).toContain('exec kubectl-ns_doctor __complete "$@"');
  });
});
