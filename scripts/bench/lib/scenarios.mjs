// @ts-check
// Builders for the benchmark's namespaces and cluster-wide load, all created through the real API.
import { pool, waitFor } from './kube.mjs';

export const HOLD = 'bench.ns-doctor.dev/hold';
const CONCURRENCY = 48;

const filler = (n, seed) => {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `${seed}-${i}-${(i * 2654435761) % 1000003};`;
  return s.slice(0, n);
};

async function createMany(client, count, pathFor, objFor, onDone) {
  let done = 0;
  return pool(count, CONCURRENCY, async (i) => {
    const created = await client.create(pathFor(i), objFor(i));
    if (++done % 5000 === 0) onDone?.(done);
    return created;
  });
}

export async function createNamespace(client, ns, labels = {}) {
  await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });
}

export async function deleteNamespace(client, ns) {
  await client.json('DELETE', `/api/v1/namespaces/${ns}`, undefined, [200, 202]);
  await waitFor(`namespace ${ns} Terminating`, async () => {
    const n = await client.get(`/api/v1/namespaces/${ns}`);
    return n.status?.phase === 'Terminating';
  });
}

// ---------------------------------------------------------------------------------------------------------------
// (a) A stuck namespace: many CRDs with CRs (most held by a finalizer whose controller is gone), thousands of core
// objects held the same way, and pods left Terminating on NotReady nodes.

const crdName = (i) => ({
  group: `g${i % 10}.bench.ns-doctor.dev`,
  kind: `Gadget${i}`,
  plural: `gadget${i}s`,
  singular: `gadget${i}`,
});

