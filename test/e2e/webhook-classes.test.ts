// Webhooks and conversion webhooks that fail for different reasons, with REAL backends on 127.0.0.1 started here: a
// TLS server whose certificate is signed by a CA other than the caBundle's, a server that accepts TCP and never
// answers, and a closed port. The namespace controller's own error names the class; the verdict, the summary and the
// first fix must follow it (never "no ready endpoints" for a hang, never "restore the service" for a certificate).
// Webhooks are called by `url`: an EndpointSlice may not point at 127.0.0.1 (the API server rejects loopback
// endpoint addresses). Webhooks called through a Service with a ready endpoint, routed to servers of the test by a
// proxy, are in service-webhook-classes.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Blocker, Report } from '../../src/model/report.js';
import { diagnose, kubectl, kubectlOk, nsDoctor, run, waitFor, waitForNamespaceCondition } from './harness.js';
import { expectReportShape } from './report-shape.js';
import { certificates, closedPort, conversionCrd, hostAddress, silent, untrustedTls, type Backend, type Certificates } from './webhook-servers.js';

const X509 = 'x509: certificate signed by unknown authority';
let certDir: string;
let certs: Certificates;
let tls: Backend;
let hang: Backend;
let refused: Backend;
// Only an address of this machine: a test never sends traffic anywhere else (the API server dials it, and the kernel
// refuses the closed port locally).
const serviceAddress = hostAddress();

const b64 = (text: string) => Buffer.from(text).toString('base64');

function admission(ns: string, url: string, timeoutSeconds: number): string {
  return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ${ns}-guard}
webhooks:
- name: guard.${ns}.e2e.ns-doctor.dev
  clientConfig: {url: "${url}", caBundle: ${b64(certs.trustedCa)}}
  rules:
  - {operations: [DELETE], apiGroups: [""], apiVersions: [v1], resources: [configmaps], scope: Namespaced}
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${ns}}}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: ${timeoutSeconds}
`;
}

/** An admission webhook on DELETE of ConfigMaps in `ns`, called at `url`; `ns` deleted until the controller reports it. */
async function admissionCase(ns: string, url: string, timeoutSeconds: number): Promise<void> {
  await kubectlOk(['create', 'namespace', ns]);
  await kubectlOk(['create', 'configmap', 'app-config', '-n', ns, '--from-literal=feature=on']);
  await kubectlOk(['apply', '-f', '-'], { input: admission(ns, url, timeoutSeconds) });
  await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  await waitForNamespaceCondition(ns, 'NamespaceDeletionContentFailure', 'True', 120_000);
}

/**
 * A CRD stored as v1beta1 and preferred as v1, converted by the webhook at `url`: a Widget created as v1beta1 in `ns`
 * (no conversion needed), then `ns` deleted: the namespace controller lists v1, so every pass calls the webhook.
 */
async function conversionCase(ns: string, group: string, url: string): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { input: conversionCrd(group, `url: "${url}"`, certs.trustedCa) });
  await kubectlOk(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=60s']);
  await waitFor(`widgets.${group} v1beta1 served`, async () => (await kubectl(['get', `widgets.v1beta1.${group}`, '-A'])).code === 0);
  await kubectlOk(['create', 'namespace', ns]);
  await kubectlOk(['create', '-f', '-'], { input: `{"apiVersion": "${group}/v1beta1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "${ns}"}, "spec": {}}` });
  await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  await waitForNamespaceCondition(ns, 'NamespaceDeletionContentFailure', 'True', 120_000);
}

/**
 * The same webhook called through a Service that HAS a ready endpoint (an EndpointSlice written by hand) at a port
 * nothing listens on: refused, while the Service never lacks endpoints.
 */
async function serviceCase(ns: string, address: string, port: number): Promise<void> {
  const backend = `${ns}-backend`;
  await kubectlOk(['create', 'namespace', backend]);
  await kubectlOk(['apply', '-n', backend, '-f', '-'], {
    input: `apiVersion: v1
kind: Service
metadata: {name: guard}
spec:
  ports: [{name: https, port: 443, targetPort: 8443}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: guard-manual
  labels: {kubernetes.io/service-name: guard}
addressType: IPv4
ports: [{name: https, port: ${port}, protocol: TCP}]
endpoints:
- addresses: [${address}]
  conditions: {ready: true}
`,
  });
  await kubectlOk(['create', 'namespace', ns]);
  await kubectlOk(['create', 'configmap', 'app-config', '-n', ns, '--from-literal=feature=on']);
  const config = admission(ns, 'unused', 1).replace('clientConfig: {url: "unused",', `clientConfig: {service: {namespace: ${backend}, name: guard, path: /validate, port: 443},`);
  await kubectlOk(['apply', '-f', '-'], { input: config });
  await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  await waitForNamespaceCondition(ns, 'NamespaceDeletionContentFailure', 'True', 120_000);
}

