// Classifies why the API server could not get an answer from a webhook (admission or CRD conversion), from the
// error text it reports (in the namespace controller's NamespaceDeletionContentFailure message). The wording is that
// of Go's net/http, crypto/tls and crypto/x509 and of k8s.io/apiserver's webhook client
// (staging/src/k8s.io/apiserver/pkg/util/webhook, .../admission/plugin/webhook/errors), which the API server wraps
// as `failed calling webhook "<name>": failed to call webhook: Post "<url>": <cause>`, or, for conversion,
// `conversion webhook for <group>/<version>, Kind=<kind> failed: Post "<url>": <cause>`.

import type { WebhookFailure, WebhookFailureClass } from '../model/shared.js';

export type { WebhookFailure, WebhookFailureClass };

// Order matters: a denial's message is the webhook's own text and may say anything; "TLS handshake timeout" is a
// backend that accepted TCP and did not answer, not a certificate problem.
const CLASSES: [WebhookFailureClass, RegExp][] = [
  ['denied', /admission webhook "[^"]*" denied the request|denied the request/i],
  ['no-endpoints', /no endpoints available for service/i],
  ['service-not-found', /service "[^"]*" not found|services "[^"]*" not found/i],
  ['timeout', /context deadline exceeded|Client\.Timeout exceeded|i\/o timeout|TLS handshake timeout|timeout awaiting response headers|request canceled while waiting for connection/i],
  ['tls', /x509:|certificate|tls:|remote error: tls|first record does not look like a TLS handshake|server gave HTTP response to HTTPS client/i],
  ['refused', /connection refused/i],
  ['unreachable', /no route to host|network is unreachable|no such host|server misbehaving/i],
];

export function classifyWebhookError(message: string): WebhookFailureClass {
  for (const [failureClass, pattern] of CLASSES) if (pattern.test(message)) return failureClass;
  return 'unknown';
}

// Where one error about a webhook starts, in a condition message that may list several.
const ERROR_STARTS = /failed calling webhook "|admission webhook "|conversion webhook for /g;
// The namespace controller joins the errors of its pass with ", " (an aggregate error); errors themselves contain
// ", " too ("v1beta1, Kind=Widget", "certificate is valid for a, b, not c"), so an error ends only where ", " is
// followed by the start of another entry. Seen on the real controller: a conversion webhook that fails breaks the
// watch cache of its type for every namespace ("storage is (re)initializing: failed to list <group>/<version>,
// Kind=<kind>: conversion webhook for … failed: …"), so that entry follows whatever error came first.
const NEXT_ENTRY =
  /, (?=Internal error occurred: |storage is \(re\)initializing|unexpected items still remain|failed to list |failed calling webhook "|admission webhook "|conversion webhook for |Timeout: |etcdserver: |[a-z0-9.-]+ is forbidden: )/g;

/** The errors of a controller message about webhooks, each from its start marker to where the next entry begins. */
function errorsIn(text: string): string[] {
  const starts = [...text.matchAll(ERROR_STARTS)].map((m) => m.index);
  const ends = [...text.matchAll(NEXT_ENTRY)].map((m) => m.index);
  return starts.map((start, i) => {
    const end = Math.min(starts[i + 1] ?? text.length, ends.find((e) => e > start) ?? text.length);
    return text.slice(start, end).replace(/[,\s\]]+$/, '');
  });
}

/** The controller's error about admission webhook `name`, classified; undefined when its message does not name it. */
export function admissionWebhookFailure(text: string | undefined, name: string): WebhookFailure | undefined {
  if (!text) return undefined;
  const message = errorsIn(text).find((e) => e.startsWith(`failed calling webhook "${name}"`) || e.startsWith(`admission webhook "${name}"`));
  return message ? { class: classifyWebhookError(message), message, source: 'controller' } : undefined;
}

/** Names of the admission webhooks the controller's message names (calls that failed, or denials). */
export function admissionWebhooksNamed(text: string | undefined): string[] {
  if (!text) return [];
  return [...text.matchAll(/(?:failed calling webhook|admission webhook) "([^"]+)"/g)].map((m) => m[1] ?? '');
}

/** The controller's error about the conversion webhook of CRD group `group` (and kind, when given), classified. */
export function conversionWebhookFailure(text: string | undefined, group: string, kind?: string): WebhookFailure | undefined {
  if (!text) return undefined;
  const errors = errorsIn(text).filter((e) => e.startsWith(`conversion webhook for ${group}/`));
  const message = (kind ? errors.find((e) => new RegExp(`^conversion webhook for ${escapeRegExp(group)}/[^,]*, Kind=${escapeRegExp(kind)}\\b`).test(e)) : undefined) ?? errors[0];
  return message ? { class: classifyWebhookError(message), message, source: 'controller' } : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
