// Webhooks called through a Service that HAS a ready endpoint, with REAL backends on 127.0.0.1: a conversion webhook
// whose server presents a certificate signed by a CA other than the caBundle's, and an admission webhook whose backend
// accepts TCP and never answers. The Service looks healthy ("1 ready endpoints"); only the namespace controller's own
// words (x509, context deadline exceeded) tell the class, and the verdict, summary and first fix must follow them —
// never "down … restore the conversion service", never "has no ready endpoints".
//
// How a Service reaches a server of this test: the API server may not be given 127.0.0.1 as an endpoint address (it
// rejects loopback endpoints), so this file starts its own control plane whose kube-apiserver has HTTPS_PROXY set to a
// CONNECT proxy of this test on 127.0.0.1 (as API servers behind a corporate proxy run; NO_PROXY keeps its own
// loopback traffic direct). The API server sends every webhook call to that proxy, which tunnels by the Service's
// DNS name to the matching server on 127.0.0.1: nothing leaves this machine. The EndpointSlices name this machine's own
// address, so the Service has a ready endpoint as the endpointslice controller would write it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Blocker, Report } from '../../src/model/report.js';
import { stopByPids } from './global-setup.js';
import { cluster, diagnose, kubectl, kubectlJson, kubectlOk, nsDoctor, run, waitFor, type RunOptions } from './harness.js';
import { expectReportShape } from './report-shape.js';
import { certificates, connectProxy, conversionCrd, hostAddress, serviceWithReadyEndpoint, silent, untrustedTls, type Backend } from './webhook-servers.js';

const X509_UNKNOWN_AUTHORITY = 'x509: certificate signed by unknown authority';
const backendNs = 'e2e-svcwh-backend';
const conversion = { ns: 'e2e-svcwh-conv', group: 'svcconv.e2e.ns-doctor.dev', service: 'converter' };
const admission = { ns: 'e2e-svcwh-hang', service: 'guard' };
const b64 = (text: string) => Buffer.from(text).toString('base64');

function admissionWebhook(trustedCa: string): string {
  const { ns, service } = admission;
  return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ${ns}-guard}
