// Webhooks that refuse the namespace controller's own writes, and webhook fixes that touch only what is dead, on the
// real control plane (findings F1 and F6 of the 2026-12-05 exploration):
// - a fail-closed webhook on UPDATE namespaces/finalize whose URL backend refuses connections (127.0.0.1:1): the
//   controller empties the namespace, writes its "ok" conditions, and its finalize call is refused forever. Its
//   error reaches no condition. Once past --controller-timeout after the last sign of activity (anchored on the
//   cluster's clock, so it does not move between runs), that webhook is the blocker; `fix --allow caution` excludes
//   the namespace from it and the real controller then finishes.
// - a webhook served from the namespace being deleted, in a configuration that also holds a webhook served
//   elsewhere: the diagnosis' safe fix removes only that entry, and the printed command does exactly that.
import { afterAll, describe, expect, it } from 'vitest';
import type { FixPlan, FixResult } from '../../src/model/plan.js';
import { diagnose, kubectl, kubectlJson, kubectlOk, namespaceCondition, nsDoctor, run, waitFor, waitForNamespaceCondition } from './harness.js';
import { blocker, blockerIds } from './report-shape.js';
import { waitGone } from './fix-command.js';
import { admissionPolicy } from './webhook-servers.js';

const TIMEOUT = '20s';

describe('a fail-closed webhook on namespaces/finalize whose backend refuses connections', () => {
  const ns = 'e2e-finwh';
  const configuration = `${ns}-tenant-policy`;
  const webhook = 'namespaces.tenant-policy.example.com';

  afterAll(async () => {
    await kubectl(['delete', 'validatingwebhookconfiguration', configuration, '--ignore-not-found']);
    await waitGone(ns, 120_000);
  });

  it('before --controller-timeout: a wait whose deadline is anchored on the cluster (the same on every run)', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: configuration },
        webhooks: [
          {
            name: webhook,
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
            timeoutSeconds: 5,
            clientConfig: { url: 'https://127.0.0.1:1/validate-namespace' },
            namespaceSelector: { matchLabels: { tenant: 'acme' } },
            rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces/finalize'] }],
          },
        ],
      }),
    });
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['label', 'namespace', ns, 'tenant=acme']);
    await kubectlOk(['-n', ns, 'create', 'configmap', 'settings', '--from-literal=a=b']);
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await waitForNamespaceCondition(ns, 'NamespaceContentRemaining', 'False');
    await waitFor('the configmap deleted', async () => (await kubectl(['-n', ns, 'get', 'configmap', 'settings'])).code !== 0);

    const first = await diagnose(ns, ['--controller-timeout', TIMEOUT]);
    expect(first.result.code, first.result.stderr).toBe(0);
    expect(first.report.verdict).toBe('Progressing');
    const pass = first.report.waitingOn!.find((w) => w.reason === 'NamespaceControllerPass')!;
    const lastTransition = Math.max(...first.report.conditions.map((c) => Date.parse(c.lastTransitionTime ?? '')));
    expect(Date.parse(pass.deadline!)).toBe(lastTransition + 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const again = await diagnose(ns, ['--controller-timeout', TIMEOUT]);
    // Two seconds later, the same deadline: it does not move with the clock of whoever runs ns-doctor.
    expect(again.report.waitingOn!.find((w) => w.reason === 'NamespaceControllerPass')!.deadline).toBe(pass.deadline);
  });

  it('past it: Blocked by that webhook ("may": its refusal is only in the controller log), never Progressing', async () => {
    const { report: before } = await diagnose(ns, ['--controller-timeout', TIMEOUT]);
    const deadline = Date.parse(before.waitingOn?.find((w) => w.reason === 'NamespaceControllerPass')?.deadline ?? new Date().toISOString());
    await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now() + 1_500)));
    const { result, report } = await diagnose(ns, ['--controller-timeout', TIMEOUT]);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['WebhookBlocksDeletion']);
    const b = blocker(report, 'WebhookBlocksDeletion');
    expect(b.subject).toEqual({ kind: 'Webhook', configurationKind: 'ValidatingWebhookConfiguration', configuration, webhook });
    expect(b.failure).toMatchObject({ class: 'unknown', source: 'objects' });
    expect(b.summary).toContain(`may refuse the namespace controller's own update of Namespace ${ns}`);
    expect(b.fixes.map((f) => f.safety)).toEqual(['safe', 'caution', 'last-resort']);
    // The namespace still says nothing is wrong: the refusal reached no condition.
    expect((await namespaceCondition(ns, 'NamespaceDeletionContentFailure'))?.status).toBe('False');
  });

  it('fix --allow caution excludes the namespace from that webhook, and the real controller then finishes', async () => {
    const planned = await nsDoctor(['fix', ns, '--allow', 'caution', '--controller-timeout', TIMEOUT, '-o', 'json']);
    expect(planned.code, planned.stderr).toBe(10);
    const plan = JSON.parse(planned.stdout) as FixPlan;
    expect(plan.steps.map((s) => [s.blockerId, s.safety, s.request.method])).toEqual([['WebhookBlocksDeletion', 'caution', 'PATCH']]);
    const applied = await nsDoctor(['fix', ns, '--allow', 'caution', '--controller-timeout', TIMEOUT, '--apply', '--plan-id', plan.planId, '-o', 'json']);
    expect(applied.code, applied.stderr).toBe(11);
    expect((JSON.parse(applied.stdout) as FixResult).outcome).toBe('Applied');
    const config = await kubectlJson<{ webhooks: { namespaceSelector?: { matchExpressions?: unknown[] } }[] }>(['get', 'validatingwebhookconfiguration', configuration]);
    expect(config.webhooks[0].namespaceSelector?.matchExpressions).toContainEqual({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [ns] });
    // The controller's retry backoff is at most 60 s.
    await waitGone(ns, 120_000);
  });
});

