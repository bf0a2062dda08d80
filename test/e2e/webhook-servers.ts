/**
 * Real webhook backends for e2e tests, on 127.0.0.1 only, each stopped by the test that started it:
 *   untrustedTls()   an HTTPS server whose certificate (for IP 127.0.0.1) is signed by a CA other than the one the
 *                    webhook's caBundle names: the API server fails with "x509: certificate signed by unknown authority"
 *   silent()         accepts TCP connections and never answers (not even a TLS handshake): a timeout
 *   closedPort()     a port that was bound and released, so nothing listens: connection refused
 * certificates(dir) makes the two CAs with openssl (the project already needs it for the control plane).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  /** PEM of the CA put into caBundle (trusted by the API server for the webhook). */
  trustedCa: string;
  /** Key and certificate the server presents: signed by another CA. */
  serverKey: string;
  serverCert: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `subjectAltName`: the names the server's certificate covers (an IP by default; a Service's DNS name for Service-called webhooks). */
export function certificates(dir: string, subjectAltName = 'IP:127.0.0.1'): Certificates {
  mkdirSync(dir, { recursive: true });
  for (const ca of ['trusted', 'other']) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=ns-doctor e2e ${ca} CA`, '-keyout', `${ca}-ca.key`, '-out', `${ca}-ca.crt`], dir);
  }
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${subjectAltName}\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'other-ca.crt', '-CAkey', 'other-ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  return {
    trustedCa: readFileSync(join(dir, 'trusted-ca.crt'), 'utf8'),
    serverKey: readFileSync(join(dir, 'server.key'), 'utf8'),
    serverCert: readFileSync(join(dir, 'server.crt'), 'utf8'),
  };
}

export interface Backend {
  port: number;
  url(path: string): string;
  stop(): Promise<void>;
}

function backend(server: net.Server, sockets: Set<Socket>): Backend {
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `https://127.0.0.1:${port}${path}`,
    stop: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

function listen(server: net.Server): Promise<void> {
  return new Promise((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ready());
  });
}

export async function untrustedTls(certs: Certificates): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = https.createServer({ key: certs.serverKey, cert: certs.serverCert }, (_req, res) => {
    res.writeHead(500).end('never reached: the API server does not trust this certificate');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server);
  return backend(server, sockets);
}

export async function silent(): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await listen(server);
  return backend(server, sockets);
}

/** A port nothing listens on: bound by the kernel's choice, then released. */
export async function closedPort(): Promise<Backend> {
  const server = net.createServer();
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((done) => server.close(() => done()));
  return { port, url: (path) => `https://127.0.0.1:${port}${path}`, stop: async () => undefined };
}

/**
 * This machine's own non-loopback IPv4 address: an EndpointSlice may not name 127.0.0.1, but this address stays on
 * this machine whatever the network around it does.
 */
export function hostAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

/**
 * A CRD of Widgets stored as v1beta1 and preferred as v1, converted by the webhook `clientConfig` names (a YAML flow
 * mapping: `url: …` or `service: {…}`) and trusting `trustedCa`: every list the namespace controller makes calls it.
 */
export function conversionCrd(group: string, clientConfig: string, trustedCa: string): string {
  const schema = '{openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}';
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.${group}}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig: {${clientConfig}, caBundle: ${Buffer.from(trustedCa).toString('base64')}}
  versions:
  - {name: v1beta1, served: true, storage: true, schema: ${schema}}
  - {name: v1, served: true, storage: false, schema: ${schema}}
`;
}

/**
 * A ValidatingAdmissionPolicy and its Deny binding, as one List for `kubectl apply -f -`: `operation` of configmaps
 * is refused unless `expression` holds. `bindingNamespace` narrows the binding to one namespace.
 */
export function admissionPolicy(name: string, operation: string, validation: { expression: string; message: string; reason?: string }, bindingNamespace?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: [operation], resources: ['configmaps'] }] },
          validations: [validation],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name },
        spec: {
          policyName: name,
          validationActions: ['Deny'],
          ...(bindingNamespace ? { matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': bindingNamespace } } } } : {}),
        },
      },
    ],
  });
}
