// The classifier of webhook and conversion errors, on the words the API server really writes (k8s.io/apiserver's
// webhook client, Go's net/http, crypto/tls, crypto/x509), as the namespace controller copies them into
// NamespaceDeletionContentFailure; the recorded conditions below were read from the e2e control plane (v1.34).
import { describe, expect, it } from 'vitest';
import {
  admissionWebhookFailure,
  admissionWebhooksNamed,
  classifyWebhookError,
  conversionWebhookFailure,
  type WebhookFailureClass,
} from '../../src/rules/webhook-errors.js';

const post = (url: string, cause: string) => `failed calling webhook "v.example.com": failed to call webhook: Post "${url}": ${cause}`;
const URL_ = 'https://127.0.0.1:34567/validate?timeout=1s';
const SVC = 'https://policy.policy-system.svc:443/validate?timeout=10s';

const rows: [string, string, WebhookFailureClass][] = [
  ['unknown authority', post(URL_, 'tls: failed to verify certificate: x509: certificate signed by unknown authority'), 'tls'],
  ['expired certificate', post(SVC, 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-12-04T03:00:00Z is after 2026-12-01T00:00:00Z'), 'tls'],
  ['wrong name', post(SVC, 'tls: failed to verify certificate: x509: certificate is valid for other.example.com, not policy.policy-system.svc'), 'tls'],
  ['plain HTTP backend', post(SVC, 'http: server gave HTTP response to HTTPS client'), 'tls'],
  ['TLS alert from the server', post(SVC, 'remote error: tls: bad certificate'), 'tls'],
  ['context deadline', post(URL_, 'context deadline exceeded'), 'timeout'],
  ['client timeout awaiting headers', post(SVC, 'net/http: request canceled (Client.Timeout exceeded while awaiting headers)'), 'timeout'],
  ['dial i/o timeout', post(SVC, 'dial tcp 10.0.0.12:443: i/o timeout'), 'timeout'],
  ['TLS handshake that never completes is a hang, not a certificate problem', post(SVC, 'net/http: TLS handshake timeout'), 'timeout'],
  ['connection refused', post(URL_, 'dial tcp 127.0.0.1:34567: connect: connection refused'), 'refused'],
  ['no route', post(SVC, 'dial tcp 10.0.0.12:443: connect: no route to host'), 'unreachable'],
  ['no such host', post('https://hooks.example.invalid/validate', 'dial tcp: lookup hooks.example.invalid on 10.96.0.10:53: no such host'), 'unreachable'],
  ['no endpoints', post(SVC, 'no endpoints available for service "policy-webhook"'), 'no-endpoints'],
  ['service not found', post(SVC, 'service "policy" not found'), 'service-not-found'],
  ['denied, whatever the policy says', 'admission webhook "v.example.com" denied the request: deleting configmaps labelled keep=true is forbidden by policy (x509 audit)', 'denied'],
  ['a bad answer', post(SVC, 'expected response.uid="1", got ""'), 'unknown'],
  [
    'conversion over TLS',
    'conversion webhook for conv.example.com/v1beta1, Kind=Widget failed: Post "https://127.0.0.1:40001/convert?timeout=30s": tls: failed to verify certificate: x509: certificate signed by unknown authority',
    'tls',
  ],
  ['conversion refused', 'conversion webhook for conv.example.com/v1beta1, Kind=Widget failed: Post "https://127.0.0.1:40001/convert?timeout=30s": dial tcp 127.0.0.1:40001: connect: connection refused', 'refused'],
];

describe('classifyWebhookError', () => {
  it.each(rows)('%s', (_name, message, expected) => {
    expect(classifyWebhookError(message)).toBe(expected);
  });
});

// NamespaceDeletionContentFailure messages written by the real namespace controller (v1.34) in
// test/e2e/webhook-classes.test.ts, against the real servers that test starts.
const recordedConditions: [string, string, WebhookFailureClass][] = [
  ['guard.e2e-wh-tls.e2e.ns-doctor.dev', 'Failed to delete all resource types, 1 remaining: Internal error occurred: failed calling webhook "guard.e2e-wh-tls.e2e.ns-doctor.dev": failed to call webhook: Post "https://127.0.0.1:46353/validate?timeout=5s": tls: failed to verify certificate: x509: certificate signed by unknown authority', 'tls'],
  ['guard.e2e-wh-hang.e2e.ns-doctor.dev', 'Failed to delete all resource types, 1 remaining: Internal error occurred: failed calling webhook "guard.e2e-wh-hang.e2e.ns-doctor.dev": failed to call webhook: Post "https://127.0.0.1:40191/validate?timeout=1s": context deadline exceeded', 'timeout'],
  ['guard.e2e-wh-refused.e2e.ns-doctor.dev', 'Failed to delete all resource types, 1 remaining: Internal error occurred: failed calling webhook "guard.e2e-wh-refused.e2e.ns-doctor.dev": failed to call webhook: Post "https://127.0.0.1:45287/validate?timeout=5s": dial tcp 127.0.0.1:45287: connect: connection refused', 'refused'],
  ['deny-delete.policy.example.com', 'Failed to delete all resource types, 1 remaining: Internal error occurred: failed calling webhook "deny-delete.policy.example.com": failed to call webhook: Post "https://policy-webhook.wh1-policy.svc:443/validate?timeout=5s": no endpoints available for service "policy-webhook"', 'no-endpoints'],
];
const recordedConversions: [string, string, WebhookFailureClass][] = [
  ['convtls.e2e.ns-doctor.dev', 'Failed to delete all resource types, 1 remaining: conversion webhook for convtls.e2e.ns-doctor.dev/v1beta1, Kind=Widget failed: Post "https://127.0.0.1:46353/convert?timeout=30s": tls: failed to verify certificate: x509: certificate signed by unknown authority', 'tls'],
  ['convrefused.e2e.ns-doctor.dev', 'Failed to delete all resource types, 1 remaining: conversion webhook for convrefused.e2e.ns-doctor.dev/v1beta1, Kind=Widget failed: Post "https://127.0.0.1:45287/convert?timeout=30s": dial tcp 127.0.0.1:45287: connect: connection refused', 'refused'],
];

describe('recorded conditions of the real namespace controller', () => {
  it.each(recordedConditions)('admission webhook %s', (name, condition, expected) => {
    const failure = admissionWebhookFailure(condition, name);
    expect(failure).toEqual({ class: expected, source: 'controller', message: condition.slice(condition.indexOf('failed calling webhook')) });
  });
  it.each(recordedConversions)('conversion webhook of %s', (group, condition, expected) => {
    expect(conversionWebhookFailure(condition, group, 'Widget')).toEqual({ class: expected, source: 'controller', message: condition.slice(condition.indexOf('conversion webhook for')) });
  });
});

describe('a condition listing several errors, as the real controller wrote it (e2e, a second CRD\'s conversion webhook broken)', () => {
  // A conversion webhook that fails breaks its type's watch cache for every namespace, so its error follows the
  // error of this namespace's own webhook, joined by ", ".
  const condition =
    'Failed to delete all resource types, 2 remaining: Internal error occurred: failed calling webhook "guard.e2e-wh-svc.e2e.ns-doctor.dev": failed to call webhook: Post "https://guard.e2e-wh-svc-backend.svc:443/validate?timeout=1s": tls: failed to verify certificate: x509: certificate is valid for archive.ubuntu.com, deb.debian.org, not guard.e2e-wh-svc-backend.svc, ' +
    'storage is (re)initializing: failed to list convrefused.e2e.ns-doctor.dev/v1, Kind=Widget: conversion webhook for convrefused.e2e.ns-doctor.dev/v1beta1, Kind=Widget failed: Post "https://127.0.0.1:37387/convert?timeout=30s": dial tcp 127.0.0.1:37387: connect: connection refused';

  it('each error ends where the next entry starts, not at the first ", "', () => {
    expect(admissionWebhookFailure(condition, 'guard.e2e-wh-svc.e2e.ns-doctor.dev')).toEqual({
      class: 'tls',
      source: 'controller',
      message:
        'failed calling webhook "guard.e2e-wh-svc.e2e.ns-doctor.dev": failed to call webhook: Post "https://guard.e2e-wh-svc-backend.svc:443/validate?timeout=1s": tls: failed to verify certificate: x509: certificate is valid for archive.ubuntu.com, deb.debian.org, not guard.e2e-wh-svc-backend.svc',
    });
    expect(conversionWebhookFailure(condition, 'convrefused.e2e.ns-doctor.dev', 'Widget')).toMatchObject({ class: 'refused', message: expect.stringMatching(/^conversion webhook for convrefused.*connection refused$/) });
  });

  it('a later entry\'s words never change an earlier error\'s class', () => {
    const tlsThenTimeout = condition.replace('connect: connection refused', 'context deadline exceeded');
    expect(admissionWebhookFailure(tlsThenTimeout, 'guard.e2e-wh-svc.e2e.ns-doctor.dev')?.class).toBe('tls');
  });
});

describe('finding one webhook in a condition that lists several errors', () => {
  const condition =
    'Failed to delete all resource types, 2 remaining: Internal error occurred: failed calling webhook "a.example.com": failed to call webhook: Post "https://a.svc:443/v?timeout=10s": context deadline exceeded, ' +
    'admission webhook "b.example.com" denied the request: keep out, ' +
    'conversion webhook for conv.example.com/v1beta1, Kind=Widget failed: Post "https://c/convert?timeout=30s": x509: certificate signed by unknown authority';

  it('each webhook gets its own error and class', () => {
    expect(admissionWebhookFailure(condition, 'a.example.com')).toEqual({ class: 'timeout', source: 'controller', message: expect.stringMatching(/^failed calling webhook "a\.example\.com".*context deadline exceeded$/) });
    expect(admissionWebhookFailure(condition, 'b.example.com')).toEqual({ class: 'denied', source: 'controller', message: 'admission webhook "b.example.com" denied the request: keep out' });
    expect(conversionWebhookFailure(condition, 'conv.example.com', 'Widget')?.class).toBe('tls');
    expect(admissionWebhooksNamed(condition)).toEqual(['a.example.com', 'b.example.com']);
  });

  it('a webhook the condition does not name has no reported failure', () => {
    expect(admissionWebhookFailure(condition, 'c.example.com')).toBeUndefined();
    expect(admissionWebhookFailure(undefined, 'a.example.com')).toBeUndefined();
    expect(conversionWebhookFailure(condition, 'other.example.com')).toBeUndefined();
  });
});