describe('a webhook served from the namespace being deleted, in a configuration shared with one served elsewhere', () => {
  const ns = 'e2e-whshared';
  const configuration = `${ns}-platform-policies`;
  const dead = 'cm-guard.e2e-whshared.example.com';
  const healthy = 'deployments.gatekeeper.example.com';

  afterAll(async () => {
    await kubectl(['delete', 'validatingwebhookconfiguration', configuration, '--ignore-not-found']);
    await waitGone(ns, 120_000);
    await kubectl(['delete', 'namespace', `${ns}-platform`, '--ignore-not-found', '--wait=false']);
  });

  it('the safe fix removes only the dead entry, by a JSON patch with a test op, and the command works', async () => {
    await kubectlOk(['create', 'namespace', `${ns}-platform`]);
    await kubectlOk(['-n', `${ns}-platform`, 'create', 'service', 'clusterip', 'gatekeeper', '--tcp=443:8443']);
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['-n', ns, 'create', 'service', 'clusterip', 'policy-webhook', '--tcp=443:8443']);
    await kubectlOk(['-n', ns, 'create', 'configmap', 'settings', '--from-literal=a=b']);
    const entry = (name: string, namespace: string, service: string, resources: string[], operations: string[], group: string) => ({
      name,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      clientConfig: { service: { namespace, name: service, path: '/validate' } },
      rules: [{ operations, apiGroups: [group], apiVersions: ['v1'], resources }],
    });
    await kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: configuration },
        webhooks: [entry(dead, ns, 'policy-webhook', ['configmaps'], ['DELETE'], ''), entry(healthy, `${ns}-platform`, 'gatekeeper', ['deployments'], ['CREATE'], 'apps')],
      }),
    });
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await waitForNamespaceCondition(ns, 'NamespaceDeletionContentFailure', 'True');

    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    const b = blocker(report, 'WebhookBlocksDeletion');
    expect(b.subject).toMatchObject({ configuration, webhook: dead });
    const safe = b.fixes[0];
    expect(safe.safety).toBe('safe');
    expect(safe.command).toBe(
      `kubectl patch validatingwebhookconfiguration ${configuration} --type=json -p '[{"op":"test","path":"/webhooks/0/name","value":"${dead}"},{"op":"remove","path":"/webhooks/0"}]'`,
    );
    expect(b.fixes.some((f) => f.command === `kubectl delete validatingwebhookconfiguration ${configuration}`)).toBe(false);

    const patched = await run('bash', ['-c', safe.command!]);
    expect(patched.code, patched.stderr).toBe(0);
    const config = await kubectlJson<{ webhooks: { name: string }[] }>(['get', 'validatingwebhookconfiguration', configuration]);
    expect(config.webhooks.map((w) => w.name)).toEqual([healthy]);
    await waitGone(ns, 120_000);
  });
});

describe('a ValidatingAdmissionPolicy that denies deleting labelled ConfigMaps (findings F4)', () => {
  const ns = 'e2e-vapdeny';
  const policy = `${ns}-protect-marked`;

  afterAll(async () => {
    await kubectl(['delete', 'validatingadmissionpolicybinding', policy, '--ignore-not-found']);
    await kubectl(['delete', 'validatingadmissionpolicy', policy, '--ignore-not-found']);
    await waitGone(ns, 120_000);
  });

  it('is named with its binding and its own message, never "the namespace controller\'s RBAC is broken"; its last resort works', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      input: admissionPolicy(policy, 'DELETE', { expression: "!has(oldObject.metadata.labels) || !('protect.example.com/keep' in oldObject.metadata.labels)", message: 'objects labelled protect.example.com/keep may not be deleted' }),
    });
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['-n', ns, 'create', 'configmap', 'db-credentials-ref', '--from-literal=a=b']);
    await kubectlOk(['-n', ns, 'label', 'configmap', 'db-credentials-ref', 'protect.example.com/keep=true']);
    // The policy is compiled and enforced asynchronously: a denied DELETE proves it is in force.
    await waitFor('the policy enforced', async () => (await kubectl(['-n', ns, 'delete', 'configmap', 'db-credentials-ref', '--dry-run=server'])).stderr.includes(policy));
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await waitForNamespaceCondition(ns, 'NamespaceDeletionContentFailure', 'True');

    const { result, report } = await diagnose(ns);
    expect(result.code, result.stderr).toBe(1);
    expect(blockerIds(report)).toEqual(['ContentDeletionFailed']);
    const b = blocker(report, 'ContentDeletionFailed');
    expect(b.summary).toBe(`ValidatingAdmissionPolicy ${policy} (binding ${policy}) denies deleting content: objects labelled protect.example.com/keep may not be deleted`);
    const last = b.fixes.at(-1)!;
    expect(last).toMatchObject({ safety: 'last-resort', command: `kubectl delete validatingadmissionpolicybinding ${policy}` });
    const deleted = await run('bash', ['-c', last.command!]);
    expect(deleted.code, deleted.stderr).toBe(0);
    await waitGone(ns, 120_000);
  });
});
