// Evidence for who owns a custom finalizer: the service accounts RBAC lets update that resource, and whether pods
// run as them. Decided from RBAC, not from names.
import type { KubeClient } from '../kube/client.js';
import type { ControllerCandidate, ControllerPod, FinalizerOwnerEvidence } from '../snapshot/types.js';
import type { GapSink } from './gaps.js';
import { listAll, listItems } from './list.js';
import type { ApiListItem, ApiPod, ApiRole, ApiRoleBinding } from '../kube/api-types.js';

type OwnerPod = ApiPod & ApiListItem;


const MAX_CANDIDATES = 8;
const WRITE_VERBS = ['update', 'patch', '*'];

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

/** True when the rule lets its subject remove a finalizer from group/resource, ignoring catch-all superuser rules. */
export function ruleGrantsFinalizerWrite(rule: Rule, group: string, resource: string): boolean {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  const verbs = rule.verbs ?? [];
  if (groups.includes('*') && resources.includes('*')) return false;
  const groupMatches = groups.includes('*') || groups.includes(group);
  const resourceMatches = resources.some((r) => r === '*' || r === resource || r === `${resource}/finalizers` || r === `${resource}/*`);
  return groupMatches && resourceMatches && verbs.some((v) => WRITE_VERBS.includes(v));
}

interface RbacObjects {
  roles: ApiRole[];
  bindings: ApiRoleBinding[];
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

/**
 * The RBAC objects and controller pods the owner search reads, each read once per run: with --all, many namespaces
 * ask about the same ClusterRoles, bindings and ServiceAccounts. Failed reads are kept as rejected promises so every
 * namespace that needed them records the gap.
 */
export class RbacReader {
  private cluster?: Promise<RbacObjects>;
  private readonly perNamespace = new Map<string, Promise<RbacObjects>>();
  private readonly pods = new Map<string, Promise<OwnerPod[]>>();
  private readonly labelled = new Map<string, Promise<OwnerPod[]>>();

  constructor(
    private readonly client: KubeClient,
    private readonly notOlderThan: string | undefined,
  ) {}

  clusterWide(): Promise<RbacObjects> {
    this.cluster ??= Promise.all([
      listItems<ApiRole>(this.client, `${RBAC}/clusterroles`, { notOlderThan: this.notOlderThan }),
      listItems<ApiRoleBinding>(this.client, `${RBAC}/clusterrolebindings`, { notOlderThan: this.notOlderThan }),
    ]).then(([roles, bindings]) => ({ roles, bindings }));
    return this.cluster;
  }

  namespaced(namespace: string): Promise<RbacObjects> {
    let read = this.perNamespace.get(namespace);
    if (!read) {
      const ns = encodeURIComponent(namespace);
      read = Promise.all([
        listItems<ApiRole>(this.client, `${RBAC}/namespaces/${ns}/roles`, { notOlderThan: this.notOlderThan }),
        listItems<ApiRoleBinding>(this.client, `${RBAC}/namespaces/${ns}/rolebindings`, { notOlderThan: this.notOlderThan }),
      ]).then(([roles, bindings]) => ({ roles, bindings }));
      this.perNamespace.set(namespace, read);
    }
    return read;
  }

  /**
   * Roles and RoleBindings of many namespaces in two paginated cluster-wide lists instead of two lists per namespace;
   * only the objects of those namespaces are kept.
   */
  prefetchNamespaces(namespaces: string[]): void {
    const wanted = new Set(namespaces.filter((ns) => !this.perNamespace.has(ns)));
    if (wanted.size === 0) return;
    const collect = async <T extends ApiListItem>(resource: string) => {
      const byNamespace = new Map<string, T[]>();
      await listAll<T>(
        this.client,
        `${RBAC}/${resource}`,
        { notOlderThan: this.notOlderThan },
        () => byNamespace.clear(),
        (items) => {
          for (const item of items) {
            const ns = item.metadata?.namespace;
            if (ns && wanted.has(ns)) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), item]);
          }
        },
      );
      return byNamespace;
    };
    const both = Promise.all([collect<ApiRole>('roles'), collect<ApiRoleBinding>('rolebindings')]);
    for (const ns of wanted) {
      this.perNamespace.set(
        ns,
        both.then(([roles, bindings]) => ({ roles: roles.get(ns) ?? [], bindings: bindings.get(ns) ?? [] })),
      );
    }
    both.catch(() => undefined); // each namespace's promise reports the failure to its own gaps
  }

  /** Pods anywhere in the cluster with these labels (a catalog's well-known controller labels), read once per run. */
  podsBySelector(labelSelector: string): Promise<OwnerPod[]> {
    let read = this.labelled.get(labelSelector);
    if (!read) {
      read = listItems<OwnerPod>(this.client, '/api/v1/pods', { labelSelector, notOlderThan: this.notOlderThan, pageSize: 50 });
      this.labelled.set(labelSelector, read);
    }
    return read;
  }

  podsOf(namespace: string, serviceAccount: string): Promise<OwnerPod[]> {
    const key = `${namespace}/${serviceAccount}`;
    let read = this.pods.get(key);
    if (!read) {
      read = listItems<OwnerPod>(this.client, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, {
        fieldSelector: `spec.serviceAccountName=${serviceAccount}`,
        notOlderThan: this.notOlderThan,
      });
      this.pods.set(key, read);
    }
    return read;
  }
}

