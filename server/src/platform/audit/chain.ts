/** The SM3 hash chain: the canonical form of a row and its link hash. */
import { createHash } from 'node:crypto';
import type { AuditRow } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

type Hashed = Omit<AuditRow, 'prevHash' | 'hash'>;

/**
 * The canonical JSON of a row: a JSON array of every stored field in a fixed order (no key-order ambiguity), with
 * absent values as null and `recorded` as epoch milliseconds. Including `tenant` and `pos` makes moving a row
 * to another place or tenant change its hash.
 */
export function canonicalRow(r: Hashed): string {
  return JSON.stringify([
    1, // format version
    r.tenant,
    r.pos,
    r.recorded,
    r.kind,
    r.action,
    r.outcome,
    r.userId,
    r.userDisplay,
    r.role,
    r.institution,
    r.patientId,
    r.resources,
    r.query,
    r.purpose,
    r.breakGlass,
    r.sourceIp,
    r.detail,
  ]);
}

/** hash = SM3(prev_hash bytes ‖ UTF-8 canonical JSON), hex. */
export function linkHash(prevHash: string, r: Hashed): string {
  return createHash('sm3').update(Buffer.from(prevHash, 'hex')).update(canonicalRow(r), 'utf8').digest('hex');
}
