// What a failing webhook (admission or CRD conversion) looks like to an on-call engineer, by failure class: the
// phrase of the summary and the safe fixes. The class comes from the controller's own words
// (rules/webhook-errors.ts) or, when it has not named the webhook, from the objects (Service missing, no ready
// endpoint). Shared by WebhookBlocksDeletion and ConversionWebhookDown.
import type { Fix, WebhookFailure } from '../model/report.js';
import type { ServiceRef, Snapshot, WebhookState } from '../snapshot/types.js';
import { sh } from '../util/shell.js';
import { describeBackend, type BackendVerdict } from '../rules/backend-chain.js';
import { namespaceWriteWebhooks } from '../rules/kubernetes.js';

/** Where a webhook is called: a Service (resolved by the API server to a ready endpoint) or a URL. */
export interface WebhookTarget {
  service?: ServiceRef;
  url?: string;
  hasCABundle?: boolean;
  /** Admission webhooks only; conversion webhooks wait a fixed 30 s. */
  timeoutSeconds?: number;
}

/** The cause inside the controller's words: what follows `Post "<url>": `, else the message itself. */
export function causeOf(failure: WebhookFailure): string {
  const afterPost = /Post "[^"]*": (.*)$/s.exec(failure.message)?.[1];
  if (afterPost) return afterPost.replace(/^failed to call webhook: /, '');
  return failure.message.replace(/^(?:failed calling webhook "[^"]*": |conversion webhook for [^:]*? failed: |admission webhook "[^"]*" denied the request: )/, '');
}

/** A failure read from the objects alone: the Service is missing, or has no ready endpoint. */
export function observedFailure(target: WebhookTarget, backend: BackendVerdict | undefined): WebhookFailure | undefined {
  if (!target.service || !backend) return undefined;
  const key = `${target.service.namespace}/${target.service.name}`;
  if (backend.serviceMissing) return { class: 'service-not-found', message: `Service ${key} does not exist`, source: 'objects' };
  if (backend.readyEndpoints === 0) return { class: 'no-endpoints', message: `Service ${key} has no ready endpoints`, source: 'objects' };
  return undefined;
}

export function describeTarget(target: WebhookTarget): string {
  if (target.service) return `Service ${target.service.namespace}/${target.service.name}${target.service.port ? ` port ${target.service.port}` : ''}`;
  return target.url ?? 'its backend';
}

/** "the API server does not trust its serving certificate (x509: …)": why it fails, for a summary. */
export function failurePhrase(failure: WebhookFailure, target: WebhookTarget, defaultTimeoutSeconds: number): string {
  const cause = causeOf(failure);
  const where = describeTarget(target);
  switch (failure.class) {
    case 'tls':
      return `the API server does not trust the certificate its backend serves (${cause})`;
    case 'timeout':
      return `its backend ${where} accepts the call but does not answer within ${target.timeoutSeconds ?? defaultTimeoutSeconds}s (${cause})`;
    case 'refused':
      return `nothing listens at its backend ${where} (connection refused)`;
    case 'unreachable':
      return `the API server cannot reach its backend ${where} (${cause})`;
    case 'no-endpoints':
      return `its backend ${where} has no ready endpoints`;
    case 'service-not-found':
      return `its backend ${where} does not exist`;
    case 'denied':
      return `the webhook answers and its policy denies the request: ${cause}`;
    case 'unknown':
      return `calling it fails: ${cause}`;
  }
}

/** The class in a few words, for a headline shared by many namespaces (--all). */
export function failureClassPhrase(failureClass: WebhookFailure['class']): string {
  const phrases: Record<WebhookFailure['class'], string> = {
    tls: 'its serving certificate is not trusted',
    timeout: 'its backend does not answer in time',
    refused: 'nothing listens at its backend',
    unreachable: 'its backend cannot be reached',
    'no-endpoints': 'its backend has no ready endpoints',
    'service-not-found': 'its backend Service does not exist',
    denied: 'its policy denies the request',
    unknown: 'calling it fails',
  };
  return phrases[failureClass];
}

/** Facts about the target that bear on the class: the caBundle for TLS, the timeout for a hang. */
export function targetFacts(target: WebhookTarget, defaultTimeoutSeconds: number): string[] {
  const facts = [target.url ? `called by URL ${target.url}` : `called through ${describeTarget(target)}`];
  if (target.hasCABundle !== undefined) facts.push(target.hasCABundle ? 'caBundle set' : "no caBundle (the API server's own trust roots)");
  if (target.timeoutSeconds !== undefined || defaultTimeoutSeconds !== 10) facts.push(`timeout ${target.timeoutSeconds ?? defaultTimeoutSeconds}s`);
  return facts;
}

/**
 * The safe fixes for a failure class, first the one that repairs the cause. `caBundleOf` is the command that prints
 * the caBundle the API server trusts for this webhook (kubectl get … -o jsonpath=…).
 */
