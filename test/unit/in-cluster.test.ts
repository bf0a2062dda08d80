import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeconfigError, loadKubeConfig, podNamespace } from '../../src/kube/kubeconfig.js';

/** A pod's service account mount, and an environment with no kubeconfig anywhere. */
function pod(host: string, files: Record<string, string> = { token: 'token-1', 'ca.crt': '-----BEGIN CERTIFICATE-----\n', namespace: 'ns-doctor\n' }) {
  const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-sa-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const env = { HOME: mkdtempSync(join(tmpdir(), 'ns-doctor-home-')), KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: '443', NS_DOCTOR_SERVICEACCOUNT_DIR: dir };
  return { dir, env };
}

describe('in-cluster configuration', () => {
  it('talks https to KUBERNETES_SERVICE_HOST:PORT with the mounted CA and the token file, read from the file', async () => {
    const { dir, env } = pod('10.96.0.1');
    const { kc, origin } = loadKubeConfig({ env });
    expect(origin).toContain(dir);
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://10.96.0.1:443', caFile: join(dir, 'ca.crt'), skipTLSVerify: false });
    const headers = async () => {
      const options: { headers: Record<string, string> } = { headers: {} };
      await kc.applyToHTTPSOptions(options);
      return options.headers.Authorization;
    };
    expect(await headers()).toBe('Bearer token-1');
    // The kubelet rewrites the file when it rotates the token: a new KubeConfig (one per scan) reads the new one.
    writeFileSync(join(dir, 'token'), 'token-2');
    const again = loadKubeConfig({ env }).kc;
    const options: { headers: Record<string, string> } = { headers: {} };
    await again.applyToHTTPSOptions(options);
    expect(options.headers.Authorization).toBe('Bearer token-2');
  });

  it('puts an IPv6 service host in brackets, as client-go does', () => {
    expect(loadKubeConfig({ env: pod('fd00:10:96::1').env }).kc.getCurrentCluster()?.server).toBe('https://[fd00:10:96::1]:443');
  });

  it('says what is missing when the service account token is not mounted', () => {
    const { env } = pod('10.96.0.1', {});
    expect(() => loadKubeConfig({ env })).toThrow(KubeconfigError);
    expect(() => loadKubeConfig({ env })).toThrow(/no service account token at .*token \(is automountServiceAccountToken off\?\)/);
  });

  it('reads the pod namespace from the mount, and nothing outside a pod', () => {
    expect(podNamespace(pod('10.96.0.1').env)).toBe('ns-doctor');
    expect(podNamespace({ NS_DOCTOR_SERVICEACCOUNT_DIR: '/nonexistent' })).toBeUndefined();
  });
});
