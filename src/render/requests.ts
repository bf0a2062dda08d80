// `-v`: every request made, as it completes, and a total.
import type { RequestRecord } from '../model/requests.js';
import { formatBytes } from './text.js';

export function formatRequest(record: RequestRecord): string {
  const outcome = record.status ?? record.error ?? '?';
  const retry = record.attempt > 1 ? ` (attempt ${record.attempt})` : '';
  return `${record.method} ${record.path} ${outcome} ${formatBytes(record.bytes)} ${record.ms}ms${retry}`;
}

export function formatRequestTotal(stats: { requests: number; bytesReceived: number; retries: number }, durationMs: number): string {
  return `${stats.requests} requests (${stats.retries} retries), ${formatBytes(stats.bytesReceived)} received in ${durationMs} ms`;
}