export function safeFixesFor(failure: WebhookFailure, target: WebhookTarget, snapshot: Snapshot, caBundleOf: string, timeoutSeconds: number): Fix[] {
  const service = target.service;
  const key = service ? `${service.namespace}/${service.name}` : undefined;
  const backendPods = service ? sh`kubectl -n ${service.namespace} get pods,endpointslices -l ${`kubernetes.io/service-name=${service.name}`}` : undefined;
  const selector = key ? snapshot.services[key]?.selector : undefined;
  const logs = service && selector && Object.keys(selector).length
    ? sh`kubectl -n ${service.namespace} logs -l ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')} --tail=100`
    : undefined;
  switch (failure.class) {
    case 'tls':
      if (target.hasCABundle === false) {
        return [
          {
            safety: 'safe',
            description:
              "no caBundle is set, so the API server checks the backend's certificate against its own trust roots: set clientConfig.caBundle to the CA that signed it; print the certificate the backend serves:",
            command: servingCertCommand(target),
          },
        ];
      }
      return [
        {
          safety: 'safe',
          description: `make the caBundle the API server uses for this webhook the CA that signed the certificate its backend serves (or renew that certificate); print the caBundle's certificate:`,
          command: `${caBundleOf} | base64 -d | openssl x509 -noout -subject -issuer -enddate`,
        },
        { safety: 'safe', description: "compare with the certificate the backend serves: its issuer must be the caBundle's subject, its names must cover the host called, and it must not be expired", command: servingCertCommand(target) },
      ];
    case 'timeout':
      return [
        {
          safety: 'safe',
          description: `find why the backend does not answer within ${timeoutSeconds}s (overloaded, CPU-throttled, waiting on its own dependencies, deadlocked); deletion resumes once it answers`,
          ...withCommand(logs ?? backendPods),
        },
      ];
    case 'refused':
      return [
        {
          safety: 'safe',
          description: `the backend process does not listen on the port called (${describeTarget(target)}): check that it runs and listens on that port (for a Service, its targetPort)`,
          ...(backendPods ? { command: backendPods } : {}),
        },
      ];
    case 'unreachable':
      return [{ safety: 'safe', description: `make ${describeTarget(target)} reachable from the API server (route, DNS, network policy on the control plane's path)` }];
    case 'no-endpoints':
      return [
        {
          safety: 'safe',
          description: `restore the webhook backend${key ? ` ${key}` : ''} (its pods are not ready or do not exist); deletion resumes on the next pass`,
          ...(backendPods ? { command: backendPods } : {}),
        },
      ];
    case 'service-not-found':
      return [{ safety: 'safe', description: `restore Service ${key ?? ''}, or, if the product that served this webhook was uninstalled, remove its stale configuration (below)`.replace('  ', ' ') }];
    case 'denied':
      return [
        {
          safety: 'safe',
          description: `the webhook's policy refuses this request; its message says what it wants: "${causeOf(failure)}" — satisfy it or ask the policy's owners for an exception`,
        },
      ];
    case 'unknown':
      return [{ safety: 'safe', description: `read the backend's logs for this error: ${causeOf(failure)}`, ...withCommand(logs ?? backendPods) }];
  }
}

function withCommand(command: string | undefined): { command?: string } {
  return command ? { command } : {};
}

function servingCertCommand(target: WebhookTarget): string {
  if (target.url) {
    try {
      const url = new URL(target.url);
      const port = url.port || '443';
      const host = url.hostname.replace(/^\[|\]$/g, '');
      return `${sh`openssl s_client -connect ${`${url.hostname}:${port}`} -servername ${host}`} </dev/null 2>/dev/null | openssl x509 -noout -subject -issuer -enddate -ext subjectAltName`;
    } catch {
      // Not a URL the API server would accept either; fall through to the generic command.
    }
  }
  const service = target.service;
  if (!service) return 'openssl s_client -connect <host:port> </dev/null | openssl x509 -noout -subject -issuer -enddate';
  const port = service.port ?? 443;
  return `${sh`kubectl -n ${service.namespace} port-forward ${`service/${service.name}`} ${`18443:${port}`}`} >/dev/null & sleep 2; ${sh`openssl s_client -connect 127.0.0.1:18443 -servername ${`${service.name}.${service.namespace}.svc`}`} </dev/null 2>/dev/null | openssl x509 -noout -subject -issuer -enddate -ext subjectAltName; kill %1`;
}

/** A webhook that refuses the namespace controller's own writes to the Namespace, and how it fails. */
export interface NamespaceWriteRefusal {
  webhook: WebhookState;
  backend?: BackendVerdict;
  failure: WebhookFailure;
}

/**
 * The webhooks that refuse the namespace controller's writes to the Namespace (its conditions, its finalize call):
 * whose Service backend is missing or has no ready endpoint, at any time; or, once the controller is `overdue`
 * (silent past --controller-timeout, or its next pass overdue), whose backend cannot be checked from here (a URL):
 * then the class is unknown and the finding says "may". Its error reaches no condition (the controller cannot write
 * it), only kube-controller-manager's log. Shared by WebhookBlocksDeletion (which reports them) and
 * NamespaceControllerNotRunning (which then says nothing).
 */
export function namespaceWriteRefusals(snapshot: Snapshot, now: Date, overdue: boolean): NamespaceWriteRefusal[] {
  const ns = snapshot.namespace;
  if (!ns?.deletionTimestamp || !ns.specFinalizers.includes('kubernetes')) return [];
  return namespaceWriteWebhooks(snapshot.webhooks ?? [], ns.name, ns.labels).flatMap((webhook) => {
    const backend = webhook.service ? describeBackend(snapshot, webhook.service, 1, now) : undefined;
    const failure =
      observedFailure(webhook, backend) ??
      (overdue && !webhook.service
        ? { class: 'unknown' as const, message: `its backend ${webhook.url ?? ''} is called by URL, which cannot be checked from here`, source: 'objects' as const }
        : undefined);
    return failure ? [{ webhook, ...(backend ? { backend } : {}), failure }] : [];
  });
}
