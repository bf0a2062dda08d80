// Issue 19, item 7: every input bounded, every output escaped, as docs/reliability.md promises.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { colorWanted, usageLine } from '../../src/cli/args.js';
import { boundExecPlugins, loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { renderYaml } from '../../src/render/structured.js';
import { writeSnapshotFile } from '../../src/snapshot/file.js';
import { readTextFileBounded } from '../../src/util/files.js';
import { recorded } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-bounds-'));

function execKubeconfig(command: string, args: string[]): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args, interactiveMode: 'Never' } }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('exec credential plugins are bounded', () => {
  it('one that never exits is stopped after the time limit, with a named error', async () => {
    const kc = execKubeconfig('sleep', ['30']);
    const bound = boundExecPlugins(kc, { timeoutMs: 300, maxOutput: 1024 });
    const started = Date.now();
    await expect(kc.applyToHTTPSOptions({ headers: {} })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(bound.failure()).toMatchObject({ reason: 'ExecPluginTimeout' });
  });

  it('one that prints without end is stopped at the output limit, with a named error', async () => {
    const kc = execKubeconfig('yes', []);
    const bound = boundExecPlugins(kc, { timeoutMs: 10_000, maxOutput: 64 * 1024 });
    await expect(kc.applyToHTTPSOptions({ headers: {} })).rejects.toThrow();
    expect(bound.failure()).toMatchObject({ reason: 'ExecPluginOutputTooLarge' });
  });

  it('a well-behaved plugin is untouched', async () => {
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'abc' } });
    const kc = execKubeconfig('printf', ['%s', credential]);
    const bound = boundExecPlugins(kc);
    const options = { headers: {} as Record<string, string> };
    await kc.applyToHTTPSOptions(options);
    expect(options.headers.Authorization).toBe('Bearer abc');
    expect(bound.failure()).toBeUndefined();
  });
});

describe('kubeconfig and files', () => {
  it('server: http:// (kubectl proxy) is accepted as kubectl does, with no credentials at all', async () => {
    const file = join(dir, 'proxy.kubeconfig');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: [{name: p, cluster: {server: "http://127.0.0.1:8001"}}]\ncontexts: [{name: p, context: {cluster: p}}]\ncurrent-context: p\n');
    const { kc } = loadKubeConfig({ kubeconfig: file, env: {} });
    await expect(kc.applyToHTTPSOptions({ headers: {} })).resolves.toBeUndefined();
  });

  it('a FIFO is refused at once ("not a regular file"), never waited on', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    expect(() => readTextFileBounded(fifo, 1024)).toThrow('not a regular file');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('snapshots are written 0600, like plans, even over an existing 0644 file', () => {
    const file = join(dir, 'snap.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    writeSnapshotFile(file, [recorded('ns-finalizer')], false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('output', () => {
  it('YAML escapes bidi controls (U+202E, U+2066) and reads back the exact strings', () => {
    const value = { kind: 'NamespaceDiagnosis', name: 'evil\u202Ecod.exe', other: 'a\u2066b\u2069', ['key\u202E']: ['\u0001abcd'] } as never;
    const yaml = renderYaml(value);
    expect(yaml).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(yaml).toContain('\\u202e');
    expect(load(yaml)).toEqual(value);
  });

  it('TERM=dumb, NO_COLOR and --no-color turn colour off; a terminal otherwise gets it', () => {
    expect(colorWanted({}, { TERM: 'dumb' }, true)).toBe(false);
    expect(colorWanted({}, { NO_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted({ 'no-color': true }, {}, true)).toBe(false);
    expect(colorWanted({}, { TERM: 'xterm-256color' }, false)).toBe(false);
    expect(colorWanted({}, { TERM: 'xterm-256color' }, true)).toBe(true);
  });

  it("yargs' multi-line message keeps the bad value on its one line", () => {
    expect(usageLine('Invalid values:\n  Argument: allow, Given: "bogus", Choices: "safe", "caution", "last-resort"')).toBe(
      'Invalid values: Argument: allow, Given: "bogus", Choices: "safe", "caution", "last-resort"',
    );
  });
});
