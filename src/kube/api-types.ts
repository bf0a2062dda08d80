// The parts of Kubernetes API objects that ns-doctor reads, as the API server sends them: JSON, so timestamps are
// strings (client-node's V1* models say Date, which is what its own deserializer makes, not what arrives here).
// Every field is optional because every answer is untrusted: gather/convert.ts checks what it keeps against the
// snapshot schema, and gather/list.ts guarantees each list item has metadata.name.
import type { OwnerReference } from '../model/shared.js';

export type ApiOwnerReference = OwnerReference;

export interface ApiMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  ownerReferences?: ApiOwnerReference[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: unknown[];
}

export interface ApiObject {
  metadata?: ApiMeta;
}

/** A list item: gather/list.ts has checked that it has metadata with a name. */
export interface ApiListItem {
  metadata: ApiMeta & { name: string };
}

export interface ApiCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ApiServiceReference {
  namespace?: string;
  name?: string;
  port?: number;
}

export interface ApiNamespace extends ApiObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: ApiCondition[] };
}

export interface ApiAPIService extends ApiObject {
  spec?: { group?: string; version?: string; service?: ApiServiceReference };
  status?: { conditions?: ApiCondition[] };
}

export interface ApiService extends ApiObject {
  spec?: {
    selector?: Record<string, string>;
    ports?: { name?: string; port?: number; targetPort?: number | string }[];
    type?: string;
    externalName?: string;
  };
}

export interface ApiEndpointSlice extends ApiObject {
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean }; targetRef?: { kind?: string; name?: string } }[];
  ports?: { name?: string; port?: number }[];
}

interface ApiTerminated {
  reason?: string;
  exitCode?: number;
  finishedAt?: string;
}

export interface ApiContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: ApiTerminated };
  lastState?: { terminated?: ApiTerminated };
}

export interface ApiPod extends ApiObject {
  spec?: {
    nodeName?: string;
    serviceAccountName?: string;
    terminationGracePeriodSeconds?: number;
    volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
  };
  status?: { phase?: string; conditions?: ApiCondition[]; containerStatuses?: ApiContainerStatus[] };
}

export interface ApiNode extends ApiObject {
  spec?: { unschedulable?: boolean; taints?: { key?: string; value?: string; effect?: string }[] };
  status?: { conditions?: ApiCondition[] };
}

export interface ApiCustomResourceDefinition extends ApiObject {
  spec?: {
    group?: string;
    names?: { kind?: string; plural?: string };
    conversion?: { strategy?: string; webhook?: { clientConfig?: ApiClientConfig } };
  };
  status?: { conditions?: ApiCondition[] };
}

export interface ApiClientConfig {
  service?: ApiServiceReference;
  url?: string;
  caBundle?: string;
}

export interface ApiWebhook {
  name?: string;
  failurePolicy?: string;
  rules?: { operations?: string[]; apiGroups?: string[]; resources?: string[]; scope?: string }[];
  clientConfig?: ApiClientConfig;
  timeoutSeconds?: number;
  namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  objectSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  matchConditions?: unknown[];
}

export interface ApiWebhookConfiguration extends ApiObject {
  webhooks?: ApiWebhook[];
}

export interface ApiPolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

export interface ApiRole extends ApiListItem {
  rules?: ApiPolicyRule[];
  aggregationRule?: unknown;
}

export interface ApiRoleBinding extends ApiListItem {
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

/** An object as the fix reads it right before writing: the fields any step's facts and guards look at. */
export interface ApiWritableObject extends ApiObject {
  spec?: {
    finalizers?: string[];
    service?: ApiServiceReference;
    taints?: { key?: string; value?: string; effect?: string }[];
    nodeName?: string;
    [field: string]: unknown;
  };
  status?: { conditions?: ApiCondition[] };
  webhooks?: ApiWebhook[];
  /** An EndpointSliceList (`endpoints.ready`) or a PodList (`pods.ready`). */
  items?: (ApiEndpointSlice & { status?: { conditions?: ApiCondition[] } })[];
}
