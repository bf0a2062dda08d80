import { describe, expect, it } from 'vitest';
import { webhookBlocksDeletion } from '../../../src/checks/webhook-blocks-deletion.js';
import { contextFor, facts, recorded } from '../helpers.js';
import type { Snapshot } from '../../../src/snapshot/types.js';

describe('WebhookBlocksDeletion (recorded: failurePolicy Fail on DELETE of configmaps, backend without endpoints)', () => {
  it('names the webhook, what it matches and its dead backend', () => {
    const snapshot = recorded('webhook-delete');
    const [blocker, ...rest] = webhookBlocksDeletion.run(snapshot, contextFor(snapshot));
    expect(rest).toEqual([]);
    expect(blocker.id).toBe('WebhookBlocksDeletion');
    const chain = facts([blocker]).join('\n');
    expect(chain).toContain('failurePolicy Fail, operations DELETE, matches configmaps');
    expect(chain).toContain('failed calling webhook "deny-delete.policy.example.com"');
    expect(chain).toContain('Service policy-webhook: 0 ready endpoints');
    expect(blocker.fixes.map((f) => f.safety)).toEqual(['safe', 'caution', 'last-resort']);
    expect(blocker.fixes[2].command).toContain('"value":"Ignore"');
  });

  it('ignores a webhook whose namespaceSelector names another namespace (it never sees this one)', () => {
    const snapshot = recorded('webhook-delete');
    snapshot.namespace!.conditions = [];
    snapshot.webhooks = snapshot.webhooks!.map((w) => ({ ...w, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'another' } } }));
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
    snapshot.webhooks = snapshot.webhooks.map((w) => ({ ...w, namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [snapshot.namespaceName] }] } }));
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
    // Recorded before namespace labels were kept: any other selector may match.
    snapshot.webhooks = snapshot.webhooks.map((w) => ({ ...w, namespaceSelector: { matchLabels: { team: 'payments' } } }));
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toHaveLength(1);
  });

  it('judges a namespaceSelector on the namespace\'s own labels; an objectSelector or matchConditions make it only a "may" (no blocker without the controller\'s words)', () => {
    const snapshot = recorded('webhook-delete');
    const ownWords = snapshot.namespace!.conditions;
    snapshot.namespace!.conditions = [];
    snapshot.namespace!.labels = { 'kubernetes.io/metadata.name': snapshot.namespaceName, team: 'web' };
    const withSelector = (extra: object) => (snapshot.webhooks = snapshot.webhooks!.map((w) => ({ ...w, namespaceSelector: undefined, objectSelector: undefined, matchConditions: undefined, ...extra })));
    withSelector({ namespaceSelector: { matchLabels: { policy: 'strict' } } });
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
    withSelector({ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['web', 'shop'] }] } });
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toHaveLength(1);
    withSelector({ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } });
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
    withSelector({ objectSelector: { matchLabels: { app: 'guarded' } } });
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
    withSelector({ matchConditions: 1 });
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
    // The controller's own words name it: then it is the blocker, whatever its selectors.
    snapshot.namespace!.conditions = ownWords;
    withSelector({ objectSelector: { matchLabels: { app: 'guarded' } }, namespaceSelector: { matchLabels: { policy: 'strict' } } });
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toHaveLength(1);
  });

  it('ignores webhooks with failurePolicy Ignore', () => {
    const snapshot = recorded('webhook-delete');
    snapshot.webhooks = snapshot.webhooks!.map((w) => ({ ...w, failurePolicy: 'Ignore' }));
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
  });

  it('ignores a matching webhook whose backend is up and that the controller does not name', () => {
    const snapshot = recorded('webhook-delete');
    for (const key of Object.keys(snapshot.endpoints)) snapshot.endpoints[key].readyAddresses = 2;
    snapshot.namespace!.conditions = [];
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
  });

  it('ignores webhooks that do not intercept DELETE or UPDATE', () => {
    const snapshot = recorded('webhook-delete');
    snapshot.webhooks = snapshot.webhooks!.map((w) => ({ ...w, rules: w.rules.map((r) => ({ ...r, operations: ['CREATE'] })) }));
    snapshot.namespace!.conditions = [];
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});

