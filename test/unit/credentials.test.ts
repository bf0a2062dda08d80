// Credential problems named before the first request (a mismatched key otherwise reads as "system:anonymous
// forbidden"), and command-line values that yargs would misread.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinNegativeValues } from '../../src/cli/args.js';
import { clientCertificateProblem } from '../../src/kube/client-certificate.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-creds-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'a.key'), '-out', join(dir, 'a.crt'), '-days', '2', '-subj', '/O=system:masters/CN=alice');
openssl('genrsa', '-out', join(dir, 'b.key'), '2048');
const file = (name: string) => readFileSync(join(dir, name));

describe('clientCertificateProblem', () => {
  it('accepts a key that belongs to its certificate', () => {
    expect(clientCertificateProblem({ cert: file('a.crt'), key: file('a.key') }, 'alice')).toBeUndefined();
  });

  it('names a key that does not belong to the certificate', () => {
    expect(clientCertificateProblem({ cert: file('a.crt'), key: file('b.key') }, 'alice')).toBe(
      'the client key of user "alice" does not match its client certificate (O=system:masters, CN=alice)',
    );
  });

  it('names an expired certificate and one not valid yet', () => {
    const later = new Date(Date.now() + 5 * 86_400_000);
    expect(clientCertificateProblem({ cert: file('a.crt'), key: file('a.key') }, 'alice', later)).toMatch(/^the client certificate of user "alice" expired on \d{4}-/);
    const earlier = new Date(Date.now() - 86_400_000);
    expect(clientCertificateProblem({ cert: file('a.crt'), key: file('a.key') }, 'alice', earlier)).toMatch(/is not valid before/);
  });

  it('says when a certificate or key cannot be read at all', () => {
    expect(clientCertificateProblem({ cert: Buffer.from('not a certificate'), key: file('a.key') }, 'alice')).toMatch(/certificate of user "alice" cannot be read/);
    expect(clientCertificateProblem({ cert: file('a.crt'), key: Buffer.from('not a key') }, 'alice')).toMatch(/key of user "alice" cannot be read/);
  });

  it('has nothing to say without a client certificate (tokens, exec plugins)', () => {
    expect(clientCertificateProblem({ headers: { Authorization: 'Bearer x' } }, 'bob')).toBeUndefined();
  });
});

describe('joinNegativeValues', () => {
  it('keeps a negative value with the flag that takes it, so the flag can say what is wrong', () => {
    expect(joinNegativeValues(['ns', '--wait', '-5s', '-o', 'json'])).toEqual(['ns', '--wait=-5s', '-o', 'json']);
    expect(joinNegativeValues(['--concurrency', '-3'])).toEqual(['--concurrency=-3']);
  });

  it('leaves flags that follow a flag alone', () => {
    expect(joinNegativeValues(['--wait', '-v', 'ns'])).toEqual(['--wait', '-v', 'ns']);
    expect(joinNegativeValues(['-o', '-5'])).toEqual(['-o', '-5']);
  });
});
