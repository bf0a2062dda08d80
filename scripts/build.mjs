// Bundles the CLI into one CommonJS file (dist/ns-doctor.cjs), which the single executable embeds, and writes
// dist/cli.cjs, the small launcher npm's bin runs. CommonJS because Node SEA cannot load ES modules.
import { build } from 'esbuild';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHECKS_DIR, CHECKS_MODULE, checksModuleSource } from './checks-module.mjs';

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

// Modules whose top-level code is costly and that most runs never call: each import is replaced by a small module
// that loads the real one on first use. string-width builds an Intl.Segmenter when loaded (~10 ms per copy, and
// yargs and cliui carry one each) but is needed only to lay out --help; socks and hpagent serve proxy-url only.
// Measured: `--version` 75 -> ~50 ms, and the same off every diagnosis.
const LAZY = {
  'string-width': (real) => `let m; export default function stringWidth(...a) { m ??= require(${real}); return m.default(...a); }`,
  'socks-proxy-agent': (real) =>
    `export class SocksProxyAgent { constructor(...a) { return new (require(${real}).SocksProxyAgent)(...a); } }`,
  socks: (real) => `export const SocksClient = { createConnection: (...a) => require(${real}).SocksClient.createConnection(...a) };`,
  hpagent: (real) =>
    [
      `export class HttpProxyAgent { constructor(...a) { return new (require(${real}).HttpProxyAgent)(...a); } }`,
      `export class HttpsProxyAgent { constructor(...a) { return new (require(${real}).HttpsProxyAgent)(...a); } }`,
    ].join('\n'),
};
const loadOnFirstUse = {
  name: 'load-on-first-use',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join('|')})$`);
    b.onResolve({ filter }, async (args) => {
      // cli-progress calls its (CommonJS) string-width directly, and is itself loaded only when a bar is drawn.
      if (args.pluginData?.real || args.importer.includes(`${path.sep}cli-progress${path.sep}`)) return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { real: true } });
      if (real.errors.length) return { errors: real.errors };
      // The path shown in the bundle's comments is relative, so the output does not depend on the checkout's location.
      return { path: path.relative(process.cwd(), real.path), namespace: 'lazy', pluginData: { name: args.path, real: real.path } };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: LAZY[args.pluginData.name](JSON.stringify(args.pluginData.real)),
      resolveDir: '/',
      loader: 'js',
    }));
  },
};

// src/checks/registry.ts imports every check through this one module, read from the folder at build time.
const everyCheck = {
  name: 'every-check',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${CHECKS_MODULE}$`) }, () => ({ path: CHECKS_MODULE, namespace: 'every-check' }));
    b.onLoad({ filter: /.*/, namespace: 'every-check' }, () => ({ contents: checksModuleSource(), resolveDir: CHECKS_DIR, loader: 'js' }));
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
  plugins: [withoutApiClients, loadOnFirstUse, everyCheck],
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
