// Shell completion the way kubectl does it for plugins (kubectl 1.26+): `kubectl ns-doctor <TAB>` runs an
// executable named kubectl_complete-ns_doctor, which answers in cobra's __complete format: one candidate per
// line, then ":<directive>" (4 = do not fall back to file names).
import { KubeClient } from '../kube/client.js';
import { kubeconfigContexts, loadKubeConfig } from '../kube/kubeconfig.js';
import { listPaged } from '../gather/list.js';
import { escapeControl } from '../render/escape.js';

const NO_FILE_COMPLETION = 4;
const FLAGS = [
  '--all', '--details', '--output', '--kubeconfig', '--context', '--all-contexts', '--request-timeout', '--controller-timeout', '--stall-after', '--concurrency',
  '--wait', '--no-color', '--verbose', '--save-snapshot', '--from-snapshot', '--version', '--help',
];
const FIX_FLAGS = ['--apply', '--plan-id', '--allow', '--dry-run'];

export const COMPLETION_SCRIPT = `#!/bin/sh
# kubectl runs this for "kubectl ns-doctor <TAB>" (kubectl 1.26+). Install it on PATH:
#   kubectl ns-doctor completion > ~/.local/bin/kubectl_complete-ns_doctor && chmod +x ~/.local/bin/kubectl_complete-ns_doctor
exec kubectl-ns_doctor __complete "$@"
`;

export async function complete(args: string[], version: string): Promise<string> {
  const current = args.at(-1) ?? '';
  const previous = args.at(-2) ?? '';
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  /** The values already given to a flag that repeats (the word being completed is not one of them). */
  const valuesOf = (name: string) => args.slice(0, -1).filter((_, i, before) => before[i - 1] === name);
  let candidates: string[];
  const fixing = args[0] === 'fix';
  if (previous === '-o' || previous === '--output') candidates = ['text', 'json', 'yaml', 'markdown'];
  else if (fixing && previous === '--allow') candidates = ['safe', 'caution', 'last-resort'];
  else if (fixing && previous === '--plan-id') candidates = [];
  // --context repeats (many clusters): the contexts not given yet.
  else if (previous === '--context') candidates = contexts(option('--kubeconfig')).filter((name) => !valuesOf('--context').includes(name));
  else if (['--kubeconfig', '--save-snapshot', '--from-snapshot'].includes(previous)) return ':0\n';
  // fix works on one cluster: no --all-contexts.
  else if (current.startsWith('-')) candidates = fixing ? [...FLAGS.filter((f) => f !== '--all-contexts'), ...FIX_FLAGS] : FLAGS;
  else candidates = await namespaces(option('--kubeconfig'), option('--context'), version);
  // One candidate per line, read by a shell: a name with a control character (a newline would forge a second
  // candidate) is not offered at all.
  const usable = candidates.filter((c) => c.startsWith(current) && escapeControl(c) === c);
  return [...usable, `:${NO_FILE_COMPLETION}`].join('\n') + '\n';
}

function contexts(kubeconfig: string | undefined): string[] {
  try {
    return kubeconfigContexts(kubeconfig ? { kubeconfig } : {});
  } catch {
    return [];
  }
}

/** Terminating namespaces first: they are the ones people diagnose. */
async function namespaces(kubeconfig: string | undefined, context: string | undefined, version: string): Promise<string[]> {
  try {
    const { kc } = loadKubeConfig({ kubeconfig, context });
    const client = new KubeClient(kc, { requestTimeoutMs: 5_000, concurrency: 1, userAgent: `kubectl-ns-doctor/${version}` });
    const terminating: string[] = [];
    const others: string[] = [];
    try {
      await listPaged<{ metadata: { name: string; deletionTimestamp?: string } }>(client, '/api/v1/namespaces', { metadataOnly: true }, (items) => {
        for (const item of items) (item.metadata.deletionTimestamp ? terminating : others).push(item.metadata.name);
      });
    } finally {
      client.close();
    }
    return [...terminating, ...others];
  } catch {
    return [];
  }
}
