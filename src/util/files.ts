// Files named on the command line (kubeconfigs, snapshots) are read bounded: /dev/zero, a FIFO or a file larger
// than the process can hold is refused with one line before it is read, never left to hang or exhaust the heap.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export class BoundedReadError extends Error {}

export function readTextFileBounded(path: string, maxBytes: number): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading blocks until a writer comes, before any stat could refuse it. For a
    // regular file the flag changes nothing.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new BoundedReadError((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new BoundedReadError('not a regular file');
    if (stat.size > maxBytes) throw new BoundedReadError(`it is ${mib(stat.size)}; the limit is ${mib(maxBytes)}`);
    // One byte more than the limit: a file that grows while it is read is refused too.
    const buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    for (let read; length < buffer.length && (read = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += read;
    if (length > maxBytes) throw new BoundedReadError(`it is larger than ${mib(maxBytes)}`);
    const bytes = buffer.subarray(0, length);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new BoundedReadError('not UTF-8 text');
    }
  } finally {
    closeSync(fd);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
