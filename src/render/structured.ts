import { dump } from 'js-yaml';
import type { Report, ReportList } from '../model/report.js';

export function renderJson(value: Report | ReportList): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function renderYaml(value: Report | ReportList): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}
