// The JSON/YAML output contract. Versioned: a breaking change bumps REPORT_API_VERSION.
export const REPORT_API_VERSION = 'ns-doctor.dev/v1' as const;

export type Verdict = 'NotTerminating' | 'Progressing' | 'Blocked' | 'Incomplete' | 'NotFound';

export const EXIT_CODES = {
  ok: 0,
  blocked: 1,
  incomplete: 2,
  notFound: 3,
  usage: 64,
  // `fix` only; the codes above keep their meaning when fix reports a diagnosis with nothing to apply.
  fixPlanned: 10,
  fixApplied: 11,
  fixStopped: 12,
  fixRefused: 13,
  fixFailed: 14,
} as const;

export type BlockerId =
  | 'APIServiceUnavailable'
  | 'APIServiceOrphaned'
  | 'APIServiceBackendInNamespace'
  | 'FinalizerOwnerMissing'
  | 'CRDTerminating'
  | 'PodsStuckTerminating'
  | 'PVCInUse'
  | 'DependentsBlockDeletion'
  | 'WebhookBlocksDeletion'
  | 'ConversionWebhookDown'
  | 'NamespaceFinalizerRemaining'
  | 'NamespaceMetadataFinalizerRemaining'
  | 'NamespaceControllerNotRunning'
  | 'GroupVersionParseFailure'
  | 'NamespaceControllerForbidden'
  | 'ContentDeletionFailed';

export type FixSafety = 'safe' | 'caution' | 'last-resort';

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
  apiVersion?: string;
}

/** One link of an evidence chain: an object and what was observed on it. depth 0 is the head of the chain. */
export interface EvidenceLink {
  ref: ObjectRef;
  fact: string;
  depth: number;
}

export interface Fix {
  safety: FixSafety;
  description: string;
  /** Copy-pasteable; absent when the fix is not a single command (e.g. "repair the backend"). */
  command?: string;
  /** What this fix costs; always set for last-resort fixes. */
  cost?: string;
}

export interface Blocker {
  id: BlockerId;
  summary: string;
  evidence: EvidenceLink[];
  fixes: Fix[];
  /** What must NOT be done (e.g. stripping a CRD's own finalizer): never a fix, never a step of a fix plan. */
  warnings?: string[];
}

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

export interface DeletionCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface RequestStats {
  requests: number;
  bytesReceived: number;
  durationMs: number;
  retries: number;
}

/** Set with --wait: what changed while ns-doctor watched the namespace. */
export interface Progress {
  waitedSeconds: number;
  objectsBefore: number;
  objectsAfter: number;
  namespaceGone: boolean;
  /** Still there and nothing went away while waiting. */
  stalled: boolean;
}

export interface Report {
  apiVersion: typeof REPORT_API_VERSION;
  kind: 'NamespaceDiagnosis';
  namespace: string;
  phase?: string;
  deletionTimestamp?: string;
  terminatingForSeconds?: number;
  verdict: Verdict;
  summary: string;
  blockers: Blocker[];
  remaining: RemainingType[];
  namespaceFinalizers: { spec: string[]; metadata: string[] };
  conditions: DeletionCondition[];
  /** The conditions parsed into facts. Hints only: they may be stale, and the checks confirm them live. */
  conditionFacts: {
    discoveryFailures: { groupVersion: string; error: string }[];
    contentRemaining: { resource: string; group: string; count: number }[];
    finalizersRemaining: { finalizer: string; count: number }[];
    contentFailure?: string;
    parseFailure?: string;
  };
  discovery: {
    mode: 'aggregated' | 'legacy' | 'unavailable';
    groupVersions: number;
    failing: GroupVersionState[];
  };
  gaps: Gap[];
  progress?: Progress;
  stats: RequestStats;
}

export interface ReportList {
  apiVersion: typeof REPORT_API_VERSION;
  kind: 'NamespaceDiagnosisList';
  items: Report[];
  stats: RequestStats;
}
