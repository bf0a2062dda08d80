import { dump } from 'js-yaml';
import type { Report, ReportList } from '../model/report.js';
import type { FixPlan, FixResult } from '../model/plan.js';

type Structured = Report | ReportList | FixPlan | FixResult;
import { escapeJsonText } from './escape.js';

export function renderJson(value: Structured): string {
  return escapeJsonText(JSON.stringify(value, null, 2)) + '\n';
}

// js-yaml double-quotes and escapes C0, C1, DEL, NEL and LS itself (checked in test/unit/render.test.ts), but prints
// bidi controls (U+202E, U+2066…) and PS raw, as printable. Each is first replaced by a marker made of \x01 and its
// hex code, which js-yaml must double-quote and writes as `\x01` + 4 hex digits; that is then turned into the YAML
// escape `\uXXXX` of the original character (a real \x01 is marked the same way, so it reads back as itself).
// eslint-disable-next-line no-control-regex -- \x01 is the marker itself
const RAW_IN_YAML = /[\u0001\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const MARKER = /\\x01([0-9a-f]{4})/g;

export function renderYaml(value: Structured): string {
  return dump(markDeep(value), { lineWidth: -1, noRefs: true }).replace(MARKER, (_, hex: string) => `\\u${hex}`);
}

function markDeep(value: unknown): unknown {
  const mark = (text: string) => text.replace(RAW_IN_YAML, (char) => `\u0001${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'string') return mark(value);
  if (Array.isArray(value)) return value.map(markDeep);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [mark(key), markDeep(inner)]));
  return value;
}
