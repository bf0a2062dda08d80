// A client key that does not belong to its certificate is not sent by TLS at all: the server then sees an anonymous
// user and answers "system:anonymous forbidden", which sends people hunting for RBAC problems. Check the pair, and
// the certificate's dates, before the first request, and say what is wrong with the credentials.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type https from 'node:https';

export function clientCertificateProblem(options: https.RequestOptions, user: string, now = new Date()): string | undefined {
  const cert = first(options.cert);
  const key = first(options.key);
  if (!cert || !key) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    return `the client certificate of user "${user}" cannot be read: ${(error as Error).message}`;
  }
  let keyMatches: boolean;
  try {
    const publicKey = createPublicKey(createPrivateKey({ key, ...(options.passphrase ? { passphrase: options.passphrase } : {}) }));
    keyMatches = certificate.publicKey.equals(publicKey);
  } catch (error) {
    return `the client key of user "${user}" cannot be read: ${(error as Error).message}`;
  }
  if (!keyMatches) return `the client key of user "${user}" does not match its client certificate (${certificate.subject.replaceAll('\n', ', ')})`;
  if (new Date(certificate.validTo) < now) return `the client certificate of user "${user}" expired on ${new Date(certificate.validTo).toISOString()}`;
  if (new Date(certificate.validFrom) > now) return `the client certificate of user "${user}" is not valid before ${new Date(certificate.validFrom).toISOString()}`;
  return undefined;
}

function first(value: unknown): string | Buffer | undefined {
  if (Array.isArray(value)) return value[0] as string | Buffer | undefined;
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : undefined;
}
