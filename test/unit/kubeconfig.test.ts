import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KubeconfigError, loadKubeConfig } from '../../src/kube/kubeconfig.js';

function file(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

const config = (ctx: string, server: string, current?: string) => `
apiVersion: v1
kind: Config
${current ? `current-context: ${current}` : ''}
clusters:
- name: ${ctx}
  cluster: {server: ${server}, certificate-authority: certs/ca.crt}
users:
- name: ${ctx}
  user: {token: t-${ctx}}
contexts:
- name: ${ctx}
  context: {cluster: ${ctx}, user: ${ctx}}
- name: shared
  context: {cluster: ${ctx}, user: ${ctx}}
`;

describe('loadKubeConfig (kubectl merge rules)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsd-kc-'));
  const first = file(dir, 'a.yaml', config('a', 'https://a.example:6443'));
  const second = file(dir, 'b.yaml', config('b', 'https://b.example:6443', 'b'));
  const third = file(dir, 'c.yaml', config('c', 'https://c.example:6443', 'c'));

  it('takes current-context from the first file that sets it, and the first definition of a name', () => {
    const { kc } = loadKubeConfig({ env: { KUBECONFIG: [first, second, third].join(delimiter) } });
    expect(kc.getCurrentContext()).toBe('b');
    expect(kc.getCurrentCluster()?.server).toBe('https://b.example:6443');
    kc.setCurrentContext('shared');
    expect(kc.getCurrentCluster()?.server).toBe('https://a.example:6443');
  });

  it('resolves relative certificate paths against the file that names them', () => {
    const { kc } = loadKubeConfig({ env: { KUBECONFIG: second } });
    expect(kc.getCurrentCluster()?.caFile).toBe(join(dir, 'certs/ca.crt'));
  });

  it('honours --context and --kubeconfig over KUBECONFIG', () => {
    const { kc } = loadKubeConfig({ kubeconfig: third, context: 'shared', env: { KUBECONFIG: second } });
    expect(kc.getCurrentCluster()?.server).toBe('https://c.example:6443');
  });

  it('skips KUBECONFIG entries that do not exist, as kubectl does', () => {
    const { kc } = loadKubeConfig({ env: { KUBECONFIG: [join(dir, 'missing.yaml'), third].join(delimiter) } });
    expect(kc.getCurrentContext()).toBe('c');
  });

  it('fails with one clear line for a missing file, an unknown context or bad YAML', () => {
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'nope.yaml'), env: {} })).toThrow(KubeconfigError);
    expect(() => loadKubeConfig({ kubeconfig: third, context: 'zzz', env: {} })).toThrow(/context "zzz" not found/);
    const bad = file(dir, 'bad.yaml', 'clusters: [unclosed');
    expect(() => loadKubeConfig({ kubeconfig: bad, env: {} })).toThrow(/not valid YAML/);
    expect(() => loadKubeConfig({ kubeconfig: first, env: {} })).toThrow(/no current context/);
  });
});

describe('loadKubeConfig inside a pod', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('falls back to the in-cluster service account when no kubeconfig file exists', () => {
    vi.stubEnv('HOME', mkdtempSync(join(tmpdir(), 'nsd-home-')));
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    const serviceAccount = mkdtempSync(join(tmpdir(), 'nsd-sa-'));
    writeFileSync(join(serviceAccount, 'token'), 'token');
    vi.stubEnv('NS_DOCTOR_SERVICEACCOUNT_DIR', serviceAccount);
    const { kc, origin } = loadKubeConfig({});
    expect(origin).toBe(`in-cluster service account (${serviceAccount})`);
    expect(kc.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
  });
});
