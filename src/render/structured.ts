import { dump } from 'js-yaml';
import type { Report, ReportList } from '../model/report.js';
import type { FixPlan, FixResult } from '../model/plan.js';

type Structured = Report | ReportList | FixPlan | FixResult;
import { escapeJsonText } from './escape.js';

export function renderJson(value: Structured): string {
  return escapeJsonText(JSON.stringify(value, null, 2)) + '\n';
}

// js-yaml double-quotes and escapes C0, C1, DEL, NEL and LS itself (checked in test/unit/render.test.ts).
export function renderYaml(value: Structured): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}