const admissionNs = { tls: 'e2e-wh-tls', timeout: 'e2e-wh-hang', refused: 'e2e-wh-refused', service: 'e2e-wh-svc' };
const conversion = { tls: { ns: 'e2e-conv-tls', group: 'convtls.e2e.ns-doctor.dev' }, refused: { ns: 'e2e-conv-refused', group: 'convrefused.e2e.ns-doctor.dev' } };

async function takeDown(): Promise<void> {
  for (const ns of Object.values(admissionNs)) await kubectl(['delete', 'validatingwebhookconfiguration', `${ns}-guard`, '--ignore-not-found']);
  for (const { group } of Object.values(conversion)) {
    // Without the webhook the namespace controller can list (and so delete) the widgets; then the CRD goes.
    await kubectl(['patch', 'crd', `widgets.${group}`, '--type=merge', '-p', '{"spec":{"conversion":{"strategy":"None","webhook":null}}}']);
  }
  await kubectl(['delete', 'namespace', `${admissionNs.service}-backend`, '--wait=false', '--ignore-not-found']);
  const all = [...Object.values(admissionNs), `${admissionNs.service}-backend`, ...Object.values(conversion).map((c) => c.ns)];
  await waitFor('test namespaces gone', async () => {
    const left = await Promise.all(all.map(async (ns) => (await kubectl(['get', 'namespace', ns])).code === 0));
    for (const [i, present] of left.entries()) if (present) await kubectl(['annotate', 'namespace', all[i], '--overwrite', `ns-doctor.dev/nudge=${Date.now()}`]);
    return left.every((present) => !present);
  }, { timeoutMs: 120_000, intervalMs: 2_000 });
  for (const { group } of Object.values(conversion)) await kubectl(['delete', 'crd', `widgets.${group}`, '--ignore-not-found']);
}

/**
 * The blocker about this case's own webhook (admission: the configuration named after namespace `name`;
 * conversion: the CRD of group `name`). Others may be there too, and rightly: a conversion webhook that fails breaks
 * the watch cache of its type for every namespace, so the controller reports it in namespaces that hold none of its
 * objects.
 */
function blockerAbout(report: Report, id: Blocker['id'], name: string): Blocker {
  const found = report.blockers.find(
    (b) =>
      b.id === id &&
      ((b.subject.kind === 'Webhook' && b.subject.configuration === `${name}-guard`) ||
        (b.subject.kind === 'ConversionWebhook' && b.subject.crd === `widgets.${name}`)),
  );
  expect(found, JSON.stringify(report.blockers.map((b) => [b.id, b.subject]))).toBeDefined();
  return found!;
}

