/**
 * End-to-end test harness: a real control plane (etcd + kube-apiserver + kube-controller-manager, started once per
 * e2e run by global-setup.ts through scripts/control-plane/up.sh), the real kubectl from the build cache, and the
 * plugin put on PATH as `kubectl-ns_doctor` (a shim running `node dist/cli.cjs`; global setup rebuilds dist first).
 * E2E test files run one after another (vitest.config.ts), since they share this one cluster.
 *
 * API (import from './harness.js'):
 *   cluster(): E2ECluster             repoRoot, stateDir, kubeconfig (admin, O=system:masters), binDir, kubectl (path),
 *                                     pluginDir (holds the shim), path (pluginDir:binDir:$PATH), apiserverUrl
 *   e2eEnv(opts?): env                process env with KUBECONFIG, PATH as above, NS_DOCTOR_STATE_DIR, KUBECTL,
 *                                     NO_COLOR=1 (unless opts.color); opts.kubeconfig / opts.env override
 *   run(file, args, opts?)            runs any program with e2eEnv; resolves RunResult {command, code, stdout, stderr}
 *                                     (never rejects on a non-zero exit; rejects only on timeout or spawn failure)
 *   kubectl(args, opts?)              `kubectl ...` with the cache's kubectl
 *   kubectlOk(args, opts?)            same, throws with stderr unless exit 0; returns stdout
 *   kubectlJson<T>(args, opts?)       kubectlOk(args + ['-o', 'json']) parsed
 *   nsDoctor(args, opts?)             `kubectl ns-doctor ...args` exactly as a user runs it (kubectl finds the plugin
 *                                     on PATH)
 *   diagnose(ns, args?, opts?)        nsDoctor([ns, '-o', 'json', ...args]) → { result, report } (report: the Report
 *                                     of src/model/report.ts, parsed from stdout; throws if stdout is not JSON)
 *   waitFor(what, probe, opts?)       polls probe() until it returns something other than undefined/null/false;
 *                                     throws "timed out waiting for <what>" after opts.timeoutMs (default 90 s)
 *   namespaceCondition(ns, type)      the namespace's status condition of that type, or undefined
 *   waitForNamespaceCondition(ns, type, status, timeoutMs?)   e.g. ('payments', 'NamespaceDeletionDiscoveryFailure',
 *                                     'True'): waits until the real namespace controller has written it
 *   useScenario(name, ns)             scenario up before the describe's tests, down after them
 *   scenario(name, 'up'|'down', ns, opts?)   runs scripts/scenarios/<name>.sh against this cluster; throws unless
 *                                     exit 0; returns RunResult (rbac-limited prints a kubeconfig path on stdout)
 *   controllerManager('restart', controllers?) / ('stop')     restarts/stops only kube-controller-manager
 *   userKubeconfig(user, groups?)     client certificate from the cluster CA (CN=user, O=group...) → kubeconfig path
 *   stripAnsi(text)
 *   auditOffset() / auditEvents(offset)   the API server's audit log (Metadata level, every user but the admin one
 *                                     shared by kube-controller-manager and the scenarios): its size now, and the
 *                                     ResponseComplete events written after that offset
 * RunOptions: { env?, kubeconfig?, input?, timeoutMs? (default 120 s), color?, cwd? }
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Report } from '../../src/model/report.js';

export interface E2ECluster {
  repoRoot: string;
  stateDir: string;
  kubeconfig: string;
  binDir: string;
  kubectl: string;
  pluginDir: string;
  path: string;
  apiserverUrl: string;
  auditLog: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    nsDoctorCluster: E2ECluster;
  }
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  kubeconfig?: string;
  input?: string;
  timeoutMs?: number;
  color?: boolean;
  cwd?: string;
}

export interface RunResult {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

export interface NamespaceCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function cluster(): E2ECluster {
  const info = inject('nsDoctorCluster');
  if (!info) throw new Error('e2e: no control plane; run e2e tests through vitest with test/e2e/global-setup.ts');
  return info;
}

export function e2eEnv(opts: RunOptions = {}): NodeJS.ProcessEnv {
  const c = cluster();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: opts.kubeconfig ?? c.kubeconfig,
    PATH: c.path,
    NS_DOCTOR_STATE_DIR: c.stateDir,
    KUBECTL: c.kubectl,
  };
  delete env.FORCE_COLOR;
  if (opts.color) delete env.NO_COLOR;
  else env.NO_COLOR = '1';
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = [file, ...args].join(' ');
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: e2eEnv(opts), cwd: opts.cwd ?? cluster().repoRoot });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms: ${command}\nstderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        command,
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    // A child that exits without reading its standard input (a short script) closes the pipe first: not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export function kubectl(args: string[], opts?: RunOptions): Promise<RunResult> {
  return run(cluster().kubectl, args, opts);
}

export async function kubectlOk(args: string[], opts?: RunOptions): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`${r.command} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export async function kubectlJson<T = any>(args: string[], opts?: RunOptions): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'], opts)) as T;
}

export function nsDoctor(args: string[], opts?: RunOptions): Promise<RunResult> {
  return kubectl(['ns-doctor', ...args], opts);
}

export async function diagnose(
  ns: string,
  args: string[] = [],
  opts?: RunOptions,
): Promise<{ result: RunResult; report: Report }> {
  const result = await nsDoctor([ns, '-o', 'json', ...args], opts);
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(
      `${result.command} (exit ${result.code}) did not print JSON.\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
  return { result, report };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

export async function namespaceCondition(ns: string, type: string): Promise<NamespaceCondition | undefined> {
  const obj = await kubectlJson<{ status?: { conditions?: NamespaceCondition[] } }>(['get', 'namespace', ns]);
  return obj.status?.conditions?.find((c) => c.type === type);
}

export function waitForNamespaceCondition(
  ns: string,
  type: string,
  status: 'True' | 'False',
  timeoutMs = 90_000,
): Promise<NamespaceCondition> {
  return waitFor(
    `namespace ${ns} condition ${type}=${status}`,
    async () => {
      const c = await namespaceCondition(ns, type);
      return c?.status === status ? c : undefined;
    },
    { timeoutMs },
  );
}

export async function scenario(name: string, action: 'up' | 'down', ns: string, opts?: RunOptions): Promise<RunResult> {
  const script = join(cluster().repoRoot, 'scripts/scenarios', `${name}.sh`);
  const r = await run('bash', [script, action, ns], { timeoutMs: 240_000, ...opts });
  if (r.code !== 0) throw new Error(`scenario ${name} ${action} ${ns} failed (exit ${r.code}):\n${r.stderr}`);
  return r;
}

/** Builds scripts/scenarios/<name>.sh in `ns` before the tests of the enclosing describe, and takes it down after. */
export function useScenario(name: string, ns: string, opts?: RunOptions): void {
  beforeAll(async () => {
    await scenario(name, 'up', ns, opts);
  });
  afterAll(async () => {
    await scenario(name, 'down', ns, opts);
  });
}

