// Snapshot files come from other people's machines: every malformed, oversized or hostile file must be refused with
// one line that says what is wrong, before any check reads it. (The CLI turns SnapshotFileError into exit 64; that
// is tested through kubectl in test/e2e/hostile-input.test.ts.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_BYTES, readSnapshotFile, SnapshotFileError } from '../../src/snapshot/file.js';
import { FIXTURES, recordedFile } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-snapshot-'));
let n = 0;
function fileWith(content: string | object): string {
  const path = join(dir, `s${n++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function refused(path: string): string {
  try {
    readSnapshotFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotFileError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`${path} was accepted`);
}

describe('readSnapshotFile', () => {
  it.each(FIXTURES)('accepts the snapshot recorded from the real control plane (%s)', (name) => {
    const file = readSnapshotFile(fileWith(readFileSync(new URL(`../fixtures/${name}.snapshot.json`, import.meta.url), 'utf8')));
    expect(file.snapshots[0].namespaceName).toBeTruthy();
  });

  it.each([
    ['content: {}', (f: any) => (f.snapshots[0].content = {}), /snapshots\.0\.content\.types: missing/],
    ['gaps: null', (f: any) => (f.snapshots[0].gaps = null), /snapshots\.0\.gaps: Invalid type/],
    ['a negative count', (f: any) => (f.snapshots[0].content.types = [{ ...typeOf(f), count: -1 }]), /count: Invalid value/],
    ['a fractional count', (f: any) => (f.snapshots[0].stats.requests = 1.5), /stats\.requests/],
    ['an impossible date', (f: any) => (f.snapshots[0].namespace.deletionTimestamp = '2026-02-30T10:00:00Z'), /deletionTimestamp: an RFC 3339 time/],
    ['a date that is not one', (f: any) => (f.snapshots[0].takenAt = 'yesterday'), /takenAt: an RFC 3339 time/],
    ['more finalized objects than objects', (f: any) => (f.snapshots[0].content.types = [{ ...typeOf(f), count: 1, withFinalizers: 5 }]), /more objects with finalizers/],
    ['a found namespace without the namespace', (f: any) => delete f.snapshots[0].namespace, /namespaceFound is true but there is no namespace/],
    ['an unknown verdict-level value', (f: any) => (f.snapshots[0].discovery.mode = 'psychic'), /discovery\.mode: Invalid type/],
    ['a megabyte name', (f: any) => (f.snapshots[0].namespaceName = 'x'.repeat(1 << 20)), /namespaceName: Invalid length/],
    ['an unknown gap kind', (f: any) => (f.snapshots[0].gaps = [{ kind: 'weird', what: 'x', reason: 'y' }]), /gaps\.0\.kind/],
  ])('refuses %s, naming where', (_label, mutate, message) => {
    const file = recordedFile('crd-finalizer');
    mutate(file);
    expect(refused(fileWith(file))).toMatch(message);
  });

  it('refuses what is not a snapshot of this version, and says which version it is', () => {
    expect(refused(fileWith({ ...recordedFile('crd-finalizer'), snapshotVersion: 1 }))).toMatch(/not an ns-doctor snapshot of version 2 \(it is version 1/);
    expect(refused(fileWith({ hello: 'world' }))).toMatch(/not an ns-doctor snapshot/);
    expect(refused(fileWith('null'))).toMatch(/not an ns-doctor snapshot/);
  });

  it('refuses broken JSON, binary data and deep nesting with one line', () => {
    expect(refused(fileWith('{"snapshotVersion": 2, "snapshots": ['))).toMatch(/is not valid JSON/);
    const binary = join(dir, 'binary.json');
    writeFileSync(binary, Buffer.from([0xff, 0xfe, 0x00, 0x9b, 0x1b]));
    expect(refused(binary)).toMatch(/not UTF-8 text/);
    const deep = fileWith(`{"snapshotVersion":2,"all":false,"snapshots":[${'['.repeat(200_000)}${']'.repeat(200_000)}]}`);
    expect(refused(deep)).toMatch(/snapshots\.0/);
  });

  it('refuses a file over the size limit before reading it, and anything that is not a regular file', () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, Buffer.alloc(MAX_SNAPSHOT_BYTES + 1, 0x20));
    expect(refused(big)).toMatch(/is 16\.0 MiB; the limit is 16\.0 MiB/);
    expect(refused('/dev/zero')).toMatch(/not a regular file/);
    expect(refused(dir)).toMatch(/not a regular file|EISDIR/);
    expect(refused(join(dir, 'missing.json'))).toMatch(/ENOENT/);
  });
});

function typeOf(file: any) {
  return { group: '', version: 'v1', resource: 'pods', kind: 'Pod', count: 1, withFinalizers: 0, withDeletionTimestamp: 0, finalizers: {}, ...file.snapshots[0].content.types[0] };
}
