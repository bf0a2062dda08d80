// Exit codes a runbook branches on: Active (0), missing (3), invalid name and unknown flag (64), no usable
// kubeconfig or no reachable API server (2).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, diagnose, kubectlOk, nsDoctor } from './harness.js';
import { expectReportShape } from './report-shape.js';

const active = 'e2e-active';

describe('exit codes', () => {
  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', active]);
    await kubectlOk(['create', 'configmap', 'settings', '-n', active, '--from-literal=a=b']);
  });
  afterAll(async () => {
    await kubectlOk(['delete', 'namespace', active, '--ignore-not-found', '--wait=false']);
  });

  it('an Active namespace: exit 0, NotTerminating, no blockers', async () => {
    const { result, report } = await diagnose(active);
    expect(result.code, result.stderr).toBe(0);
    expectReportShape(report, active);
    expect(report.verdict).toBe('NotTerminating');
    expect(report.phase).toBe('Active');
    expect(report.blockers).toEqual([]);
    const text = await nsDoctor([active]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(active);
  });

  it('a missing namespace: exit 3, NotFound', async () => {
    const { result, report } = await diagnose('e2e-does-not-exist');
    expect(result.code, result.stderr).toBe(3);
    expect(report.verdict).toBe('NotFound');
    expect(report.namespace).toBe('e2e-does-not-exist');
    const text = await nsDoctor(['e2e-does-not-exist']);
    expect(text.code).toBe(3);
    expect(text.stdout + text.stderr).toContain('e2e-does-not-exist');
  });

  it('an invalid name: exit 64, one line on stderr, no stack trace', async () => {
    const r = await nsDoctor(['Bad_Name']);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Bad_Name');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown flag: exit 64', async () => {
    const r = await nsDoctor([active, '--frobnicate']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('frobnicate');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing kubeconfig: exit 2, one-line error', async () => {
    const r = await nsDoctor([active], { kubeconfig: '/nonexistent/kubeconfig' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an API server that does not answer: exit 2, no stack trace', async () => {
    // A loopback port that was free a moment ago: connection refused.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-e2e-kubeconfig-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(cluster().kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`),
    );
    const r = await nsDoctor([active, '--request-timeout', '5s'], { kubeconfig });
    rmSync(dir, { recursive: true, force: true });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
