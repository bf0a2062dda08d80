// Reads the evidence a plan relies on: one GET per object, through the read-only KubeClient. Never a Secret (no
// step relies on one), and arbitrary content only as PartialObjectMetadata.
import { ACCEPT, errorFromResponse, type KubeClient } from '../kube/client.js';
import { ApiError, type ApiFailureKind } from '../kube/errors.js';
import type { EvidenceSpec } from '../model/step-draft.js';
import type { ApiWritableObject } from '../kube/api-types.js';

const METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

export interface EvidenceRead {
  object?: ApiWritableObject;
  exists: boolean;
  /** Set when the object could not be read (403, timeout…): the step that needs it cannot be planned. */
  error?: string;
  /** The server did not answer (refused, timed out, reset, 5xx): nothing can be decided, the cluster is unreachable. */
  unreachable?: boolean;
}

const UNREACHABLE: readonly ApiFailureKind[] = ['timeout', 'connection', 'unreachable', 'unavailable', 'server-error', 'throttled', 'tls'];

export type EvidenceReads = Map<string, EvidenceRead>;

export async function readEvidence(client: KubeClient, specs: EvidenceSpec[]): Promise<EvidenceReads> {
  const unique = new Map(specs.map((s) => [s.path, s]));
  const reads: EvidenceReads = new Map();
  await Promise.all(
    [...unique.values()].map(async (spec) => {
      reads.set(spec.path, await readOne(client, spec));
    }),
  );
  return reads;
}

export async function readOne(client: KubeClient, spec: EvidenceSpec): Promise<EvidenceRead> {
  try {
    const response = await client.get(spec.path, spec.metadataOnly ? METADATA : ACCEPT.json);
    if (response.status === 404) return { exists: false };
    if (response.status < 200 || response.status >= 300) {
      const failure = errorFromResponse(spec.path, response);
      return { exists: false, error: failure.reason, ...(UNREACHABLE.includes(failure.kind) ? { unreachable: true } : {}) };
    }
    const object: unknown = JSON.parse(response.body);
    return object && typeof object === 'object' ? { exists: true, object: object } : { exists: false, error: 'malformed response: not a JSON object' };
  } catch (error) {
    const unreachable = error instanceof ApiError && UNREACHABLE.includes(error.kind);
    return { exists: false, error: (error as Error).message, ...(unreachable ? { unreachable } : {}) };
  }
}
