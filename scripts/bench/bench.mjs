#!/usr/bin/env node
// @ts-check
// ns-doctor benchmark against a real kube-apiserver (see docs/benchmarks.md). One run, prints figures; not a test.
//   npm run bench [-- --quick] [-- --write-docs] [-- --only a,b,c,d] [-- --keep-cluster]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client, loadCredentials, sleep, waitFor } from './lib/kube.mjs';
import { AuditLog } from './lib/audit.mjs';
import { exec, measure, median } from './lib/run.mjs';
import * as sc from './lib/scenarios.mjs';
import { startLatencyProxy } from './lib/latency-proxy.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cp = path.join(repo, 'scripts/control-plane');

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'a,b,c,d,e' },
    fleet: { type: 'string' },
    'fleet-active': { type: 'string' },
    'fleet-recipe-sample': { type: 'string' },
    'fleet-single-sample': { type: 'string' },
    'state-dir': { type: 'string' },
    'keep-cluster': { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    'json-out': { type: 'string' },
    repeat: { type: 'string' },
    crds: { type: 'string' },
    'rs-large': { type: 'string' },
    'rs-small': { type: 'string' },
    nodes: { type: 'string' },
    'skip-recipe': { type: 'boolean', default: false },
    'rtt-ms': { type: 'string', default: '20' },
  },
});

// fleetSingleSample 0: the single-namespace command runs once for every namespace of the fleet (no extrapolation).
const full = { crds: 50, crsPerCRD: 30, heldPerCRD: 20, coreScale: 1, pods: 12, rsLarge: 56000, rsSmall: 5000, nodes: 15000, repeat: 9, fleet: 1000, fleetActive: 200, fleetRecipeSample: 20, fleetSingleSample: 0 };
const quick = { crds: 8, crsPerCRD: 10, heldPerCRD: 5, coreScale: 0.1, pods: 6, rsLarge: 3000, rsSmall: 500, nodes: 1000, repeat: 1, fleet: 60, fleetActive: 20, fleetRecipeSample: 3, fleetSingleSample: 0 };
const cfg = { ...(opt.quick ? quick : full) };
for (const [flag, key] of [['repeat', 'repeat'], ['crds', 'crds'], ['rs-large', 'rsLarge'], ['rs-small', 'rsSmall'], ['nodes', 'nodes'], ['fleet', 'fleet'], ['fleet-active', 'fleetActive'], ['fleet-recipe-sample', 'fleetRecipeSample'], ['fleet-single-sample', 'fleetSingleSample']]) {
  if (opt[flag] !== undefined) cfg[key] = Number(opt[flag]);
}
const only = new Set(opt.only.split(','));
const CONCURRENCY_SWEEP = [2, 4, 8, 16, 32];

const started = Date.now();
const log = (msg) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);

// (e) runs on a control plane of its own (a second state dir): the other scenarios leave namespaces Terminating that
// --all would count, and (e)'s broken APIService would add a blocker to (a).
const baseStateDir = opt['state-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ns-doctor-bench-'));
let stateDir = baseStateDir;
/** @type {Record<string, string | undefined>} */
let cpEnv = { ...process.env, NS_DOCTOR_STATE_DIR: stateDir };
function useStateDir(dir) {
  stateDir = dir;
  cpEnv = { ...process.env, NS_DOCTOR_STATE_DIR: dir };
}
let adminClient;
const TOOL_USER = 'bench-ns-doctor';
const RECIPE_USER = 'bench-recipe';

