/**
 * A real aggregated API server for e2e tests, on 127.0.0.1 only, reached by kube-apiserver through an APIService and
 * a Service (see connectProxy in webhook-servers.ts). It serves one namespaced type with the verbs the namespace
 * controller needs (no watch, so the garbage collector leaves it alone) and the objects it was started with. Every
 * DELETE is answered with success, and the objects stay: they only get a deletionTimestamp, as with an aggregated API
 * whose backend does not remove what it is asked to delete.
 */
import https from 'node:https';
import type { Socket } from 'node:net';
import { backend, listen, type Certificates } from './webhook-servers.js';

export interface KeptType {
  group: string;
  version: string;
  resource: string;
  kind: string;
}

export interface KeepingServer {
  port: number;
  /** "METHOD path" of every request it answered. */
  requests: string[];
  stop(): Promise<void>;
}

interface Kept {
  namespace: string;
  name: string;
  uid: string;
  deletionTimestamp?: string;
}

export async function keepingApiServer(certs: Certificates, type: KeptType, objects: { namespace: string; name: string }[]): Promise<KeepingServer> {
  const { group, version, resource, kind } = type;
  const kept: Kept[] = objects.map((o, i) => ({ ...o, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
  const created = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const requests: string[] = [];
  const base = `/apis/${group}/${version}`;
  const collection = new RegExp(`^${base.replace(/\./g, '\\.')}(?:/namespaces/([a-z0-9-]+))?/${resource}(?:/([a-z0-9.-]+))?$`);

  const metadata = (o: Kept) => ({
    name: o.name,
    namespace: o.namespace,
    uid: o.uid,
    resourceVersion: '1',
    creationTimestamp: created,
    ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp, deletionGracePeriodSeconds: 0 } : {}),
  });
  const asMetadata = (accept: string) => accept.includes('as=PartialObjectMetadata');
  const item = (o: Kept, partial: boolean) =>
    partial ? { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadata(o) } : { kind, apiVersion: `${group}/${version}`, metadata: metadata(o), spec: {} };
  const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

  const sockets = new Set<Socket>();
  const server = https.createServer({ key: certs.serverKey, cert: certs.serverCert }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push(`${req.method} ${path}`);
    const send = (code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const accept = String(req.headers.accept ?? '');
    if (req.method === 'GET' && path === base) {
      return send(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${group}/${version}`,
        resources: [{ name: resource, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: ['delete', 'deletecollection', 'get', 'list'] }],
      });
    }
    const match = collection.exec(path);
    if (!match) return send(404, status(404, 'NotFound', `the server could not find the requested resource (${path})`));
    const [, namespace, name] = match;
    const selected = kept.filter((o) => (!namespace || o.namespace === namespace) && (!name || o.name === name));
    if (req.method === 'DELETE') {
      // Accepted, and kept: what a backend that does not remove its objects answers.
      for (const o of selected) o.deletionTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      req.resume();
      if (name) return selected[0] ? send(200, item(selected[0], false)) : send(404, status(404, 'NotFound', `${resource} "${name}" not found`));
      return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
    }
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', `${req.method} is not supported`));
    const partial = asMetadata(accept);
    if (name) return selected[0] ? send(200, item(selected[0], partial)) : send(404, status(404, 'NotFound', `${resource} "${name}" not found`));
    return send(200, {
      kind: partial ? 'PartialObjectMetadataList' : `${kind}List`,
      apiVersion: partial ? 'meta.k8s.io/v1' : `${group}/${version}`,
      metadata: { resourceVersion: '1' },
      items: selected.map((o) => item(o, partial)),
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server);
  const { port, stop } = backend(server, sockets);
  return { port, requests, stop };
}
