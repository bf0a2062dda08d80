// The module `ns-doctor:checks`: every file in src/checks, so that adding a root cause is adding its file. The bundle
// (scripts/build.mjs, esbuild) and the tests (vitest.config.ts, Vite) are both served this one source;
// src/checks/registry.ts keeps the exports that are checks and orders them by deletion stage.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECKS_MODULE = 'ns-doctor:checks';
export const CHECKS_DIR = fileURLToPath(new URL('../src/checks/', import.meta.url));

/** `export default [<every module in src/checks but the registry>]`, in file-name order (imported by absolute path). */
export function checksModuleSource() {
  const files = readdirSync(CHECKS_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== 'registry.ts')
    .sort();
  return [
    ...files.map((file, i) => `import * as m${i} from ${JSON.stringify(path.join(CHECKS_DIR, file))};`),
    `export default [${files.map((_, i) => `m${i}`).join(', ')}];`,
    '',
  ].join('\n');
}
