// The proxy kubectl would use when the kubeconfig names none: client-go takes it from the environment with Go's
// http.ProxyFromEnvironment (golang.org/x/net/http/httpproxy). The same rules here, so that a user behind a proxy
// reaches the cluster from ns-doctor exactly when kubectl does.
import { BlockList, isIP } from 'node:net';

type Env = Record<string, string | undefined>;

/**
 * HTTPS_PROXY for https servers, HTTP_PROXY for http ones (upper case first, then lower case), unless NO_PROXY
 * excludes the server. A proxy given without a scheme is http://. localhost and loopback addresses never go through
 * a proxy.
 */
export function proxyFromEnvironment(server: URL, env: Env): string | undefined {
  const raw = server.protocol === 'https:' ? firstSet(env, 'HTTPS_PROXY', 'https_proxy') : firstSet(env, 'HTTP_PROXY', 'http_proxy');
  if (!raw) return undefined;
  const host = server.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = server.port || (server.protocol === 'https:' ? '443' : '80');
  if (!usesProxy(host, port, firstSet(env, 'NO_PROXY', 'no_proxy') ?? '')) return undefined;
  return /^(https?|socks5h?):\/\//i.test(raw) ? raw : `http://${raw}`;
}

function firstSet(env: Env, ...names: string[]): string | undefined {
  for (const name of names) if (env[name]) return env[name];
  return undefined;
}

/**
 * NO_PROXY is a comma-separated list: "*" (nothing is proxied), IP addresses and CIDR ranges (matched against IP
 * hosts only), and domains, which match the name and its subdomains ("example.com") or the subdomains only
 * (".example.com", "*.example.com"). Addresses and domains may carry ":port", then only that port matches.
 */
export function usesProxy(host: string, port: string, noProxy: string): boolean {
  const family = isIP(host);
  if (host === 'localhost' || (family && isLoopback(host, family))) return false;
  for (let entry of noProxy.split(',')) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return false;
    const cidr = entry.match(/^(.+)\/(\d{1,3})$/);
    if (cidr?.[1] && isIP(cidr[1])) {
      if (family && inSubnet(host, family, cidr[1], Number(cidr[2]))) return false;
      continue;
    }
    const [entryHost, entryPort] = splitHostPort(entry);
    if (!entryHost || (entryPort && entryPort !== port)) continue;
    if (isIP(entryHost)) {
      if (family && inSubnet(host, family, entryHost, isIP(entryHost) === 4 ? 32 : 128)) return false;
      continue;
    }
    if (family) continue; // a domain entry never matches an address
    const domain = entryHost.replace(/^\*\./, '.');
    if (domain.startsWith('.') ? host.endsWith(domain) : host === domain || host.endsWith(`.${domain}`)) return false;
  }
  return true;
}

function splitHostPort(entry: string): [string, string | undefined] {
  const bracketed = entry.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (bracketed?.[1]) return [bracketed[1], bracketed[2]];
  const withPort = entry.match(/^([^:]+):(\d+)$/);
  if (withPort?.[1]) return [withPort[1], withPort[2]];
  return [entry, undefined];
}

function inSubnet(host: string, family: number, network: string, prefix: number): boolean {
  const networkFamily = isIP(network);
  if (networkFamily !== family) return false;
  const list = new BlockList();
  try {
    list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false; // a malformed entry is ignored, as Go does
  }
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

function isLoopback(host: string, family: number): boolean {
  return family === 4 ? inSubnet(host, 4, '127.0.0.0', 8) : inSubnet(host, 6, '::1', 128);
}
