// Snapshot files (--save-snapshot / --from-snapshot) travel between engineers: a file is read as untrusted input,
// bounded in size, and validated against the schema before any check sees it.
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
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
  const text = readBounded(path);
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
    writeFileSync(path, JSON.stringify(file, null, 2));
  } catch (error) {
    throw new SnapshotFileError(`cannot write snapshot ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Reads a regular file of at most MAX_SNAPSHOT_BYTES; /dev/zero, a FIFO or a huge file is refused before reading. */
function readBounded(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new SnapshotFileError(`cannot read snapshot ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SnapshotFileError(`cannot read snapshot ${path}: not a regular file`);
    if (stat.size > MAX_SNAPSHOT_BYTES) {
      throw new SnapshotFileError(`snapshot ${path} is ${mib(stat.size)}; the limit is ${mib(MAX_SNAPSHOT_BYTES)}`);
    }
    // One byte more than the limit: a file that grows while it is read is refused too.
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_SNAPSHOT_BYTES) + 1);
    let length = 0;
    for (let read; length < buffer.length && (read = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += read;
    if (length > MAX_SNAPSHOT_BYTES) throw new SnapshotFileError(`snapshot ${path} is larger than ${mib(MAX_SNAPSHOT_BYTES)}`);
    const text = buffer.subarray(0, length).toString('utf8');
    if (text.includes('\uFFFD') && !isUtf8(buffer.subarray(0, length))) throw new SnapshotFileError(`${path} is not UTF-8 text`);
    return text;
  } finally {
    closeSync(fd);
  }
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
