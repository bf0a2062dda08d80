// The local, append-only record of every write `fix` attempts and what came of it (JSON lines), kept besides the
// Events: an Event is itself a write to the cluster and is lost with the answer it depends on. A line is written
// before each request is sent and another when it ends, so a write whose answer never came is still on record.
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ApiRequest } from '../model/plan.js';

export interface AuditEntry {
  time: string;
  planId: string;
  step: number;
  /** `attempt`: about to be sent; `outcome`: what came back (status 0: no answer). */
  phase: 'attempt' | 'outcome';
  /** What the write is: the step itself, one object of a batch step, or the Event that records the step. */
  what: 'step' | 'batch-object' | 'event';
  request: Pick<ApiRequest, 'method' | 'path' | 'body'>;
  status?: number;
  message?: string;
}

export interface AuditSink {
  readonly path: string;
  record(entry: AuditEntry): void;
}

export class AuditFileError extends Error {}

/** `$XDG_CACHE_HOME/ns-doctor/audit.jsonl` (else ~/.cache/…), next to the saved plans. */
export function defaultAuditFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'ns-doctor', 'audit.jsonl');
}

export class AuditFile implements AuditSink {
  private fd?: number;

  constructor(readonly path: string) {}

  /** Opened before the first write: a record that cannot be kept stops the run with nothing written. */
  open(): this {
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.fd = openSync(this.path, 'a', 0o600);
      // An existing file keeps the mode it was created with; the record holds request bodies, so make it private.
      fchmodSync(this.fd, 0o600);
    } catch (error) {
      throw new AuditFileError(`cannot open the audit file ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return this;
  }

  record(entry: AuditEntry): void {
    if (this.fd === undefined) throw new AuditFileError(`the audit file ${this.path} is not open`);
    try {
      writeSync(this.fd, JSON.stringify(entry) + '\n');
    } catch (error) {
      throw new AuditFileError(`cannot write to the audit file ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
