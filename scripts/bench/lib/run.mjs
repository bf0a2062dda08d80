// @ts-check
// Runs one contender under /usr/bin/time -v and takes the API server's view of the same window.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scrape, delta, summarize } from './metrics.mjs';
import { attribute } from './audit.mjs';

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: Record<string, string | undefined>, input?: string, capture?: boolean }} [options]
 */
export function exec(cmd, args, { env = process.env, input, capture = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', capture ? 'pipe' : 'inherit', 'pipe'] });
    const out = [];
    const err = [];
    let outBytes = 0;
    child.stdout?.on('data', (c) => {
      outBytes += c.length;
      if (outBytes < 64 * 1024 * 1024) out.push(c);
    });
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stdoutBytes: outBytes, stderr: Buffer.concat(err).toString('utf8') }),
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

function parseTimeV(text) {
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
  const user = /User time \(seconds\): ([\d.]+)/.exec(text);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(text);
  return {
    maxRssMB: kb ? Number(kb[1]) / 1024 : undefined,
    cpuSeconds: user && sys ? Number(user[1]) + Number(sys[1]) : undefined,
  };
}

// utime+stime of a process, from /proc (clock ticks are 100 Hz on Linux).
function cpuOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * @param {{ admin: any, audit: any, serverPids?: Record<string, number> }} ctx
 * @param {{ label: string, username: string, cmd: string, args: string[], env: Record<string, string | undefined>, json?: boolean }} spec
 */
export async function measure(ctx, spec) {
  const timeFile = path.join(os.tmpdir(), `ns-doctor-bench-time-${process.pid}-${Date.now()}`);
  const offset = ctx.audit.size();
  const before = await scrape(ctx.admin);
  const cpu0 = Object.fromEntries(Object.entries(ctx.serverPids ?? {}).map(([n, p]) => [n, cpuOf(p)]));
  const t0 = performance.now();
  const res = await exec('/usr/bin/time', ['-v', '-o', timeFile, spec.cmd, ...spec.args], { env: spec.env });
  const wallMs = performance.now() - t0;
  const serverCpuSeconds = Object.fromEntries(Object.entries(ctx.serverPids ?? {}).map(([n, p]) => [n, cpuOf(p) - cpu0[n]]));
  const after = await scrape(ctx.admin);
  const timeV = parseTimeV(fs.readFileSync(timeFile, 'utf8'));
  fs.rmSync(timeFile, { force: true });
  const server = summarize(delta(before, after));
  const audit = attribute(ctx.audit.eventsSince(offset), spec.username);
  // The server lists from etcd on its own too (e.g. its ClusterIP repair loop): count only resources the contender listed.
  const listed = new Set(audit.listDetail.map((l) => l.resource.split('/').pop()));
  // Minus the etcd lists of the server's own consistency checker in the same window (one per check).
  server.etcdListsOwnByResource = Object.fromEntries(
    Object.entries(server.etcdListsByResource)
      .filter(([r]) => listed.has(r.split('.')[0]))
      .map(([r, n]) => /** @type {[string, number]} */ ([r, n - (server.consistencyChecksByResource[r.split('.')[0]] ?? 0)]))
      .filter(([, n]) => n > 0),
  );
  server.consistencyChecks = Object.values(server.consistencyChecksByResource).reduce((a, b) => a + b, 0);
  server.etcdListsOwn = Object.values(server.etcdListsOwnByResource).reduce((a, b) => a + b, 0);
  let report;
  try {
    report = spec.json ? JSON.parse(res.stdout) : undefined;
  } catch {
    report = undefined;
  }
  return {
    label: spec.label,
    exitCode: res.code,
    wallMs,
    ...timeV,
    serverCpuSeconds,
    stdoutBytes: res.stdoutBytes,
    stdoutLines: res.stdout.split('\n').filter(Boolean).length,
    stdoutHead: res.stdout.slice(0, 12_000),
    stderrTail: res.stderr.split('\n').slice(-8).join('\n'),
    server,
    audit,
    report,
  };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