export async function createCRDs(client, count) {
  await pool(count, 8, async (i) => {
    const n = crdName(i);
    await client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${n.plural}.${n.group}` },
      spec: {
        group: n.group,
        scope: 'Namespaced',
        names: { kind: n.kind, plural: n.plural, singular: n.singular, listKind: `${n.kind}List` },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            },
            additionalPrinterColumns: [{ name: 'Size', type: 'string', jsonPath: '.spec.size' }],
          },
        ],
      },
    });
  });
  await waitFor(
    `${count} CRDs Established`,
    async () => {
      const list = await client.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
      const ok = list.items.filter(
        (c) => c.spec.group.endsWith('.bench.ns-doctor.dev') &&
          c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
      );
      return ok.length >= count;
    },
    { timeoutMs: 180_000 },
  );
  // Established does not mean the REST endpoint is wired in every handler yet; wait until each one lists.
  await pool(count, 8, async (i) => {
    const n = crdName(i);
    await waitFor(`${n.plural}.${n.group} served`, async () => {
      const r = await client.request('GET', `/apis/${n.group}/v1/${n.plural}?limit=1`);
      return r.status === 200;
    });
  });
}

export async function createCRs(client, ns, crdCount, perCRD, heldPerCRD) {
  const total = crdCount * perCRD;
  await createMany(
    client,
    total,
    (k) => {
      const n = crdName(Math.floor(k / perCRD));
      return `/apis/${n.group}/v1/namespaces/${ns}/${n.plural}`;
    },
    (k) => {
      const i = Math.floor(k / perCRD);
      const j = k % perCRD;
      const n = crdName(i);
      return {
        apiVersion: `${n.group}/v1`,
        kind: n.kind,
        metadata: {
          name: `${n.singular}-${j}`,
          labels: { 'app.kubernetes.io/managed-by': `operator-${i % 10}` },
          finalizers: j < heldPerCRD ? [`${n.group}/cleanup`] : undefined,
        },
        spec: { size: `${j}Gi`, config: filler(400, `${i}-${j}`) },
      };
    },
  );
  return total;
}

/** Core/built-in objects, each with a finalizer no controller will ever remove. Returns counts per kind. */
export async function createCoreObjects(client, ns, scale = 1) {
  const meta = (name, extra = {}) => ({
    name,
    labels: { app: `app-${name.length % 7}`, tier: 'backend' },
    finalizers: [HOLD],
    ...extra,
  });
  const podSpec = () => ({ containers: [{ name: 'c', image: 'registry.invalid/app:1' }], restartPolicy: 'Always' });
  const n = (x) => Math.max(1, Math.round(x * scale));
  const kinds = [
    ['configmaps', '/api/v1', n(1200), (i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`cm-${i}`), data: { 'app.properties': filler(900, i) } })],
    ['secrets', '/api/v1', n(400), (i) => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta(`secret-${i}`), type: 'Opaque', stringData: { password: filler(64, i) } })],
    ['services', '/api/v1', n(200), (i) => ({ apiVersion: 'v1', kind: 'Service', metadata: meta(`svc-${i}`), spec: { clusterIP: 'None', selector: { app: `a${i}` }, ports: [{ name: 'http', port: 80 }] } })],
    ['serviceaccounts', '/api/v1', n(200), (i) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(`sa-${i}`) })],
    ['persistentvolumeclaims', '/api/v1', n(100), (i) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(`data-${i}`), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } })],
    ['events', '/api/v1', n(200), (i) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: `ev-${i}` }, involvedObject: { kind: 'ConfigMap', name: `cm-${i}`, namespace: ns }, reason: 'Bench', message: filler(120, i), type: 'Normal' })],
    ['roles', '/apis/rbac.authorization.k8s.io/v1', n(150), (i) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(`role-${i}`), rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] })],
    ['rolebindings', '/apis/rbac.authorization.k8s.io/v1', n(150), (i) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(`rb-${i}`), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i}` }, subjects: [{ kind: 'ServiceAccount', name: `sa-${i}`, namespace: ns }] })],
    ['deployments', '/apis/apps/v1', n(150), (i) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(`deploy-${i}`), spec: { replicas: 2, selector: { matchLabels: { app: `d${i}` } }, template: { metadata: { labels: { app: `d${i}` } }, spec: podSpec() } } })],
    ['statefulsets', '/apis/apps/v1', n(50), (i) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(`sts-${i}`), spec: { serviceName: `svc-${i}`, replicas: 1, selector: { matchLabels: { app: `s${i}` } }, template: { metadata: { labels: { app: `s${i}` } }, spec: podSpec() } } })],
    ['daemonsets', '/apis/apps/v1', n(30), (i) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(`ds-${i}`), spec: { selector: { matchLabels: { app: `ds${i}` } }, template: { metadata: { labels: { app: `ds${i}` } }, spec: podSpec() } } })],
    ['jobs', '/apis/batch/v1', n(50), (i) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(`job-${i}`), spec: { template: { spec: { ...podSpec(), restartPolicy: 'Never' } } } })],
    ['cronjobs', '/apis/batch/v1', n(30), (i) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(`cron-${i}`), spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...podSpec(), restartPolicy: 'Never' } } } } } })],
    ['networkpolicies', '/apis/networking.k8s.io/v1', n(80), (i) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(`np-${i}`), spec: { podSelector: { matchLabels: { app: `a${i}` } }, policyTypes: ['Ingress'] } })],
    ['ingresses', '/apis/networking.k8s.io/v1', n(40), (i) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(`ing-${i}`), spec: { rules: [{ host: `h${i}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `svc-${i}`, port: { number: 80 } } } }] } }] } })],
    ['poddisruptionbudgets', '/apis/policy/v1', n(40), (i) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(`pdb-${i}`), spec: { minAvailable: 1, selector: { matchLabels: { app: `d${i}` } } } })],
    ['horizontalpodautoscalers', '/apis/autoscaling/v2', n(40), (i) => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta(`hpa-${i}`), spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `deploy-${i}` }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] } })],
    ['leases', '/apis/coordination.k8s.io/v1', n(40), (i) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta(`lease-${i}`), spec: { holderIdentity: `holder-${i}`, leaseDurationSeconds: 15 } })],
  ];
  const counts = {};
  for (const [resource, prefix, count, make] of kinds) {
    await createMany(client, count, () => `${prefix}/namespaces/${ns}/${resource}`, make);
    counts[resource] = count;
  }
  return counts;
}

const nodeObject = (name, ready) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name,
    labels: {
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': 'm5.2xlarge',
      'topology.kubernetes.io/zone': `zone-${name.length % 3}`,
    },
  },
  spec: { providerID: `bench://${name}` },
  status: {
    capacity: { cpu: '8', memory: '32Gi', pods: '110' },
    allocatable: { cpu: '7900m', memory: '31Gi', pods: '110' },
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', message: ready ? 'kubelet is posting ready status' : 'PLEG is not healthy', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date(Date.now() - 3 * 86400e3).toISOString() },
    ],
    nodeInfo: { kubeletVersion: 'v1.34.4', osImage: 'Bench Linux', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://2.0.0', architecture: 'amd64', operatingSystem: 'linux', machineID: '', systemUUID: '', bootID: '', kubeProxyVersion: '' },
    images: Array.from({ length: 8 }, (_, k) => ({ names: [`registry.invalid/image-${k}@sha256:${'0'.repeat(63)}${k}`, `registry.invalid/image-${k}:v${k}`], sizeBytes: 100_000_000 + k })),
  },
});

/** Nodes the stuck pods live on; marked NotReady through the status subresource (create may drop status). */
export async function createBrokenNodes(client, names) {
  for (const name of names) {
    await client.create('/api/v1/nodes', nodeObject(name, false));
    const cur = await client.get(`/api/v1/nodes/${name}`);
    cur.status = nodeObject(name, false).status;
    await client.json('PUT', `/api/v1/nodes/${name}/status`, cur);
  }
}

export async function createPods(client, ns, count, nodeNames) {
  await createMany(client, count, () => `/api/v1/namespaces/${ns}/pods`, (i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `worker-${i}`, labels: { app: 'worker' } },
    spec: {
      nodeName: nodeNames[i % nodeNames.length],
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'registry.invalid/worker:1' }],
    },
  }));
}