async function sh(script, args, env = cpEnv) {
  const r = await exec('bash', [script, ...args], { env });
  if (r.code !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout.trim();
}

async function startControlPlane() {
  const auditPolicy = path.join(stateDir, 'bench-audit-policy.yaml');
  const auditLog = path.join(stateDir, 'bench-audit.log');
  fs.mkdirSync(stateDir, { recursive: true });
  // Only the two contenders are audited: the loader's tens of thousands of creates would otherwise slow the server.
  fs.writeFileSync(
    auditPolicy,
    [
      'apiVersion: audit.k8s.io/v1',
      'kind: Policy',
      'omitStages: ["RequestReceived"]',
      'rules:',
      `- level: Metadata`,
      `  users: ["${TOOL_USER}", "${RECIPE_USER}"]`,
      '- level: None',
      '',
    ].join('\n'),
  );
  fs.rmSync(auditLog, { force: true });
  log(`starting the control plane in ${stateDir}`);
  await sh(path.join(cp, 'up.sh'), [], {
    ...cpEnv,
    NS_DOCTOR_APISERVER_EXTRA_ARGS: `--audit-policy-file=${auditPolicy} --audit-log-path=${auditLog} --audit-log-maxsize=0 --audit-log-mode=blocking`,
    // Only the namespace controller: it writes the deletion conditions of scenario (a); nothing else adds noise.
    NS_DOCTOR_KCM_CONTROLLERS: 'namespace-controller',
  });
  const env = Object.fromEntries(
    fs.readFileSync(path.join(stateDir, 'env'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
  const toolKubeconfig = await sh(path.join(cp, 'lib/user-kubeconfig.sh'), [TOOL_USER, 'system:masters']);
  const recipeKubeconfig = await sh(path.join(cp, 'lib/user-kubeconfig.sh'), [RECIPE_USER, 'system:masters']);
  return { binDir: env.BIN_DIR, apiserverPort: Number(env.APISERVER_PORT), adminKubeconfig: path.join(stateDir, 'kubeconfig'), toolKubeconfig, recipeKubeconfig, auditLog };
}

async function stopControlPlane() {
  if (opt['keep-cluster']) {
    log(`control plane left running: NS_DOCTOR_STATE_DIR=${stateDir} bash scripts/control-plane/down.sh`);
    return;
  }
  // A state dir the benchmark made itself holds hundreds of MB of etcd data: remove it.
  await exec('bash', [path.join(cp, 'down.sh'), ...(opt['state-dir'] ? [] : ['--purge'])], { env: cpEnv });
  log(opt['state-dir'] ? `control plane stopped (state kept in ${stateDir})` : 'control plane stopped');
}

async function ensureBuilt() {
  const cli = path.join(repo, 'dist/cli.cjs');
  if (!fs.existsSync(cli)) {
    log('dist/cli.cjs missing: npm run build');
    const r = await exec(process.execPath, [path.join(repo, 'scripts/build.mjs')], { env: process.env });
    if (r.code !== 0) throw new Error(`build failed:\n${r.stderr}`);
  }
  return cli;
}

async function main() {
  if (!fs.existsSync('/usr/bin/time')) throw new Error('GNU time is needed for peak RSS: apt-get install time');
  const cli = await ensureBuilt();
  const results = { config: cfg, machine: machine(), runs: {} };
  /** @type {[string, (cli: string, results: any) => Promise<void>][]} */
  const sets = [['abcd', measureAll], ['e', measureFleet]];
  for (const [set, measureSet] of sets) {
    if (![...set].some((x) => only.has(x))) continue;
    if (set === 'e' && stateDir === baseStateDir && [...'abcd'].some((x) => only.has(x))) useStateDir(`${baseStateDir}-fleet`);
    try {
      await measureSet(cli, results);
    } finally {
      adminClient?.close();
      adminClient = undefined;
      await stopControlPlane();
    }
  }
  const table = figures(results);
  results.table = table;
  results.totalSeconds = (Date.now() - started) / 1000;
  results.machine.loadAtEnd = os.loadavg().map((x) => +x.toFixed(2));
  const md = renderMarkdown(results);
  process.stdout.write(`\n${[md.main, md.fleet].filter(Boolean).join('\n\n')}\n`);
  if (opt['json-out']) fs.writeFileSync(opt['json-out'], JSON.stringify(results, null, 2));
  if (opt['write-docs']) writeDocs(md);
}

/** Starts a control plane and what every measurement needs: a private copy of the CLI, the admin client, the audit log. */
async function setUp(builtCli, results) {
  const k = await startControlPlane();
  // A private copy: a rebuild of dist/ during the run must not mix two versions of the tool in one table.
  const cli = path.join(stateDir, 'cli.cjs');
  fs.copyFileSync(builtCli, cli);
  fs.copyFileSync(path.join(path.dirname(builtCli), 'ns-doctor.cjs'), path.join(stateDir, 'ns-doctor.cjs'));
  fs.chmodSync(cli, 0o755); // run as npm installs it: through its shebang, which carries the heap flags
  results.cliSha256 = createHash('sha256').update(fs.readFileSync(path.join(stateDir, 'ns-doctor.cjs'))).digest('hex').slice(0, 12);
  const admin = (adminClient = new Client(loadCredentials(k.adminKubeconfig)));
  const pids = Object.fromEntries(
    fs.readFileSync(path.join(stateDir, 'pids'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')),
  );
  const serverPids = { 'kube-apiserver': pids['kube-apiserver'], etcd: pids.etcd };
  const ctx = { admin, audit: new AuditLog(k.auditLog), serverPids };
  const kubectl = path.join(k.binDir, 'kubectl');
  // The bundle's shebang (env -S node …) finds node on PATH: make it the Node running this benchmark.
  const toolEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, KUBECONFIG: k.toolKubeconfig, NO_COLOR: '1' };
  return { k, cli, admin, ctx, kubectl, toolEnv };
}

async function measureAll(builtCli, results) {
  const { k, cli, admin, ctx, kubectl, toolEnv } = await setUp(builtCli, results);

  const nsDoctor = (label, ns) =>
    measure(ctx, { label, username: TOOL_USER, cmd: cli, args: [ns, '-o', 'json'], env: toolEnv, json: true });
  const repeatNsDoctor = async (label, ns, n) => {
    // One unrecorded run first: the first reads of a namespace warm the server's caches and the page cache.
    await nsDoctor(label, ns);
    const runs = [];
    for (let i = 0; i < n; i++) {
      const r = await nsDoctor(label, ns);
      log(`  ${label} #${i + 1}: ${fmtMs(r.wallMs)}, ${r.audit.requests} requests, ${fmtBytes(r.server.responseBytes)}, RSS ${r.maxRssMB?.toFixed(0)} MB, exit ${r.exitCode}${r.report ? ` (${r.report.verdict})` : ''}`);
      if (r.exitCode !== 0 && r.exitCode !== 1 && r.exitCode !== 2) log(`  stderr: ${r.stderrTail}`);
      runs.push(r);
    }
    return runs;
  };

  const stuckNs = 'bench-stuck';
  if (only.has('a') || only.has('c') || only.has('d')) {
    log(`(a) building ${stuckNs}: ${cfg.crds} CRDs x ${cfg.crsPerCRD} CRs, core objects x${cfg.coreScale}, ${cfg.pods} pods`);
    const t = Date.now();
    const nodeNames = ['bench-bad-node-0', 'bench-bad-node-1', 'bench-bad-node-2'];
    const content = await sc.buildStuckNamespace(admin, stuckNs, { ...cfg, nodeNames, log });
    log(`  built in ${fmtMs(Date.now() - t)}; deleting the namespace and waiting for the namespace controller's verdict`);
    await sc.deleteNamespace(admin, stuckNs);
    await waitFor(
      'deletion conditions on bench-stuck',
      async () => {
        const ns = await admin.get(`/api/v1/namespaces/${stuckNs}`);
        // 1.34 deletes pods first (OrderedNamespaceDeletion): pods stuck on dead nodes hold back everything else.
        return ns.status?.conditions?.some(
          (c) => ['NamespaceDeletionContentFailure', 'NamespaceFinalizersRemaining'].includes(c.type) && c.status === 'True',
        );
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    // The controller retries with backoff; its passes would blur the server-side counters of each contender.
    await sh(path.join(cp, 'lib/kcm.sh'), ['stop']);
    log('  namespace controller wrote its conditions; kube-controller-manager stopped for the measurements');
    results.runs.stuckContent = content;

    const floor = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await exec(cli, ['--version'], { env: toolEnv });
      floor.push(performance.now() - t0);
    }
    results.runs.startupFloorMs = median(floor);
    log(`  ns-doctor --version (process start floor): ${fmtMs(results.runs.startupFloorMs)}`);

    results.runs.nsDoctorA = await repeatNsDoctor('ns-doctor (a)', stuckNs, cfg.repeat);

    const shimDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-doctor-bench-shim-'));
    fs.writeFileSync(path.join(shimDir, 'kubectl-ns_doctor'), `#!/bin/sh\nexec ${JSON.stringify(cli)} "$@"\n`, { mode: 0o755 });
    results.runs.shim = await measure(ctx, {
      label: 'kubectl ns-doctor (plugin)',
      username: TOOL_USER,
      cmd: kubectl,
      args: ['ns-doctor', stuckNs, '-o', 'json'],
      env: { ...toolEnv, PATH: `${shimDir}:${k.binDir}:${process.env.PATH}` },
      json: true,
    });
    log(`  kubectl ns-doctor (plugin): ${fmtMs(results.runs.shim.wallMs)}, ${results.runs.shim.audit.requests} requests`);
    fs.rmSync(shimDir, { recursive: true, force: true });

    if (!opt['skip-recipe']) {
      results.runs.recipe = [];
      for (let i = 0; i < Math.min(3, cfg.repeat); i++) {
        // A fresh HOME each time: kubectl starts with an empty discovery cache, as on a new laptop or CI runner.
        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-doctor-bench-recipe-'));
        log('  running the classic recipe (kubectl api-resources | xargs -n 1 kubectl get)');
        const rec = await measure(ctx, {
          label: 'classic recipe',
          username: RECIPE_USER,
          cmd: 'bash',
          args: ['-c', `set -o pipefail; kubectl api-resources --verbs=list --namespaced -o name | xargs -n 1 kubectl get --show-kind --ignore-not-found -n ${stuckNs}`],
          env: { ...process.env, PATH: `${k.binDir}:${process.env.PATH}`, KUBECONFIG: k.recipeKubeconfig, HOME: home },
        });
        log(`  recipe: ${fmtMs(rec.wallMs)}, ${rec.audit.requests} requests, ${fmtBytes(rec.server.responseBytes)}, ${rec.stdoutLines} lines, exit ${rec.exitCode}`);
        fs.rmSync(home, { recursive: true, force: true });
        results.runs.recipe.push(rec);
      }
    }
  }

  const rtt = Number(opt['rtt-ms']);
  if (only.has('a') && rtt > 0) {
    // (a) again as over a network: every byte crosses a relay that adds half the round trip each way.
    const proxy = await startLatencyProxy(k.apiserverPort, rtt);
    const via = (kc) => {
      const file = `${kc}.rtt${rtt}`;
      fs.writeFileSync(file, fs.readFileSync(kc, 'utf8').replace(`https://127.0.0.1:${k.apiserverPort}`, `https://127.0.0.1:${proxy.port}`), { mode: 0o600 });
      return file;
    };
    try {
      const toolViaProxy = { ...toolEnv, KUBECONFIG: via(k.toolKubeconfig) };
      log(`(a) over a simulated ${rtt} ms round trip`);
      results.runs.nsDoctorRtt = [];
      for (let i = 0; i < Math.min(5, cfg.repeat); i++) {
        const r = await measure(ctx, { label: `ns-doctor (a, ${rtt} ms RTT)`, username: TOOL_USER, cmd: cli, args: [stuckNs, '-o', 'json'], env: toolViaProxy, json: true });
        log(`  ns-doctor, ${rtt} ms RTT: ${fmtMs(r.wallMs)}, ${r.audit.requests} requests, exit ${r.exitCode}`);
        results.runs.nsDoctorRtt.push(r);
      }
      // The concurrency limit (--concurrency, default 8) chosen from these: time against the seats a client holds in
      // the server's API Priority and Fairness queues.
      results.runs.concurrency = [];
      for (const concurrency of CONCURRENCY_SWEEP) {
        const series = { concurrency, loopback: [], rtt: [] };
        /** @type {[string, Record<string, string>, number][]} */
        const variants = [['loopback', toolEnv, Math.min(5, cfg.repeat)], ['rtt', toolViaProxy, Math.min(3, cfg.repeat)]];
        for (const [key, env, n] of variants) {
          for (let i = 0; i < n; i++) {
            const r = await measure(ctx, { label: `ns-doctor (a, --concurrency ${concurrency}, ${key})`, username: TOOL_USER, cmd: cli, args: [stuckNs, '-o', 'json', '--concurrency', String(concurrency)], env, json: true });
            series[key].push(r.wallMs);
          }
        }
        log(`  --concurrency ${concurrency}: loopback ${fmtMs(median(series.loopback))}, ${rtt} ms RTT ${fmtMs(median(series.rtt))}`);
        results.runs.concurrency.push(series);
      }
      if (!opt['skip-recipe']) {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-doctor-bench-recipe-'));
        const r = await measure(ctx, {
          label: `classic recipe (${rtt} ms RTT)`,
          username: RECIPE_USER,
          cmd: 'bash',
          args: ['-c', `set -o pipefail; kubectl api-resources --verbs=list --namespaced -o name | xargs -n 1 kubectl get --show-kind --ignore-not-found -n ${stuckNs}`],
          env: { ...process.env, PATH: `${k.binDir}:${process.env.PATH}`, KUBECONFIG: via(k.recipeKubeconfig), HOME: home },
        });
        fs.rmSync(home, { recursive: true, force: true });
        log(`  recipe, ${rtt} ms RTT: ${fmtMs(r.wallMs)}, ${r.audit.requests} requests, exit ${r.exitCode}`);
        results.runs.recipeRtt = [r];
      }
    } finally {
      await proxy.close();
    }
  }

  if (only.has('c')) {
    // The baseline is taken right before the nodes appear, so both series see the same machine load.
    results.runs.nsDoctorC0 = await repeatNsDoctor('ns-doctor (c, baseline)', stuckNs, cfg.repeat);
    log(`(c) creating ${cfg.nodes} Node objects`);
    const t = Date.now();
    await sc.createNodes(admin, cfg.nodes, 'bench-scale-node', log);
    log(`  created in ${fmtMs(Date.now() - t)}`);
    results.runs.nsDoctorC = await repeatNsDoctor(`ns-doctor (c, +${cfg.nodes} nodes)`, stuckNs, cfg.repeat);
    // A baseline before and one after (A-B-A): a drift in the machine's load between the series shows up in the two
    // baselines instead of being read as an effect of the nodes.
    log(`(c) deleting the ${cfg.nodes} Node objects`);
    await sc.deleteScaleNodes(admin);
    await sleep(5000); // the server's own work after a mass delete (watch events, cache) settles first
    results.runs.nsDoctorC1 = await repeatNsDoctor('ns-doctor (c, baseline after the nodes)', stuckNs, cfg.repeat);
  }

  if (only.has('b')) {
    // No namespace controller: it would start deleting the ReplicaSets while ns-doctor reads them.
    await sh(path.join(cp, 'lib/kcm.sh'), ['stop']);
    /** @type {[string, number][]} */
    const sizes = [['rsSmall', cfg.rsSmall], ['rsLarge', cfg.rsLarge]];
    for (const [key, count] of sizes) {
      const ns = `bench-rs-${count}`;
      log(`(b) building ${ns} with ${count} ReplicaSets`);
      const t = Date.now();
      const content = await sc.buildReplicaSetNamespace(admin, ns, count, log);
      log(`  built in ${fmtMs(Date.now() - t)} (${Math.round(count / ((Date.now() - t) / 1000))} ReplicaSets/s)`);
      await sc.deleteNamespace(admin, ns);
      results.runs[key] = { content, runs: await repeatNsDoctor(`ns-doctor (b, ${count} RS)`, ns, Math.min(cfg.repeat, 2)) };
    }
  }
}

// (e) --all on a fleet of stuck namespaces, in waves of 10, 100 and all: the request count at each size shows what
// grows with namespaces; the single-namespace command once per namespace and the classic recipe per namespace run
// side by side on the same cluster after the last wave.
async function measureFleet(builtCli, results) {
  const { cli, admin, ctx, kubectl, toolEnv, k } = await setUp(builtCli, results);
  const N = cfg.fleet;
  log(`(e) building ${N} namespaces to be deleted and ${cfg.fleetActive} Active ones, ~20 objects of 5 kinds each`);
  const t = Date.now();
  results.runs.fleetContent = await sc.buildFleet(admin, { terminating: N, active: cfg.fleetActive, log });
  log(`  built in ${fmtMs(Date.now() - t)}: ${JSON.stringify(results.runs.fleetContent)}`);
  const waves = [...new Set([10, 100, N].filter((w) => w <= N))];
  results.runs.fleetWaves = [];
  let deleted = 0;
  const all = (label, extra = []) => measure(ctx, { label, username: TOOL_USER, cmd: cli, args: ['--all', ...extra], env: toolEnv, json: !extra.length || extra.includes('json') });
  for (const wave of waves) {
    await sh(path.join(cp, 'lib/kcm.sh'), ['restart', 'namespace-controller']);
    log(`(e) deleting namespaces ${deleted}..${wave - 1}; the namespace controller acts on them`);
    const t1 = Date.now();
    await sc.deleteFleet(admin, deleted, wave, log);
    deleted = wave;
    // The controller retries every blocked namespace with backoff: stopped, so only the contender talks to the server.
    await sh(path.join(cp, 'lib/kcm.sh'), ['stop']);
    log(`  ${wave} Terminating after ${fmtMs(Date.now() - t1)}; kube-controller-manager stopped for the measurements`);
    await all('warm-up', ['-o', 'json']);
    const runs = [];
    const n = wave === N ? Math.min(cfg.repeat, 5) : Math.min(cfg.repeat, 3);
    for (let i = 0; i < n; i++) {
      const r = await all(`ns-doctor --all (${wave} Terminating)`, ['-o', 'json']);
      log(`  --all, ${wave} Terminating #${i + 1}: ${fmtMs(r.wallMs)}, ${r.audit.requests} requests (${r.audit.lists} LISTs), ${fmtBytes(r.server.responseBytes)}, RSS ${r.maxRssMB?.toFixed(0)} MB, etcd LISTs ${r.server.etcdListsOwn}${r.server.etcdListsOwn ? ` ${JSON.stringify(r.server.etcdListsOwnByResource)}, watch cache initializations ${JSON.stringify(r.server.watchCacheInitializations)}, consistent-read fallbacks ${r.server.consistentReadFallbacks}` : ''}${r.server.consistencyChecks ? `, server consistency checks (etcd lists not counted) ${r.server.consistencyChecks}` : ''}, exit ${r.exitCode}`);
      if (r.exitCode !== 1) log(`  stderr: ${r.stderrTail}`);
      runs.push(r);
    }
    const groups = runs[0].report?.groups?.map((g) => ({ key: g.key, namespaces: g.namespaces.length, ids: g.blockerIds })) ?? [];
    const verdicts = {};
    for (const item of runs[0].report?.items ?? []) verdicts[item.verdict] = (verdicts[item.verdict] ?? 0) + 1;
    results.runs.fleetWaves.push({ namespaces: wave, runs: runs.map(slim), groups, verdicts, byResource: runs[0].audit.byResource });
    log(`  groups: ${groups.map((g) => `${g.namespaces} × ${g.key}`).join('; ')}`);
  }
  const text = await all('ns-doctor --all (text)', ['--no-color']);
  results.runs.fleetText = { lines: text.stdoutLines, head: text.stdoutHead, wallMs: text.wallMs };

  // Side by side, same cluster: the single-namespace command once per namespace, and the recipe per namespace.
  const names = Array.from({ length: N }, (_, i) => sc.fleetName(i));
  const sample = (count) => (count > 0 && count < N ? Array.from({ length: count }, (_, j) => names[(j * (Math.floor(N / count) + 1)) % N]) : names);
  const singles = sample(cfg.fleetSingleSample);
  const listFile = path.join(stateDir, 'fleet-single.txt');
  fs.writeFileSync(listFile, singles.join('\n') + '\n');
  log(`(e) the single-namespace command once for each of ${singles.length} namespaces${singles.length < N ? ' (a sample)' : ''}`);
  const single = await measure(ctx, {
    label: 'single-namespace command per namespace', username: TOOL_USER, cmd: 'bash',
    args: ['-c', `while read -r ns; do ${JSON.stringify(cli)} "$ns" -o json >/dev/null || true; done < ${JSON.stringify(listFile)}`],
    env: toolEnv,
  });
  log(`  ${fmtMs(single.wallMs)}, ${single.audit.requests} requests, etcd LISTs ${single.server.etcdListsOwn}`);
  results.runs.fleetSingle = { ...slim(single), namespaces: singles.length, of: N };
  const recipeNames = sample(cfg.fleetRecipeSample);
  const recipeFile = path.join(stateDir, 'fleet-recipe.txt');
  fs.writeFileSync(recipeFile, recipeNames.join('\n') + '\n');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-doctor-bench-recipe-'));
  log(`(e) the classic recipe for each of ${recipeNames.length} namespaces${recipeNames.length < N ? ' (a sample)' : ''}: ${recipeNames.join(', ')}`);
  const recipe = await measure(ctx, {
    label: 'classic recipe per namespace', username: RECIPE_USER, cmd: 'bash',
    args: ['-c', `while read -r ns; do kubectl api-resources --verbs=list --namespaced -o name | xargs -n 1 kubectl get --show-kind --ignore-not-found -n "$ns" >/dev/null; done < ${JSON.stringify(recipeFile)}`],
    env: { ...process.env, PATH: `${k.binDir}:${process.env.PATH}`, KUBECONFIG: k.recipeKubeconfig, HOME: home },
  });
  fs.rmSync(home, { recursive: true, force: true });
  log(`  ${fmtMs(recipe.wallMs)}, ${recipe.audit.requests} requests, etcd LISTs ${recipe.server.etcdListsOwn}`);
  results.runs.fleetRecipe = { ...slim(recipe), namespaces: recipeNames.length, of: N };
  void kubectl;
}

/** A run without its parsed report and audit detail: a thousand reports are megabytes in --json-out. */
function slim(r) {
  return {
    wallMs: r.wallMs, maxRssMB: r.maxRssMB, cpuSeconds: r.cpuSeconds, exitCode: r.exitCode, serverCpuSeconds: r.serverCpuSeconds,
    stdoutBytes: r.stdoutBytes,
    audit: { requests: r.audit.requests, lists: r.audit.lists, listsWithoutCacheRV: r.audit.listsWithoutCacheRV.length },
    server: { responseBytes: r.server.responseBytes, etcdListsOwn: r.server.etcdListsOwn, etcdListsOwnByResource: r.server.etcdListsOwnByResource, etcdCounts: r.server.etcdCounts, watchCacheInitializations: r.server.watchCacheInitializations, consistentReadFallbacks: r.server.consistentReadFallbacks, consistencyChecks: r.server.consistencyChecks },
  };
}

// ---------------------------------------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus();
  return {
    nproc: cpus.length,
    cpuModel: cpus[0]?.model?.trim(),
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
    // Other work on this shared machine moves the times: the 1/5/15-minute load averages at the start and the end.
    loadAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

const fmtMs = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const fmtBytes = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`);
const ratio = (a, b) => (b > 0 ? a / b : NaN);

const agg = (runs) => {
  if (!runs?.length) return undefined;
  const pick = (f) => median(runs.map(f));
  return {
    n: runs.length,
    wallMs: pick((r) => r.wallMs),
    bestWallMs: Math.min(...runs.map((r) => r.wallMs)),
    maxRssMB: Math.max(...runs.map((r) => r.maxRssMB ?? 0)),
    requests: pick((r) => r.audit.requests),
    lists: pick((r) => r.audit.lists),
    bytes: pick((r) => r.server.responseBytes),
    serverRequests: pick((r) => r.server.requests),
    etcdLists: Math.max(...runs.map((r) => r.server.etcdListsOwn)),
    etcdListsByResource: runs[0].server.etcdListsOwnByResource,
    listsWithoutCacheRV: runs[0].audit.listsWithoutCacheRV,
    clusterScopedLists: runs[0].audit.clusterScopedLists,
    cacheLists: pick((r) => r.server.cacheLists),
    cpuSeconds: pick((r) => r.cpuSeconds),
    apiserverCpuSeconds: pick((r) => r.serverCpuSeconds?.['kube-apiserver'] ?? NaN),
    etcdCpuSeconds: pick((r) => r.serverCpuSeconds?.etcd ?? NaN),
    reportRequests: pick((r) => r.report?.stats?.requests ?? NaN),
    reportDurationMs: pick((r) => r.report?.stats?.durationMs ?? NaN),
    consistentReads: pick((r) => r.server.consistentReads),
    verdict: runs[0].report?.verdict,
    blockers: runs[0].report?.blockers?.map((b) => b.id),
    exitCodes: [...new Set(runs.map((r) => r.exitCode))],
  };
};

function figures(results) {
  const r = results.runs;
  const A = agg(r.nsDoctorA);
  const C = agg(r.nsDoctorC);
  const C0 = agg([...(r.nsDoctorC0 ?? []), ...(r.nsDoctorC1 ?? [])]);
  const C0before = agg(r.nsDoctorC0);
  const C0after = agg(r.nsDoctorC1);
  const S = agg(r.rsSmall?.runs);
  const L = agg(r.rsLarge?.runs);
  const recipe = agg(r.recipe);
  const shim = r.shim && agg([r.shim]);
  const within = (x, base) => Math.abs(x - base) <= 0.1 * base;
  const out = { A, C, C0, C0before, C0after, S, L, recipe, shim, targets: [] };
  if (A && recipe) {
    out.speedup = ratio(recipe.wallMs, A.wallMs);
    out.requestRatio = ratio(recipe.requests, A.requests);
    out.byteRatio = ratio(recipe.bytes, A.bytes);
    out.targets.push({ id: 'a', what: '≥ 20× faster than the recipe', value: `${out.speedup.toFixed(1)}×`, met: out.speedup >= 20 });
  }
  if (L && S) {
    out.targets.push({ id: 'b1', what: `${cfg.rsLarge} ReplicaSets in < 60 s`, value: fmtMs(L.wallMs), met: L.wallMs < 60_000 });
    out.targets.push({ id: 'b2', what: `peak RSS < 300 MB at ${cfg.rsLarge}`, value: `${L.maxRssMB.toFixed(0)} MB`, met: L.maxRssMB < 300 });
    out.targets.push({ id: 'b3', what: `RSS < 2× the ${cfg.rsSmall} figure`, value: `${(L.maxRssMB / S.maxRssMB).toFixed(2)}×`, met: L.maxRssMB < 2 * S.maxRssMB });
  }
  if (C0 && C) {
    // Time on a shared 2-core machine moves ±15% from run to run: compare medians of several runs, and CPU.
    const ok = within(C.requests, C0.requests) && within(C.bytes, C0.bytes) && within(C.wallMs, C0.wallMs);
    out.targets.push({
      id: 'c',
      what: `cost with +${cfg.nodes} nodes within 10%`,
      value: `requests ${pct(C.requests, C0.requests)}, bytes ${pct(C.bytes, C0.bytes)}, median time of ${C.n} ${pct(C.wallMs, C0.wallMs)} against the ${C0.n} baseline runs before and after (best ${pct(C.bestWallMs, C0.bestWallMs)}), client CPU ${pct(C.cpuSeconds, C0.cpuSeconds)}`,
      met: ok,
    });
  }
  const fleet = fleetFigures(r);
  if (fleet) {
    out.fleet = fleet;
    const last = fleet.waves.at(-1);
    out.targets.push({ id: 'e1', what: `--all on ${last.namespaces} Terminating namespaces in < 10 s (loopback)`, value: fmtMs(last.wallMs), met: last.wallMs < 10_000 });
    out.targets.push({ id: 'e2', what: `peak RSS < 300 MB at ${last.namespaces}`, value: `${last.maxRssMB.toFixed(0)} MB`, met: last.maxRssMB < 300 });
    out.targets.push({
      id: 'e3',
      what: 'requests grow with types and findings, not namespaces × types',
      value: `${fleet.waves.map((w) => `${w.requests} at ${w.namespaces}`).join(', ')} (one namespace at a time: ${fleet.singleRequests} for ${fleet.single.namespaces})`,
      met: last.requests < fleet.singleRequests / 10,
    });
    out.targets.push({ id: 'e4', what: 'etcd-served LISTs of --all', value: String(Math.max(...fleet.waves.map((w) => w.etcdLists))), met: fleet.waves.every((w) => w.etcdLists === 0) });
    out.targets.push({ id: 'e5', what: '≥ 20× faster than the single-namespace command once per namespace', value: `${fleet.singleSpeedup.toFixed(1)}×`, met: fleet.singleSpeedup >= 20 });
    out.targets.push({ id: 'e6', what: '≥ 20× faster than the classic recipe per namespace', value: `${fleet.recipeSpeedup.toFixed(1)}×${fleet.recipe.namespaces < fleet.recipe.of ? ' (extrapolated from a sample)' : ''}`, met: fleet.recipeSpeedup >= 20 });
  }
  const etcdLists = [A, C0, C, S, L].filter(Boolean).map((x) => x.etcdLists);
  if (etcdLists.length) {
    const worst = Math.max(...etcdLists);
    out.targets.push({ id: 'd', what: 'LISTs served by etcd instead of the watch cache', value: String(worst), met: worst === 0 });
  }
  return out;
}

function fleetFigures(r) {
  if (!r.fleetWaves?.length) return undefined;
  const waves = r.fleetWaves.map((w) => ({
    namespaces: w.namespaces,
    n: w.runs.length,
    wallMs: median(w.runs.map((x) => x.wallMs)),
    bestWallMs: Math.min(...w.runs.map((x) => x.wallMs)),
    maxRssMB: Math.max(...w.runs.map((x) => x.maxRssMB ?? 0)),
    requests: median(w.runs.map((x) => x.audit.requests)),
    lists: median(w.runs.map((x) => x.audit.lists)),
    bytes: median(w.runs.map((x) => x.server.responseBytes)),
    cpuSeconds: median(w.runs.map((x) => x.cpuSeconds)),
    apiserverCpuSeconds: median(w.runs.map((x) => x.serverCpuSeconds?.['kube-apiserver'] ?? NaN)),
    etcdLists: Math.max(...w.runs.map((x) => x.server.etcdListsOwn)),
    groups: w.groups,
    verdicts: w.verdicts,
  }));
  const last = waves.at(-1);
  const single = r.fleetSingle;
  const recipe = r.fleetRecipe;
  // A sample is scaled to the whole fleet, linearly: each namespace costs about the same to a per-namespace tool.
  const scale = (x) => x.wallMs * (x.of / x.namespaces);
  return {
    waves,
    single,
    recipe,
    singleWallMs: scale(single),
    recipeWallMs: scale(recipe),
    singleRequests: Math.round(single.audit.requests * (single.of / single.namespaces)),
    recipeRequests: Math.round(recipe.audit.requests * (recipe.of / recipe.namespaces)),
    singleSpeedup: scale(single) / last.wallMs,
    recipeSpeedup: scale(recipe) / last.wallMs,
  };
}

const pct = (x, base) => `${x >= base ? '+' : ''}${(((x - base) / base) * 100).toFixed(1)}%`;

function renderMarkdown(results) {
  const t = results.table;
  const m = results.machine;
  const lines = [];
  lines.push(`ns-doctor build: \`dist/ns-doctor.cjs\` sha256 ${results.cliSha256}…`, '');
  lines.push(`Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.kernel}, Node ${m.node}; Kubernetes v1.34.4 (kube-apiserver + etcd v3.6.16 on loopback). Load average (1, 5, 15 min) ${m.loadAtStart?.join(' / ')} at the start, ${m.loadAtEnd?.join(' / ')} at the end (the machine is shared).`);
  const argv = process.argv.slice(2).join(' ');
  lines.push('');
  lines.push(`Command: \`npm run bench${argv ? ` -- ${argv}` : ''}\` (whole run ${results.totalSeconds.toFixed(0)} s). Requests: the API server's audit events for the contender's own user. Bytes: the server's \`apiserver_response_sizes\` sum over the contender's window. etcd-served LISTs: the server's \`etcd_requests_total{operation="list"}\` over the same window (1.34 answers a consistent LIST without resourceVersion from the watch cache; it is not counted there).`);
  lines.push('');
  const header = [...lines];
  const fleetLines = [...header, ...renderFleetMarkdown(results)];
  if (![...'abcd'].some((x) => only.has(x))) return { main: '', fleet: fleetLines.join('\n') };
  lines.push('| run | wall time | requests (LIST) | bytes received | peak RSS | client CPU | API server CPU | etcd-served LISTs | verdict |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const cpu = (s) => (Number.isFinite(s) ? `${s.toFixed(2)} s` : '–');
  const row = (name, x) =>
    x && lines.push(`| ${name} | ${fmtMs(x.wallMs)} | ${x.requests} (${x.lists}) | ${fmtBytes(x.bytes)} | ${x.maxRssMB ? `${x.maxRssMB.toFixed(0)} MB` : '–'} | ${cpu(x.cpuSeconds)} | ${cpu(x.apiserverCpuSeconds)} | ${x.etcdLists} | ${x.verdict ?? `exit ${x.exitCodes.join(',')}`} |`);
  const c = results.runs.stuckContent;
  const objs = c ? c.customResources + Object.values(c.core).reduce((a, b) => a + b, 0) + c.pods : 0;
  if (t.A) row(`(a) ns-doctor, stuck ns (${cfg.crds} CRDs, ${objs} objects), median of ${t.A?.n}`, t.A);
  row('(a) `kubectl ns-doctor` via the plugin shim', t.shim);
  row(`(a) classic recipe \`api-resources \\| xargs kubectl get\`, median of ${t.recipe?.n}`, t.recipe);
  row(`(a) ns-doctor over a simulated ${opt['rtt-ms']} ms round trip, median of ${results.runs.nsDoctorRtt?.length}`, agg(results.runs.nsDoctorRtt));
  row(`(a) classic recipe over a simulated ${opt['rtt-ms']} ms round trip`, agg(results.runs.recipeRtt));
  row(`(c) ns-doctor, same ns, baseline just before the nodes, median of ${t.C0before?.n}`, t.C0before);
  row(`(c) ns-doctor, same ns, +${cfg.nodes} Node objects, median of ${t.C?.n}`, t.C);
  row(`(c) ns-doctor, same ns, baseline after the nodes are deleted, median of ${t.C0after?.n}`, t.C0after);
  row(`(b) ns-doctor, ${cfg.rsSmall} ReplicaSets`, t.S);
  row(`(b) ns-doctor, ${cfg.rsLarge} ReplicaSets`, t.L);
  lines.push('');
  const rttTool = agg(results.runs.nsDoctorRtt);
  const rttRecipe = agg(results.runs.recipeRtt);
  if (rttTool && rttRecipe) lines.push(`Over a ${opt['rtt-ms']} ms round trip: recipe ÷ ns-doctor = **${ratio(rttRecipe.wallMs, rttTool.wallMs).toFixed(1)}× the wall time**.`, '');
  if (t.speedup) lines.push(`Recipe ÷ ns-doctor: **${t.speedup.toFixed(1)}× the wall time, ${t.requestRatio.toFixed(1)}× the requests, ${t.byteRatio.toFixed(1)}× the bytes**.`, '');
  const sweep = results.runs.concurrency;
  if (sweep?.length) {
    lines.push(`\`--concurrency\` (requests in flight; default 8), ns-doctor on (a), median wall time:`, '');
    lines.push(`| --concurrency | ${sweep.map((x) => x.concurrency).join(' | ')} |`, `|---|${sweep.map(() => '---:').join('|')}|`);
    lines.push(`| loopback (median of ${sweep[0].loopback.length}) | ${sweep.map((x) => fmtMs(median(x.loopback))).join(' | ')} |`);
    lines.push(`| ${opt['rtt-ms']} ms round trip (median of ${sweep[0].rtt.length}) | ${sweep.map((x) => fmtMs(median(x.rtt))).join(' | ')} |`, '');
  }
  if (results.runs.startupFloorMs) {
    lines.push(`ns-doctor's own floor: starting the process and printing \`--version\` takes ${fmtMs(results.runs.startupFloorMs)}; the diagnosis itself (the report's \`stats.durationMs\`) took ${fmtMs(t.A?.reportDurationMs)} in (a) and ${fmtMs(t.L?.reportDurationMs ?? NaN)} at ${cfg.rsLarge} ReplicaSets.`, '');
  }
  lines.push('| target | measured | met |', '|---|---|---|');
  for (const x of t.targets.filter((x) => !x.id.startsWith('e'))) lines.push(`| (${x.id}) ${x.what} | ${x.value} | ${x.met ? 'yes' : '**no**'} |`);
  const etcd = [t.A, t.C, t.S, t.L].filter((x) => x?.etcdLists);
  if (etcd.length) {
    lines.push('', 'etcd-served LISTs by resource (first run of each):');
    for (const x of etcd) lines.push(`- ${JSON.stringify(x.etcdListsByResource)}`);
  }
  for (const [name, x] of [['(a)', t.A], [`(b) ${cfg.rsLarge}`, t.L]]) {
    if (!x?.listsWithoutCacheRV) continue;
    const pages = x.listsWithoutCacheRV.filter((l) => l.continue).length;
    const consistent = x.listsWithoutCacheRV.filter((l) => !l.continue);
    lines.push('', `ns-doctor ${name}: ${x.lists} LISTs; ${pages} continuation pages (served from the watch cache's snapshots in 1.34); ${consistent.length} consistent reads without resourceVersion (watch cache after an etcd revision check)${consistent.length ? ':' : '.'}`);
    for (const l of consistent.slice(0, 8)) lines.push(`- \`${decodeURIComponent(l.uri)}\``);
    if (consistent.length > 8) lines.push(`- … and ${consistent.length - 8} more`);
  }
  return { main: lines.join('\n'), fleet: only.has('e') ? fleetLines.join('\n') : '' };
}

function renderFleetMarkdown(results) {
  const t = results.table;
  const lines = [];
  const f = t.fleet;
  if (!f) return lines;
  {
    const content = results.runs.fleetContent;
    lines.push(`(e) \`--all\` on a fleet: ${content.terminating} namespaces deleted in waves of ${f.waves.map((w) => w.namespaces).join(', ')} (${content.causes.apiservice} blocked by the broken APIService only, ${content.causes.finalizer} also by widgets on a finalizer with no controller, ${content.causes.pods} also by pods on a NotReady node) and ${content.active} Active namespaces; ${content.objects} objects of 5 kinds created, before the namespace controller deleted what it could. Its own control plane; kube-controller-manager stopped during the measurements.`, '');
    lines.push('| run | wall time | requests (LIST) | bytes received | peak RSS | client CPU | API server CPU | etcd-served LISTs | groups (namespaces) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    const cpu = (s) => (Number.isFinite(s) ? `${s.toFixed(2)} s` : '–');
    for (const w of f.waves) {
      lines.push(`| (e) \`ns-doctor --all\`, ${w.namespaces} Terminating, median of ${w.n} | ${fmtMs(w.wallMs)} | ${w.requests} (${w.lists}) | ${fmtBytes(w.bytes)} | ${w.maxRssMB.toFixed(0)} MB | ${cpu(w.cpuSeconds)} | ${cpu(w.apiserverCpuSeconds)} | ${w.etcdLists} | ${w.groups.map((g) => g.namespaces).join(', ')} |`);
    }
    const sideRow = (name, x) => lines.push(`| ${name} | ${fmtMs(x.wallMs)} | ${x.audit.requests} (${x.audit.lists}) | ${fmtBytes(x.server.responseBytes)} | ${x.maxRssMB ? `${x.maxRssMB.toFixed(0)} MB` : '–'} | ${cpu(x.cpuSeconds)} | ${cpu(x.serverCpuSeconds?.['kube-apiserver'])} | ${x.server.etcdListsOwn} | |`);
    sideRow(`(e) single-namespace command once per namespace, ${f.single.namespaces} of ${f.single.of}`, f.single);
    sideRow(`(e) classic recipe per namespace, ${f.recipe.namespaces} of ${f.recipe.of}`, f.recipe);
    lines.push('');
    const scaled = (x, wall) => (x.namespaces < x.of ? `${fmtMs(wall)} extrapolated to ${x.of} namespaces from ${x.namespaces} (×${(x.of / x.namespaces).toFixed(0)})` : fmtMs(wall));
    lines.push(`Side by side at ${f.waves.at(-1).namespaces}: \`--all\` ${fmtMs(f.waves.at(-1).wallMs)}; the single-namespace command once per namespace ${scaled(f.single, f.singleWallMs)} (**${f.singleSpeedup.toFixed(1)}×**); the classic recipe per namespace ${scaled(f.recipe, f.recipeWallMs)} (**${f.recipeSpeedup.toFixed(1)}×**).`, '');
    const byResource = results.runs.fleetWaves.at(-1).byResource;
    lines.push(`Requests of \`--all\` at ${f.waves.at(-1).namespaces}, by resource: ${Object.entries(byResource).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}.`, '');
  }
  lines.push('| target | measured | met |', '|---|---|---|');
  for (const x of t.targets.filter((x) => x.id.startsWith('e'))) lines.push(`| (${x.id}) ${x.what} | ${x.value} | ${x.met ? 'yes' : '**no**'} |`);
  return lines;
}

function writeDocs({ main, fleet }) {
  if (main) writeBetween('<!-- bench:results:start -->', '<!-- bench:results:end -->', main);
  if (fleet) writeBetween('<!-- bench:fleet:start -->', '<!-- bench:fleet:end -->', fleet);
}

function writeBetween(start, end, md) {
  const file = path.join(repo, 'docs/benchmarks.md');
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file}: results markers not found`);
  fs.writeFileSync(file, `${text.slice(0, a + start.length)}\n${md}\n${text.slice(b)}`);
  log(`results written to ${path.relative(repo, file)}`);
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping the control plane`);
    await stopControlPlane();
    process.exit(130);
  });
}

main().catch(async (e) => {
  log(`FAILED: ${e.stack ?? e}`);
  process.exitCode = 1;
});
