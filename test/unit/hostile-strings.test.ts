// Strings from the cluster or a snapshot file are hostile until escaped: these tests put escape sequences where a
// pod-status or CR writer can put them and check what reaches the terminal, and that quoted fix commands make the
// shell read exactly the characters the cluster holds.
import { execFileSync } from 'node:child_process';
import { load as parseYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { escapeControl } from '../../src/render/escape.js';
import { renderReport, renderReportList } from '../../src/render/index.js';
import { sh, shellQuote } from '../../src/util/shell.js';
import type { Report } from '../../src/model/report.js';
import { diagnoseAt, recorded } from './helpers.js';

const CLEAR_AND_TITLE = '\u001b[2J\u001b]0;pwned\u0007';
const C1_CSI = '\u009b31m';
const OVERWRITE = 'ok\rFAKE\b\b';
const BIDI = 'evil\u202etxt.exe';

// Anything a terminal acts on, except the newline our own renderer puts between lines.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// With colours on, the only escape sequences are our own SGR colour codes.
const NOT_OUR_SGR = /\u001b(?!\[[0-9;]*m)|[\u0000-\u0009\u000b-\u001a\u001c-\u001f\u007f-\u009f]/;

function bashReads(word: string): string {
  return execFileSync('bash', ['-c', `printf '%s' ${word}`], { encoding: 'utf8' });
}

function hostileReport(): Report {
  const snapshot = recorded('metrics-server');
  const pod = Object.values(snapshot.pods)[0];
  pod.containers[0].waitingReason = `CrashLoopBackOff${CLEAR_AND_TITLE}`;
  pod.containers[0].waitingMessage = OVERWRITE;
  const node = Object.values(snapshot.nodes)[0];
  node.ready!.reason = `KubeletNotReady${C1_CSI}`;
  node.ready!.message = BIDI;
  snapshot.apiServices!.find((a) => a.group === 'metrics.k8s.io')!.available!.message = `bad\u001b[1A\u001b[Kline\nsecond`;
  return diagnoseAt(snapshot);
}

describe('shell quoting of fix commands', () => {
  it.each([
    'v1beta1.metrics.k8s.io',
    "it's",
    'a b',
    '$(touch /tmp/pwned)`id`;|&><*?~{}',
    CLEAR_AND_TITLE,
    C1_CSI,
    BIDI,
    "both ' and \u001b and \\x1b",
    '',
  ])('bash reads %j back exactly, and the quoted word shows no control character', (value) => {
    const word = shellQuote(value);
    expect(word).not.toMatch(RAW_CONTROL);
    expect(bashReads(word)).toBe(value);
  });

  it('leaves names kubectl users type bare, and quotes JSON patches as one word', () => {
    expect(sh`kubectl delete apiservice ${'v1beta1.metrics.k8s.io'}`).toBe('kubectl delete apiservice v1beta1.metrics.k8s.io');
    expect(sh`kubectl patch ns ${'ns1'} -p ${JSON.stringify({ a: [1] })}`).toBe(`kubectl patch ns ns1 -p '{"a":[1]}'`);
  });
});

describe('escapeControl', () => {
  it('shows C0, DEL, C1 and bidi controls as escapes and leaves printable text alone', () => {
    expect(escapeControl(`a${CLEAR_AND_TITLE}b`)).toBe('a\\x1b[2J\\x1b]0;pwned\\x07b');
    expect(escapeControl(`${C1_CSI}\u007f\t\n\r`)).toBe('\\x9b31m\\x7f\\t\\n\\r');
    expect(escapeControl(BIDI)).toBe('evil\\u202etxt.exe');
    expect(escapeControl('ünïcödé ✗ └ 日本')).toBe('ünïcödé ✗ └ 日本');
  });
});

describe('hostile strings at the render boundary', () => {
  const report = hostileReport();

  it('text and markdown show them escaped, with or without colour', () => {
    for (const [format, color] of [['text', false], ['text', true], ['markdown', false]] as const) {
      const out = renderReport(report, format, color);
      expect(out, `${format} color=${color}`).not.toMatch(color ? NOT_OUR_SGR : RAW_CONTROL);
      expect(out).toContain('CrashLoopBackOff\\x1b[2J\\x1b]0;pwned\\x07');
      expect(out).toContain('KubeletNotReady\\x9b31m');
    }
  });

  it('a value with a newline cannot forge a line of the report', () => {
    const lines = renderReport(report, 'text', false).split('\n');
    expect(lines.some((line) => line.startsWith('second'))).toBe(false);
  });

  it('JSON and YAML keep the exact strings, with no raw control character in the output', () => {
    for (const format of ['json', 'yaml'] as const) {
      const out = renderReport(report, format, false);
      expect(out).not.toMatch(RAW_CONTROL);
      const back = (format === 'json' ? JSON.parse(out) : parseYaml(out)) as Report;
      expect(back).toEqual(JSON.parse(JSON.stringify(report)));
    }
  });

  it('the --all list renderers escape too', () => {
    const list = { apiVersion: 'ns-doctor.dev/v1' as const, kind: 'NamespaceDiagnosisList' as const, items: [report], stats: report.stats };
    expect(renderReportList(list, 'text', false, new Date(0))).not.toMatch(RAW_CONTROL);
    expect(renderReportList(list, 'markdown', false, new Date(0))).not.toMatch(RAW_CONTROL);
    expect(renderReportList(list, 'json', false, new Date(0))).not.toMatch(RAW_CONTROL);
  });

  it('a hostile finalizer name reaches the fix command quoted so bash reads the real name', () => {
    const snapshot = recorded('crd-finalizer');
    const hostile = `example.ns-doctor.dev/x${CLEAR_AND_TITLE}'; rm -rf ~ #`;
    const type = snapshot.content!.types[0];
    type.finalizers = { [hostile]: 1 };
    snapshot.content!.stuck[0].meta.finalizers = [hostile];
    const text = renderReport(diagnoseAt(snapshot), 'text', false);
    expect(text).not.toMatch(RAW_CONTROL);
    const command = text.split('\n').find((line) => line.includes('--type=json'))!;
    const patch = command.slice(command.indexOf('-p ') + 3).trim();
    expect(JSON.parse(bashReads(patch))[0].value).toEqual([hostile]);
  });
});
