import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js';
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readTextFileBounded } from '../util/files.js';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import { load } from 'js-yaml';
import { proxyFromEnvironment } from './proxy-env.js';

export class KubeconfigError extends Error {}

/** Far above any real kubeconfig (embedded certificates included), far below what would exhaust the heap. */
const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;

export interface KubeconfigSource {
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
}

type Named = { name: string; [key: string]: unknown };
interface RawConfig {
  'current-context'?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  [key: string]: unknown;
}

const PATH_FIELDS: Record<'cluster' | 'user', string[]> = {
  cluster: ['certificate-authority'],
  user: ['client-certificate', 'client-key', 'tokenFile'],
};

/** A --context the merged kubeconfig does not define: the user's mistake (exit 64), unlike a broken kubeconfig. */
export class UnknownContextError extends KubeconfigError {}

/** The kubeconfig files kubectl would read, in its order: --kubeconfig, else KUBECONFIG's list, else ~/.kube/config. */
function kubeconfigFiles(source: KubeconfigSource, env: NodeJS.ProcessEnv): string[] {
  if (source.kubeconfig) return [source.kubeconfig];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean);
  return [resolve(env.HOME || homedir(), '.kube', 'config')];
}

/** The merged kubeconfig, or undefined when no file exists (then only the in-cluster service account is left). */
function readMergedKubeconfig(source: KubeconfigSource, env: NodeJS.ProcessEnv): { merged?: RawConfig; readable: string[]; files: string[] } {
  const files = kubeconfigFiles(source, env);
  const readable = files.filter((file) => existsSync(file));
  if (source.kubeconfig && readable.length === 0) {
    throw new KubeconfigError(`kubeconfig ${source.kubeconfig} does not exist`);
  }
  if (readable.length === 0) return { readable, files };
  return { merged: mergeKubeconfigs(readable.map((file) => ({ file, config: readFileAsConfig(file) }))), readable, files };
}

function unknownContext(name: string, merged: RawConfig): UnknownContextError {
  const known = (merged.contexts ?? []).map((c) => c.name);
  const shown = known.length > 8 ? `${known.slice(0, 8).join(', ')}, … (${known.length} in all)` : known.join(', ');
  return new UnknownContextError(`context "${name}" not found in kubeconfig${known.length ? ` (it has: ${shown})` : ' (it has none)'}`);
}

/**
 * The context names of the merged kubeconfig, in kubectl's merge order (`kubectl config get-contexts -o name`).
 * With `wanted`, checks each is one of them (an unknown name is an UnknownContextError).
 */
export function kubeconfigContexts(source: Omit<KubeconfigSource, 'context'>, wanted: string[] = []): string[] {
  const env = source.env ?? process.env;
  const { merged, files } = readMergedKubeconfig(source, env);
  if (!merged) throw new KubeconfigError(`no kubeconfig found (looked at ${files.join(', ')}); set KUBECONFIG or pass --kubeconfig`);
  const names = (merged.contexts ?? []).map((c) => c.name);
  const unknown = wanted.find((name) => !names.includes(name));
  if (unknown !== undefined) throw unknownContext(unknown, merged);
  return names;
}

/**
 * Loads credentials the way kubectl does: --kubeconfig wins; otherwise KUBECONFIG is a list of files merged with
 * "first file to set a value wins" (names and current-context alike); otherwise ~/.kube/config; otherwise the
 * in-cluster service account. Relative paths inside a file resolve against that file's folder.
 */
