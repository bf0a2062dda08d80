import yargs from 'yargs';
import { OUTPUT_FORMATS, type OutputFormat } from '../render/index.js';
import { parseDuration } from '../util/time.js';
import type { FixSafety } from '../model/report.js';
import { parseListen } from '../watch/server.js';
import { DEFAULT_LIMITS, type CardinalityLimits } from '../watch/series.js';


/**
 * The settings every command hands the diagnosis (run, fix, --all, many clusters, watch): made in one place, so a
 * new setting cannot reach one command and miss another.
 */
export function diagnosisSettings(options: Pick<CliOptions, 'controllerTimeoutMs' | 'stallAfterMs'>): { controllerTimeoutMs: number; stallAfterMs: number } {
  return { controllerTimeoutMs: options.controllerTimeoutMs, stallAfterMs: options.stallAfterMs };
}

export interface CliOptions {
  namespace?: string;
  all: boolean;
  /** --all: the full report of every namespace after the grouped summary (text, markdown). */
  details: boolean;
  output: OutputFormat;
  kubeconfig?: string;
  /** One cluster: the context to use (unset: the kubeconfig's current-context). */
  context?: string;
  /** Many clusters: the contexts named by repeated --context (more than one), or every one with --all-contexts. */
  clusters?: ClusterSelection;
  requestTimeoutMs: number;
  controllerTimeoutMs: number;
  /** A controller that has not removed its finalizer this long after the object's deletion ⇒ FinalizerControllerStalled. */
  stallAfterMs: number;
  concurrency: number;
  waitMs: number;
  color: boolean;
  verbose: boolean;
  saveSnapshot?: string;
  fromSnapshot?: string;
  /** Set for `kubectl ns-doctor fix`. */
  fix?: FixOptions;
  /** Set for `kubectl ns-doctor watch`. */
  watch?: WatchOptions;
}

export interface WatchOptions {
  intervalMs: number;
  scanTimeoutMs: number;
  listen: string;
  once: boolean;
  metricsFile?: string;
  events: boolean;
  eventsNamespace?: string;
  limits: CardinalityLimits;
}

export interface FixOptions {
  apply: boolean;
  dryRun: boolean;
  planId?: string;
  /** Highest safety level a step may have. */
  allow: FixSafety;
  /** The local JSON-lines record of every write attempted (default: in the cache directory). */
  auditFile?: string;
}

/** `names`: the --context values in the order given (duplicates dropped); `all`: --all-contexts. */
export type ClusterSelection = { all: true } | { all: false; names: string[] };

export class UsageError extends Error {}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateNamespaceName(name: string): void {
  if (name.length > 63 || !NAMESPACE_NAME.test(name)) {
    throw new UsageError(
      `invalid namespace name "${name}": must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)`,
    );
  }
}

const VALUE_FLAGS = ['--request-timeout', '--controller-timeout', '--stall-after', '--concurrency', '--wait', '--interval', '--scan-timeout', '--max-namespaces', '--max-subjects'];

/**
 * "--wait -5s": yargs would read "-5s" as the short flags -5 and -s ("Unknown arguments: 5, s"). A value that starts
 * with "-" and a digit after a flag that takes one is that flag's value, so the user hears what is wrong with it.
 */
