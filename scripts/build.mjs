// Bundles the CLI into one CommonJS file (dist/ns-doctor.cjs), which the single executable embeds, and writes
// dist/cli.cjs, the small launcher npm's bin runs. CommonJS because Node SEA cannot load ES modules.
import { build } from 'esbuild';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const throwingStub = new URL('./optional-module-stub.cjs', import.meta.url).pathname;

// ns-doctor uses client-node's KubeConfig (kubeconfig, TLS, exec/OIDC/cloud auth) with Node's https, never its
// generated API clients nor their fetch transport (undici): those were 80% of the bundle and of its compile time.
// Only KubeConfig.makeApiClient and applySecurityAuthentication reach them; the stubs throw if that ever changes.
const STUBS = {
  './gen/index.js':
    'export const createConfiguration = unavailable;\nexport class ServerConfiguration { constructor() { unavailable(); } }\n',
  undici: 'export class Agent { constructor() { unavailable(); } }\nexport class ProxyAgent { constructor() { unavailable(); } }\n',
};
const withoutApiClients = {
  name: 'without-generated-api-clients',
  setup(b) {
    b.onResolve({ filter: /^(\.\/gen\/index\.js|undici)$/ }, (args) =>
      args.importer.includes('@kubernetes/client-node') ? { path: args.path, namespace: 'stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({
      contents: "const unavailable = () => { throw new Error('not bundled in ns-doctor'); };\n" + STUBS[args.path],
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/ns-doctor.cjs',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  define: { __NS_DOCTOR_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__import_meta_url' },
  inject: [new URL('./import-meta-url.cjs', import.meta.url).pathname],
  // Optional native add-ons that dependencies probe for; absent is fine, so resolve them to a module that throws.
  alias: { bufferutil: throwingStub, 'utf-8-validate': throwingStub, encoding: throwingStub },
  plugins: [withoutApiClients],
  logLevel: 'warning',
  legalComments: 'none',
});
// dist/cli.cjs is what npm's bin and the dev shims run: a few lines that check Node, turn on Node's compile cache
// (the bundle's V8 code is then reused across runs: ~8 ms of a ~78 ms start) and load the bundle. The heap flags
// (package.json nodeFlags) ride in the shebang: without them V8 lets the heap grow with the garbage of parsed list
// pages (measured: 300 MB at 56k ReplicaSets, 105 MB with them).
writeFileSync(
  'dist/cli.cjs',
  [
    `#!/usr/bin/env -S node ${pkg.nodeFlags.join(' ')}`,
    "'use strict';",
    '// The HTTP stack needs Node 22+; say so in one line instead of crashing inside it.',
    "if (Number(process.versions.node.split('.')[0]) < 22) {",
    "  process.stderr.write('error: kubectl-ns_doctor needs Node.js 22.19 or newer (found ' + process.version + '); the krew binary embeds its own Node\\n');",
    '  process.exit(2);',
    '}',
    "require('node:module').enableCompileCache?.();",
    "require('./ns-doctor.cjs');",
    '',
  ].join('\n'),
);
chmodSync('dist/cli.cjs', 0o755);