/** The recorded story with the controller's error replaced by `cause` and the backend's ready endpoints set. */
function failingWith(cause: string, readyEndpoints: number, change: (w: NonNullable<Snapshot['webhooks']>[number]) => void = () => undefined): Snapshot {
  const snapshot = recorded('webhook-delete');
  const webhook = snapshot.webhooks![0];
  change(webhook);
  snapshot.endpoints['wh1-policy/policy-webhook'].readyAddresses = readyEndpoints;
  const failure = snapshot.namespace!.conditions.find((c) => c.type === 'NamespaceDeletionContentFailure')!;
  failure.message = cause.startsWith('admission webhook')
    ? `Failed to delete all resource types, 1 remaining: ${cause}`
    : `Failed to delete all resource types, 1 remaining: Internal error occurred: failed calling webhook "deny-delete.policy.example.com": failed to call webhook: Post "${webhook.url ?? 'https://policy-webhook.wh1-policy.svc:443/validate?timeout=5s'}": ${cause}`;
  return snapshot;
}

function only(snapshot: Snapshot) {
  const blockers = webhookBlocksDeletion.run(snapshot, contextFor(snapshot));
  expect(blockers).toHaveLength(1);
  return blockers[0];
}

describe('WebhookBlocksDeletion: the summary and the first fix follow the class of failure', () => {
  it('a backend that accepts and never answers, with a ready endpoint: timeout, never "no ready endpoints"', () => {
    const blocker = only(failingWith('context deadline exceeded', 1, (w) => (w.timeoutSeconds = 5)));
    expect(blocker.failure).toMatchObject({ class: 'timeout', source: 'controller' });
    expect(blocker.summary).toMatch(/does not answer within 5s \(context deadline exceeded\)/);
    expect(blocker.summary).not.toMatch(/no ready endpoints/);
    expect(facts([blocker]).join('\n')).toContain('1 ready endpoints');
    expect(blocker.fixes[0].description).toMatch(/does not answer within 5s/);
    expect(blocker.fixes.find((f) => f.safety === 'caution')?.command).toContain('"path":"/webhooks/0/timeoutSeconds","value":30');
  });

  it('an untrusted certificate: caBundle and serving certificate first', () => {
    const blocker = only(failingWith('tls: failed to verify certificate: x509: certificate signed by unknown authority', 1, (w) => (w.hasCABundle = true)));
    expect(blocker.failure?.class).toBe('tls');
    expect(blocker.summary).toMatch(/does not trust the certificate its backend serves \(tls: failed to verify certificate: x509: certificate signed by unknown authority\)/);
    expect(blocker.fixes[0].command).toBe(
      "kubectl get validatingwebhookconfiguration wh1-deny-delete -o 'jsonpath={.webhooks[0].clientConfig.caBundle}' | base64 -d | openssl x509 -noout -subject -issuer -enddate",
    );
    expect(blocker.fixes[1].command).toContain('-servername policy-webhook.wh1-policy.svc');
    expect(facts([blocker]).join('\n')).toContain('caBundle set');
  });

  it('an untrusted certificate and no caBundle at all: set one, starting from the certificate the backend serves', () => {
    const blocker = only(failingWith('tls: failed to verify certificate: x509: certificate signed by unknown authority', 1, (w) => (w.hasCABundle = false)));
    expect(blocker.fixes[0].description).toMatch(/^no caBundle is set/);
    expect(blocker.fixes[0].command).toContain('openssl s_client -connect 127.0.0.1:18443 -servername policy-webhook.wh1-policy.svc');
    expect(facts([blocker]).join('\n')).toContain("no caBundle (the API server's own trust roots)");
  });

  it('a URL webhook named by the controller is a blocker with its class (nothing to follow, the words decide)', () => {
    const blocker = only(
      failingWith('dial tcp 127.0.0.1:34567: connect: connection refused', 0, (w) => {
        delete w.service;
        w.url = 'https://127.0.0.1:34567/validate';
      }),
    );
    expect(blocker.failure?.class).toBe('refused');
    expect(blocker.summary).toContain('nothing listens at its backend https://127.0.0.1:34567/validate (connection refused)');
    expect(blocker.fixes[0].description).toMatch(/does not listen on the port called/);
  });

  it('a denial blocks whatever the failurePolicy, shows the policy\'s words, and never offers failurePolicy Ignore', () => {
    const blocker = only(failingWith('admission webhook "deny-delete.policy.example.com" denied the request: configmaps in wh1 are frozen', 1, (w) => (w.failurePolicy = 'Ignore')));
    expect(blocker.failure?.class).toBe('denied');
    expect(blocker.summary).toContain('its policy denies the request: configmaps in wh1 are frozen');
    expect(blocker.fixes[0].description).toContain('"configmaps in wh1 are frozen"');
    expect(blocker.fixes.some((f) => f.command?.includes('Ignore'))).toBe(false);
  });

  it('a Service that is gone: restore it or remove the stale configuration', () => {
    const snapshot = failingWith('service "policy-webhook" not found', 0);
    snapshot.services['wh1-policy/policy-webhook'] = { namespace: 'wh1-policy', name: 'policy-webhook', exists: false, ports: [] };
    const blocker = only(snapshot);
    expect(blocker.failure?.class).toBe('service-not-found');
    expect(blocker.fixes[0].description).toMatch(/^restore Service wh1-policy\/policy-webhook, or/);
    expect(blocker.fixes.at(-1)?.command).toBe('kubectl delete validatingwebhookconfiguration wh1-deny-delete');
  });

  it('not named by the controller and its backend has a ready endpoint: no finding (nothing says it fails)', () => {
    const snapshot = failingWith('x', 1);
    snapshot.namespace!.conditions = snapshot.namespace!.conditions.filter((c) => c.type !== 'NamespaceDeletionContentFailure');
    expect(webhookBlocksDeletion.run(snapshot, contextFor(snapshot))).toEqual([]);
  });

  it('not named by the controller, no ready endpoint: no-endpoints read from the objects', () => {
    const snapshot = failingWith('x', 0);
    snapshot.namespace!.conditions = snapshot.namespace!.conditions.filter((c) => c.type !== 'NamespaceDeletionContentFailure');
    expect(only(snapshot).failure).toEqual({ class: 'no-endpoints', source: 'objects', message: 'Service wh1-policy/policy-webhook has no ready endpoints' });
  });
});

