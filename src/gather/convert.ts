// Trims raw API objects to the fields the checks read (see snapshot/types.ts).
import type {
  APIServiceState,
  Condition,
  ContainerState,
  CRDState,
  NamespaceState,
  NodeState,
  ObjectMeta,
  PodState,
  ServiceState,
  WebhookState,
} from '../snapshot/types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

export function conditionsOf(raw: Raw): Condition[] {
  return ((raw?.status?.conditions ?? []) as Raw[]).map((c) => ({
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
    ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
  }));
}

export function metaOf(raw: Raw): ObjectMeta {
  const m = raw?.metadata ?? {};
  return {
    name: m.name,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    ...(m.uid ? { uid: m.uid } : {}),
    ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    ...(m.deletionGracePeriodSeconds !== undefined ? { deletionGracePeriodSeconds: m.deletionGracePeriodSeconds } : {}),
    ...(m.finalizers?.length ? { finalizers: m.finalizers } : {}),
    ...(m.ownerReferences?.length ? { ownerReferences: m.ownerReferences } : {}),
  };
}

export function namespaceOf(raw: Raw): NamespaceState {
  return {
    name: raw.metadata.name,
    phase: raw.status?.phase,
    creationTimestamp: raw.metadata.creationTimestamp,
    ...(raw.metadata.deletionTimestamp ? { deletionTimestamp: raw.metadata.deletionTimestamp } : {}),
    specFinalizers: raw.spec?.finalizers ?? [],
    metadataFinalizers: raw.metadata.finalizers ?? [],
    conditions: conditionsOf(raw),
  };
}

export function apiServiceOf(raw: Raw): APIServiceState {
  const service = raw.spec?.service;
  return {
    name: raw.metadata.name,
    group: raw.spec?.group ?? '',
    version: raw.spec?.version ?? '',
    ...(service ? { service: { namespace: service.namespace, name: service.name, port: service.port ?? 443 } } : {}),
    available: conditionsOf(raw).find((c) => c.type === 'Available'),
    creationTimestamp: raw.metadata.creationTimestamp,
  };
}

export function serviceOf(raw: Raw): ServiceState {
  return {
    namespace: raw.metadata.namespace,
    name: raw.metadata.name,
    exists: true,
    ...(raw.spec?.selector ? { selector: raw.spec.selector } : {}),
    ports: ((raw.spec?.ports ?? []) as Raw[]).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    })),
    type: raw.spec?.type,
    ...(raw.spec?.externalName ? { externalName: raw.spec.externalName } : {}),
  };
}

export function podOf(raw: Raw): PodState {
  const statuses = (raw.status?.containerStatuses ?? []) as Raw[];
  const containers: ContainerState[] = statuses.map((s) => ({
    name: s.name,
    ready: Boolean(s.ready),
    restartCount: s.restartCount ?? 0,
    ...(s.state?.waiting?.reason ? { waitingReason: s.state.waiting.reason } : {}),
    ...(s.state?.waiting?.message ? { waitingMessage: s.state.waiting.message } : {}),
    ...(s.lastState?.terminated
      ? {
          lastTerminationReason: s.lastState.terminated.reason,
          lastTerminationExitCode: s.lastState.terminated.exitCode,
          lastTerminationFinishedAt: s.lastState.terminated.finishedAt,
        }
      : s.state?.terminated
        ? {
            lastTerminationReason: s.state.terminated.reason,
            lastTerminationExitCode: s.state.terminated.exitCode,
            lastTerminationFinishedAt: s.state.terminated.finishedAt,
          }
        : {}),
  }));
  return {
    namespace: raw.metadata.namespace,
    name: raw.metadata.name,
    ...(raw.spec?.nodeName ? { nodeName: raw.spec.nodeName } : {}),
    phase: raw.status?.phase,
    ...(raw.metadata.deletionTimestamp ? { deletionTimestamp: raw.metadata.deletionTimestamp } : {}),
    ...(raw.metadata.deletionGracePeriodSeconds !== undefined
      ? { deletionGracePeriodSeconds: raw.metadata.deletionGracePeriodSeconds }
      : {}),
    ...(raw.spec?.terminationGracePeriodSeconds !== undefined
      ? { terminationGracePeriodSeconds: raw.spec.terminationGracePeriodSeconds }
      : {}),
    finalizers: raw.metadata.finalizers ?? [],
    conditions: conditionsOf(raw),
    containers,
    ...(raw.spec?.serviceAccountName ? { serviceAccountName: raw.spec.serviceAccountName } : {}),
    ownerReferences: raw.metadata.ownerReferences ?? [],
    claimNames: ((raw.spec?.volumes ?? []) as Raw[])
      .map((v) => v.persistentVolumeClaim?.claimName)
      .filter((name): name is string => Boolean(name)),
  };
}

export function nodeOf(raw: Raw): NodeState {
  return {
    name: raw.metadata.name,
    exists: true,
    ready: conditionsOf(raw).find((c) => c.type === 'Ready'),
    ...(raw.spec?.unschedulable ? { unschedulable: true } : {}),
    taints: ((raw.spec?.taints ?? []) as Raw[]).map((t) => ({
      key: t.key,
      ...(t.value ? { value: t.value } : {}),
      effect: t.effect,
    })),
  };
}

export function crdOf(raw: Raw): CRDState {
  const webhook = raw.spec?.conversion?.webhook?.clientConfig?.service;
  return {
    name: raw.metadata.name,
    group: raw.spec?.group ?? raw.metadata.name.split('.').slice(1).join('.'),
    kind: raw.spec?.names?.kind ?? '',
    plural: raw.spec?.names?.plural ?? raw.metadata.name.split('.')[0],
    ...(raw.metadata.deletionTimestamp ? { deletionTimestamp: raw.metadata.deletionTimestamp } : {}),
    finalizers: raw.metadata.finalizers ?? [],
    conditions: conditionsOf(raw),
    ...(raw.spec?.conversion?.strategy ? { conversionStrategy: raw.spec.conversion.strategy } : {}),
    ...(webhook ? { conversionService: { namespace: webhook.namespace, name: webhook.name, port: webhook.port ?? 443 } } : {}),
  };
}

export function webhooksOf(raw: Raw, configurationKind: WebhookState['configurationKind']): WebhookState[] {
  return ((raw.webhooks ?? []) as Raw[]).map((w) => ({
    configuration: raw.metadata.name,
    configurationKind,
    name: w.name,
    failurePolicy: w.failurePolicy ?? 'Fail',
    rules: ((w.rules ?? []) as Raw[]).map((r) => ({
      operations: r.operations ?? [],
      apiGroups: r.apiGroups ?? [],
      resources: r.resources ?? [],
      ...(r.scope ? { scope: r.scope } : {}),
    })),
    ...(w.clientConfig?.service
      ? {
          service: {
            namespace: w.clientConfig.service.namespace,
            name: w.clientConfig.service.name,
            port: w.clientConfig.service.port ?? 443,
          },
        }
      : {}),
    ...(w.clientConfig?.url ? { url: w.clientConfig.url } : {}),
    ...(w.namespaceSelector ? { namespaceSelector: w.namespaceSelector } : {}),
  }));
}

/** Plain code-point order: stable across machines and locales, and free of ICU's collator start-up cost. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
