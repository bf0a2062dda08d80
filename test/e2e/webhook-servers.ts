/**
 * Real webhook backends for e2e tests, on 127.0.0.1 only, each stopped by the test that started it:
 *   untrustedTls()   an HTTPS server whose certificate (for IP 127.0.0.1) is signed by a CA other than the one the
 *                    webhook's caBundle names: the API server fails with "x509: certificate signed by unknown authority"
 *   silent()         accepts TCP connections and never answers (not even a TLS handshake): a timeout
 *   closedPort()     a port that was bound and released, so nothing listens: connection refused
 * certificates(dir) makes the two CAs with openssl (the project already needs it for the control plane).
 * connectProxy()    the HTTPS_PROXY a test's own kube-apiserver is given, to reach these servers through Services.
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

export function backend(server: net.Server, sockets: Set<Socket>): Backend {
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

export function listen(server: net.Server): Promise<void> {
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

/** A CONNECT proxy on 127.0.0.1 that tunnels `<host>:<port>` to the local port `routes` gives the host; refuses others. */
export async function connectProxy(routes: Map<string, number>): Promise<{ port: number; asked: string[]; stop(): Promise<void> }> {
  const asked: string[] = [];
  const sockets = new Set<Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const target = /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(head)?.[1] ?? '';
      asked.push(target);
      const port = routes.get(target.replace(/:\d+$/, ''));
      if (!port) return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      const upstream = net.connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = Buffer.from(head.slice(end + 4), 'latin1');
        if (rest.length) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ready());
  });
  return {
    port: (server.address() as AddressInfo).port,
    asked,
    stop: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/**
 * A Service (port 443 → `targetPort`) and an EndpointSlice that names `address` as its ready endpoint, as the
 * endpointslice controller would write it for a pod there.
 */
export function serviceWithReadyEndpoint(namespace: string, name: string, address: string, targetPort = 9443): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  ports: [{name: https, port: 443, targetPort: ${targetPort}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-1
  namespace: ${namespace}
  labels: {kubernetes.io/service-name: ${name}}
addressType: IPv4
ports: [{name: https, port: ${targetPort}, protocol: TCP}]
endpoints:
- addresses: [${address}]
  conditions: {ready: true}
`;
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
