// Bundles the CLI into one CommonJS file (dist/cli.cjs): what npm's bin, the krew shim and the
// single-executable packaging all run. CommonJS because Node SEA cannot load ES modules.
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';

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
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  banner: {
    js: [
      // Heap flags (package.json nodeFlags) keep peak memory flat as a namespace grows: without them V8 lets the
      // heap grow with the garbage of parsed list pages (measured: 300 MB at 56k ReplicaSets, 118 MB with them).
      `#!/usr/bin/env -S node ${pkg.nodeFlags.join(' ')}`,
      // The bundle's HTTP stack needs Node 22+; say so in one line instead of crashing inside undici.
      "if (Number(process.versions.node.split('.')[0]) < 22) { process.stderr.write('error: kubectl-ns_doctor needs Node.js 22.19 or newer (found ' + process.version + '); the krew binary embeds its own Node\\n'); process.exit(2); }",
    ].join('\n'),
  },
  define: { __NS_DOCTOR_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__import_meta_url' },
  inject: [new URL('./import-meta-url.cjs', import.meta.url).pathname],
  // Optional native add-ons that dependencies probe for; absent is fine, so resolve them to a module that throws.
  alias: { bufferutil: throwingStub, 'utf-8-validate': throwingStub, encoding: throwingStub },
  plugins: [withoutApiClients],
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync('dist/cli.cjs', 0o755);