export async function controllerManager(action: 'restart' | 'stop', controllers?: string): Promise<void> {
  const script = join(cluster().repoRoot, 'scripts/control-plane/lib/kcm.sh');
  const r = await run('bash', [script, action, ...(controllers ? [controllers] : [])]);
  if (r.code !== 0) throw new Error(`kcm.sh ${action} failed (exit ${r.code}):\n${r.stderr}`);
}

export async function userKubeconfig(user: string, groups: string[] = []): Promise<string> {
  const script = join(cluster().repoRoot, 'scripts/control-plane/lib/user-kubeconfig.sh');
  const r = await run('bash', [script, user, ...groups]);
  if (r.code !== 0) throw new Error(`user-kubeconfig.sh ${user} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout.trim();
}

export function stripAnsi(text: string): string {
   
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

export interface AuditEvent {
  verb: string;
  requestURI: string;
  user: { username: string };
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code?: number };
}

export function auditOffset(): number {
  try {
    return statSync(cluster().auditLog).size;
  } catch {
    return 0;
  }
}

/** The log backend is blocking: once a client has exited, its events are in the file. */
export function auditEvents(offset: number): AuditEvent[] {
  return readFileSync(cluster().auditLog)
    .subarray(offset)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEvent & { stage: string })
    .filter((e) => e.stage === 'ResponseComplete');
}
