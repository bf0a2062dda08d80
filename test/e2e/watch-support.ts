// What the watch end-to-end tests share: a service account as a pod sees it (token minted by the TokenRequest API,
// the cluster's CA, the namespace file), the watch started as a process through kubectl, and its /metrics scraped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cluster, e2eEnv, kubectlOk } from './harness.js';
import { parseExposition, type ParsedFamily } from '../tools/promparse.js';

export const WATCH_NAMESPACE = 'ns-doctor';
export const WATCH_SERVICE_ACCOUNT = 'ns-doctor';

/** A token of the watch's service account from the TokenRequest API, as the kubelet mounts one. */
export async function mintToken(seconds = 3600): Promise<string> {
  return (await kubectlOk(['create', 'token', WATCH_SERVICE_ACCOUNT, '-n', WATCH_NAMESPACE, '--duration', `${seconds}s`])).trim();
}

/** /var/run/secrets/kubernetes.io/serviceaccount of a pod: token, ca.crt, namespace. */
export function serviceAccountMount(token: string, root = mkdtempSync(join(tmpdir(), 'ns-doctor-sa-')), relative = ''): string {
  const dir = join(root, relative);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), token);
  writeFileSync(join(dir, 'ca.crt'), readCa());
  writeFileSync(join(dir, 'namespace'), WATCH_NAMESPACE);
  return dir;
}

function readCa(): Buffer {
  return readFileSync(join(cluster().stateDir, 'pki', 'ca.crt'));
}

/** The environment of a pod: no kubeconfig anywhere, KUBERNETES_SERVICE_HOST/PORT, the service account mount. */
export function inClusterEnv(serviceAccountDir: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const server = new URL(cluster().apiserverUrl);
  return {
    KUBECONFIG: undefined,
    HOME: mkdtempSync(join(tmpdir(), 'ns-doctor-home-')),
    KUBERNETES_SERVICE_HOST: server.hostname,
    KUBERNETES_SERVICE_PORT: server.port,
    NS_DOCTOR_SERVICEACCOUNT_DIR: serviceAccountDir,
    ...extra,
  };
}

export interface WatchProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `kubectl ns-doctor watch --listen 127.0.0.1:0 ...` (kubectl execs the plugin: the pid is the plugin's). */
export async function startWatch(args: string[], env: Record<string, string | undefined>): Promise<WatchProcess> {
  const fullEnv = e2eEnv({ env });
  // kubectl itself reads no kubeconfig to run a plugin; KUBECONFIG must stay unset for the in-cluster path.
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete fullEnv[key];
  const child = spawn(cluster().kubectl, ['ns-doctor', 'watch', '--listen', '127.0.0.1:0', ...args], { env: fullEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const started = Date.now();
  for (;;) {
    const match = /serving (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(stderr);
    if (match) return { child, url: match[1], stderr: () => stderr, exited };
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`watch did not start serving: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function stopWatch(watch: WatchProcess | undefined): Promise<void> {
  if (!watch || watch.child.exitCode !== null) return;
  watch.child.kill('SIGTERM');
  const timer = setTimeout(() => watch.child.kill('SIGKILL'), 10_000);
  await watch.exited;
  clearTimeout(timer);
}

export async function scrape(url: string): Promise<Record<string, ParsedFamily>> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseExposition(await response.text());
}

export async function status(url: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, body: await response.text() };
}

/** ns_doctor_namespace_blocked of one namespace, as "cause subject" strings. */
export function blockedOf(parsed: Record<string, ParsedFamily>, namespace: string): string[] {
  return (parsed.ns_doctor_namespace_blocked?.samples ?? [])
    .filter((s) => s.labels.namespace === namespace)
    .map((s) => `${s.labels.cause} ${s.labels.subject}`)
    .sort();
}
