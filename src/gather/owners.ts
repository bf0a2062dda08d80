// Evidence for who owns a custom finalizer: the service accounts RBAC lets update that resource, and whether pods
// run as them. Decided from RBAC, not from names.
import type { KubeClient } from '../kube/client.js';
import type { ControllerCandidate, FinalizerOwnerEvidence } from '../snapshot/types.js';
import type { GapSink } from './gaps.js';
import { listItems } from './list.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

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

/**
 * Who may update the objects' type in `namespace`: subjects of ClusterRoleBindings, and of RoleBindings in that
 * namespace only (a RoleBinding grants nothing elsewhere), so only that namespace's Roles and RoleBindings are read.
 */
export async function findFinalizerOwners(
  client: KubeClient,
  gaps: GapSink,
  namespace: string,
  targets: { group: string; resource: string }[],
  notOlderThan: string | undefined,
): Promise<FinalizerOwnerEvidence[]> {
  if (targets.length === 0) return [];
  let clusterRoles: Raw[], clusterBindings: Raw[], roles: Raw[], bindings: Raw[];
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const ns = encodeURIComponent(namespace);
  try {
    [clusterRoles, clusterBindings, roles, bindings] = await Promise.all([
      listItems<Raw>(client, `${rbac}/clusterroles`, { notOlderThan }),
      listItems<Raw>(client, `${rbac}/clusterrolebindings`, { notOlderThan }),
      listItems<Raw>(client, `${rbac}/namespaces/${ns}/roles`, { notOlderThan }),
      listItems<Raw>(client, `${rbac}/namespaces/${ns}/rolebindings`, { notOlderThan }),
    ]);
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
    const addSubjects = (binding: Raw, grantedBy: string) => {
      for (const subject of binding.subjects ?? []) {
        if (subject.kind !== 'ServiceAccount') continue;
        const namespace = subject.namespace ?? binding.metadata.namespace;
        const key = `${namespace}/${subject.name}`;
        if (!accounts.has(key)) accounts.set(key, { serviceAccount: { namespace, name: subject.name }, grantedBy, pods: [] });
      }
    };
    for (const binding of clusterBindings) {
      if (binding.roleRef?.kind === 'ClusterRole' && grantingClusterRoles.has(binding.roleRef.name)) {
        addSubjects(binding, `ClusterRoleBinding ${binding.metadata.name} → ClusterRole ${binding.roleRef.name}`);
      }
    }
    for (const binding of bindings) {
      const ns = binding.metadata.namespace;
      const viaClusterRole = binding.roleRef?.kind === 'ClusterRole' && grantingClusterRoles.has(binding.roleRef.name);
      const viaRole = binding.roleRef?.kind === 'Role' && grantingRoles.has(`${ns}/${binding.roleRef.name}`);
      if (viaClusterRole || viaRole) {
        addSubjects(binding, `RoleBinding ${ns}/${binding.metadata.name} → ${binding.roleRef.kind} ${binding.roleRef.name}`);
      }
    }
    const candidates = [...accounts.values()].slice(0, MAX_CANDIDATES);
    await Promise.all(candidates.map((candidate) => fillPods(client, gaps, candidate, notOlderThan)));
    evidence.push({ ...target, candidates, rbacReadable: true });
  }
  return evidence;
}

/**
 * Kubernetes' own roles (system:controller:*, …) carry this label. Their controllers handle only built-in
 * finalizers, so they are never the owner of a custom one — and they would flood the candidates.
 */
function isBootstrapRole(role: Raw): boolean {
  return role.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults';
}

async function fillPods(client: KubeClient, gaps: GapSink, candidate: ControllerCandidate, notOlderThan: string | undefined): Promise<void> {
  const { namespace, name } = candidate.serviceAccount;
  try {
    const pods = await listItems<Raw>(client, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, {
      fieldSelector: `spec.serviceAccountName=${name}`,
      notOlderThan,
    });
    candidate.pods = pods.slice(0, 10).map((pod) => ({
      name: pod.metadata.name,
      ready: (pod.status?.conditions ?? []).some((c: Raw) => c.type === 'Ready' && c.status === 'True'),
      phase: pod.status?.phase,
      ...(pod.metadata.ownerReferences?.[0]
        ? { owner: `${pod.metadata.ownerReferences[0].kind}/${pod.metadata.ownerReferences[0].name}` }
        : {}),
    }));
  } catch (error) {
    gaps.fromError(error, { kind: 'evidence', what: `list Pods running as ServiceAccount ${namespace}/${name}`, impact: 'cannot tell whether this controller runs' });
  }
}
