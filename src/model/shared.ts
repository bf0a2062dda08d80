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
 * namespace; `cluster` cluster-wide facts (APIServices, webhooks, CRDs); `evidence` an object a finding points to.
 */
export type GapKind = 'fatal' | 'namespace' | 'discovery' | 'content' | 'cluster' | 'evidence';

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
