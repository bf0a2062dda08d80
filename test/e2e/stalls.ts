// Stalls built inline by more than one e2e file (the others are scripts/scenarios/*.sh).
import { kubectlJson, kubectlOk, waitFor, waitForNamespaceCondition } from './harness.js';

/**
 * Namespace `ns` with ConfigMap `owner`, deleted with --cascade=foreground, and ConfigMap `dependent` (blockOwnerDeletion,
 * holding `finalizer`) that the garbage collector has started deleting. The namespace itself is not deleted here.
 */
export async function foregroundHeldByDependent(ns: string, finalizer: string): Promise<void> {
  await kubectlOk(['create', 'namespace', ns]);
  await kubectlOk(['-n', ns, 'create', 'configmap', 'owner']);
  const owner = await kubectlJson<{ metadata: { uid: string } }>(['-n', ns, 'get', 'configmap', 'owner']);
  await kubectlOk(['apply', '-n', ns, '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dependent',
        finalizers: [finalizer],
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid, blockOwnerDeletion: true }],
      },
    }),
  });
  await kubectlOk(['-n', ns, 'delete', 'configmap', 'owner', '--cascade=foreground', '--wait=false']);
  await waitFor('the garbage collector deletes the dependent', async () => {
    const dep = await kubectlJson<{ metadata: { deletionTimestamp?: string } }>(['-n', ns, 'get', 'configmap', 'dependent']);
    return dep.metadata.deletionTimestamp;
  });
}

/** Namespace `ns` with Service widgets-api, and APIService `name` (`<version>.<group>`) served by it. Not deleted here. */
export async function apiServiceServedFrom(ns: string, name: string): Promise<void> {
  const [version, ...group] = name.split('.');
  await kubectlOk(['create', 'namespace', ns]);
  await kubectlOk(['-n', ns, 'create', 'service', 'clusterip', 'widgets-api', '--tcp=443:8443']);
  await kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name },
      spec: {
        group: group.join('.'),
        version,
        service: { namespace: ns, name: 'widgets-api', port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 1000,
        versionPriority: 15,
      },
    }),
  });
}

/** Deletes the stalled namespace and, when given, waits until the real namespace controller reports `condition`=True. */
export async function deleteStalled(ns: string, condition?: string): Promise<void> {
  await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  if (condition) await waitForNamespaceCondition(ns, condition, 'True');
}