export function loadKubeConfig(source: KubeconfigSource): { kc: KubeConfig; origin: string } {
  const env = source.env ?? process.env;
  const { merged, readable, files } = readMergedKubeconfig(source, env);

  const kc = new KubeConfig();
  if (!merged) {
    if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
      kc.loadFromCluster();
      return { kc, origin: 'in-cluster service account' };
    }
    throw new KubeconfigError(
      `no kubeconfig found (looked at ${files.join(', ')}); set KUBECONFIG or pass --kubeconfig`,
    );
  }

  if (source.context) merged['current-context'] = source.context;
  const contextName = merged['current-context'];
  if (!contextName) throw new KubeconfigError('no current context in kubeconfig; pass --context');
  if (!merged.contexts?.some((c) => c.name === contextName)) {
    if (source.context) throw unknownContext(contextName, merged);
    throw new KubeconfigError(`context "${contextName}" not found in kubeconfig`);
  }
  useProxyFromEnvironment(merged, contextName, env);
  allowPlainHttp(merged, contextName);
  try {
    // JSON is YAML, and JSON.stringify is much cheaper than a YAML dump.
    kc.loadFromString(JSON.stringify(merged));
  } catch (error) {
    throw new KubeconfigError(`invalid kubeconfig: ${(error as Error).message}`);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeconfigError(`context "${contextName}" refers to a cluster that is not defined`);
  }
  return { kc, origin: readable.join(delimiter) };
}

/**
 * `server: http://…` (as `kubectl proxy` serves) is accepted by kubectl; client-node refuses it unless
 * insecure-skip-tls-verify is set, with a message about "credentials". Over plain HTTP there is no TLS to verify, so
 * setting it changes nothing else.
 */
function allowPlainHttp(config: RawConfig, contextName: string): void {
  const context = config.contexts?.find((c) => c.name === contextName)?.context as { cluster?: string } | undefined;
  const entry = config.clusters?.find((c) => c.name === context?.cluster);
  const cluster = entry?.cluster as Record<string, unknown> | undefined;
  if (typeof cluster?.server === 'string' && /^http:\/\//i.test(cluster.server)) cluster['insecure-skip-tls-verify'] = true;
}

/** A cluster without proxy-url goes through the proxy the environment names, as with kubectl (client-go). */
function useProxyFromEnvironment(config: RawConfig, contextName: string, env: NodeJS.ProcessEnv): void {
  const context = config.contexts?.find((c) => c.name === contextName)?.context as { cluster?: string } | undefined;
  const entry = config.clusters?.find((c) => c.name === context?.cluster);
  const cluster = entry?.cluster as Record<string, unknown> | undefined;
  if (!cluster || cluster['proxy-url'] || typeof cluster.server !== 'string') return;
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    return; // client-node reports the invalid server
  }
  const proxy = proxyFromEnvironment(server, env);
  if (proxy) cluster['proxy-url'] = proxy;
}

