// HTTPS_PROXY / NO_PROXY as kubectl reads them. The kubeconfig names the API server by a host that does not resolve
// (apiserver.ns-doctor.invalid, RFC 2606), so a run can only reach it through the proxy, which tunnels that name to
// the control plane on 127.0.0.1; tls-server-name keeps the serving certificate (localhost) valid.
import { load, dump } from 'js-yaml';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, diagnose, kubectl, nsDoctor, scenario } from './harness.js';
import { blocker, expectReportShape } from './report-shape.js';

const ns = 'e2e-proxy';
const unresolvable = 'apiserver.ns-doctor.invalid';

let proxy: http.Server;
let proxyUrl: string;
const tunnels: string[] = [];
let dir: string;
let kubeconfig: string;
let apiserverPort: string;

describe('through the proxy named by HTTPS_PROXY', () => {
  beforeAll(async () => {
    apiserverPort = new URL(cluster().apiserverUrl).port;
    proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client: net.Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      if (host !== unresolvable) {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        return;
      }
      const upstream = net.connect(Number(port), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((ready) => proxy.listen(0, '127.0.0.1', ready));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;

    dir = mkdtempSync(join(tmpdir(), 'ns-doctor-e2e-proxy-'));
    kubeconfig = join(dir, 'kubeconfig');
    const config = load(readFileSync(cluster().kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
    for (const c of config.clusters) {
      c.cluster.server = `https://${unresolvable}:${apiserverPort}`;
      c.cluster['tls-server-name'] = 'localhost';
    }
    writeFileSync(kubeconfig, dump(config));
    await scenario('ns-finalizer', 'up', ns);
  });
  afterAll(async () => {
    await scenario('ns-finalizer', 'down', ns);
    proxy?.closeAllConnections();
    proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl itself goes through the proxy with this setup', async () => {
    tunnels.length = 0;
    const r = await kubectl(['get', 'namespace', ns, '-o', 'name'], { kubeconfig, env: { HTTPS_PROXY: proxyUrl, NO_PROXY: '' } });
    expect(r.code, r.stderr).toBe(0);
    expect(tunnels).toContain(`${unresolvable}:${apiserverPort}`);
  });

  it('ns-doctor diagnoses through it, every request tunnelled', async () => {
    tunnels.length = 0;
    const { result, report } = await diagnose(ns, [], { kubeconfig, env: { HTTPS_PROXY: proxyUrl, NO_PROXY: '' } });
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(blocker(report, 'NamespaceFinalizerRemaining')).toBeDefined();
    expect(report.gaps).toEqual([]);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([`${unresolvable}:${apiserverPort}`]));
  });

  it('lower-case https_proxy works too', async () => {
    tunnels.length = 0;
    const { result } = await diagnose(ns, [], { kubeconfig, env: { https_proxy: proxyUrl, HTTPS_PROXY: undefined, NO_PROXY: '' } });
    expect(result.code, result.stderr).toBe(1);
    expect(tunnels.length).toBeGreaterThan(0);
  });

  it('NO_PROXY naming the server: straight to a host that does not resolve, exit 2 in one line', async () => {
    tunnels.length = 0;
    const r = await nsDoctor([ns, '--request-timeout', '5s'], { kubeconfig, env: { HTTPS_PROXY: proxyUrl, NO_PROXY: '.ns-doctor.invalid' } });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(`cannot reach ${unresolvable}:${apiserverPort}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(tunnels).toEqual([]);
  });

  it('a proxy-url in the kubeconfig wins over HTTPS_PROXY', async () => {
    const withProxyUrl = join(dir, 'kubeconfig-proxy-url');
    const config = load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
    for (const c of config.clusters) c.cluster['proxy-url'] = proxyUrl;
    writeFileSync(withProxyUrl, dump(config));
    tunnels.length = 0;
    const { result } = await diagnose(ns, [], { kubeconfig: withProxyUrl, env: { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' } });
    expect(result.code, result.stderr).toBe(1);
    expect(tunnels.length).toBeGreaterThan(0);
  });
});