webhooks:
- name: guard.${ns}.e2e.ns-doctor.dev
  clientConfig: {service: {namespace: ${backendNs}, name: ${service}, port: 443, path: /validate}, caBundle: ${b64(trustedCa)}}
  rules:
  - {operations: [DELETE], apiGroups: [""], apiVersions: [v1], resources: [configmaps], scope: Namespaced}
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${ns}}}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 1
`;
}

describe('webhooks through a Service with a ready endpoint: the class comes from the controller, not from the Service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-svcwh-'));
  const state = join(dir, 'control-plane');
  const stop = () => stopByPids(state);
  let on: RunOptions;
  let tls: Backend;
  let hang: Backend;
  let proxy: Awaited<ReturnType<typeof connectProxy>>;
  const conversionHost = `${conversion.service}.${backendNs}.svc`;
  const admissionHost = `${admission.service}.${backendNs}.svc`;

  const contentFailure = (ns: string) =>
    waitFor(
      `namespace ${ns} NamespaceDeletionContentFailure=True`,
      async () => {
        const obj = await kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>(['get', 'namespace', ns], on);
        return obj.status?.conditions?.some((c) => c.type === 'NamespaceDeletionContentFailure' && c.status === 'True');
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );

  function blocker(report: Report, id: Blocker['id']): Blocker {
    const found = report.blockers.find((b) => b.id === id);
    expect(found, JSON.stringify(report.blockers.map((b) => [b.id, b.subject]))).toBeDefined();
    return found!;
  }

  beforeAll(async () => {
    const address = hostAddress();
    if (!address) throw new Error('this test needs an IPv4 address of this machine other than loopback for the EndpointSlices');
    // The certificate names the Service, as a real webhook's does: only its issuer is wrong (not the caBundle's CA).
    const certs = certificates(join(dir, 'certs'), `DNS:${conversionHost}`);
    [tls, hang] = await Promise.all([untrustedTls(certs), silent()]);
    proxy = await connectProxy(new Map([[conversionHost, tls.port], [admissionHost, hang.port]]));
    process.on('exit', stop);
    const up = await run('bash', [join(cluster().repoRoot, 'scripts/control-plane/up.sh')], {
      env: {
        NS_DOCTOR_STATE_DIR: state,
        NS_DOCTOR_APISERVER_EXTRA_ARGS: undefined,
        HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
        NO_PROXY: '127.0.0.1,localhost',
      },
      timeoutMs: 240_000,
    });
    if (up.code !== 0) throw new Error(`control plane with HTTPS_PROXY: up.sh failed (exit ${up.code}):\n${up.stderr}`);
    on = { kubeconfig: join(state, 'kubeconfig'), env: { NS_DOCTOR_STATE_DIR: state } };

    await kubectlOk(['create', 'namespace', backendNs], on);
    await kubectlOk(['apply', '-f', '-'], { ...on, input: serviceWithReadyEndpoint(backendNs, conversion.service, address) + '---\n' + serviceWithReadyEndpoint(backendNs, admission.service, address) });

    await kubectlOk(['apply', '-f', '-'], { ...on, input: conversionCrd(conversion.group, `service: {namespace: ${backendNs}, name: ${conversion.service}, port: 443, path: /convert}`, certs.trustedCa) });
    await kubectlOk(['wait', '--for=condition=Established', `crd/widgets.${conversion.group}`, '--timeout=60s'], on);
    await waitFor(`widgets.${conversion.group} v1beta1 served`, async () => (await kubectl(['get', `widgets.v1beta1.${conversion.group}`, '-A'], on)).code === 0);
    await kubectlOk(['create', 'namespace', conversion.ns], on);
    await kubectlOk(['create', '-f', '-'], { ...on, input: `{"apiVersion": "${conversion.group}/v1beta1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "${conversion.ns}"}, "spec": {}}` });

    await kubectlOk(['create', 'namespace', admission.ns], on);
    await kubectlOk(['create', 'configmap', 'app-config', '-n', admission.ns, '--from-literal=feature=on'], on);
    await kubectlOk(['apply', '-f', '-'], { ...on, input: admissionWebhook(certs.trustedCa) });

    await kubectlOk(['delete', 'namespace', conversion.ns, admission.ns, '--wait=false'], on);
    await Promise.all([contentFailure(conversion.ns), contentFailure(admission.ns)]);
  }, 300_000);

  afterAll(async () => {
    stop();
    process.off('exit', stop);
    await Promise.all([tls, hang, proxy].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the API server called both webhooks through their Services (the proxy saw the Services\' names, nothing else)', () => {
    expect(new Set(proxy.asked)).toEqual(new Set([`${conversionHost}:443`, `${admissionHost}:443`]));
  });

  it('conversion webhook, ready endpoint, certificate from another CA: TLS and the caBundle first, never "down"', async () => {
    const { ns, group } = conversion;
    const { result, report } = await diagnose(ns, [], on);
    expect(result.code, result.stderr).toBe(1);
    expect(report.verdict).toBe('Blocked');
    expectReportShape(report, ns);
    const b = blocker(report, 'ConversionWebhookDown');
    expect(b.subject).toEqual({ kind: 'ConversionWebhook', crd: `widgets.${group}` });
    expect(b.failure).toMatchObject({ class: 'tls', source: 'controller' });
    expect(b.failure!.message).toContain(X509_UNKNOWN_AUTHORITY);
    expect(b.failure!.message).toContain(`https://${conversionHost}:443/convert`);
    expect(b.summary).toContain(`conversion webhook of CRD widgets.${group} fails: the API server does not trust the certificate its backend serves`);
    expect(b.summary).not.toMatch(/\bdown\b|no ready endpoints|does not exist/);
    // The Service side is healthy, and the evidence says so.
    expect(b.evidence.find((e) => e.ref.kind === 'Service')?.fact).toMatch(/^1 ready endpoints/);
    expect(b.evidence.map((e) => e.fact).join('\n')).toContain(`called through Service ${backendNs}/${conversion.service} port 443, caBundle set`);
    expect(b.fixes[0]).toMatchObject({ safety: 'safe' });
    expect(b.fixes[0].command).toBe(
      `kubectl get crd widgets.${group} -o 'jsonpath={.spec.conversion.webhook.clientConfig.caBundle}' | base64 -d | openssl x509 -noout -subject -issuer -enddate`,
    );
    // Compared through the Service, as an on-call engineer would: port-forward, then the served certificate.
    expect(b.fixes[1].command).toContain(`kubectl -n ${backendNs} port-forward service/${conversion.service}`);
    expect(b.fixes[1].command).toContain(`-servername ${conversionHost}`);
    expect(b.fixes.map((f) => f.description).join('\n')).not.toMatch(/restore the conversion service/);
    // Our own list of the type is a named gap with the API server's real error, not the watch cache's "Too large
    // resource version" timeout: the cache of a type that cannot be converted never catches up, so ns-doctor reads
    // it once from etcd instead of waiting 3 s four times.
    const gap = report.gaps.find((g) => g.kind === 'content' && g.resource === `widgets.${group}`);
    expect(gap?.reason).toContain(X509_UNKNOWN_AUTHORITY);
    expect(gap?.httpStatus).toBe(500);
  });

  it('admission webhook, ready endpoint, backend that never answers: timeout and its timeoutSeconds, never "no ready endpoints"', async () => {
    const { ns } = admission;
    const { result, report } = await diagnose(ns, [], on);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    const b = blocker(report, 'WebhookBlocksDeletion');
    expect(b.subject).toEqual({
      kind: 'Webhook',
      configurationKind: 'ValidatingWebhookConfiguration',
      configuration: `${ns}-guard`,
      webhook: `guard.${ns}.e2e.ns-doctor.dev`,
    });
    expect(b.failure).toMatchObject({ class: 'timeout', source: 'controller' });
    expect(b.summary).toContain(`Service ${backendNs}/${admission.service} port 443`);
    expect(b.summary).toContain('does not answer within 1s');
    expect(b.summary).not.toMatch(/no ready endpoints|does not exist/);
    expect(b.evidence.find((e) => e.ref.kind === 'Service')?.fact).toMatch(/^1 ready endpoints/);
    expect(b.fixes[0].description).toMatch(/^find why the backend does not answer within 1s/);
    expect(b.fixes.find((f) => f.safety === 'caution')!.command).toBe(
      `kubectl patch validatingwebhookconfiguration ${ns}-guard --type=json -p '[{"op":"replace","path":"/webhooks/0/timeoutSeconds","value":30}]'`,
    );
  });

  it('text output of the conversion case names the class and prints the caBundle command first', async () => {
    const r = await nsDoctor([conversion.ns], on);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('does not trust the certificate its backend serves');
    expect(r.stdout).toMatch(/fix \(safe\) make the caBundle[^\n]*\n\s+\$ kubectl get crd widgets\.svcconv\.e2e\.ns-doctor\.dev/);
  });
});
