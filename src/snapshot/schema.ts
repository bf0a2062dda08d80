// The snapshot's schema: what a file given to --from-snapshot must be before any check reads it, and what every object
// gathered from the API server is checked against once trimmed (a broken shape becomes a gap, not a crash).
// Bounds are far above what a real snapshot holds (the gatherer caps samples at 50 per type and 200 dependents)
// and keep a hostile file from making the checks do unbounded work.
import * as v from 'valibot';
import { SNAPSHOT_VERSION, type Snapshot } from './types.js';

const NAME = 1_024; // Kubernetes names are at most 253 (DNS subdomain) or 316 (CRD names with group) characters
const TEXT = 32_768; // condition messages, reasons, webhook URLs: the API server itself caps nothing here
const MANY = 100_000;

const name = v.pipe(v.string(), v.maxLength(NAME));
const text = v.pipe(v.string(), v.maxLength(TEXT));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
// RFC 3339 as the API server writes it, and a real date (2026-02-30 matches the pattern but is no date). Plain
// arithmetic, not Date.parse: this runs for every object listed, and Date cost 60 ms per 56,000 objects.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function isRealTime(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && !leap ? 28 : DAYS[month - 1]!);
}
const timestamp = v.pipe(v.string(), v.check(isRealTime, 'an RFC 3339 time'));
const list = <T extends v.GenericSchema>(item: T, max = MANY) => v.pipe(v.array(item), v.maxLength(max));
const map = <T extends v.GenericSchema>(value: T, max = MANY) => v.pipe(v.record(name, value), v.maxEntries(max));
const labels = map(text, 1_000);

export const ConditionSchema = v.object({
  type: name,
  status: name,
  reason: v.optional(text),
  message: v.optional(text),
  lastTransitionTime: v.optional(timestamp),
});

const OwnerReferenceSchema = v.object({
  apiVersion: name,
  kind: name,
  name,
  uid: name,
  controller: v.optional(v.boolean()),
  blockOwnerDeletion: v.optional(v.boolean()),
});

export const ObjectMetaSchema = v.object({
  name,
  namespace: v.optional(name),
  uid: v.optional(name),
  creationTimestamp: v.optional(timestamp),
  deletionTimestamp: v.optional(timestamp),
  deletionGracePeriodSeconds: v.optional(count),
  finalizers: v.optional(list(name, 1_000)),
  ownerReferences: v.optional(list(OwnerReferenceSchema, 1_000)),
  labels: v.optional(labels),
  annotations: v.optional(labels),
});

export const NamespaceStateSchema = v.object({
  name,
  uid: v.optional(name),
  phase: v.optional(name),
  creationTimestamp: v.optional(timestamp),
  deletionTimestamp: v.optional(timestamp),
  specFinalizers: list(name, 1_000),
  metadataFinalizers: list(name, 1_000),
  conditions: list(ConditionSchema, 1_000),
  labels: v.optional(labels),
});

const GroupVersionStateSchema = v.object({
  groupVersion: name,
  state: v.picklist(['Current', 'Stale', 'Unavailable', 'Error']),
  reason: v.optional(text),
});

const ResourceTypeSchema = v.object({
  group: name,
  version: name,
  resource: name,
  kind: name,
  namespaced: v.boolean(),
  verbs: list(name, 100),
});

export const DiscoveryStateSchema = v.object({
  mode: v.picklist(['aggregated', 'legacy', 'unavailable']),
  groupVersions: list(GroupVersionStateSchema, 10_000),
  namespacedResources: list(ResourceTypeSchema, 10_000),
  clusterResources: v.optional(list(ResourceTypeSchema, 10_000)),
});

const ServiceRefSchema = v.object({ namespace: name, name, port: v.optional(count) });

export const APIServiceStateSchema = v.object({
  name,
  group: name,
  version: name,
  service: v.optional(ServiceRefSchema),
  available: v.optional(ConditionSchema),
  creationTimestamp: v.optional(timestamp),
});

