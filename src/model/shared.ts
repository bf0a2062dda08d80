// Types that both the snapshot (what was read) and the report (what is printed) carry. They live here, below both,
// so the input model does not depend on the output contract.

export interface RemainingType {
  resource: string;
  group: string;
  version: string;
  kind: string;
  count: number;
  withFinalizers: number;
  withDeletionTimestamp: number;
  finalizers: Record<string, number>;
  oldestDeletionTimestamp?: string;
}

export interface GroupVersionState {
  groupVersion: string;
  state: 'Current' | 'Stale' | 'Unavailable' | 'Error';
  reason?: string;
}

/**
 * What a gap hides, for code to switch on: `fatal` nothing could be read (no connection, credentials);
 * `namespace` the namespace object itself; `discovery` which APIs exist; `content` a type's objects left in the
 * namespace; `cluster` cluster-wide facts (APIServices, webhooks, CRDs); `evidence` an object a finding points to;
 * `inconsistent` the namespace controller's own conditions name content the survey did not see.
 */
export type GapKind = 'fatal' | 'namespace' | 'discovery' | 'content' | 'cluster' | 'evidence' | 'inconsistent';

export interface Gap {
  kind: GapKind;
  /** What could not be read, e.g. "list deployments.apps in payments". */
  what: string;
  /** Why, e.g. "403 Forbidden", "timed out after 30s". */
  reason: string;
  httpStatus?: number;
  /** What that hides from the diagnosis. */
  impact?: string;
  /** For `content` gaps: the type whose objects are unknown, e.g. "deployments.apps". */
  resource?: string;
  /**
   * One object that could not be read (a malformed object among good siblings: its list was read, only this object
   * is unknown), e.g. {kind: "Pod", namespace: "payments", name: "web-0"}.
   */
  object?: { kind: string; name: string; namespace?: string };
}

/**
 * Why the API server got no usable answer from a webhook (admission or CRD conversion), see
 * src/rules/webhook-errors.ts: `tls` its serving certificate is not trusted; `timeout` it did not answer in time;
 * `refused` nothing listens on its port; `unreachable` no route or no such host; `no-endpoints` its Service has no
 * ready endpoint; `service-not-found` its Service does not exist; `denied` it answered and its policy refused;
 * `unknown` anything else.
 */
export type WebhookFailureClass = 'tls' | 'timeout' | 'refused' | 'unreachable' | 'no-endpoints' | 'service-not-found' | 'denied' | 'unknown';

/**
 * The failure of one webhook: its class and the words it was decided from. `source` says whose words: the
 * namespace controller's own error (`controller`), the API server's answer to ns-doctor's own list of the type
 * (`api-server`, a conversion webhook the controller has not reported yet), or only what the objects show
 * (`objects`: the Service is missing or has no ready endpoint, while no error names the webhook).
 */
export interface WebhookFailure {
  class: WebhookFailureClass;
  message: string;
  source: 'controller' | 'api-server' | 'objects';
}

/** An ownerReferences entry, as the API sends it and as the snapshot keeps it. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}
