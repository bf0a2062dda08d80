// What `npm run package` (scripts/package/package.sh) writes into out/, for the e2e files that test it, and the
// step that makes it: reused when out/ is newer than everything it is made from, since a full build of the five
// platforms takes minutes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
export const out = join(root, 'out');
export const pkgVersion: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

export const PLATFORMS = ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const exeName = (p: Platform) => (p.startsWith('windows/') ? 'kubectl-ns_doctor.exe' : 'kubectl-ns_doctor');
export const executable = (p: Platform) => join(out, p.replace('/', '_'), exeName(p));
export const archiveName = (p: Platform) =>
  `kubectl-ns_doctor_${p.replace('/', '_')}.${p.startsWith('windows/') ? 'zip' : 'tar.gz'}`;
export const archive = (p: Platform) => join(out, archiveName(p));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Asynchronous on purpose: servers living in the test process (krew's archive server) must keep answering.
export function runFile(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 120_000,
): Promise<RunResult> {
  return new Promise((done) => {
    execFile(file, args, { env, cwd: root, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export async function runFileOk(file: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<string> {
  const r = await runFile(file, args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// The same digest package.sh writes into out/.inputs.sha256 once it has built all five platforms.
function inputsDigest(): string {
  const files = ['dist/ns-doctor.cjs', 'LICENSE', 'package.json'];
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
    );
  files.push(...walk('scripts/package').sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  const lines = files.map((f) => `${createHash('sha256').update(readFileSync(join(root, f))).digest('hex')}  ${f}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/**
 * Packages all five platforms unless out/ was made from exactly the current bundle, LICENSE, package.json and
 * packaging scripts. The global setup has just rebuilt dist/, so package.sh --no-build: rebuilding it again here
 * would rewrite a file other tests may be executing.
 */
export async function ensurePackaged(): Promise<void> {
  const stamp = join(out, '.inputs.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputsDigest()) return;
  await runFileOk('bash', ['scripts/package/package.sh', '--no-build'], process.env, 900_000);
  if (readFileSync(stamp, 'utf8').trim() !== inputsDigest()) throw new Error('out/.inputs.sha256 does not match after packaging');
}
