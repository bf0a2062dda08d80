// Vitest globalSetup of the e2e project: builds dist/cli.cjs, starts one real control plane (etcd, kube-apiserver,
// kube-controller-manager via scripts/control-plane/up.sh) in a temp state dir, and hands its coordinates to the tests
// (see harness.ts). It stops every process it started by pid at the end of the run, and also on SIGINT/SIGTERM or any
// other exit of the vitest process. If the control plane cannot start, the run fails: e2e tests are never skipped.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { E2ECluster } from './harness.js';

const repoRoot = resolve(import.meta.dirname, '../..');

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ours while its command line still names the state dir (pids get reused). */
function ours(pid: number, stateDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${stateDir}/`);
  } catch {
    return false;
  }
}

/** Synchronous so it also works inside an 'exit' handler: TERM every recorded pid, wait up to 10 s, then KILL. */
export function stopByPids(stateDir: string): void {
  const pidsFile = join(stateDir, 'pids');
  if (!existsSync(pidsFile)) return;
  const pids = readFileSync(pidsFile, 'utf8')
    .split('\n')
    .map((line) => Number(line.trim().split(/\s+/)[1]))
    .filter((pid) => Number.isInteger(pid) && pid > 0 && ours(pid, stateDir));
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) sleepSync(100);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(pidsFile, { force: true });
}

function tailLogs(stateDir: string): string {
  const out: string[] = [];
  for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
    const file = join(stateDir, 'logs', `${name}.log`);
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    out.push(`----- last 30 lines of ${file} -----`, ...lines.slice(-30));
  }
  return out.join('\n');
}

export default function setup(project: TestProject): () => void {
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts/build.mjs')], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) throw new Error(`e2e: 'node scripts/build.mjs' failed (exit ${build.status})`);

  const stateDir = mkdtempSync(join(tmpdir(), 'ns-doctor-e2e-'));
  // The audit log proves what a client sent (test/e2e/fix.test.ts: plan mode and dry runs write nothing). The admin
  // identity is shared by kube-controller-manager and the scenario scripts: left out, so the log stays small.
  const auditPolicy = join(stateDir, 'audit-policy.yaml');
  const auditLog = join(stateDir, 'audit.log');
  writeFileSync(
    auditPolicy,
    ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: ["RequestReceived"]', 'rules:', '- level: None', '  users: ["ns-doctor-admin", "system:apiserver"]', '- level: Metadata', ''].join('\n'),
  );
  const auditArgs = `--audit-policy-file=${auditPolicy} --audit-log-path=${auditLog} --audit-log-maxsize=0 --audit-log-mode=blocking`;
  const env = {
    ...process.env,
    NS_DOCTOR_STATE_DIR: stateDir,
    NS_DOCTOR_APISERVER_EXTRA_ARGS: [process.env.NS_DOCTOR_APISERVER_EXTRA_ARGS, auditArgs].filter(Boolean).join(' '),
  };
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    stopByPids(stateDir);
  };
  const removeState = (): void => {
    if (process.env.NS_DOCTOR_KEEP_STATE) process.stderr.write(`e2e: state kept in ${stateDir}\n`);
    else rmSync(stateDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    stop();
    removeState();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on('exit', stop);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = Date.now();
  const up = spawnSync('bash', [join(repoRoot, 'scripts/control-plane/up.sh')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (up.status !== 0) {
    stop();
    const logs = tailLogs(stateDir);
    rmSync(join(stateDir, 'etcd'), { recursive: true, force: true });
    throw new Error(
      `e2e: the control plane did not start (scripts/control-plane/up.sh exit ${up.status ?? up.signal}); ` +
        `end-to-end tests need it and are not skipped. Logs: ${join(stateDir, 'logs')}\n${up.stdout ?? ''}\n${logs}`,
    );
  }
  const upSeconds = ((Date.now() - started) / 1000).toFixed(1);

  const stateEnv = Object.fromEntries(
    readFileSync(join(stateDir, 'env'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const pluginDir = join(stateDir, 'plugin-bin');
  mkdirSync(pluginDir, { recursive: true });
  const shim = join(pluginDir, 'kubectl-ns_doctor');
  writeFileSync(
    shim,
    // Runs the bundle through its own shebang (which carries the heap flags), with the project's Node 24 first on PATH.
    `#!/bin/sh\nPATH="${join(repoRoot, 'node_modules/.bin')}:$PATH" exec "${join(repoRoot, 'dist/cli.cjs')}" "$@"\n`,
  );
  chmodSync(shim, 0o755);

  const info: E2ECluster = {
    repoRoot,
    stateDir,
    kubeconfig: join(stateDir, 'kubeconfig'),
    binDir: stateEnv.BIN_DIR,
    kubectl: join(stateEnv.BIN_DIR, 'kubectl'),
    pluginDir,
    path: [pluginDir, stateEnv.BIN_DIR, process.env.PATH ?? ''].join(delimiter),
    apiserverUrl: `https://127.0.0.1:${stateEnv.APISERVER_PORT}`,
    auditLog,
  };
  project.provide('nsDoctorCluster', info);
  process.stderr.write(`e2e: control plane up in ${upSeconds} s at ${info.apiserverUrl} (state ${stateDir})\n`);

  return () => {
    const down = spawnSync('bash', [join(repoRoot, 'scripts/control-plane/down.sh')], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    stop();
    process.off('exit', stop);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (down.status !== 0) process.stderr.write(`e2e: down.sh exited ${down.status}; stopped by pid instead\n`);
    removeState();
  };
}