export const ServiceStateSchema = v.object({
  namespace: name,
  name,
  exists: v.boolean(),
  selector: v.optional(labels),
  ports: list(v.object({ name: v.optional(name), port: count, targetPort: v.optional(v.union([count, name])) }), 1_000),
  type: v.optional(name),
  externalName: v.optional(name),
  namespaceTerminating: v.optional(v.boolean()),
});

const EndpointSummarySchema = v.object({
  service: name,
  slices: count,
  readyAddresses: count,
  notReadyAddresses: count,
  podNames: list(name),
});

const ContainerStateSchema = v.object({
  name,
  ready: v.boolean(),
  restartCount: count,
  waitingReason: v.optional(text),
  waitingMessage: v.optional(text),
  lastTerminationReason: v.optional(text),
  lastTerminationExitCode: v.optional(v.pipe(v.number(), v.integer())),
  lastTerminationFinishedAt: v.optional(timestamp),
});

export const PodStateSchema = v.object({
  namespace: name,
  name,
  nodeName: v.optional(name),
  phase: v.optional(name),
  deletionTimestamp: v.optional(timestamp),
  deletionGracePeriodSeconds: v.optional(count),
  terminationGracePeriodSeconds: v.optional(count),
  finalizers: list(name, 1_000),
  conditions: list(ConditionSchema, 1_000),
  containers: list(ContainerStateSchema, 1_000),
  serviceAccountName: v.optional(name),
  ownerReferences: list(OwnerReferenceSchema, 1_000),
  claimNames: list(name, 1_000),
});

export const NodeStateSchema = v.object({
  name,
  exists: v.boolean(),
  ready: v.optional(ConditionSchema),
  unschedulable: v.optional(v.boolean()),
  taints: list(v.object({ key: text, value: v.optional(text), effect: name }), 1_000),
});

const ObjectSampleSchema = v.object({
  group: name,
  version: name,
  resource: name,
  kind: name,
  meta: ObjectMetaSchema,
  conditions: v.optional(list(ConditionSchema, 1_000)),
  specPaused: v.optional(v.boolean()),
});

const ContentTypeSchema = v.pipe(
  v.object({
    resource: name,
    group: name,
    version: name,
    kind: name,
    count,
    withFinalizers: count,
    withDeletionTimestamp: count,
    finalizers: map(count, 1_000),
    oldestDeletionTimestamp: v.optional(timestamp),
  }),
  v.check((t) => t.withFinalizers <= t.count && t.withDeletionTimestamp <= t.count, 'more objects with finalizers or deleted than counted'),
);

const ContentSurveySchema = v.object({
  types: list(ContentTypeSchema, 10_000),
  stuck: list(ObjectSampleSchema),
  blockingDependents: list(ObjectSampleSchema),
  unlisted: v.optional(list(v.object({ group: name, resource: name }), 10_000)),
});

