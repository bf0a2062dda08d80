// An aggregated API whose server accepts every DELETE and keeps the objects (ContentNotRemoved). The real namespace
// controller deletes them, lists them again, finds them with no finalizer and says "unexpected items still remain in
// namespace: … for gvr: …"; ns-doctor must name the type, the APIService and its Service from those words, and its
// last resort (deleting the APIService) must let the namespace go.
//
// The server runs in this test on 127.0.0.1 (test/e2e/aggregated-api.ts). kube-apiserver reaches it as it reaches any
// aggregated API, through its Service's endpoint: this file starts its own control plane whose kube-apiserver has
// HTTPS_PROXY set to a CONNECT proxy of this test, which tunnels that address to the server (as in
// service-webhook-classes.test.ts; nothing leaves this machine).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepingApiServer, type KeepingServer } from './aggregated-api.js';
import { stopByPids } from './global-setup.js';
import { cluster, diagnose, kubectl, kubectlJson, kubectlOk, nsDoctor, run, waitFor, type RunOptions } from './harness.js';
import { expectReportShape } from './report-shape.js';
import { certificates, connectProxy, hostAddress, serviceWithReadyEndpoint } from './webhook-servers.js';

const type = { group: 'tenancy.e2e.ns-doctor.dev', version: 'v1alpha1', resource: 'projectbindings', kind: 'ProjectBinding' };
const apiService = `${type.version}.${type.group}`;
const backendNs = 'e2e-keep-backend';
const service = 'tenancy-api';
const ns = 'e2e-keep';

function backendObjects(address: string): string {
  return `${serviceWithReadyEndpoint(backendNs, service, address, 8443)}---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: ${apiService}}
spec:
  group: ${type.group}
  version: ${type.version}
  service: {namespace: ${backendNs}, name: ${service}, port: 443}
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 1000
  versionPriority: 15
`;
}

