// `ns-doctor:checks` is not a file: the bundler (scripts/build.mjs) and the test runner (vitest.config.ts) make it
// from the files in this folder (scripts/checks-module.mjs), so no list of checks is kept by hand.
declare module 'ns-doctor:checks' {
  /** Every module in src/checks but the registry, each as its namespace object. */
  const modules: readonly Readonly<Record<string, unknown>>[];
  export default modules;
}