function readFileAsConfig(file: string): RawConfig {
  let text: string;
  try {
    text = readTextFileBounded(file, MAX_KUBECONFIG_BYTES);
  } catch (error) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
  }
  let config: unknown;
  try {
    config = load(text) ?? {};
  } catch (error) {
    throw new KubeconfigError(`kubeconfig ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new KubeconfigError(`kubeconfig ${file} is not a kubeconfig object`);
  }
  return resolveRelativePaths(config as RawConfig, dirname(resolve(file)));
}

function resolveRelativePaths(config: RawConfig, base: string): RawConfig {
  const fix = (entries: Named[] | undefined, key: 'cluster' | 'user') =>
    entries?.map((entry) => {
      const inner = { ...((entry[key] as Record<string, unknown>) ?? {}) };
      for (const field of PATH_FIELDS[key]) {
        const value = inner[field];
        if (typeof value === 'string' && value && !isAbsolute(value)) inner[field] = resolve(base, value);
      }
      const exec = inner.exec as { command?: string } | undefined;
      // kubectl resolves an exec command given as a relative path (containing a slash) against the file's folder.
      if (exec?.command && exec.command.includes('/') && !isAbsolute(exec.command)) {
        inner.exec = { ...exec, command: resolve(base, exec.command) };
      }
      return { ...entry, [key]: inner };
    });
  return { ...config, clusters: fix(config.clusters, 'cluster'), users: fix(config.users, 'user') };
}

/** kubectl's merge rule: for every named entry and for current-context, the first file that sets it wins. */
export function mergeKubeconfigs(sources: { file: string; config: RawConfig }[]): RawConfig {
  const merged: RawConfig = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  for (const { config } of sources) {
    if (!merged['current-context'] && config['current-context']) merged['current-context'] = config['current-context'];
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of config[key] ?? []) {
        if (!entry?.name) continue;
        if (!merged[key]!.some((existing) => existing.name === entry.name)) merged[key]!.push(entry);
      }
    }
  }
  return merged;
}

/**
 * What kubectl hands an exec credential plugin in KUBERNETES_EXEC_INFO: the ExecCredential version it expects back,
 * `interactive: false` (ns-doctor gives a plugin no terminal), and the cluster when the plugin asks for it with
 * provideClusterInfo. Plugins such as aws-iam-authenticator pick their output version from it.
 */
export function execCredentialInfo(kc: KubeConfig): string | undefined {
  const exec = kc.getCurrentUser()?.exec as { apiVersion?: string; provideClusterInfo?: boolean } | undefined;
  if (!exec) return undefined;
  const spec: Record<string, unknown> = { interactive: false };
  const cluster = kc.getCurrentCluster();
  if (exec.provideClusterInfo && cluster) {
    let caData = cluster.caData;
    if (!caData && cluster.caFile) {
      try {
        caData = readFileSync(cluster.caFile).toString('base64');
      } catch {
        // client-node reports an unreadable CA file when it builds the TLS options
      }
    }
    spec.cluster = {
      server: cluster.server,
      ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
      ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
      ...(caData ? { 'certificate-authority-data': caData } : {}),
      ...(cluster.proxyUrl ? { 'proxy-url': cluster.proxyUrl } : {}),
    };
  }
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1', spec });
}

/** An exec credential plugin that never exits, or prints without end, is stopped: the run fails with this. */
export class ExecPluginError extends Error {
  constructor(
    readonly reason: 'ExecPluginTimeout' | 'ExecPluginOutputTooLarge',
    message: string,
  ) {
    super(message);
  }
}

/** A login that needs a person cannot happen here (interactive: false); a real plugin answers in seconds. */
export const EXEC_PLUGIN_TIMEOUT_MS = 60_000;
/** An ExecCredential, client certificate and key included, is a few KiB. */
export const EXEC_PLUGIN_MAX_OUTPUT = 1024 * 1024;

/**
 * Bounds the exec credential plugin client-node starts (kubectl has no such bound; a hung `aws` or `gke-gcloud-auth`
 * would hang ns-doctor forever, and 400 MB of output would be held in memory): it is killed after `timeoutMs` or once
 * stdout+stderr pass `maxOutput` bytes. `failure()` then names what happened, for the caller to report instead of the
 * plugin's empty stderr.
 */
export function boundExecPlugins(kc: KubeConfig, limits = { timeoutMs: EXEC_PLUGIN_TIMEOUT_MS, maxOutput: EXEC_PLUGIN_MAX_OUTPUT }): { failure(): ExecPluginError | undefined } {
  let failure: ExecPluginError | undefined;
  const authenticators = (kc as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  const exec = authenticators.find((a): a is { execFn: typeof spawn } => a instanceof ExecAuth);
  if (!exec) return { failure: () => failure };
  exec.execFn = ((command: string, args: readonly string[], options: SpawnOptions) => {
    const child = spawn(command, args ?? [], options ?? {});
    const stop = (error: ExecPluginError) => {
      failure ??= error;
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const timer = setTimeout(
      () => stop(new ExecPluginError('ExecPluginTimeout', `exec credential plugin ${command} did not finish within ${limits.timeoutMs / 1000}s: stopped (ExecPluginTimeout)`)),
      limits.timeoutMs,
    );
    let bytes = 0;
    const count = (chunk: Buffer | string) => {
      bytes += chunk.length;
      if (bytes > limits.maxOutput) {
        stop(new ExecPluginError('ExecPluginOutputTooLarge', `exec credential plugin ${command} printed more than ${limits.maxOutput / 1024 / 1024} MiB: stopped (ExecPluginOutputTooLarge)`));
      }
    };
    child.stdout?.on('data', count);
    child.stderr?.on('data', count);
    child.on('close', () => clearTimeout(timer));
    child.on('error', () => clearTimeout(timer));
    return child;
  }) as typeof spawn;
  return { failure: () => failure };
}
