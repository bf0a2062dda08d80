// What `npm run package` (scripts/package/package.sh) writes into out/, for the e2e files that test it, and the
// step that makes it: reused when out/ is newer than everything it is made from, since a full build of the five
// platforms takes minutes.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(readdirSync(p).map((e) => join(p, e))));
    else newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/**
 * Packages all five platforms unless out/ is newer than everything it is made from, without rewriting a
 * dist/cli.cjs that other tests may be executing right now if that one is fresh (package.sh --no-build).
 */
export async function ensurePackaged(): Promise<void> {
  const bundleInputs = ['src', 'package.json', 'scripts/build.mjs'].map((p) => join(root, p));
  const bundleFresh = mtime(join(root, 'dist/ns-doctor.cjs')) > newestMtime(bundleInputs);
  const inputs = [join(root, 'dist/ns-doctor.cjs'), join(root, 'LICENSE'), join(root, 'scripts/package')];
  const oldest = Math.min(...PLATFORMS.map((p) => mtime(archive(p))), mtime(join(out, 'ns-doctor.yaml')));
  if (bundleFresh && oldest > newestMtime(inputs)) return;
  await runFileOk('bash', ['scripts/package/package.sh', ...(bundleFresh ? ['--no-build'] : [])], process.env, 900_000);
}
