// @ts-check
// A minimal HTTP/2 client for the benchmark's own traffic (loading objects, scraping /metrics).
// It is deliberately separate from ns-doctor's client so the tool under test never shares code with its judge.
import http2 from 'node:http2';
import fs from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export function loadCredentials(kubeconfigPath) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user) throw new Error(`${kubeconfigPath}: no current cluster/user`);
  const pick = (data, file) => (data ? Buffer.from(data, 'base64') : file ? fs.readFileSync(file) : undefined);
  return {
    server: cluster.server,
    ca: pick(cluster.caData, cluster.caFile),
    cert: pick(user.certData, user.certFile),
    key: pick(user.keyData, user.keyFile),
    token: user.token,
  };
}

export class Client {
  constructor(creds, { userAgent = 'ns-doctor-bench-loader' } = {}) {
    this.creds = creds;
    this.userAgent = userAgent;
    this.sessions = [];
    this.next = 0;
  }

  // Several HTTP/2 connections: the API server caps concurrent streams per connection.
  session() {
    const want = 4;
    if (this.sessions.length < want) {
      const s = http2.connect(this.creds.server, {
        ca: this.creds.ca,
        cert: this.creds.cert,
        key: this.creds.key,
      });
      s.on('error', () => {});
      s.on('close', () => {
        this.sessions = this.sessions.filter((x) => x !== s);
      });
      this.sessions.push(s);
      return s;
    }
    const s = this.sessions[this.next++ % this.sessions.length];
    return s.closed || s.destroyed ? (this.sessions = this.sessions.filter((x) => x !== s), this.session()) : s;
  }

  request(method, path, body, headers = {}) {
    return new Promise((resolve, reject) => {
      /** @type {Record<string, string>} */
      const h = {
        ':method': method,
        ':path': path,
        'user-agent': this.userAgent,
        accept: 'application/json',
        ...headers,
      };
      if (this.creds.token) h.authorization = `Bearer ${this.creds.token}`;
      let payload;
      if (body !== undefined) {
        payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
        h['content-type'] ??= 'application/json';
      }
      const req = this.session().request(h);
      const chunks = [];
      let status = 0;
      req.on('response', (rh) => (status = rh[':status']));
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status, text, json: () => JSON.parse(text) });
      });
      req.on('error', reject);
      req.setTimeout(120_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
      req.end(payload);
    });
  }

  async json(method, path, body, okStatuses = [200, 201]) {
    for (let attempt = 0; ; attempt++) {
      const r = await this.request(method, path, body);
      if (okStatuses.includes(r.status)) return r.text ? r.json() : undefined;
      if ((r.status === 429 || r.status >= 500) && attempt < 8) {
        await sleep(200 * 2 ** attempt);
        continue;
      }
      throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    }
  }

  get(path) {
    return this.json('GET', path);
  }

  // Creates with an AlreadyExists tolerance so a re-run after an interrupted load converges.
  async create(path, obj) {
    return this.json('POST', path, obj, [200, 201, 202, 409]);
  }

  close() {
    for (const s of this.sessions) s.close();
    this.sessions = [];
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `task(item, index)` over `count` generated items with at most `concurrency` in flight. */
export async function pool(count, concurrency, task) {
  let next = 0;
  const results = new Array(count);
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

export async function waitFor(what, fn, { timeoutMs = 120_000, intervalMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
