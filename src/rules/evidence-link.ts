import type { EvidenceLink, ObjectRef } from '../model/report.js';

/** One link of an evidence chain: the object, what it shows, and how far it is from the blocker (0 = the cause). */
export function link(ref: ObjectRef, fact: string, depth: number): EvidenceLink {
  return { ref, fact, depth };
}