export function joinNegativeValues(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (VALUE_FLAGS.includes(argv[i]!) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${argv[i]}=${next}`);
      i++;
    } else {
      joined.push(argv[i]!);
    }
  }
  return joined;
}

export function buildParser(argv: string[], version: string) {
  return yargs(joinNegativeValues(argv))
    .scriptName('kubectl ns-doctor')
    .usage(
      'Explain why a namespace is stuck in Terminating, and how to fix it (safest first).\n\n' +
        'Usage:\n  kubectl ns-doctor <namespace> [flags]\n  kubectl ns-doctor --all [flags]',
    )
    .command('$0 [namespace]', false as unknown as string, (y) =>
      y.positional('namespace', { type: 'string', describe: 'namespace to diagnose' }),
    )
    .option('all', { alias: 'A', type: 'boolean', default: false, describe: 'diagnose every Terminating namespace: grouped by root cause, then one line each' })
    .option('details', { type: 'boolean', default: false, describe: 'with --all: the full report of every namespace after the summary by root cause' })
    .option('output', { alias: 'o', type: 'string', choices: [...OUTPUT_FORMATS], default: 'text', describe: 'output format' })
    .option('kubeconfig', { type: 'string', describe: 'path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config)' })
    .option('context', { type: 'string', describe: 'kubeconfig context to use; repeat it to diagnose several clusters in one report' })
    .option('all-contexts', { type: 'boolean', default: false, describe: 'diagnose in every context of the kubeconfig (as kubectl merges KUBECONFIG): one report, by cluster' })
    .option('request-timeout', { type: 'string', default: '30s', describe: 'timeout of each API request (e.g. 10s, 1m; 0 = none)' })
    .option('controller-timeout', { type: 'string', default: '5m', describe: 'Terminating longer than this with no deletion conditions ⇒ the namespace controller is not running' })
    .option('stall-after', { type: 'string', default: '10m', describe: 'an object still waiting on a running controller\'s finalizer this long after its own deletion ⇒ FinalizerControllerStalled' })
    .option('concurrency', { type: 'number', default: 8, describe: 'maximum API requests in flight' })
    .option('wait', { type: 'string', default: '0', describe: 'watch a Terminating namespace this long (e.g. 60s) and report its progress; ends early when it is gone' })
    .option('no-color', { type: 'boolean', default: false, describe: 'plain text output (also NO_COLOR; colors are off anyway when stdout is not a terminal)' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'print every API request (status, size, time) and a total to stderr' })
    .option('save-snapshot', { type: 'string', describe: 'write what was read from the cluster to FILE (re-diagnose later with --from-snapshot)' })
    .option('from-snapshot', { type: 'string', describe: 'diagnose a saved snapshot instead of a live cluster' })
    .example('kubectl ns-doctor payments', 'why is namespace payments stuck?')
    .example('kubectl ns-doctor payments -o json', 'the same, for a runbook (exit code: 0 ok, 1 blocked, 2 incomplete, 3 not found)')
    .example('kubectl ns-doctor --all', 'every Terminating namespace, grouped by root cause (--details: every report in full)')
    .example('kubectl ns-doctor --all --all-contexts', 'the same in every cluster of the kubeconfig, grouped by cluster, then root cause')
    .epilogue(
      'Exit codes: 0 not stuck, 1 BLOCKED, 2 INCOMPLETE (something could not be read), 3 namespace not found, 64 usage error.\n' +
        'Read-only: never changes the cluster and never reads Secret data.',
    )
    .command(
      'fix [namespace]',
      'plan the mechanical fixes (nothing is written); with --apply --plan-id, apply the plan reviewed',
      (y) =>
        y
          .positional('namespace', { type: 'string', describe: 'namespace to fix' })
          .option('apply', { type: 'boolean', default: false, describe: 'apply the plan (needs --plan-id, except when confirming on a terminal)' })
          .option('plan-id', { type: 'string', describe: 'the id of the plan reviewed; apply stops if the plan is no longer the same' })
          .option('allow', { type: 'string', choices: ['safe', 'caution', 'last-resort'], default: 'safe', describe: 'highest safety level a step may have (caution includes safe; last-resort includes both)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'send every step as a server-side dry run (dryRun=All): checks permissions and admission, writes nothing' })
          .option('audit-file', { type: 'string', describe: 'append a JSON line for every write attempted and its outcome (default: $XDG_CACHE_HOME/ns-doctor/audit.jsonl, mode 0600)' })
          .example('kubectl ns-doctor fix payments', 'show the plan and its id; writes nothing (exit 10 when there are steps)')
          .example('kubectl ns-doctor fix payments --apply --plan-id 3f9c0e1a2b4d5c6e --wait 2m', 'apply the plan reviewed, then watch the namespace go')
          .epilogue(
            'Exit codes of fix: 10 plan has steps (nothing written; also: not confirmed), 11 applied, 12 stopped: evidence changed, 13 refused: missing permissions (or a step ns-doctor never makes), 14 a dry run or write was refused by the API server, 2 the cluster was unreachable or a write got no answer (it may have been applied: see the audit file); with no step to apply, the diagnosis codes 0/1/2/3. 64 usage error.',
          ),
    )
    .command(
      'watch',
      'diagnose every Terminating namespace every --interval and serve the result as Prometheus metrics (/metrics, /healthz, /readyz)',
      (y) =>
        y
          .option('interval', { type: 'string', default: '1m', describe: 'time between the starts of two scans (a scan never runs twice at once)' })
          .option('scan-timeout', { type: 'string', default: '5m', describe: 'a scan still running after this is aborted and counted as failed' })
          .option('listen', { type: 'string', default: '127.0.0.1:9898', describe: 'HOST:PORT to serve on (:9898 = every interface, as in a pod)' })
          .option('once', { type: 'boolean', default: false, describe: 'scan once, print the metrics (or write --metrics-file) and exit with the --all exit code' })
          .option('metrics-file', { type: 'string', describe: "with --once: write the metrics to FILE atomically (node_exporter's textfile collector)" })
          .option('events', { type: 'boolean', default: false, describe: 'also record a Warning Event per blocked namespace and cause (the only write watch makes)' })
          .option('events-namespace', { type: 'string', describe: "where the Events go (default: the pod's namespace, else default)" })
          .option('max-namespaces', { type: 'number', default: DEFAULT_LIMITS.maxNamespaces, describe: 'per-namespace series for at most this many namespaces (blocked and oldest first)' })
          .option('max-subjects', { type: 'number', default: DEFAULT_LIMITS.maxSubjects, describe: 'distinct (cause, subject) label pairs at most; the rest share subject="__other__"' })
          .example('kubectl ns-doctor watch', 'serve http://127.0.0.1:9898/metrics, scanning every minute')
          .example('kubectl ns-doctor watch --once --metrics-file /var/lib/node_exporter/textfile/ns_doctor.prom', 'for node_exporter')
          .epilogue('Exit codes of watch: 0 after SIGTERM/SIGINT; with --once, those of --all (0, 1 BLOCKED, 2 INCOMPLETE or scan failed). 64 usage error.'),
    )
    .command('completion', 'print the kubectl_complete-ns_doctor script that gives kubectl shell completion for this plugin')
    .version(version)
    .help()
    .alias('help', 'h')
    .strict()
    // Unknown flags are reported as typed: no camelCase twins, no "--no-x" read as negating "x".
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false })
    .wrap(Math.min(110, process.stdout.columns || 100));
}

/**
 * Several --context, or --all-contexts: many clusters, one report. A repeated flag is an array in yargs; one distinct
 * name is the single-cluster run it always was (before many clusters, a repeated --context meant its last value).
 */
function clusterSelection(parsed: Record<string, unknown>, fix: boolean): { context?: string; clusters?: ClusterSelection } {
  // An empty --context means the current context, as in kubectl.
  const names = [...new Set([parsed.context].flat().filter((v) => v !== undefined && v !== '').map(String))];
  const all = Boolean(parsed['all-contexts']);
  if (all && names.length) throw new UsageError('give --context or --all-contexts, not both');
  if (!all && names.length < 2) return names.length ? { context: names[0] } : {};
  if (fix) throw new UsageError('fix works on one cluster at a time: give a single --context (not several, nor --all-contexts)');
  if (parsed['from-snapshot'] || parsed['save-snapshot']) throw new UsageError('--save-snapshot and --from-snapshot work with one cluster: give a single --context');
  if (parsed.wait && parsed.wait !== '0') throw new UsageError('--wait watches one namespace in one cluster: give a single --context');
  return { clusters: all ? { all: true } : { all: false, names } };
}

/** A string flag's value; yargs gives an array when a flag is repeated, and then the last one wins, as in kubectl. */
function stringFlag(parsed: Record<string, unknown>, flag: string): string | undefined {
  const value = parsed[flag];
  const last: unknown = Array.isArray(value) ? value.at(-1) : value;
  return typeof last === 'string' || typeof last === 'number' ? String(last) : undefined;
}

export function toCliOptions(parsed: Record<string, unknown>): CliOptions {
  if ((parsed._ as unknown[] | undefined)?.[0] === 'watch') return watchCliOptions(parsed);
  const fix = (parsed._ as unknown[] | undefined)?.[0] === 'fix' ? fixOptions(parsed) : undefined;
  const namespace = parsed.namespace as string | undefined;
  const all = Boolean(parsed.all);
  if (all && namespace) throw new UsageError('give either a namespace or --all, not both');
  if (!all && !namespace && !parsed['from-snapshot']) throw new UsageError('missing namespace: kubectl ns-doctor <namespace> (or --all)');
  if (namespace) validateNamespaceName(namespace);
  if (parsed['from-snapshot'] && parsed['save-snapshot']) {
    throw new UsageError('--save-snapshot saves what is read from a cluster; with --from-snapshot nothing is read (copy the file instead)');
  }
  if (all && !fix && parsed.wait && parsed.wait !== '0') throw new UsageError('--wait works with one namespace, not --all');
  if (parsed.details && !all && !parsed['from-snapshot']) throw new UsageError('--details works with --all (one namespace always shows its details)');
  const { context, clusters } = clusterSelection(parsed, Boolean(fix));
  const { concurrency, duration } = common(parsed);
  return {
    ...(namespace ? { namespace } : {}),
    all,
    details: Boolean(parsed.details),
    output: parsed.output as OutputFormat,
    ...(stringFlag(parsed, 'kubeconfig') ? { kubeconfig: stringFlag(parsed, 'kubeconfig') } : {}),
    ...(context ? { context } : {}),
    ...(clusters ? { clusters } : {}),
    requestTimeoutMs: duration('request-timeout'),
    controllerTimeoutMs: duration('controller-timeout'),
    stallAfterMs: duration('stall-after'),
    concurrency,
    waitMs: duration('wait'),
    color: colorWanted(parsed, process.env, Boolean(process.stdout.isTTY)),
    verbose: Boolean(parsed.verbose),
    ...(stringFlag(parsed, 'save-snapshot') ? { saveSnapshot: stringFlag(parsed, 'save-snapshot') } : {}),
    ...(stringFlag(parsed, 'from-snapshot') ? { fromSnapshot: stringFlag(parsed, 'from-snapshot') } : {}),
    ...(fix ? { fix } : {}),
  };
}

/** Colour only on a terminal that can show it: not with --no-color, NO_COLOR, or TERM=dumb (as kubectl and git). */
export function colorWanted(parsed: Record<string, unknown>, env: NodeJS.ProcessEnv, tty: boolean): boolean {
  return !parsed['no-color'] && !env.NO_COLOR && env.TERM !== 'dumb' && tty;
}

/** yargs' messages span lines ("Invalid values:\n  Argument: allow, Given: …"): one line that keeps the bad value. */
export function usageLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

function common(parsed: Record<string, unknown>) {
  const concurrency = Number(parsed.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be an integer from 1 to 64');
  const duration = (flag: string) => {
    try {
      return parseDuration(String(parsed[flag]));
    } catch (error) {
      throw new UsageError(`--${flag}: ${(error as Error).message}`);
    }
  };
  return { concurrency, duration };
}

function watchCliOptions(parsed: Record<string, unknown>): CliOptions & { watch: WatchOptions } {
  if (parsed.namespace) throw new UsageError('watch looks at every Terminating namespace: give no namespace');
  for (const flag of ['all', 'details', 'from-snapshot', 'save-snapshot']) {
    if (parsed[flag]) throw new UsageError(`--${flag} does not apply to watch`);
  }
  if (parsed.wait && parsed.wait !== '0') throw new UsageError('--wait does not apply to watch (see --interval)');
  if (parsed.output !== 'text') throw new UsageError('watch writes the Prometheus text format: -o does not apply');
  const { concurrency, duration } = common(parsed);
  const listen = stringFlag(parsed, 'listen') ?? '127.0.0.1:9898';
  try {
    parseListen(listen);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const intervalMs = duration('interval');
  if (intervalMs < 5_000) throw new UsageError('--interval must be at least 5s');
  const scanTimeoutMs = duration('scan-timeout');
  if (scanTimeoutMs < 1_000) throw new UsageError('--scan-timeout must be at least 1s');
  const once = Boolean(parsed.once);
  const metricsFile = stringFlag(parsed, 'metrics-file');
  if (metricsFile !== undefined && !once) throw new UsageError('--metrics-file goes with --once (run it from a timer; node_exporter reads the file)');
  if (metricsFile === '') throw new UsageError('--metrics-file: give a path');
  const eventsNamespace = stringFlag(parsed, 'events-namespace');
  if (eventsNamespace !== undefined) {
    if (!parsed.events) throw new UsageError('--events-namespace goes with --events');
    validateNamespaceName(eventsNamespace);
  }
  const limit = (flag: string) => {
    const value = Number(parsed[flag]);
    if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new UsageError(`--${flag} must be an integer from 1 to 100000`);
    return value;
  };
  return {
    all: true,
    details: false,
    output: 'text',
    ...(stringFlag(parsed, 'kubeconfig') ? { kubeconfig: stringFlag(parsed, 'kubeconfig') } : {}),
    ...(stringFlag(parsed, 'context') ? { context: stringFlag(parsed, 'context') } : {}),
    requestTimeoutMs: duration('request-timeout'),
    controllerTimeoutMs: duration('controller-timeout'),
    stallAfterMs: duration('stall-after'),
    concurrency,
    waitMs: 0,
    color: false,
    verbose: Boolean(parsed.verbose),
    watch: {
      intervalMs,
      scanTimeoutMs,
      listen,
      once,
      ...(metricsFile ? { metricsFile } : {}),
      events: Boolean(parsed.events),
      ...(eventsNamespace ? { eventsNamespace } : {}),
      limits: { maxNamespaces: limit('max-namespaces'), maxSubjects: limit('max-subjects') },
    },
  };
}

function fixOptions(parsed: Record<string, unknown>): FixOptions {
  if (parsed['from-snapshot'] || parsed['save-snapshot']) throw new UsageError('fix reads the live cluster: --from-snapshot and --save-snapshot do not apply');
  if (parsed['audit-file'] !== undefined && !parsed.apply) throw new UsageError('--audit-file goes with --apply (only --apply writes)');
  if (parsed.output === 'markdown') throw new UsageError('fix prints text, json or yaml');
  const apply = Boolean(parsed.apply);
  const dryRun = Boolean(parsed['dry-run']);
  if (apply && dryRun) throw new UsageError('give --apply or --dry-run, not both');
  const planId = stringFlag(parsed, 'plan-id')?.trim();
  if (planId !== undefined && !/^[0-9a-f]{16}$/.test(planId)) throw new UsageError('--plan-id: expected the 16 hex digits printed by `kubectl ns-doctor fix <namespace>`');
  if (planId && !apply && !dryRun) throw new UsageError('--plan-id goes with --apply (or --dry-run)');
  if (parsed.wait && parsed.wait !== '0' && !apply) throw new UsageError('with fix, --wait watches the namespace after --apply');
  const auditFile = stringFlag(parsed, 'audit-file');
  if (auditFile !== undefined && !auditFile.trim()) throw new UsageError('--audit-file: expected a file name');
  return { apply, dryRun, ...(planId ? { planId } : {}), allow: parsed.allow as FixSafety, ...(auditFile ? { auditFile } : {}) };
}
