// The Prometheus text exposition format (version 0.0.4), drawn by hand: it is small, and every label value in it
// comes from the cluster (namespace names, finalizers, APIService names), so its escaping is ours to own and test.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'gauge' | 'counter';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** The longest label value exported; anything longer is cut (a Kubernetes name is at most 253 characters). */
export const MAX_LABEL_VALUE_LENGTH = 512;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Control characters other than the newline (which the format escapes itself) are legal in a label value but would
// reach whoever reads the page raw (curl, a textfile in a log): they are shown as visible escapes.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A label value as the format wants it: backslash, double quote and newline escaped; control characters visible. */
export function escapeLabelValue(value: string): string {
  const bounded = value.length > MAX_LABEL_VALUE_LENGTH ? `${value.slice(0, MAX_LABEL_VALUE_LENGTH - 1)}…` : value;
  return bounded
    .replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`))
    .replace(CONTROL, (char) => `\\\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** HELP text escapes only backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (char) => (char === '\n' ? '\\n' : '\\\\'));
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function renderExposition(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name ${family.name}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels).map(([name, value]) => {
        if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`invalid label name ${name}`);
        return `${name}="${escapeLabelValue(value)}"`;
      });
      lines.push(`${family.name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(sample.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}
