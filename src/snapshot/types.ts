// A read-only picture of everything the checks need. It is plain JSON so it can be saved (--save-snapshot) and
// diagnosed later without a cluster (--from-snapshot). Objects are trimmed to the fields the checks read.
import type { Gap, GroupVersionState, OwnerReference, RemainingType } from '../model/shared.js';

export type { OwnerReference };

// 2: gaps carry a `kind`.
export const SNAPSHOT_VERSION = 2;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  labels?: Record<string, string>;
  /** Only the annotations that pause reconciliation (src/rules/pause.ts): no other annotation is kept. */
  annotations?: Record<string, string>;
}

export interface NamespaceState {
  name: string;
  /** What dependents' ownerReferences name it by (absent in snapshots from before it was kept). */
  uid?: string;
  phase?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  specFinalizers: string[];
  metadataFinalizers: string[];
  conditions: Condition[];
  /** What webhooks' namespaceSelectors are matched against (absent in snapshots from before it was kept). */
  labels?: Record<string, string>;
}

export interface ResourceType {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

export interface DiscoveryState {
  mode: 'aggregated' | 'legacy' | 'unavailable';
  groupVersions: GroupVersionState[];
  /** Namespaced resource types, preferred version per group, that support list. */
  namespacedResources: ResourceType[];
  /**
   * Cluster-scoped types, likewise: searched only for what a namespace deleted with foregroundDeletion waits on
   * (absent in snapshots from before they were kept).
   */
  clusterResources?: ResourceType[];
}

export interface ServiceRef {
  namespace: string;
  name: string;
  port?: number;
}

export interface APIServiceState {
  name: string;
  group: string;
  version: string;
  service?: ServiceRef;
  available?: Condition;
  creationTimestamp?: string;
}

export interface ServiceState {
  namespace: string;
  name: string;
  exists: boolean;
  selector?: Record<string, string>;
  ports: { name?: string; port: number; targetPort?: number | string }[];
  type?: string;
  externalName?: string;
  /** A missing Service whose namespace is being deleted: nothing can serve it again (read only then). */
  namespaceTerminating?: boolean;
}

export interface EndpointSummary {
  /** Service key namespace/name. */
  service: string;
  slices: number;
  readyAddresses: number;
  notReadyAddresses: number;
  /** Pods named by the slices' targetRefs. */
  podNames: string[];
}

export interface ContainerState {
  name: string;
  ready: boolean;
  restartCount: number;
  waitingReason?: string;
  waitingMessage?: string;
  lastTerminationReason?: string;
  lastTerminationExitCode?: number;
  lastTerminationFinishedAt?: string;
}

export interface PodState {
  namespace: string;
  name: string;
  nodeName?: string;
  phase?: string;
  /** The end of its grace period once deleted: the API server sets it to the time of the DELETE plus the grace. */
  deletionTimestamp?: string;
  /** The grace period of that DELETE (a later, shorter DELETE lowers both). */
  deletionGracePeriodSeconds?: number;
  /** spec.terminationGracePeriodSeconds: what the namespace controller's estimate (and so its requeue) is based on. */
  terminationGracePeriodSeconds?: number;
  finalizers: string[];
  conditions: Condition[];
  containers: ContainerState[];
  serviceAccountName?: string;
  ownerReferences: OwnerReference[];
  claimNames: string[];
}

export interface NodeState {
  name: string;
  exists: boolean;
  ready?: Condition;
  unschedulable?: boolean;
  taints: { key: string; value?: string; effect: string }[];
}

export interface ObjectSample {
  group: string;
  version: string;
  resource: string;
  kind: string;
  meta: ObjectMeta;
  /** status.conditions, read (full object) only for a bounded sample of objects waiting on a live controller. */
  conditions?: Condition[];
  /** From the same full read: Cluster API's spec.paused is true (src/rules/pause.ts). */
  specPaused?: boolean;
}

/** Counts per resource type left in the namespace: exactly what the report's `remaining[]` shows. */
export type ContentType = RemainingType;

export interface ContentSurvey {
  types: ContentType[];
  /** Objects that hold the namespace (finalizers or deletionTimestamp), capped per type. */
  stuck: ObjectSample[];
  /** Objects with blockOwnerDeletion owner references (capped): what foreground deletion waits on. */
  blockingDependents: ObjectSample[];
  /** Types whose list failed (see gaps): their CRDs are checked for a broken conversion webhook. */
  unlisted?: { group: string; resource: string }[];
}

export interface WebhookState {
  configuration: string;
  configurationKind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';
  name: string;
  failurePolicy: string;
  rules: { operations: string[]; apiGroups: string[]; resources: string[]; scope?: string }[];
  service?: ServiceRef;
  url?: string;
  /** clientConfig.caBundle is set (its content is not kept: the API server trusts its own roots without it). */
  hasCABundle?: boolean;
  /** How long the API server waits for an answer (default 10 s, at most 30). */
  timeoutSeconds?: number;
  namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  /** The objects it is called for, by their labels (which the survey does not keep): a non-empty one is a "may". */
  objectSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  /** How many CEL matchConditions narrow it further (not evaluated here). */
  matchConditions?: number;
}

export interface CRDState {
  name: string;
  group: string;
  kind: string;
  plural: string;
  deletionTimestamp?: string;
  finalizers: string[];
  conditions: Condition[];
  conversionStrategy?: string;
  conversionService?: ServiceRef;
  /** spec.conversion.webhook.clientConfig.url, when the conversion webhook is called by URL. */
  conversionURL?: string;
  /** spec.conversion.webhook.clientConfig.caBundle is set. */
  conversionHasCABundle?: boolean;
}

/** Who is allowed to update a resource (RBAC), and whether it runs: evidence for a finalizer's owner. */
export interface ControllerCandidate {
  serviceAccount: { namespace: string; name: string };
  grantedBy: string;
  pods: ControllerPod[];
}

export interface ControllerPod {
  name: string;
  ready: boolean;
  phase?: string;
  owner?: string;
  /** Restarts of all its containers. */
  restarts?: number;
}

/** Pods found where the finalizer catalog says the owner of a finalizer runs (its well-known labels). */
export interface KnownOwnerEvidence {
  finalizer: string;
  pods: (ControllerPod & { namespace: string; selector: string })[];
  /** False when the pods could not be listed: then not finding them proves nothing. */
  readable: boolean;
}

/** A Warning Event about an object of the namespace, wherever it was recorded (a Terminating namespace refuses new ones). */
export interface ObjectEvent {
  namespace: string;
  name: string;
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  source?: string;
}

export interface FinalizerOwnerEvidence {
  group: string;
  resource: string;
  candidates: ControllerCandidate[];
  /** False when RBAC could not be read: then the owner is unknown, not missing. */
  rbacReadable: boolean;
}

export interface Snapshot {
  snapshotVersion: typeof SNAPSHOT_VERSION;
  takenAt: string;
  server: string;
  namespaceName: string;
  /** undefined namespace with namespaceFound=false means 404; with namespaceFound unknown it could not be read. */
  namespaceFound: boolean | 'unknown';
  namespace?: NamespaceState;
  discovery?: DiscoveryState;
  apiServices?: APIServiceState[];
  services: Record<string, ServiceState>;
  endpoints: Record<string, EndpointSummary>;
  pods: Record<string, PodState>;
  nodes: Record<string, NodeState>;
  content?: ContentSurvey;
  webhooks?: WebhookState[];
  crds: Record<string, CRDState>;
  finalizerOwners: FinalizerOwnerEvidence[];
  /** Owners looked for through the finalizer catalog (src/rules/finalizer-catalog.ts). */
  knownOwners?: KnownOwnerEvidence[];
  /** Warning Events about objects waiting on a controller; undefined when none were read. */
  events?: ObjectEvent[];
  /**
   * Cluster-scoped objects whose ownerReferences name the namespace with blockOwnerDeletion (capped): what its own
   * foregroundDeletion waits on. Read only when it has that finalizer; undefined when they were not searched.
   */
  namespaceDependents?: ObjectSample[];
  gaps: Gap[];
  stats: { requests: number; bytesReceived: number; durationMs: number; retries: number };
}