describe('webhook and conversion failures classified from the controller\'s own words, with real servers', () => {
  beforeAll(async () => {
    if (!serviceAddress) throw new Error('this test needs an IPv4 address of this machine other than loopback: an EndpointSlice may not name 127.0.0.1');
    certDir = mkdtempSync(join(tmpdir(), 'ns-doctor-e2e-certs-'));
    certs = certificates(certDir);
    [tls, hang, refused] = await Promise.all([untrustedTls(certs), silent(), closedPort()]);
    await Promise.all([
      admissionCase(admissionNs.tls, tls.url('/validate'), 5),
      admissionCase(admissionNs.timeout, hang.url('/validate'), 1),
      admissionCase(admissionNs.refused, refused.url('/validate'), 5),
      serviceCase(admissionNs.service, serviceAddress, refused.port),
      conversionCase(conversion.tls.ns, conversion.tls.group, tls.url('/convert')),
      conversionCase(conversion.refused.ns, conversion.refused.group, refused.url('/convert')),
    ]);
  }, 300_000);

  afterAll(async () => {
    try {
      await takeDown();
    } finally {
      await Promise.all([tls, hang, refused].map((b) => b?.stop()));
      rmSync(certDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('admission webhook, untrusted certificate: TLS, the caBundle and the serving certificate first', async () => {
    const ns = admissionNs.tls;
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    const b = blockerAbout(report, 'WebhookBlocksDeletion', ns);
    expect(b.failure).toMatchObject({ class: 'tls', source: 'controller' });
    expect(b.failure!.message).toContain(X509);
    expect(b.summary).toContain(`admission webhook guard.${ns}.e2e.ns-doctor.dev refuses deletions: failurePolicy Fail and the API server does not trust the certificate its backend serves`);
    expect(b.fixes[0].command).toBe(`kubectl get validatingwebhookconfiguration ${ns}-guard -o 'jsonpath={.webhooks[0].clientConfig.caBundle}' | base64 -d | openssl x509 -noout -subject -issuer -enddate`);
    expect(b.fixes[1].command).toContain(`openssl s_client -connect 127.0.0.1:${tls.port} -servername 127.0.0.1`);
    expect(b.evidence.map((e) => e.fact).join('\n')).toContain(`called by URL ${tls.url('/validate')}, caBundle set`);
  });

  it('the fixes\' commands print what they say: the caBundle is the trusted CA, the server presents the other CA\'s certificate', async () => {
    const { report } = await diagnose(admissionNs.tls);
    const [caBundle, served] = blockerAbout(report, 'WebhookBlocksDeletion', admissionNs.tls).fixes.map((f) => f.command!);
    const caOut = await run('bash', ['-c', caBundle]);
    expect(caOut.stdout, caOut.stderr).toMatch(/issuer=\s*CN\s*=\s*ns-doctor e2e trusted CA/);
    const servedOut = await run('bash', ['-c', served]);
    expect(servedOut.stdout, servedOut.stderr).toMatch(/issuer=\s*CN\s*=\s*ns-doctor e2e other CA/);
  });

  it('admission webhook whose backend accepts TCP and never answers: timeout, never "no ready endpoints"', async () => {
    const ns = admissionNs.timeout;
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    const b = blockerAbout(report, 'WebhookBlocksDeletion', ns);
    expect(b.failure?.class, b.failure?.message).toBe('timeout');
    expect(b.summary).toContain(`its backend ${hang.url('/validate')} accepts the call but does not answer within 1s`);
    expect(b.summary).not.toMatch(/no ready endpoints|does not exist/);
    expect(b.fixes[0].description).toMatch(/^find why the backend does not answer within 1s/);
    expect(b.fixes.find((f) => f.safety === 'caution')!.command).toBe(
      `kubectl patch validatingwebhookconfiguration ${ns}-guard --type=json -p '[{"op":"replace","path":"/webhooks/0/timeoutSeconds","value":30}]'`,
    );
  });

  it('admission webhook on a closed port: refused, the backend does not listen', async () => {
    const ns = admissionNs.refused;
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    const b = blockerAbout(report, 'WebhookBlocksDeletion', ns);
    expect(b.failure).toMatchObject({ class: 'refused', source: 'controller' });
    expect(b.failure!.message).toContain(`dial tcp 127.0.0.1:${refused.port}: connect: connection refused`);
    expect(b.summary).toContain(`nothing listens at its backend ${refused.url('/validate')} (connection refused)`);
  });

  it('admission webhook through a Service with a ready endpoint on a closed port: refused, never "no ready endpoints"', async () => {
    const ns = admissionNs.service;
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    const b = blockerAbout(report, 'WebhookBlocksDeletion', ns);
    expect(b.failure?.class, b.failure?.message).toBe('refused');
    expect(b.failure?.source).toBe('controller');
    expect(b.summary).not.toMatch(/no ready endpoints|does not exist/);
    expect(b.summary).toContain(`Service ${ns}-backend/guard port 443`);
    expect(b.evidence.find((e) => e.ref.kind === 'Service')?.fact).toMatch(/^1 ready endpoints/);
    expect(b.fixes[0].description).not.toMatch(/restore the webhook backend/);
  });

  it('conversion webhook by URL with an untrusted certificate: Blocked (never Incomplete without a blocker), TLS, caBundle first', async () => {
    const { ns, group } = conversion.tls;
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    const b = blockerAbout(report, 'ConversionWebhookDown', group);
    expect(b.failure).toMatchObject({ class: 'tls', source: 'controller' });
    expect(b.failure!.message).toMatch(new RegExp(`^conversion webhook for ${group.replaceAll('.', '\\.')}/v1beta1, Kind=Widget failed: .*${X509}`));
    expect(b.summary).toContain(`conversion webhook of CRD widgets.${group} fails: the API server does not trust the certificate its backend serves`);
    expect(b.summary).not.toMatch(/\bdown\b/);
    expect(b.fixes[0].command).toBe(`kubectl get crd widgets.${group} -o 'jsonpath={.spec.conversion.webhook.clientConfig.caBundle}' | base64 -d | openssl x509 -noout -subject -issuer -enddate`);
    expect(b.fixes.map((f) => f.description).join('\n')).not.toMatch(/restore the conversion service/);
    // Our own list of the type failed the same way: a named gap, and the type is not counted as empty.
    expect(report.gaps.some((g) => g.kind === 'content' && g.resource === `widgets.${group}`)).toBe(true);
  });

  it('conversion webhook by URL on a closed port: refused', async () => {
    const { ns, group } = conversion.refused;
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    const b = blockerAbout(report, 'ConversionWebhookDown', group);
    expect(b.failure?.class).toBe('refused');
    expect(b.summary).toContain(`conversion webhook of CRD widgets.${group} fails: nothing listens at its backend ${refused.url('/convert')}`);
  });

  it('text output: the class in the summary and the caBundle command first', async () => {
    const r = await nsDoctor([conversion.tls.ns]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('does not trust the certificate its backend serves');
    expect(r.stdout).toContain('fix (safe) make the caBundle');
  });
});