describe('removing a dead webhook never takes a healthy one with it', () => {
  it('its Service is missing, and another webhook of the configuration uses another Service of that namespace: the last resort removes only its entry', () => {
    const snapshot = recorded('webhook-delete');
    snapshot.namespace!.conditions = []; // the class comes from the objects: its Service is missing
    const [dead] = snapshot.webhooks!;
    const key = `${dead.service!.namespace}/${dead.service!.name}`;
    snapshot.services[key] = { namespace: dead.service!.namespace, name: dead.service!.name, exists: false, ports: [] };
    snapshot.webhooks!.push({ ...dead, name: 'audit.policy.example.com', rules: [{ operations: ['CREATE'], apiGroups: ['apps'], resources: ['deployments'] }], service: { ...dead.service!, name: 'audit-webhook' } });
    const [blocker] = webhookBlocksDeletion.run(snapshot, contextFor(snapshot));
    const commands = blocker.fixes.filter((f) => f.safety === 'last-resort').map((f) => f.command ?? '');
    expect(commands.some((c) => c.startsWith('kubectl delete validatingwebhookconfiguration'))).toBe(false);
    expect(commands.some((c) => c.includes('"op":"remove","path":"/webhooks/0"') && c.includes('"op":"test","path":"/webhooks/0/name"'))).toBe(true);
    // Alone in its configuration, the stale configuration goes whole.
    snapshot.webhooks!.pop();
    const [alone] = webhookBlocksDeletion.run(snapshot, contextFor(snapshot));
    expect(alone.fixes.some((f) => f.safety === 'last-resort' && f.command?.startsWith('kubectl delete validatingwebhookconfiguration'))).toBe(true);
  });
});
