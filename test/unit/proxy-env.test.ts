// The proxy rules of Go's http.ProxyFromEnvironment, which kubectl uses; cases follow Go's own tests
// (golang.org/x/net/http/httpproxy proxy_test.go).
import { describe, expect, it } from 'vitest';
import { proxyFromEnvironment, usesProxy } from '../../src/kube/proxy-env.js';

describe('proxyFromEnvironment', () => {
  const server = new URL('https://api.example.com:6443');

  it('takes HTTPS_PROXY for an https server, upper case before lower case', () => {
    expect(proxyFromEnvironment(server, { HTTPS_PROXY: 'http://proxy:3128', https_proxy: 'http://other:1' })).toBe('http://proxy:3128');
    expect(proxyFromEnvironment(server, { https_proxy: 'http://other:1' })).toBe('http://other:1');
    expect(proxyFromEnvironment(server, { HTTP_PROXY: 'http://proxy:3128' })).toBeUndefined();
  });

  it('takes HTTP_PROXY for a plain-http server', () => {
    expect(proxyFromEnvironment(new URL('http://api.example.com:8080'), { HTTP_PROXY: 'proxy:3128' })).toBe('http://proxy:3128');
  });

  it('keeps socks5 proxies and reads a bare host:port as http', () => {
    expect(proxyFromEnvironment(server, { HTTPS_PROXY: 'socks5://127.0.0.1:1080' })).toBe('socks5://127.0.0.1:1080');
    expect(proxyFromEnvironment(server, { HTTPS_PROXY: 'proxy.corp:8080' })).toBe('http://proxy.corp:8080');
  });

  it('is skipped when NO_PROXY names the server', () => {
    expect(proxyFromEnvironment(server, { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'example.com' })).toBeUndefined();
    expect(proxyFromEnvironment(server, { HTTPS_PROXY: 'http://proxy:3128', no_proxy: '.example.com' })).toBeUndefined();
  });
});

describe('usesProxy (NO_PROXY)', () => {
  const cases: [host: string, port: string, noProxy: string, proxied: boolean][] = [
    // Never proxied: localhost and loopback, whatever NO_PROXY says.
    ['localhost', '80', '', false],
    ['127.0.0.1', '6443', '', false],
    ['127.0.0.2', '6443', '', false],
    ['::1', '443', '', false],
    ['::2', '443', '', true],
    // Domains: "foobar.com" is the name and its subdomains; ".barbaz.net" the subdomains only.
    ['barbaz.net', '80', 'foobar.com, .barbaz.net', true],
    ['www.barbaz.net', '80', 'foobar.com, .barbaz.net', false],
    ['foobar.com', '80', 'foobar.com, .barbaz.net', false],
    ['www.foobar.com', '80', 'foobar.com, .barbaz.net', false],
    ['foofoobar.com', '80', 'foobar.com, .barbaz.net', true],
    ['baz.com', '80', 'foobar.com, .barbaz.net', true],
    ['api.corp.internal', '443', '*.corp.internal', false],
    ['corp.internal', '443', '*.corp.internal', true],
    // Ports: an entry with a port matches that port only.
    ['foo.com', '443', 'foo.com:443', false],
    ['foo.com', '6443', 'foo.com:443', true],
    // Addresses and CIDR ranges match addresses only.
    ['10.0.3.4', '6443', '10.0.0.0/8', false],
    ['11.0.3.4', '6443', '10.0.0.0/8', true],
    ['192.168.1.10', '443', '192.168.1.10', false],
    ['192.168.1.10', '6443', '192.168.1.10:443', true],
    ['2001:db8::1', '443', '2001:db8::/32', false],
    ['2001:db8::1', '443', '[2001:db8::1]:443', false],
    ['10.0.0.1', '443', '0.0.1', true],
    // "*" turns proxies off; empty and malformed entries are ignored.
    ['anything.example', '443', '*', false],
    ['anything.example', '443', ' , :80, 10.0.0.0/99', true],
  ];
  it.each(cases)('%s:%s with NO_PROXY=%j → proxied %s', (host, port, noProxy, proxied) => {
    expect(usesProxy(host, port, noProxy)).toBe(proxied);
  });
});
