// A validating webhook (failurePolicy Fail, DELETE of ConfigMaps) whose backend Service has no endpoints.
import { describe, expect, it } from 'vitest';
import { diagnose, namespaceCondition, nsDoctor, useScenario } from './harness.js';
import { blocker, expectReportShape, link } from './report-shape.js';

const ns = 'e2e-webhook';
const vwc = `${ns}-deny-delete`;

describe('validating webhook refusing DELETE', () => {
  useScenario('webhook-delete', ns);

  it('the namespace controller reports the refused deletes', async () => {
    const c = await namespaceCondition(ns, 'NamespaceDeletionContentFailure');
    expect(c).toMatchObject({ status: 'True', reason: 'ContentDeletionFailed' });
    expect(c?.message).toContain('failed calling webhook "deny-delete.policy.example.com"');
    expect(c?.message).toContain('no endpoints available for service "policy-webhook"');
  });

  it('-o json: WebhookBlocksDeletion with the configuration and its backend Service', async () => {
    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expectReportShape(report, ns);
    expect(report.verdict).toBe('Blocked');
    const b = blocker(report, 'WebhookBlocksDeletion');
    link(b, 'ValidatingWebhookConfiguration', vwc);
    link(b, 'Service', 'policy-webhook', `${ns}-policy`);
    expect(report.remaining.find((r) => r.resource === 'configmaps' && r.group === '')?.count).toBeGreaterThan(0);
  });

  it('text output names the webhook and its backend', async () => {
    const r = await nsDoctor([ns]);
    expect(r.code, r.stderr).toBe(1);
    for (const fact of ['BLOCKED', vwc, `${ns}-policy/policy-webhook`]) expect(r.stdout).toContain(fact);
  });
});
