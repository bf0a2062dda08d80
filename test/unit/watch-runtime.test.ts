import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildParser, toCliOptions } from '../../src/cli/args.js';
import { writeFileAtomic } from '../../src/util/files.js';
import { ScanLoop } from '../../src/watch/schedule.js';
import { parseListen, startServer, type RunningServer } from '../../src/watch/server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ScanLoop', () => {
  it('never runs two scans at once: a scan longer than the interval delays the next and counts an overrun', async () => {
    let active = 0;
    let maxActive = 0;
    let scans = 0;
    let overruns = 0;
    const loop = new ScanLoop({
      intervalMs: 40,
      timeoutMs: 10_000,
      scan: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        scans++;
        await sleep(scans === 1 ? 130 : 5);
        active--;
      },
      onOverrun: () => overruns++,
      onTimeout: () => undefined,
    });
    loop.start();
    await sleep(320);
    loop.stop();
    await loop.settled();
    expect(maxActive).toBe(1);
    expect(overruns).toBe(1);
    // 130 ms for the first, then one every 40 ms: about 5 in 320 ms, never the 8 a fixed timer would start.
    expect(scans).toBeGreaterThanOrEqual(3);
    expect(scans).toBeLessThanOrEqual(6);
  });

  it('aborts a scan that passes its timeout, reports it, and starts the next only once it has settled', async () => {
    const timeouts: number[] = [];
    const started: number[] = [];
    let aborted = false;
    const loop = new ScanLoop({
      intervalMs: 30,
      timeoutMs: 50,
      scan: (signal) =>
        new Promise<void>((resolve) => {
          started.push(performance.now());
          if (started.length > 1) return resolve();
          // A scan that would hang ends only when aborted (the real one closes its client), and a bit later.
          signal.addEventListener('abort', () => {
            aborted = true;
            setTimeout(resolve, 40);
          });
        }),
      onOverrun: () => undefined,
      onTimeout: () => timeouts.push(performance.now()),
    });
    loop.start();
    await sleep(200);
    loop.stop();
    await loop.settled();
    expect(aborted).toBe(true);
    expect(timeouts).toHaveLength(1);
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(started[1] - timeouts[0]).toBeGreaterThanOrEqual(35);
  });
});

describe('the HTTP endpoints', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics in the text format, /healthz and /readyz with their reasons, and nothing else', async () => {
    let ready = false;
    server = await startServer(parseListen('127.0.0.1:0'), {
      metrics: () => '# HELP x y\n# TYPE x gauge\nx 1\n',
      healthy: () => ({ ok: true, reason: 'ok' }),
      ready: () => (ready ? { ok: true, reason: 'ok' } : { ok: false, reason: 'no scan has finished yet' }),
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('x 1');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect([notReady.status, await notReady.text()]).toEqual([503, 'no scan has finished yet\n']);
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  it('a failing metrics renderer is a 500 with its reason, not a crash', async () => {
    server = await startServer(parseListen('127.0.0.1:0'), {
      metrics: () => {
        throw new Error('boom');
      },
      healthy: () => ({ ok: false, reason: 'no scan has ended for 900s' }),
      ready: () => ({ ok: true, reason: 'ok' }),
    });
    const response = await fetch(`${server.url}/metrics`);
    expect([response.status, await response.text()]).toEqual([500, 'cannot render metrics: boom\n']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  });

  it('parses --listen as HOST:PORT, :PORT and [IPv6]:PORT, and refuses anything else', () => {
    expect(parseListen('127.0.0.1:9898')).toEqual({ host: '127.0.0.1', port: 9898 });
    expect(parseListen(':9898')).toEqual({ port: 9898 });
    expect(parseListen('[::1]:9898')).toEqual({ host: '::1', port: 9898 });
    for (const bad of ['9898', 'host', 'a:b', ':99999', '[::1]', '::1:80']) expect(() => parseListen(bad), bad).toThrow(/--listen/);
  });
});

describe('writeFileAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-atomic-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file in one step and leaves no temporary file behind', () => {
    const file = join(dir, 'ns_doctor.prom');
    writeFileSync(file, 'old\n');
    writeFileAtomic(file, 'new\n');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(readdirSync(dir)).toEqual(['ns_doctor.prom']);
  });

  it('a folder that does not exist is an error, and nothing is left behind', () => {
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.prom'), 'x')).toThrow(/ENOENT/);
  });
});

describe('watch flags', () => {
  const options = (argv: string[]) => toCliOptions(buildParser(argv, '0').exitProcess(false).parseSync());

  it('has the documented defaults', () => {
    expect(options(['watch']).watch).toEqual({
      intervalMs: 60_000,
      scanTimeoutMs: 300_000,
      listen: '127.0.0.1:9898',
      once: false,
      events: false,
      limits: { maxNamespaces: 500, maxSubjects: 100 },
    });
    expect(options(['watch', '--once', '--metrics-file', '/tmp/x.prom', '--interval', '30s']).watch).toMatchObject({ once: true, metricsFile: '/tmp/x.prom', intervalMs: 30_000 });
  });

  it.each([
    [['watch', 'payments'], /Unknown argument: payments/],
    [['watch', '--metrics-file', 'x.prom'], /--metrics-file goes with --once/],
    [['watch', '--interval', '1s'], /at least 5s/],
    [['watch', '--interval', 'soon'], /--interval/],
    [['watch', '--listen', 'nowhere'], /--listen/],
    [['watch', '--events-namespace', 'ops'], /goes with --events/],
    [['watch', '--events', '--events-namespace', 'Bad_NS'], /invalid namespace name/],
    [['watch', '--max-namespaces', '0'], /--max-namespaces/],
    [['watch', '--all'], /does not apply to watch/],
    [['watch', '-o', 'json'], /-o does not apply/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => options(argv)).toThrow(message);
  });
});
