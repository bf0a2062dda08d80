// Every import points down the layers: cli → gather / diagnosis / render / fix → checks → snapshot → kube / util / model.
// `npm test` runs this (npm run lint); an upward import or a cycle fails it.
const layer = (name, mayUse) => ({
  name: `${name}-imports-down-only`,
  comment: `src/${name} may import only from ${mayUse.join(', ')}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/(${[name, ...mayUse].join('|')})/`] },
});

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    layer('model', []),
    layer('util', []),
    layer('kube', ['model', 'util']),
    layer('snapshot', ['model', 'util']),
    layer('render', ['model', 'util']),
    layer('checks', ['snapshot', 'model', 'util']),
    layer('diagnosis', ['checks', 'snapshot', 'model', 'util']),
    layer('gather', ['kube', 'snapshot', 'model', 'util']),
    // The only code that writes: it plans from checks' findings and reads evidence itself, never through gather.
    layer('fix', ['checks', 'kube', 'snapshot', 'model', 'util']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
