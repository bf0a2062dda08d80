import { describe, expect, it } from 'vitest';
import { webhookBlocksDeletion } from '../../../src/checks/webhook-blocks-deletion.js';
import { contextFor, facts, recorded } from '../helpers.js';

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
    snapshot.webhooks = snapshot.webhooks.map((w) => ({ ...w, namespaceSelector: { matchLabels: { team: 'payments' } } }));
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
