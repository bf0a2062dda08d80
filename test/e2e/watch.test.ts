// `kubectl ns-doctor watch` as it runs in a pod: a real ServiceAccount bound to the read-only ClusterRole of
// deploy/kustomize/base, its token minted by the TokenRequest API, the cluster CA, KUBERNETES_SERVICE_HOST/PORT and no
// kubeconfig. Scraped over HTTP while a namespace is broken, changes cause and is repaired.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../tools/promparse.js';
import { auditEvents, auditOffset, cluster, kubectl, kubectlJson, kubectlOk, nsDoctor, waitFor } from './harness.js';
import {
  blockedOf,
  inClusterEnv,
  mintToken,
  scrape,
  serviceAccountMount,
  startWatch,
  status,
  stopWatch,
  WATCH_NAMESPACE,
  type WatchProcess,
} from './watch-support.js';

const NS = 'watch-a';
const SPEC_TOKEN = 'example.com/spec-hold';
const META_TOKEN = 'example.com/meta-hold';

/** deploy/kustomize/base plus components, as a user's own kustomization would use them. */
function overlay(components = ['events']): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-overlay-'));
  // kustomize takes relative paths only.
  const base = relative(dir, join(cluster().repoRoot, 'deploy/kustomize'));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${base}/base\ncomponents:\n${components.map((c) => `  - ${base}/components/${c}\n`).join('')}`,
  );
  return dir;
}

async function breakNamespace(): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, finalizers: [META_TOKEN] }, spec: { finalizers: ['kubernetes', SPEC_TOKEN] } }),
  });
  await kubectlOk(['delete', 'namespace', NS, '--wait=false']);
  await waitFor('the namespace controller to remove its own finalizer', async () => {
    const ns = await kubectlJson<{ spec?: { finalizers?: string[] } }>(['get', 'namespace', NS]);
    return JSON.stringify(ns.spec?.finalizers ?? []) === JSON.stringify([SPEC_TOKEN]);
  });
}

/** What kubectl does for `kubectl ns-doctor fix`'s last resort: PUT /finalize with the spec token gone. */
async function finalizeSpec(): Promise<void> {
  const ns = await kubectlJson<Record<string, unknown> & { spec: { finalizers: string[] } }>(['get', 'namespace', NS]);
  ns.spec.finalizers = [];
  await kubectlOk(['replace', '--raw', `/api/v1/namespaces/${NS}/finalize`, '-f', '-'], { input: JSON.stringify(ns) });
}

describe('watch in-cluster', () => {
  let saDir: string;
  let watch: WatchProcess | undefined;

  beforeAll(async () => {
    // The manifests are what the API server accepts (every object, dry run on the server), then the RBAC for real.
    const dir = overlay();
    // (A dry run creates nothing: the namespace the other objects go in must exist first.)
    await kubectlOk(['apply', '-f', join(cluster().repoRoot, 'deploy/kustomize/base/namespace.yaml')]);
    await kubectlOk(['apply', '-k', dir, '--dry-run=server']);
    await kubectlOk(['apply', '-k', dir]);
    // Nothing runs the Deployment here (no scheduler, no kubelet): the watch runs as a process with the pod's view.
    saDir = serviceAccountMount('not-a-token');
  });

  afterAll(async () => {
    await stopWatch(watch);
    await kubectl(['patch', 'namespace', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await kubectl(['delete', '-k', overlay(), '--ignore-not-found', '--timeout=60s']);
  });

  it('is not ready while its token is refused, reads the rotated token at the next scan, and is ready after it', async () => {
    watch = await startWatch(['--interval', '5s'], inClusterEnv(saDir));
    const w = watch;
    expect(await status(w.url, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    const failing = await waitFor('a failed scan', async () => ((await scrape(w.url)).ns_doctor_scan_errors_total?.samples?.[0]?.value ?? 0) >= 1 || undefined);
    expect(failing).toBe(true);
    const notReady = await status(w.url, '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatch(/no successful scan yet: .*(401|Unauthorized)/i);
    const before = await scrape(w.url);
    expect(before.ns_doctor_last_scan_success?.samples?.[0]?.value).toBe(0);
    expect(before.ns_doctor_namespace_blocked).toBeUndefined();

    // The kubelet rewrites the token file in place when it rotates a bound token.
    writeFileSync(join(saDir, 'token'), await mintToken());
    await waitFor('/readyz to turn ready', async () => (await status(w.url, '/readyz')).status === 200 || undefined, { timeoutMs: 30_000 });
    const after = await scrape(w.url);
    expect(after.ns_doctor_last_scan_success?.samples?.[0]?.value).toBe(1);
    expect(after.ns_doctor_last_successful_scan_timestamp_seconds?.samples?.[0]?.value).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(after.ns_doctor_api_requests_total?.samples?.[0]?.value).toBeGreaterThan(0);
    expect(after.ns_doctor_build_info?.samples?.[0]?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(w.stderr()).toMatch(/watch: scan \d+ failed: .*(401|Unauthorized)/i);

    // Scans that keep failing after a success: not ready after 3 in a row, the last good series kept with their time.
    const token = readFileSync(join(saDir, 'token'), 'utf8');
    writeFileSync(join(saDir, 'token'), 'revoked');
    const unready = await waitFor('/readyz to turn unready', async () => {
      const r = await status(w.url, '/readyz');
      return r.status === 503 ? r.body : undefined;
    }, { timeoutMs: 45_000 });
    expect(unready).toMatch(/^3 scans failed in a row: .*(401|Unauthorized)/i);
    const stale = await scrape(w.url);
    expect(stale.ns_doctor_last_scan_success?.samples?.[0]?.value).toBe(0);
    expect(stale.ns_doctor_last_successful_scan_timestamp_seconds?.samples?.[0]?.value).toBe(after.ns_doctor_last_successful_scan_timestamp_seconds?.samples?.[0]?.value);
    expect(stale.ns_doctor_namespaces_terminating).toBeDefined();
    writeFileSync(join(saDir, 'token'), token);
    await waitFor('/readyz to be ready again', async () => (await status(w.url, '/readyz')).status === 200 || undefined, { timeoutMs: 30_000 });
  });

  it('series appear when a namespace is blocked, change with its cause, and disappear when it is gone', async () => {
    const w = watch!;
    const audit = auditOffset();
    await breakNamespace();
    const both = await waitFor('both finalizer causes on /metrics', async () => {
      const blocked = blockedOf(await scrape(w.url), NS);
      return blocked.length === 2 ? blocked : undefined;
    });
    expect(both.map((b) => b.split(' ')[0])).toEqual(['NamespaceFinalizerRemaining', 'NamespaceMetadataFinalizerRemaining']);
    expect(both[0]).toContain(SPEC_TOKEN.split('/')[1]);
    const page = await scrape(w.url);
    expect(page.ns_doctor_namespace_verdict?.samples?.find((s) => s.labels.namespace === NS)?.labels.verdict).toBe('Blocked');
    expect(page.ns_doctor_namespace_terminating_seconds?.samples?.find((s) => s.labels.namespace === NS)?.value).toBeGreaterThanOrEqual(0);
    expect(page.ns_doctor_cause_namespaces?.samples?.find((s) => s.labels.cause === 'NamespaceMetadataFinalizerRemaining')?.value).toBeGreaterThanOrEqual(1);
    // The same causes the one-namespace diagnosis finds.
    const single = await nsDoctor([NS, '-o', 'json']);
    expect((JSON.parse(single.stdout) as { blockers: { id: string }[] }).blockers.map((b) => b.id).sort()).toEqual(both.map((b) => b.split(' ')[0]));

    await finalizeSpec();
    const changed = await waitFor('the spec finalizer cause to go', async () => {
      const blocked = blockedOf(await scrape(w.url), NS);
      return blocked.length === 1 ? blocked : undefined;
    });
    expect(changed[0]).toMatch(/^NamespaceMetadataFinalizerRemaining /);

    await kubectlOk(['patch', 'namespace', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitFor('the namespace to leave /metrics', async () => {
      const parsed = await scrape(w.url);
      return (parsed.ns_doctor_namespace_verdict?.samples ?? []).every((s) => s.labels.namespace !== NS) || undefined;
    });
    expect(blockedOf(await scrape(w.url), NS)).toEqual([]);

    // Read-only: the service account sent only reads while all that happened.
    const events = auditEvents(audit).filter((e) => e.user.username === `system:serviceaccount:${WATCH_NAMESPACE}:ns-doctor`);
    expect(events.length).toBeGreaterThan(10);
    expect([...new Set(events.map((e) => e.verb))].sort()).toEqual(expect.arrayContaining(['get', 'list']));
    expect(events.filter((e) => !['get', 'list', 'watch'].includes(e.verb))).toEqual([]);
    expect(events.filter((e) => e.objectRef?.resource === 'secrets' && e.responseStatus?.code === 200)).toEqual([]);
  });

  it('stops on SIGTERM: the server closes and the exit code is 0', async () => {
    const w = watch!;
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`${w.url}/healthz`)).rejects.toThrow();
    expect(w.stderr()).toContain('watch: SIGTERM: stopping');
    watch = undefined;
  });

  it('--events: one Warning Event per blocked namespace and cause, in its own namespace, updated rather than repeated', async () => {
    await breakNamespace();
    const env = inClusterEnv(serviceAccountMount(await mintToken()), { NS_DOCTOR_POD_NAME: 'ns-doctor-7f9c-abcde' });
    const audit = auditOffset();
    const eventsOf = async () =>
      (
        await kubectlJson<{ items: { metadata: { name: string }; count: number; reason: string; type: string; message: string; involvedObject: { kind: string; name: string }; related?: { kind: string; name: string } }[] }>([
          'get',
          'events',
          '-n',
          WATCH_NAMESPACE,
          '--field-selector',
          'reason=NamespaceDeletionBlocked',
        ])
      ).items.filter((e) => e.related?.name === NS);
    watch = await startWatch(['--interval', '5s', '--events'], env);
    const first = await waitFor('two Events, one per cause', async () => {
      const events = await eventsOf();
      return events.length === 2 ? events : undefined;
    }, { timeoutMs: 30_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\nwatch stderr:\n${watch?.stderr()}`);
    });
    expect(first.every((e) => e.type === 'Warning' && e.count === 1 && e.involvedObject.kind === 'Pod' && e.involvedObject.name === 'ns-doctor-7f9c-abcde')).toBe(true);
    expect(first.map((e) => e.message).sort()[0]).toMatch(new RegExp(`^namespace ${NS} is blocked \\[NamespaceFinalizerRemaining\\]`));
    // More scans: still two Events.
    await waitFor('two more scans', async () => ((await scrape(watch!.url)).ns_doctor_scans_total?.samples?.[0]?.value ?? 0) >= 3 || undefined);
    expect(await eventsOf()).toHaveLength(2);
    await stopWatch(watch);

    // A restarted watch finds its Events again (same names) and counts on.
    watch = await startWatch(['--interval', '5s', '--events'], env);
    await waitFor('the counts to go up', async () => {
      const events = await eventsOf();
      return events.length === 2 && events.every((e) => e.count === 2) ? events : undefined;
    });
    await stopWatch(watch);
    watch = undefined;
    const writes = auditEvents(audit).filter(
      (e) => e.user.username === `system:serviceaccount:${WATCH_NAMESPACE}:ns-doctor` && !['get', 'list', 'watch'].includes(e.verb),
    );
    expect(writes.length).toBeGreaterThanOrEqual(4);
    expect(writes.filter((e) => e.objectRef?.resource !== 'events' || e.objectRef.namespace !== WATCH_NAMESPACE)).toEqual([]);
  });

  it('--once --metrics-file writes the same series atomically and exits with the --all exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-textfile-'));
    const file = join(dir, 'ns_doctor.prom');
    const result = await nsDoctor(['watch', '--once', '--metrics-file', file]);
    expect(result.code).toBe(1);
    expect(readdirSync(dir)).toEqual(['ns_doctor.prom']);
    const parsed = parseExposition(readFileSync(file, 'utf8'));
    expect(blockedOf(parsed, NS).length).toBeGreaterThanOrEqual(1);
    expect(parsed.ns_doctor_last_scan_success?.samples?.[0]?.value).toBe(1);

    const missing = await nsDoctor(['watch', '--once', '--metrics-file', join(dir, 'no-such-dir', 'x.prom')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot write .*no-such-dir.*ENOENT/m);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('the example alerts only use series the watch exports', async () => {
    // Rendered offline by kubectl's kustomize (the Prometheus Operator's CRDs are not on this API server).
    const rendered = await kubectlOk(['kustomize', overlay(['events', 'prometheus'])]);
    for (const kind of ['PrometheusRule', 'ServiceMonitor', 'Role', 'ClusterRole', 'Deployment', 'Service']) expect(rendered).toContain(`kind: ${kind}\n`);
    expect(rendered).toMatch(/- --events\n/);
    const rules = readFileSync(join(cluster().repoRoot, 'deploy/kustomize/components/prometheus/prometheusrule.yaml'), 'utf8');
    const used = new Set(rules.match(/ns_doctor_[a-z_]+/g));
    const page = await nsDoctor(['watch', '--once']);
    const exported = new Set(Object.keys(parseExposition(page.stdout)));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(4);
  });
});
