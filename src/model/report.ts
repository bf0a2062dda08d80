// The JSON/YAML output contract. Versioned: a breaking change bumps REPORT_API_VERSION.
import type { Gap, GapKind, GroupVersionState, RemainingType, WebhookFailure, WebhookFailureClass } from './shared.js';
import type { Subject } from './subject.js';

export type { Gap, GapKind, GroupVersionState, RemainingType, Subject, WebhookFailure, WebhookFailureClass };

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

/**
 * The ids of every root cause. Each check declares the ids it emits in its own file, by adding them to this
 * interface (`declare module '../model/report.js'`), so a new cause brings its id with it; src/checks/registry.ts
 * does not compile while a declared id has no registered check.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the checks' declarations
export interface BlockerIds {}
export type BlockerId = keyof BlockerIds;

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

/** What is left behind when a finalizer is removed by hand instead of by its owner. */
export type RemovalCost = 'none' | 'cluster' | 'cloud-orphan';

/**
 * How strongly the cluster shows who removes a finalizer: `runs` a Ready pod found where the finalizer catalog says
 * its owner runs; `may` only RBAC links a Ready pod (it may update the type: inference, not proof); `unseen` the
 * catalog's owner may run outside the cluster (cloud-controller-manager) and no pod of it is visible; `none` no
 * controller at all; `unknown` the evidence could not be read.
 */
export type OwnerConfidence = 'runs' | 'may' | 'unseen' | 'none' | 'unknown';

/** Why a wait on a live controller became a blocker. */
export type StallReason = 'Paused' | 'ObjectCondition' | 'Event' | 'StallAfter' | 'CannotCreateInTerminatingNamespace';

/** Typed facts of a finding or wait about objects held by one finalizer: what `fix` and tests read, never the text. */
export interface FinalizerFacts {
  finalizer: string;
  group: string;
  resource: string;
  /** Deleted objects of that type waiting on it. */
  objects: number;
  owner: {
    confidence: OwnerConfidence;
    /** From the built-in catalog (docs/finalizers.md), when the finalizer is well known. */
    project?: string;
    component?: string;
    pods: { namespace: string; name: string; ready: boolean; restarts?: number }[];
  };
  /** Undefined when the finalizer is not in the catalog. */
  removalCost?: RemovalCost;
  stall?: {
    reason: StallReason;
    /** How long the oldest object has waited (from its own deletionTimestamp). */
    waitedSeconds: number;
    stallAfterSeconds: number;
    /** The object or Event whose words decided it. */
    source?: ObjectRef;
    condition?: { type: string; status: string; reason?: string };
    message?: string;
    /**
     * reason Paused: the switch that pauses reconciliation of `source` (the waiting object itself or one of its owners):
     * an annotation key or a spec field, its value, and the project whose switch it is.
     */
    pause?: { switch: string; on: 'annotation' | 'spec'; value: string; project: string };
  };
}

export interface Blocker {
  id: BlockerId;
  /** What the blocker is about, as data (src/model/subject.ts): the group key, planner and metrics read this. */
  subject: Subject;
  summary: string;
  evidence: EvidenceLink[];
  fixes: Fix[];
  /** Set by the finalizer findings (FinalizerOwnerMissing, FinalizerControllerStalled, …). */
  finalizer?: FinalizerFacts;
  /** What must NOT be done (e.g. stripping a CRD's own finalizer): never a fix, never a step of a fix plan. */
  warnings?: string[];
  /** WebhookBlocksDeletion and ConversionWebhookDown: why the webhook fails; the summary and the fixes follow it. */
  failure?: WebhookFailure;
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
  /** The first diagnosis's expectedBy, when it had one: what the wait was measured against. */
  expectedBy?: string;
  /** Past expectedBy and still there (or gone only after it). */
  late?: boolean;
  /** How far past expectedBy, when late. */
  lateBySeconds?: number;
}

/** What a Progressing namespace waits on. */
export type WaitReason = 'PodGracePeriod' | 'FinalizerController' | 'ForegroundDeletion' | 'NamespaceControllerPass';

/**
 * One thing the namespace controller is waiting on, with the same kind of evidence as a blocker. When `deadline`
 * passes and the object is still there, the same rule that made it a wait makes it a blocker.
 */
export interface Wait {
  reason: WaitReason;
  summary: string;
  evidence: EvidenceLink[];
  /** When this wait should be over (RFC 3339). Absent when nothing known bounds it (a controller decides). */
  deadline?: string;
  /** Seconds from the diagnosis to `deadline`. */
  secondsLeft?: number;
  /** What to look at if it takes longer than expected. */
  command?: string;
  /** FinalizerController waits: who is expected to remove it, and how sure that is. */
  finalizer?: FinalizerFacts;
}

export interface Report {
  apiVersion: typeof REPORT_API_VERSION;
  kind: 'NamespaceDiagnosis';
  /** Many clusters (--context a --context b, --all-contexts): the kubeconfig context it was read through. */
  context?: string;
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
  /** Progressing only: what the deletion waits on, most decisive first. */
  waitingOn?: Wait[];
  /**
   * Progressing only: when the namespace should be gone (RFC 3339) — the latest deadline of waitingOn, set only when
   * every wait has one. Past it the namespace is late.
   */
  expectedBy?: string;
  progress?: Progress;
  stats: RequestStats;
}

/**
 * One root cause shared by several namespaces (--all): e.g. one unavailable APIService blocks every Terminating
 * namespace. A namespace with several blockers is in several groups.
 */
export interface CauseGroup {
  /** Many clusters: the context of the cluster it was found in (a cause is never shared across clusters). */
  context?: string;
  /** Stable for the same cause across runs: subjectKey(subject), e.g. `APIService/v1beta1.metrics.k8s.io`, `Finalizer/example.com/cleanup/widgets.example.com`. */
  key: string;
  /** What the cause is about, as data (the subject every blocker of the group shares). */
  subject: Subject;
  /** Short name of the cause, as in the text table's CAUSE column. */
  label: string;
  /** One line that holds for every namespace of the group. */
  summary: string;
  blockerIds: BlockerId[];
  /** Names of the namespaces it blocks, sorted. */
  namespaces: string[];
  /** The evidence links every namespace's blocker shares (a whole chain for an APIService; the node for stuck pods). */
  evidence: EvidenceLink[];
  /** The fixes every namespace's blocker shares, safest first: apply once. */
  fixes: Fix[];
  /** Some fixes name objects of one namespace: they are in each item's blockers. */
  perNamespaceFixes: boolean;
}

export interface ReportList {
  apiVersion: typeof REPORT_API_VERSION;
  kind: 'NamespaceDiagnosisList';
  items: Report[];
  /** Root causes, the most namespaces first (added in ns-doctor.dev/v1; absent in older output). */
  groups?: CauseGroup[];
  /** Many clusters: one entry per context asked for, in the order asked, reachable or not. */
  clusters?: ClusterStatus[];
  stats: RequestStats;
}

/**
 * One kubeconfig context of a many-cluster run. `reachable: false` when nothing could be read from it: no
 * connection (refused, no route, no such host), TLS failure, no answer in time, credentials refused or expired, or
 * a context the kubeconfig cannot make a client of. Its `gaps` say why; no item comes from it.
 */
export interface ClusterStatus {
  context: string;
  /** The kubeconfig's cluster entry for the context, and its server. */
  cluster?: string;
  server?: string;
  reachable: boolean;
  /** Items of this run read from this context. */
  namespaces: number;
  /** What could not be read at the level of the whole cluster (the namespace list, the connection). */
  gaps: Gap[];
  stats: RequestStats;
}
