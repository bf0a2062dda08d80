// The API server dies in the middle of a survey: a second, real kube-apiserver on the test cluster's etcd
// (scripts/control-plane/lib/extra-apiserver.sh) is SIGKILLed as soon as ns-doctor has read the first page of a
// 5,000-object list. Expected: a bounded run, exit 2, the unread types named as gaps, no partial count shown as
// the content of the namespace.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { cluster, e2eEnv, kubectlOk, run, waitFor } from './harness.js';

const ns = 'e2e-apiserver-killed';
const OBJECTS = 5_000;
const finalizer = 'example.ns-doctor.dev/hold';
const extraScript = () => join(cluster().repoRoot, 'scripts/control-plane/lib/extra-apiserver.sh');

describe('the API server is killed mid-survey', () => {
  let pid = 0;

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', ns]);
    // Four kubectl processes create the objects in parallel (one alone takes ~16 s for 5,000).
    const parts = 4;
    await Promise.all(
      Array.from({ length: parts }, (_, part) => {
        const items = Array.from({ length: OBJECTS / parts }, (_, i) => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${part}-${String(i).padStart(5, '0')}`, finalizers: [finalizer] },
          data: { k: 'v' },
        }));
        const file = join(cluster().stateDir, `killed-${part}.json`);
        writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
        return kubectlOk(['create', '-n', ns, '-f', file, '-o', 'name']);
      }),
    );
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    const started = await run('bash', [extraScript(), 'start']);
    if (started.code !== 0) throw new Error(`extra-apiserver.sh start failed: ${started.stderr}`);
    pid = Number(started.stdout.trim().split(' ')[1]);
  }, 180_000);

  afterAll(async () => {
    await run('bash', [extraScript(), 'stop']);
    // The objects keep their finalizer (no controller owns it); emptying spec.finalizers lets the namespace go.
    const body = JSON.parse(await kubectlOk(['get', 'namespace', ns, '-o', 'json']));
    body.spec.finalizers = [];
    const file = join(cluster().stateDir, 'killed-finalize.json');
    writeFileSync(file, JSON.stringify(body));
    await kubectlOk(['replace', '--raw', `/api/v1/namespaces/${ns}/finalize`, '-f', file]);
    await waitFor(`namespace ${ns} gone`, async () => (await run(cluster().kubectl, ['get', 'namespace', ns])).code !== 0);
  });

  it('ends within the time bound, exit 2, the unread types named, no partial count', async () => {
    // One request at a time, so the kill lands inside the survey; -v shows each request as it completes.
    const args = ['ns-doctor', ns, '-o', 'json', '-v', '--concurrency', '1', '--request-timeout', '5s'];
    const env = e2eEnv({ kubeconfig: join(cluster().stateDir, 'kubeconfig-extra') });
    const started = Date.now();
    const child = spawn(cluster().kubectl, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedAfter = -1;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (killedAfter < 0 && /\/configmaps\?limit=500\S* 200 /.test(stderr)) {
        killedAfter = stderr.split('\n').filter((l) => l.startsWith('GET ')).length;
        process.kill(pid, 'SIGKILL');
      }
    });
    const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? -1)));
    const seconds = (Date.now() - started) / 1000;

    expect(killedAfter, stderr).toBeGreaterThan(0);
    expect(code, stderr).toBe(2);
    expect(seconds).toBeLessThan(20);
    const report = JSON.parse(stdout) as Report;
    expect(report.verdict).toBe('Incomplete');
    // The first page of configmaps was read, the rest never came: the type is a gap, not a count of 500.
    expect(report.remaining.find((r) => r.resource === 'configmaps')).toBeUndefined();
    const configmaps = report.gaps.find((g) => g.kind === 'content' && g.resource === 'configmaps');
    expect(configmaps?.reason).toMatch(/connection refused|stopped answering|connection lost/);
    // Once the server refused connections, the queued requests were not each retried against it.
    expect(stderr).toMatch(/requests \(\d+ retries\)/);
    expect(report.stats.requests).toBeLessThan(killedAfter + 10);
  });
});
