// Prometheus' own text-format parser (github.com/prometheus/common/expfmt, the parser Prometheus scrapes with), built
// once from test/tools/promparse into ~/.cache/ns-doctor/promparse: tests check what ns-doctor exposes against it,
// not against a parser of ours.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ParsedFamily {
  help: string;
  /** GAUGE, COUNTER, UNTYPED, ... */
  type: string;
  samples: { labels: Record<string, string>; value: number }[] | null;
}

const source = resolve(import.meta.dirname, 'promparse');
const binary = join(process.env.NS_DOCTOR_CACHE_DIR ?? join(homedir(), '.cache', 'ns-doctor'), 'promparse', 'promparse');

/**
 * Builds the parser unless the cached binary is current. A cold build (module download and compile) takes tens of
 * seconds: call it from a beforeAll with a long timeout, so that no single test's timeout pays for it.
 */
export function buildParser(): string {
  const newest = Math.max(...['main.go', 'go.mod', 'go.sum'].map((f) => statSync(join(source, f)).mtimeMs));
  if (!existsSync(binary) || statSync(binary).mtimeMs < newest) {
    mkdirSync(join(binary, '..'), { recursive: true });
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: source, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
  }
  return binary;
}

/** The families Prometheus reads from `text`; throws with the parser's message when it refuses the text. */
export function parseExposition(text: string): Record<string, ParsedFamily> {
  const result = spawnSync(buildParser(), [], { input: text, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`Prometheus' parser refused the exposition: ${result.stderr.trim()}`);
  const raw = JSON.parse(result.stdout) as Record<string, Omit<ParsedFamily, 'samples'> & { samples: { labels: Record<string, string>; value: string }[] | null }>;
  const number = (value: string) => (value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value));
  return Object.fromEntries(
    Object.entries(raw).map(([name, family]) => [name, { ...family, samples: (family.samples ?? []).map((s) => ({ labels: s.labels, value: number(s.value) })) }]),
  );
}

/** The samples of one family, as [labels, value] (empty when the family is absent). */
export function samplesOf(parsed: Record<string, ParsedFamily>, name: string): { labels: Record<string, string>; value: number }[] {
  return parsed[name]?.samples ?? [];
}
