import { load as parse } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderJson, renderYaml } from '../../src/render/structured.js';
import { renderText } from '../../src/render/text.js';
import { diagnoseAt, recorded } from './helpers.js';

const ANSI = /\u001b\[/;

describe('text renderer', () => {
  const report = diagnoseAt(recorded('metrics-server'));

  it('puts the verdict first and draws the evidence chain as a tree, fixes safest first', () => {
    const text = renderText(report, false);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^namespace pay1 has been Terminating for .* — BLOCKED by 1 finding$/);
    expect(lines[1]).toContain('✗ API metrics.k8s.io/v1beta1 is unavailable');
    expect(text).toMatch(/└ Service kube-system\/metrics-server {2}0 ready endpoints/);
    expect(text).toMatch(/ {4}└ Pod kube-system\/metrics-server-\S+ {2}CrashLoopBackOff, last exit OOMKilled \(137\)/);
    expect(text.indexOf('(safe)')).toBeLessThan(text.indexOf('(last-resort)'));
    expect(text).toContain('$ kubectl delete apiservice v1beta1.metrics.k8s.io');
    expect(text).not.toMatch(ANSI);
  });

  it('colors only when asked', () => {
    expect(renderText(report, true)).toMatch(ANSI);
  });

  it('groups many forbidden lists into one line', () => {
    const snapshot = recorded('crd-finalizer');
    for (const type of ['deployments.apps', 'replicasets.apps', 'jobs.batch', 'leases.coordination.k8s.io']) {
      snapshot.gaps.push({ kind: 'content', resource: type, what: `list ${type} in crd1`, reason: '403 forbidden', httpStatus: 403 });
    }
    const text = renderText(diagnoseAt(snapshot), false);
    expect(text).toContain('list in crd1 (4 types) failed with 403: deployments.apps, replicasets.apps, jobs.batch, leases.coordination.k8s.io');
  });
});

describe('structured renderers', () => {
  it('JSON and YAML carry the same report', () => {
    const report = diagnoseAt(recorded('webhook-delete'));
    expect(JSON.parse(renderJson(report))).toEqual(report);
    expect(parse(renderYaml(report))).toEqual(report);
  });

  it('markdown has the blocker, its chain and fenced commands', () => {
    const md = renderMarkdown(diagnoseAt(recorded('webhook-delete')));
    expect(md).toContain('## ns-doctor: `wh1` — Blocked');
    expect(md).toContain('(`WebhookBlocksDeletion`)');
    expect(md).toMatch(/```sh\n {2}kubectl patch validatingwebhookconfiguration/);
  });
});
