// Every import points down the layers: cli → watch / gather / diagnosis / render / fix → checks → rules → snapshot → kube / util / model.
// rules/ is what Kubernetes itself does and what every part must agree on (deadlines, built-in finalizers and
// webhooks, condition parsing, the controller's words, the backend chain): checks, diagnosis, gather and fix read it,
// it reads only the snapshot's types.
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
    layer('rules', ['snapshot', 'model', 'util']),
    layer('checks', ['rules', 'snapshot', 'model', 'util']),
    layer('diagnosis', ['checks', 'rules', 'snapshot', 'model', 'util']),
    layer('gather', ['kube', 'rules', 'snapshot', 'model', 'util']),
    layer('watch', ['diagnosis', 'checks', 'rules', 'render', 'kube', 'snapshot', 'model', 'util']),
    // The only code that writes: it plans from checks' findings and reads evidence itself, never through gather.
    layer('fix', ['checks', 'rules', 'kube', 'snapshot', 'model', 'util']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
