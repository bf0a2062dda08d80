// `kubectl ns-doctor fix` as the fix e2e tests run it: through real kubectl, with the test file's own cache home (so
// plans and audit logs of one file never meet another's), and its JSON parsed or the whole run shown.
import type { FixPlan, FixResult } from '../../src/model/plan.js';
import { kubectl, nsDoctor, waitFor, type RunOptions, type RunResult } from './harness.js';

export function fixCommand(cacheHome: string, defaults: () => RunOptions = () => ({})) {
  function fix(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const base = defaults();
    return nsDoctor(['fix', ...args], { ...base, ...opts, env: { XDG_CACHE_HOME: cacheHome, ...base.env, ...opts.env } });
  }
  async function fixJson<T extends FixPlan | FixResult>(args: string[], opts?: RunOptions): Promise<{ r: RunResult; out: T }> {
    const r = await fix([...args, '-o', 'json'], opts);
    try {
      return { r, out: JSON.parse(r.stdout) as T };
    } catch {
      throw new Error(`${r.command} (exit ${r.code}) did not print JSON.\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
  }
  return { fix, fixJson };
}

/** `kubectl get <args>` fails: the object is gone. */
export const gone = async (args: string[]): Promise<boolean> => (await kubectl(['get', ...args])).code !== 0;

export const waitGone = (ns: string, timeoutMs: number) =>
  waitFor(`namespace ${ns} gone`, () => gone(['namespace', ns]), { timeoutMs, intervalMs: 1000 });