export const WebhookStateSchema = v.object({
  configuration: name,
  configurationKind: v.picklist(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']),
  name,
  failurePolicy: name,
  rules: list(
    v.object({ operations: list(name, 100), apiGroups: list(name, 1_000), resources: list(name, 1_000), scope: v.optional(name) }),
    1_000,
  ),
  service: v.optional(ServiceRefSchema),
  url: v.optional(text),
  hasCABundle: v.optional(v.boolean()),
  timeoutSeconds: v.optional(count),
  namespaceSelector: v.optional(
    v.object({ matchLabels: v.optional(labels), matchExpressions: v.optional(list(v.unknown(), 1_000)) }),
  ),
  objectSelector: v.optional(
    v.object({ matchLabels: v.optional(labels), matchExpressions: v.optional(list(v.unknown(), 1_000)) }),
  ),
  matchConditions: v.optional(count),
});

export const CRDStateSchema = v.object({
  name,
  group: name,
  kind: name,
  plural: name,
  deletionTimestamp: v.optional(timestamp),
  finalizers: list(name, 1_000),
  conditions: list(ConditionSchema, 1_000),
  conversionStrategy: v.optional(name),
  conversionService: v.optional(ServiceRefSchema),
  conversionURL: v.optional(text),
  conversionHasCABundle: v.optional(v.boolean()),
});

const ControllerPodFields = { name, ready: v.boolean(), phase: v.optional(name), owner: v.optional(text), restarts: v.optional(count) };

const ControllerCandidateSchema = v.object({
  serviceAccount: v.object({ namespace: name, name }),
  grantedBy: text,
  pods: list(v.object(ControllerPodFields)),
});

const KnownOwnerEvidenceSchema = v.object({
  finalizer: name,
  pods: list(v.object({ ...ControllerPodFields, namespace: name, selector: text }), 1_000),
  readable: v.boolean(),
});

export const ObjectEventSchema = v.object({
  namespace: name,
  name,
  involvedObject: v.object({ kind: name, name, namespace: v.optional(name), uid: v.optional(name) }),
  type: v.optional(name),
  reason: v.optional(text),
  message: v.optional(text),
  count: v.optional(count),
  lastTimestamp: v.optional(timestamp),
  source: v.optional(text),
});

const GapSchema = v.object({
  kind: v.picklist(['fatal', 'namespace', 'discovery', 'content', 'cluster', 'evidence', 'inconsistent']),
  what: text,
  reason: text,
  httpStatus: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599))),
  impact: v.optional(text),
  resource: v.optional(name),
  object: v.optional(v.object({ kind: name, name, namespace: v.optional(name) })),
});

const StatsSchema = v.object({ requests: count, bytesReceived: count, durationMs: count, retries: count });

export const SnapshotSchema = v.pipe(v.object({
  snapshotVersion: v.literal(SNAPSHOT_VERSION),
  takenAt: timestamp,
  server: text,
  namespaceName: name,
  namespaceFound: v.union([v.boolean(), v.literal('unknown')]),
  namespace: v.optional(NamespaceStateSchema),
  discovery: v.optional(DiscoveryStateSchema),
  apiServices: v.optional(list(APIServiceStateSchema, 10_000)),
  services: map(ServiceStateSchema, 10_000),
  endpoints: map(EndpointSummarySchema, 10_000),
  pods: map(PodStateSchema, 10_000),
  nodes: map(NodeStateSchema),
  content: v.optional(ContentSurveySchema),
  webhooks: v.optional(list(WebhookStateSchema, 10_000)),
  crds: map(CRDStateSchema, 10_000),
  finalizerOwners: list(
    v.object({ group: name, resource: name, candidates: list(ControllerCandidateSchema, 1_000), rbacReadable: v.boolean() }),
    10_000,
  ),
  knownOwners: v.optional(list(KnownOwnerEvidenceSchema, 10_000)),
  events: v.optional(list(ObjectEventSchema, 10_000)),
  namespaceDependents: v.optional(list(ObjectSampleSchema)),
  gaps: list(GapSchema, 10_000),
  stats: StatsSchema,
}), v.check((s) => s.namespaceFound !== true || s.namespace !== undefined, 'namespaceFound is true but there is no namespace'));

export const SnapshotFileSchema = v.object({
  snapshotVersion: v.literal(SNAPSHOT_VERSION),
  snapshots: list(SnapshotSchema, 100_000),
  all: v.boolean(),
});

/** The first problem found, as "snapshots[0].content.types[2].count: expected >=0 but received -1". */
export function firstIssue(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const issue = issues[0];
  const path = v.getDotPath(issue);
  return `${path ? `${path}: ` : ''}${issue.input === undefined ? 'missing' : issue.message}`;
}

// The schema and the TypeScript model must describe the same thing: this fails to compile when they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesModel: Same<v.InferOutput<typeof SnapshotSchema>, Snapshot> = true;
void schemaMatchesModel;