/**
 * Who may update the objects' type in `namespace`: subjects of ClusterRoleBindings, and of RoleBindings in that
 * namespace only (a RoleBinding grants nothing elsewhere), so only that namespace's Roles and RoleBindings are read.
 */
export async function findFinalizerOwners(
  rbac: RbacReader,
  gaps: GapSink,
  namespace: string,
  targets: { group: string; resource: string }[],
): Promise<FinalizerOwnerEvidence[]> {
  if (targets.length === 0) return [];
  let clusterRoles: ApiRole[], clusterBindings: ApiRoleBinding[], roles: ApiRole[], bindings: ApiRoleBinding[];
  try {
    const [cluster, local] = await Promise.all([rbac.clusterWide(), rbac.namespaced(namespace)]);
    [clusterRoles, clusterBindings, roles, bindings] = [cluster.roles, cluster.bindings, local.roles, local.bindings];
  } catch (error) {
    gaps.fromError(error, { kind: 'evidence', what: 'list RBAC roles and bindings', impact: 'cannot tell which controller owns the custom finalizers' });
    return targets.map((t) => ({ ...t, candidates: [], rbacReadable: false }));
  }

  const evidence: FinalizerOwnerEvidence[] = [];
  for (const target of targets) {
    const grantingClusterRoles = new Set(
      clusterRoles
        .filter((r) => !isBootstrapRole(r))
        .filter((r) => (r.rules ?? []).some((rule: Rule) => ruleGrantsFinalizerWrite(rule, target.group, target.resource)))
        .map((r) => r.metadata.name),
    );
    const grantingRoles = new Set(
      roles
        .filter((r) => !isBootstrapRole(r))
        .filter((r) => (r.rules ?? []).some((rule: Rule) => ruleGrantsFinalizerWrite(rule, target.group, target.resource)))
        .map((r) => `${r.metadata.namespace}/${r.metadata.name}`),
    );
    const accounts = new Map<string, ControllerCandidate>();
    const addSubjects = (binding: ApiRoleBinding, grantedBy: string) => {
      for (const subject of binding.subjects ?? []) {
        if (subject.kind !== 'ServiceAccount') continue;
        const namespace = subject.namespace ?? binding.metadata.namespace;
        if (!namespace || !subject.name) continue;
        const key = `${namespace}/${subject.name}`;
        if (!accounts.has(key)) accounts.set(key, { serviceAccount: { namespace, name: subject.name }, grantedBy, pods: [] });
      }
    };
    for (const binding of clusterBindings) {
      const role = binding.roleRef?.name;
      if (binding.roleRef?.kind === 'ClusterRole' && role && grantingClusterRoles.has(role)) {
        addSubjects(binding, `ClusterRoleBinding ${binding.metadata.name} → ClusterRole ${role}`);
      }
    }
    for (const binding of bindings) {
      const ns = binding.metadata.namespace;
      const role = binding.roleRef?.name;
      if (!role) continue;
      const viaClusterRole = binding.roleRef?.kind === 'ClusterRole' && grantingClusterRoles.has(role);
      const viaRole = binding.roleRef?.kind === 'Role' && grantingRoles.has(`${ns}/${role}`);
      if (viaClusterRole || viaRole) {
        addSubjects(binding, `RoleBinding ${ns}/${binding.metadata.name} → ${binding.roleRef?.kind} ${role}`);
      }
    }
    const candidates = [...accounts.values()].slice(0, MAX_CANDIDATES);
    await Promise.all(candidates.map((candidate) => fillPods(rbac, gaps, candidate)));
    evidence.push({ ...target, candidates, rbacReadable: true });
  }
  return evidence;
}

/**
 * Kubernetes' own roles (system:controller:*, …) carry this label. Their controllers handle only built-in
 * finalizers, so they are never the owner of a custom one — and they would flood the candidates.
 */
function isBootstrapRole(role: ApiRole | ApiRoleBinding): boolean {
  return role.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults';
}

async function fillPods(rbac: RbacReader, gaps: GapSink, candidate: ControllerCandidate): Promise<void> {
  const { namespace, name } = candidate.serviceAccount;
  try {
    const pods = await rbac.podsOf(namespace, name);
    candidate.pods = pods.slice(0, 10).map(controllerPodOf);
  } catch (error) {
    gaps.fromError(error, { kind: 'evidence', what: `list Pods running as ServiceAccount ${namespace}/${name}`, impact: 'cannot tell whether this controller runs' });
  }
}

/** A controller's pod as evidence: readiness, phase, restarts of all its containers, and what owns it. */
export function controllerPodOf(pod: OwnerPod): ControllerPod {
  const restarts = (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + (typeof c?.restartCount === 'number' ? c.restartCount : 0), 0);
  const owner = pod.metadata.ownerReferences?.[0];
  return {
    name: pod.metadata.name,
    ready: (pod.status?.conditions ?? []).some((c) => c?.type === 'Ready' && c.status === 'True'),
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
    ...(owner ? { owner: `${owner.kind}/${owner.name}` } : {}),
    restarts,
  };
}
