import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { complete, COMPLETION_SCRIPT } from '../../src/cli/completion.js';

describe('plugin completion (cobra __complete format)', () => {
  it('offers output formats after -o, without file fallback', async () => {
    expect(await complete(['-o', 'y'], 'test')).toBe('yaml\n:4\n');
    expect(await complete(['fix', 'payments', '--allow', 'c'], 'test')).toBe('caution\n:4\n');
    expect(await complete(['fix', 'payments', '--a'], 'test')).toBe('--all\n--apply\n--allow\n:4\n');
    expect(await complete(['payments', '--a'], 'test')).toBe('--all\n--all-contexts\n:4\n');
  });

  it('offers flags for a dash', async () => {
    const lines = (await complete(['--w'], 'test')).trim().split('\n');
    expect(lines).toEqual(['--wait', ':4']);
  });

  it('offers the contexts not given yet after a repeated --context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-completion-'));
    const kubeconfig = join(dir, 'config');
    const context = (name: string) => ({ name, context: { cluster: 'c', user: 'u' } });
    writeFileSync(kubeconfig, JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }], users: [{ name: 'u', user: {} }], contexts: ['prod-eu', 'prod-us', 'staging'].map(context) }));
    try {
      expect(await complete(['--kubeconfig', kubeconfig, '--context', ''], 'test')).toBe('prod-eu\nprod-us\nstaging\n:4\n');
      expect(await complete(['--kubeconfig', kubeconfig, '--context', 'prod-eu', '--context', 'prod'], 'test')).toBe('prod-us\n:4\n');
      expect(await complete(['fix', 'payments', '--all'], 'test')).toBe('--all\n--allow\n:4\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets the shell complete file names for file flags', async () => {
    expect(await complete(['--kubeconfig', ''], 'test')).toBe(':0\n');
  });

  it('ships a kubectl_complete-ns_doctor script that delegates to the plugin', () => {
    expect(COMPLETION_SCRIPT).toContain('exec kubectl-ns_doctor __complete "$@"');
  });
});
