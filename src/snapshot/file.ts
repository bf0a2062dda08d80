// Snapshot files (--save-snapshot / --from-snapshot) travel between engineers: a file is read as untrusted input,
// bounded in size, and validated against the schema before any check sees it.
import { chmodSync, writeFileSync } from 'node:fs';
import { readTextFileBounded } from '../util/files.js';
import * as v from 'valibot';
import { firstIssue, SnapshotFileSchema } from './schema.js';
import { SNAPSHOT_VERSION, type Snapshot } from './types.js';

export interface SnapshotFile {
  snapshotVersion: typeof SNAPSHOT_VERSION;
  snapshots: Snapshot[];
  all: boolean;
}

/**
 * Parsing JSON costs up to ~7× its size in heap (measured: a 32 MiB file of tiny objects reached 225 MB RSS, 64 MiB
 * aborted V8 under the shipped --max-old-space-size=256). A real snapshot is 20–40 KiB per namespace, so this
 * holds hundreds of namespaces and keeps the worst file far from the heap limit.
 */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;

/** Any file that cannot be used as a snapshot: one line for the user, exit 64 (the input is wrong, not the cluster). */
export class SnapshotFileError extends Error {}

export function readSnapshotFile(path: string): SnapshotFile {
  let text: string;
  try {
    text = readTextFileBounded(path, MAX_SNAPSHOT_BYTES);
  } catch (error) {
    throw new SnapshotFileError(`cannot read snapshot ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFileError(`${path} is not valid JSON (${(error as Error).message})`);
  }
  const version = (parsed as { snapshotVersion?: unknown } | null)?.snapshotVersion;
  if (version !== SNAPSHOT_VERSION) {
    throw new SnapshotFileError(
      `${path} is not an ns-doctor snapshot of version ${SNAPSHOT_VERSION}${typeof version === 'number' ? ` (it is version ${version}: save it again with this ns-doctor)` : ''}`,
    );
  }
  const result = v.safeParse(SnapshotFileSchema, parsed, { abortEarly: true });
  if (!result.success) throw new SnapshotFileError(`${path} is not a valid ns-doctor snapshot: ${firstIssue(result.issues)}`);
  return result.output;
}

export function writeSnapshotFile(path: string, snapshots: Snapshot[], all: boolean): void {
  const file: SnapshotFile = { snapshotVersion: SNAPSHOT_VERSION, snapshots, all };
  try {
    // A snapshot names the cluster's objects, users and service accounts: private, like the saved plans.
    writeFileSync(path, JSON.stringify(file, null, 2), { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (error) {
    throw new SnapshotFileError(`cannot write snapshot ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
