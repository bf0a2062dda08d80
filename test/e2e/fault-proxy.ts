/**
 * A fault-injecting proxy in front of the real kube-apiserver, for e2e tests of how ns-doctor survives a flaky or
 * hostile API. It listens on 127.0.0.1 (plain HTTP), forwards every request to the test control plane with the
 * admin client certificate, and applies the first matching fault to chosen paths:
 *   429 (Retry-After: 1), 500, 503, 403  an API-server-shaped Status answer
 *   delay                                 answers only after `delayMs` (beyond --request-timeout)
 *   cut                                   sends the headers and half the body, then drops the connection
 *   reset                                 resets the connection as soon as the request arrives
 *   badjson                               a 200 with a correct Content-Length whose body is not valid JSON
 *   huge                                  a 200 whose body never ends (64 MiB of a list that keeps going)
 *   lose-answer                           forwards the request (the API server stores the write), then drops the
 *                                         connection instead of answering: "the API server died between storing and
 *                                         answering"; with `downForMs` every request after it is reset for that long
 * `method` limits a fault to one HTTP method. `times` limits a fault to its first N matches (the rest pass through). Every request is recorded in `hits`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { cluster } from './harness.js';

export type FaultKind = '429' | '500' | '503' | '403' | 'delay' | 'cut' | 'reset' | 'badjson' | 'huge' | 'lose-answer';

export interface Fault {
  path: RegExp;
  kind: FaultKind;
  method?: string;
  times?: number;
  delayMs?: number;
  downForMs?: number;
}

export interface Hit {
  path: string;
  method?: string;
  fault?: FaultKind | 'down';
}

export class FaultProxy {
  faults: Fault[] = [];
  readonly hits: Hit[] = [];
  private readonly used = new Map<Fault, number>();
  private downUntil = 0;
  private readonly sockets = new Set<Socket>();
  private readonly upstream: https.Agent;
  private readonly target: URL;

  private constructor(private readonly server: http.Server) {
    const pki = join(cluster().stateDir, 'pki');
    this.target = new URL(cluster().apiserverUrl);
    this.upstream = new https.Agent({
      keepAlive: true,
      ca: readFileSync(join(pki, 'ca.crt')),
      cert: readFileSync(join(pki, 'admin.crt')),
      key: readFileSync(join(pki, 'admin.key')),
    });
    server.on('request', (req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<FaultProxy> {
    const server = http.createServer();
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    return new FaultProxy(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig that sends ns-doctor through this proxy (the proxy authenticates upstream as the admin). */
  kubeconfig(): string {
    const file = join(cluster().stateDir, `kubeconfig-fault-proxy-${(this.server.address() as AddressInfo).port}`);
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: proxy, cluster: {server: "' + this.url + '", insecure-skip-tls-verify: true}}]',
        'users: [{name: proxy, user: {token: through-the-fault-proxy}}]',
        'contexts: [{name: proxy, context: {cluster: proxy, user: proxy}}]',
        'current-context: proxy',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** Requests seen for paths matching `path` (each retry counts). */
  count(path: RegExp): number {
    return this.hits.filter((h) => path.test(h.path)).length;
  }

  reset(faults: Fault[] = []): void {
    this.faults = faults;
    this.hits.length = 0;
    this.used.clear();
    this.downUntil = 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.upstream.destroy();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private pick(path: string, method: string): Fault | undefined {
    for (const fault of this.faults) {
      if (!fault.path.test(path)) continue;
      if (fault.method && fault.method !== method) continue;
      const used = this.used.get(fault) ?? 0;
      if (fault.times !== undefined && used >= fault.times) continue;
      this.used.set(fault, used + 1);
      return fault;
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (Date.now() < this.downUntil) {
      this.hits.push({ path, method, fault: 'down' });
      req.socket.resetAndDestroy();
      return;
    }
    const fault = this.pick(path, method);
    this.hits.push({ path, method, ...(fault ? { fault: fault.kind } : {}) });
    switch (fault?.kind) {
      case 'lose-answer':
        return this.forward(req, res, false, () => {
          if (fault.downForMs) this.downUntil = Date.now() + fault.downForMs;
          req.socket.resetAndDestroy();
        });
      case '429':
        return status(res, 429, 'TooManyRequests', 'too many requests, please try again later', { 'Retry-After': '1' });
      case '500':
        return status(res, 500, 'InternalError', 'Internal error occurred: injected by the fault proxy');
      case '503':
        return status(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      case '403':
        return status(res, 403, 'Forbidden', `injected: forbidden to read ${path.split('?')[0]}`);
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'badjson': {
        const body = '{"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":"half' + ' '.repeat(64);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
        return;
      }
      case 'huge': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"kind":"PartialObjectMetadataList","items":[');
        const item = Buffer.from('{"metadata":{"name":"x"}},'.repeat(40_000));
        let sent = 0;
        const more = (): void => {
          while (sent < 64 * 1024 * 1024 && !res.destroyed) {
            sent += item.length;
            if (!res.write(item)) return void res.once('drain', more);
          }
          if (!res.destroyed) res.end('{"metadata":{"name":"x"}}]}');
        };
        more();
        return;
      }
      case 'delay': {
        const timer = setTimeout(() => this.forward(req, res, false), fault.delayMs ?? 60_000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'cut':
        return this.forward(req, res, true);
      default:
        return this.forward(req, res, false);
    }
  }

  /** Passes the request on (with its body: writes go through too); `lose` replaces the answer, once the server has given it. */
  private forward(req: IncomingMessage, res: ServerResponse, cut: boolean, lose?: () => void): void {
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'user-agent', 'content-type']) if (req.headers[name]) headers[name] = String(req.headers[name]);
    const upstream = https.request(
      { host: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers, agent: this.upstream },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (lose) return lose();
          const body = Buffer.concat(chunks);
          const passOn: Record<string, string> = { 'Content-Length': String(body.length) };
          if (answer.headers['content-type']) passOn['Content-Type'] = answer.headers['content-type'];
          res.writeHead(answer.statusCode ?? 502, passOn);
          if (!cut) {
            res.end(body);
            return;
          }
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        });
      },
    );
    upstream.on('error', (error) => status(res, 502, 'BadGateway', `fault proxy: ${error.message}`));
    req.pipe(upstream);
  }
}

function status(res: ServerResponse, code: number, reason: string, message: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.socket?.destroy();
    return;
  }
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'Content-Type': 'application/json', ...extra }).end(body);
}
