// Which protocol the client speaks over TLS, and how it recovers, against small local TLS servers (a certificate made
// by openssl for 127.0.0.1). Kubernetes' own behaviour is tested end to end; this is the transport alone.
import { KubeConfig } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { apiFailure } from './helpers.js';

let dir: string;
let cert: Buffer;
let key: Buffer;
const closers: (() => void)[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-doctor-transport-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  cert = fs.readFileSync(path.join(dir, 'cert.pem'));
  key = fs.readFileSync(path.join(dir, 'key.pem'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  while (closers.length) closers.pop()!();
});

function clientFor(port: number, { trusted = true, requestTimeoutMs = 2_000 } = {}): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, ...(trusted ? { caData: cert.toString('base64') } : {}), skipTLSVerify: false }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  const client = new KubeClient(kc, { requestTimeoutMs, concurrency: 4, userAgent: 'test' });
  closers.push(() => client.close());
  return client;
}

interface Seen {
  version: string;
  authorization?: string;
  accept?: string;
}

async function h2Server(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, session: http2.Http2Session) => void) {
  const server = http2.createSecureServer({ cert, key });
  const sessions: http2.ServerHttp2Session[] = [];
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (stream, headers) => handler(stream, headers, stream.session!));
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  closers.push(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, sessions };
}


describe('transport negotiation', () => {
  it('speaks HTTP/2 to a server that offers it, with credentials and Accept on every stream, over one connection', async () => {
    const seen: Seen[] = [];
    const { port, sessions } = await h2Server((stream, headers) => {
      seen.push({ version: '2.0', authorization: headers.authorization, accept: headers.accept });
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ path: headers[':path'] }));
    });
    const client = clientFor(port);
    const answers = await Promise.all(['/api', '/apis', '/api/v1/namespaces/x'].map((p) => client.getJson<{ path: string }>(p)));
    expect(answers.map((a) => a.path)).toEqual(['/api', '/apis', '/api/v1/namespaces/x']);
    expect(seen).toHaveLength(3);
    for (const s of seen) {
      expect(s.authorization).toBe('Bearer secret-token');
      expect(s.accept).toBe('application/json');
    }
    expect(sessions).toHaveLength(1);
    expect(client.stats.requests).toBe(3);
  });

  it('falls back to HTTP/1.1 keep-alive when the server does not offer h2', async () => {
    const versions: string[] = [];
    const server = https.createServer({ cert, key }, (req, res) => {
      versions.push(req.httpVersion);
      expect(req.headers.authorization).toBe('Bearer secret-token');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    closers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const client = clientFor((server.address() as AddressInfo).port);
    await expect(client.getJson('/api')).resolves.toEqual({ ok: true });
    await expect(client.getJson('/apis')).resolves.toEqual({ ok: true });
    expect(versions).toEqual(['1.1', '1.1']);
  });

  it('opens a new connection after the server sends GOAWAY', async () => {
    let served = 0;
    const { port, sessions } = await h2Server((stream, _headers, session) => {
      served++;
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ served }));
      // As kube-apiserver does with --goaway-chance: finish this stream, then ask the client to go elsewhere.
      if (served === 1) stream.on('close', () => session.goaway());
    });
    const client = clientFor(port);
    await expect(client.getJson('/api')).resolves.toEqual({ served: 1 });
    await new Promise((r) => setTimeout(r, 50));
    await expect(client.getJson('/apis')).resolves.toEqual({ served: 2 });
    expect(sessions).toHaveLength(2);
  });

  it('times out a stream that never answers, leaving the connection usable', async () => {
    const { port } = await h2Server((stream, headers) => {
      if (headers[':path'] === '/slow') return;
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end('{"ok":true}');
    });
    const client = clientFor(port, { requestTimeoutMs: 200 });
    const error = await apiFailure(client.getJson('/slow'));
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('timed out after 0.2s');
    await expect(client.getJson('/fast')).resolves.toEqual({ ok: true });
  });

  it('reports an untrusted server certificate as a TLS failure in one line', async () => {
    const { port } = await h2Server((stream) => stream.respond({ ':status': 200 }));
    const error = await apiFailure(clientFor(port, { trusted: false }).getJson('/api'));
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(new RegExp(`^TLS failure talking to 127\\.0\\.0\\.1:${port}: the server's certificate is signed by an authority the kubeconfig does not trust`));
    expect(error.message).not.toMatch(/use-system-ca|\n/);
  });
});