describe('an aggregated API that keeps what it is asked to delete (ContentNotRemoved)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-keep-'));
  const state = join(dir, 'control-plane');
  const stop = () => stopByPids(state);
  const routes = new Map<string, number>();
  let on: RunOptions;
  let server: KeepingServer;
  let proxy: Awaited<ReturnType<typeof connectProxy>>;
  let clusterIp: string;
  let backendAddress: string;

  beforeAll(async () => {
    const address = hostAddress();
    if (!address) throw new Error('this test needs an IPv4 address of this machine other than loopback for the EndpointSlice');
    server = await keepingApiServer(certificates(join(dir, 'certs'), `DNS:${service}.${backendNs}.svc`), type, [
      { namespace: ns, name: 'admins' },
      { namespace: ns, name: 'viewers' },
    ]);
    proxy = await connectProxy(routes);
    process.on('exit', stop);
    const up = await run('bash', [join(cluster().repoRoot, 'scripts/control-plane/up.sh')], {
      env: { NS_DOCTOR_STATE_DIR: state, NS_DOCTOR_APISERVER_EXTRA_ARGS: undefined, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '127.0.0.1,localhost' },
      timeoutMs: 240_000,
    });
    if (up.code !== 0) throw new Error(`control plane with HTTPS_PROXY: up.sh failed (exit ${up.code}):\n${up.stderr}`);
    on = { kubeconfig: join(state, 'kubeconfig'), env: { NS_DOCTOR_STATE_DIR: state } };

    await kubectlOk(['create', 'namespace', backendNs], on);
    await kubectlOk(['apply', '-f', '-'], { ...on, input: backendObjects(address) });
    clusterIp = (await kubectlOk(['get', 'service', service, '-n', backendNs, '-o', 'jsonpath={.spec.clusterIP}'], on)).trim();
    // kube-apiserver 1.34 here dialed the EndpointSlice's address and port (seen: <address>:8443); the cluster IP is
    // routed too, as other releases or flags dial that: both lead to the server.
    routes.set(clusterIp, server.port).set(address, server.port);
    backendAddress = address;
    let available: { status?: string; reason?: string; message?: string } | undefined;
    await waitFor(`APIService ${apiService} Available (last: ${JSON.stringify(available)})`, async () => {
      const obj = await kubectlJson<{ status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }>(['get', 'apiservice', apiService], on);
      available = obj.status?.conditions?.find((c) => c.type === 'Available');
      return available?.status === 'True';
    }).catch((e: Error) => {
      throw new Error(`${e.message}; Available: ${JSON.stringify(available)}; the proxy was asked for ${JSON.stringify(proxy.asked)}; the server answered ${JSON.stringify(server.requests.slice(-5))}`);
    });
    await waitFor(`${type.resource}.${type.group} listed through the aggregator`, async () => (await kubectl(['get', `${type.resource}.${type.group}`, '-n', ns], on)).stdout.includes('admins'));

    await kubectlOk(['create', 'namespace', ns], on);
    await kubectlOk(['delete', 'namespace', ns, '--wait=false'], on);
    await waitFor(
      `namespace ${ns} NamespaceDeletionContentFailure=True`,
      async () => {
        const obj = await kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>(['get', 'namespace', ns], on);
        return obj.status?.conditions?.some((c) => c.type === 'NamespaceDeletionContentFailure' && c.status === 'True');
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
  }, 300_000);

  afterAll(async () => {
    stop();
    process.off('exit', stop);
    await Promise.all([server, proxy].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the namespace controller deleted the objects through the aggregator, and they stayed', () => {
    expect(proxy.asked.length).toBeGreaterThan(0);
    expect(proxy.asked.filter((target) => target !== `${clusterIp}:443` && target !== `${backendAddress}:8443`)).toEqual([]);
    expect(server.requests).toContain(`DELETE /apis/${type.group}/${type.version}/namespaces/${ns}/${type.resource}`);
  });

  it('is Blocked by ContentNotRemoved: the type, the APIService and its Service, from the controller\'s own words', async () => {
    const { result, report } = await diagnose(ns, [], on);
    expect(result.code, result.stderr).toBe(1);
    expect(report.verdict).toBe('Blocked');
    expectReportShape(report, ns);
    expect(report.blockers.map((b) => b.id)).toEqual(['ContentNotRemoved']);
    const [blocker] = report.blockers;
    expect(blocker.subject).toEqual({ kind: 'ResourceType', group: type.group, version: type.version, resource: type.resource });
    expect(blocker.summary).toBe(
      `2 ${type.resource}.${type.group} objects are still listed after the namespace controller deleted them, with no finalizer: the aggregated API ${apiService} (Service ${backendNs}/${service}) does not remove them`,
    );
    const facts = blocker.evidence.map((e) => `${e.ref.kind} ${e.ref.name}: ${e.fact}`);
    expect(facts[0]).toMatch(new RegExp(`^Namespace ${ns}: NamespaceDeletionContentFailure \\(since .+ ago\\): unexpected items still remain for gvr ${type.group}/${type.version}, Resource=${type.resource}$`));
    expect(facts).toContain(`ProjectBinding 2 ${type.resource}.${type.group}: still listed, none with a finalizer; all with a deletionTimestamp`);
    expect(facts.filter((f) => /^ProjectBinding (admins|viewers): deleted .+ ago, no finalizer$/.test(f))).toHaveLength(2);
    expect(facts).toContain(`APIService ${apiService}: serves ${type.group}/${type.version} from Service ${backendNs}/${service}: its server, not kube-apiserver, decides what a DELETE does`);
    expect(blocker.fixes.map((f) => f.safety)).toEqual(['safe', 'safe', 'safe', 'last-resort']);
    expect(blocker.fixes.at(-1)).toMatchObject({ command: `kubectl delete apiservice ${apiService}`, cost: expect.stringMatching(/disappears cluster-wide/) });
  });

  it('text output draws the cause and its safest fix first', async () => {
    const r = await nsDoctor([ns], on);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`the aggregated API ${apiService} (Service ${backendNs}/${service}) does not remove them`);
    expect(r.stdout).toMatch(new RegExp(`fix \\(safe\\) read them as the API serves them[^\\n]*\\n\\s+\\$ kubectl get ${type.resource}\\.${type.group.replace(/\./g, '\\.')} -n ${ns} -o yaml`));
  });

  it('its last resort lets the namespace go: with the APIService deleted, nothing is left to wait for', async () => {
    await kubectlOk(['delete', 'apiservice', apiService], on);
    await waitFor(`namespace ${ns} gone`, async () => (await kubectl(['get', 'namespace', ns], on)).code !== 0, { timeoutMs: 120_000, intervalMs: 1_000 });
    const { result, report } = await diagnose(ns, [], on);
    expect(result.code, result.stderr).toBe(3);
    expect(report.verdict).toBe('NotFound');
  });
});