export async function buildStuckNamespace(client, ns, { crds, crsPerCRD, heldPerCRD, coreScale, pods, nodeNames, log }) {
  await createNamespace(client, ns, { bench: 'stuck' });
  log(`creating ${crds} CRDs`);
  await createCRDs(client, crds);
  log(`creating ${crds * crsPerCRD} custom resources (${heldPerCRD} of each ${crsPerCRD} hold a finalizer)`);
  await createCRs(client, ns, crds, crsPerCRD, heldPerCRD);
  log('creating core objects');
  const core = await createCoreObjects(client, ns, coreScale);
  await createBrokenNodes(client, nodeNames);
  await createPods(client, ns, pods, nodeNames);
  return { customResources: crds * crsPerCRD, core, pods };
}

// ---------------------------------------------------------------------------------------------------------------
// (b) A namespace with N ReplicaSets: old revisions of N/10 Deployments, as revisionHistoryLimit leaves them.

export async function buildReplicaSetNamespace(client, ns, count, log) {
  await createNamespace(client, ns, { bench: 'replicasets' });
  const deployments = Math.max(1, Math.round(count / 10));
  const perDeploy = Math.ceil(count / deployments);
  const made = await createMany(client, deployments, () => `/apis/apps/v1/namespaces/${ns}/deployments`, (d) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `web-${d}`, labels: { app: `web-${d}` } },
    spec: {
      replicas: 2,
      revisionHistoryLimit: perDeploy,
      selector: { matchLabels: { app: `web-${d}` } },
      template: { metadata: { labels: { app: `web-${d}` } }, spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] } },
    },
  }));
  // A 409 on a re-run returns no object; look the uid up then.
  const uids = await pool(deployments, 16, async (d) => made[d]?.metadata?.uid ??
    (await client.get(`/apis/apps/v1/namespaces/${ns}/deployments/web-${d}`)).metadata.uid);
  await createMany(
    client,
    count,
    () => `/apis/apps/v1/namespaces/${ns}/replicasets`,
    (i) => {
      const d = i % deployments;
      const rev = Math.floor(i / deployments) + 1;
      const hash = (((d + 1) * 7919 + rev * 104729) % 0xfffffff).toString(36).padStart(6, '0').slice(-10);
      const labels = { app: `web-${d}`, 'pod-template-hash': hash };
      return {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `web-${d}-${hash}`,
          labels,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': '2',
            'deployment.kubernetes.io/max-replicas': '3',
            'deployment.kubernetes.io/revision': String(rev),
          },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: `web-${d}`, uid: uids[d], controller: true, blockOwnerDeletion: true }],
        },
        spec: {
          replicas: 0,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name: 'web', image: `registry.invalid/web:1.${rev}`, ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '100m', memory: '128Mi' } }, env: [{ name: 'REVISION', value: String(rev) }] }],
            },
          },
        },
      };
    },
    (n) => log(`  ${ns}: ${n}/${count} replicasets`),
  );
  await createMany(client, 200, () => `/api/v1/namespaces/${ns}/configmaps`, (i) => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cfg-${i}`, finalizers: i < 20 ? [HOLD] : undefined }, data: { k: filler(500, i) },
  }));
  await createMany(client, 50, () => `/api/v1/namespaces/${ns}/services`, (i) => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name: `web-${i}` }, spec: { clusterIP: 'None', selector: { app: `web-${i}` }, ports: [{ port: 80 }] },
  }));
  return { replicasets: count, deployments, configmaps: 200, services: 50 };
}

// ---------------------------------------------------------------------------------------------------------------
// (c) Cluster size: many healthy Node objects that no diagnosis of the namespace needs.

const SCALE_LABEL = 'bench.ns-doctor.dev/scale';

export async function createNodes(client, count, prefix, log) {
  const scaleNode = (i) => {
    const node = nodeObject(`${prefix}-${i}`, true);
    node.metadata.labels[SCALE_LABEL] = 'true';
    return node;
  };
  await createMany(client, count, () => '/api/v1/nodes', scaleNode, (n) => log(`  ${n}/${count} nodes`));
}

/** Removes the nodes createNodes made (one DeleteCollection) and waits until none is left. */
export async function deleteScaleNodes(client) {
  const selector = encodeURIComponent(`${SCALE_LABEL}=true`);
  await client.json('DELETE', `/api/v1/nodes?labelSelector=${selector}`, undefined, [200]);
  await waitFor('scale nodes deleted', async () => {
    const left = await client.get(`/api/v1/nodes?labelSelector=${selector}&limit=1`);
    return left.items.length === 0;
  }, { timeoutMs: 300_000, intervalMs: 1000 });
}

// ---------------------------------------------------------------------------------------------------------------
// (e) A fleet of stuck namespaces: one broken aggregated API (metrics-server OOM-killed on a NotReady node) blocks
// all of them; some also hold custom resources whose finalizer has no controller; a few hold pods on a NotReady node.
// Plus Active namespaces with the same content, which cluster-wide lists have to read past.

const FLEET_GROUP = 'fleet.bench.ns-doctor.dev';
export const FLEET_FINALIZER = `${FLEET_GROUP}/cleanup`;
const FLEET_BAD_NODE = 'bench-fleet-node-notready';
const METRICS_NODE = 'bench-fleet-metrics-node';

/** The cause mix by namespace index: 1 in 10 hold widgets on a finalizer, 1 in 50 hold pods on a NotReady node. */
export const fleetCause = (i) => (i % 50 === 7 ? 'pods' : i % 10 === 3 ? 'finalizer' : 'apiservice');

export async function createBrokenMetricsServer(client) {
  await createBrokenNodes(client, [METRICS_NODE]);
  const labels = { 'k8s-app': 'metrics-server' };
  await client.create('/api/v1/namespaces/kube-system/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'metrics-server', labels },
    spec: { selector: labels, ports: [{ name: 'https', port: 443, targetPort: 'https' }] },
  });
  const pod = 'metrics-server-7d9f8c6b5d-x2k4p';
  await client.create('/api/v1/namespaces/kube-system/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, labels },
    spec: { nodeName: METRICS_NODE, containers: [{ name: 'metrics-server', image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.2', ports: [{ name: 'https', containerPort: 10250 }] }] },
  });
  const cur = await client.get(`/api/v1/namespaces/kube-system/pods/${pod}`);
  cur.status = {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: new Date(Date.now() - 3 * 86400e3).toISOString() }],
    containerStatuses: [{
      name: 'metrics-server', ready: false, started: false, restartCount: 14, image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.2', imageID: '',
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: new Date(Date.now() - 420e3).toISOString(), finishedAt: new Date(Date.now() - 400e3).toISOString() } },
    }],
  };
  await client.json('PUT', `/api/v1/namespaces/kube-system/pods/${pod}/status`, cur);
  await client.create('/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.metrics.k8s.io', labels },
    spec: { group: 'metrics.k8s.io', version: 'v1beta1', service: { name: 'metrics-server', namespace: 'kube-system', port: 443 }, groupPriorityMinimum: 100, versionPriority: 100, insecureSkipTLSVerify: true },
  });
  await waitFor('APIService v1beta1.metrics.k8s.io Available=False', async () => {
    const a = await client.get('/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
    return a.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'False');
  });
}

async function createWidgetCRD(client) {
  await client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `widgets.${FLEET_GROUP}` },
    spec: {
      group: FLEET_GROUP, scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  });
  await waitFor('widgets served', async () => (await client.request('GET', `/apis/${FLEET_GROUP}/v1/widgets?limit=1`)).status === 200, { timeoutMs: 60_000 });
}

/** ~20 objects of 5 kinds (6 ConfigMaps, 4 Secrets, 3 Services, 3 ServiceAccounts, 4 Widgets), and pods for the few. */
function fleetObjects(ns, cause) {
  const objs = [];
  for (let j = 0; j < 6; j++) objs.push(['/api/v1', 'configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cfg-${j}` }, data: { 'app.yaml': filler(300, `${ns}-${j}`) } }]);
  for (let j = 0; j < 4; j++) objs.push(['/api/v1', 'secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: `secret-${j}` }, type: 'Opaque', stringData: { token: filler(40, j) } }]);
  for (let j = 0; j < 3; j++) objs.push(['/api/v1', 'services', { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${j}` }, spec: { clusterIP: 'None', selector: { app: `a${j}` }, ports: [{ port: 80 }] } }]);
  for (let j = 0; j < 3; j++) objs.push(['/api/v1', 'serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `sa-${j}` } }]);
  for (let j = 0; j < 4; j++) {
    objs.push([`/apis/${FLEET_GROUP}/v1`, 'widgets', {
      apiVersion: `${FLEET_GROUP}/v1`, kind: 'Widget',
      metadata: { name: `widget-${j}`, finalizers: cause === 'finalizer' ? [FLEET_FINALIZER] : undefined },
      spec: { size: `${j}Gi` },
    }]);
  }
  if (cause === 'pods') {
    for (let j = 0; j < 2; j++) {
      objs.push(['/api/v1', 'pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `worker-${j}`, labels: { app: 'worker' } },
        spec: { nodeName: FLEET_BAD_NODE, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'registry.invalid/worker:1' }] },
      }]);
    }
  }
  return objs;
}

export const fleetName = (i) => `fleet-${String(i).padStart(4, '0')}`;
export const activeName = (i) => `active-${String(i).padStart(3, '0')}`;

/** Creates the broken API, the CRD, and every namespace with its content (none deleted yet). */
export async function buildFleet(client, { terminating, active, log }) {
  await createBrokenMetricsServer(client);
  await createBrokenNodes(client, [FLEET_BAD_NODE]);
  await createWidgetCRD(client);
  const names = [
    ...Array.from({ length: terminating }, (_, i) => [fleetName(i), fleetCause(i)]),
    ...Array.from({ length: active }, (_, i) => [activeName(i), 'active']),
  ];
  await pool(names.length, CONCURRENCY, (k) => createNamespace(client, names[k][0], { bench: 'fleet' }));
  await pool(names.length, 8, async (k) => {
    const [ns, cause] = names[k];
    const objs = fleetObjects(ns, cause);
    await pool(objs.length, 6, async (j) => {
      const [prefix, resource, obj] = objs[j];
      await client.create(`${prefix}/namespaces/${ns}/${resource}`, obj);
    });
    if ((k + 1) % 200 === 0) log(`  ${k + 1}/${names.length} namespaces filled`);
  });
  const objects = names.reduce((sum, [ns, cause]) => sum + fleetObjects(ns, cause).length, 0);
  return { terminating, active, objects, causes: Object.fromEntries(['apiservice', 'finalizer', 'pods'].map((c) => [c, names.filter(([, x]) => x === c).length])) };
}

/** Deletes namespaces fleetName(from..to-1) and waits until the namespace controller has written its verdict on each. */
export async function deleteFleet(client, from, to, log) {
  await pool(to - from, CONCURRENCY, (k) => client.json('DELETE', `/api/v1/namespaces/${fleetName(from + k)}`, undefined, [200, 202]));
  const wanted = new Set(Array.from({ length: to - from }, (_, k) => fleetName(from + k)));
  await waitFor(
    `namespace controller verdict on ${wanted.size} namespaces`,
    async () => {
      const list = await client.get('/api/v1/namespaces?labelSelector=bench%3Dfleet');
      const done = list.items.filter(
        (n) => wanted.has(n.metadata.name) && n.status?.conditions?.some((c) => c.type === 'NamespaceDeletionDiscoveryFailure' && c.status === 'True') &&
          // pods and widgets held: the controller has reached them once it reports content or finalizers remaining
          (fleetCause(Number(n.metadata.name.slice(6))) === 'apiservice' || n.status.conditions.some((c) => ['NamespaceContentRemaining', 'NamespaceFinalizersRemaining', 'NamespaceDeletionContentFailure'].includes(c.type) && c.status === 'True')),
      ).length;
      log(`  ${done}/${wanted.size} namespaces have the controller's conditions`);
      return done === wanted.size;
    },
    { timeoutMs: 600_000, intervalMs: 5000 },
  );
}
