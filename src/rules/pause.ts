// Reconciliation paused on purpose: the controller runs and sees the object, and by its own design leaves it alone,
// its finalizer included, however long one waits. Each project's switch is read the way its own code reads it:
// Cluster API's annotations.HasPaused looks only for the key; crossplane-runtime's meta.IsPaused and Argo CD's
// skip-reconcile want the value "true". Many other operators name theirs `<project>/paused` (Kamaji, garm, …) with
// their own rule for the value: from the name alone that is a "may", shown as evidence and never decided on.

/** A pause annotation found on an object. `known`: the project's documented switch, read by its own rule. */
export interface Pause {
  annotation: string;
  value: string;
  /** The project whose switch it is (known switches only). */
  project?: string;
  known: boolean;
}

interface KnownSwitch {
  annotation: string;
  project: string;
  paused(value: string): boolean;
}

const KNOWN_SWITCHES: readonly KnownSwitch[] = [
  { annotation: 'cluster.x-k8s.io/paused', project: 'Cluster API', paused: () => true },
  { annotation: 'crossplane.io/paused', project: 'Crossplane', paused: (value) => value === 'true' },
  { annotation: 'argocd.argoproj.io/skip-reconcile', project: 'Argo CD', paused: (value) => value === 'true' },
];

/** `<prefix>/paused`, `<prefix>/skip-reconcile`, …: the shapes other operators give their switch. */
const LOOKS_LIKE_A_SWITCH = /^[a-z0-9.-]+\/(paused?|reconcile-paused|paused-reconciliation|skip-reconcile|skip-reconciliation)$/;

/** Whether gather keeps this annotation in a snapshot: pause switches only (other annotations are neither read nor kept). */
export function isPauseAnnotation(key: string): boolean {
  return KNOWN_SWITCHES.some((s) => s.annotation === key) || LOOKS_LIKE_A_SWITCH.test(key);
}

/** The pause on an object, if any: a known switch that is on first, else a switch-shaped annotation not set to off. */
export function pauseOf(annotations: Record<string, string> | undefined): Pause | undefined {
  if (!annotations) return undefined;
  for (const known of KNOWN_SWITCHES) {
    const value = annotations[known.annotation];
    if (value !== undefined && known.paused(value)) return { annotation: known.annotation, value, project: known.project, known: true };
  }
  for (const [annotation, value] of Object.entries(annotations)) {
    if (KNOWN_SWITCHES.some((s) => s.annotation === annotation)) continue;
    if (LOOKS_LIKE_A_SWITCH.test(annotation) && !/^(false|no|off|0)$/i.test(value.trim())) return { annotation, value, known: false };
  }
  return undefined;
}
