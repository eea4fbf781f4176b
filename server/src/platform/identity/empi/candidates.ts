/**
 * Candidates for a Patient record written to the store: a few indexed searches on blocking keys, then
 * Fellegi–Sunter scoring of each candidate. The searches go through the store's search (never raw SQL on
 * the identifier or phone columns, which hold blind indexes when fields are encrypted).
 */
import { createHash } from 'node:crypto';
import type { Patient } from '@medplum/fhirtypes';
import { parseSearchQuery, type QueryInput } from '../../fhir/search/parse.js';
import { modelFor, type Repository } from '../../fhir/repository.js';
import { buildWhere } from '../../fhir/search/search.js';
import { validateIdNumber } from '../id-number.js';
import {
  blockingKeys,
  DEFAULT_RULES,
  prepareRecord,
  scorePair,
  selectRules,
  type BlockingKeyName,
  type MatchRules,
  type PairScore,
} from '../matching/index.js';
import { patientToPerson, residentIdOf, RESIDENT_ID_SYSTEM } from './person.js';
import type { Assurance, LinkRow } from './store.js';

/** Rule sets known to the index; the one whose effectiveFrom is latest but not after the write's date applies. */
export const EMPI_RULE_SETS: MatchRules[] = [DEFAULT_RULES];

export function rulesOn(date: string): MatchRules {
  return selectRules(EMPI_RULE_SETS, date.slice(0, 10));
}

/** Phonetic keys kept in empi_block (the ID number and phone are found through the store's own search). */
const PHONETIC_KEYS: BlockingKeyName[] = ['surname-birthdate', 'given-birthdate', 'name-birthyear', 'name-monthday', 'name-place'];
const KEY_BITS = 22;

/** The record's phonetic blocking keys as truncated hashes (type in the high bits, so types never meet). */
export function phoneticKeys(tenant: string, patient: Patient): number[] {
  const prepared = prepareRecord(patientToPerson(patient));
  const keys = new Set<number>();
  PHONETIC_KEYS.forEach((type, t) => {
    for (const key of blockingKeys(prepared, type)) {
      const h = createHash('sha256').update(`${tenant}\u0000${type}\u0000${key}`).digest().readUInt32BE(0);
      keys.add((t << KEY_BITS) | (h & ((1 << KEY_BITS) - 1)));
    }
  });
  return [...keys];
}

/** Rows per blocking search: a block larger than this is not a useful key (e.g. one shared institution phone). */
const BLOCK_LIMIT = 50;

export interface ScoredCandidate {
  patient: Patient;
  score: PairScore;
  /** A reviewer decided this pair are two people. */
  distinct?: boolean;
}

/** A record merged into another (link replaced-by): its data now lives with the survivor. */
export function isRetired(patient: Patient): boolean {
  return patient.active === false && !!patient.link?.some((l) => l.type === 'replaced-by');
}

/** The record's resident ID number in its normal 18-character form, when it is a valid one. */
export function validResidentId(patient: Patient): string | undefined {
  const id = residentIdOf(patient);
  const check = id ? validateIdNumber(id) : undefined;
  return check?.valid ? check.idNumber : undefined;
}

/**
 * Blocking by the store's own search: the ID number and the phone (their columns may hold blind indexes, which
 * the search knows how to query). Names and dates block through the phonetic keys (empi_block), which are
 * selective where a name search is not: a common surname + birth year is thousands of rows in a county, and a
 * birth date alone cannot use an index selectively as a range condition.
 */
export function blockingQueries(patient: Patient): QueryInput[] {
  const queries: QueryInput[] = [];
  const idNumber = validResidentId(patient);
  if (idNumber) queries.push({ identifier: `${RESIDENT_ID_SYSTEM}|${idNumber}` });
  const phone = patient.telecom?.find((t) => (t.system === 'phone' || t.system === 'sms') && t.value)?.value;
  if (phone) queries.push({ phone });
  return queries;
}

export interface Candidates {
  scored: ScoredCandidate[];
  /** Golden record of the written record and of each candidate, with the number of records it links. */
  links: Map<string, LinkRow & { members: number }>;
}

/**
 * One statement: the union of the blocking searches (each the store's own search SQL, limited), the
 * candidates' content and their golden records, plus the written record's own golden record.
 */
export async function findCandidates(sys: Repository, patient: Patient, rules: MatchRules): Promise<Candidates> {
  const values: unknown[] = [sys.tenant];
  const blocks: string[] = [];
  for (const query of blockingQueries(patient)) {
    const where = buildWhere(sys, parseSearchQuery('Patient', query), { baseUrl: '' });
    // Every block numbers its parameters from $1 (the tenant): shift the others behind those taken so far.
    const offset = values.length - 1;
    const shift = (text: string): string => text.replace(/\$(\d+)/g, (_m, n: string) => (n === '1' ? '$1' : `$${Number(n) + offset}`));
    values.push(...where.params.values.slice(1));
    blocks.push(`(SELECT r.id FROM ${shift(where.from)} WHERE ${shift(where.sql)} LIMIT ${BLOCK_LIMIT})`);
  }
  values.push(patient.id);
  const self = `$${values.length}`;
  values.push(phoneticKeys(sys.tenant, patient));
  const keys = `$${values.length}::int[]`;
  // The record's own keys are replaced in the same statement (its searches do not see them: one snapshot).
  blocks.push(`(SELECT b.patient_id FROM empi_block b WHERE b.tenant = $1 AND b.key = ANY(${keys}) LIMIT ${BLOCK_LIMIT})`);
  const rows = await sys.query<{
    id: string;
    content: string;
    person_id: string | null;
    assurance: Assurance | null;
    members: number;
    distinct: boolean;
  }>(
    `WITH old_keys AS (DELETE FROM empi_block WHERE tenant = $1 AND patient_id = ${self}),
          new_keys AS (INSERT INTO empi_block (tenant, patient_id, key) SELECT $1, ${self}, k FROM unnest(${keys}) AS k)
     SELECT p.id, p.content, l.person_id, l.assurance,
            (SELECT count(*)::int FROM empi_link m WHERE m.tenant = l.tenant AND m.person_id = l.person_id) AS members,
            (EXISTS (SELECT 1 FROM empi_review v WHERE v.tenant = p.tenant AND v.patient_a = p.id AND v.patient_b = ${self} AND v.status = 'distinct')
             OR EXISTS (SELECT 1 FROM empi_review v WHERE v.tenant = p.tenant AND v.patient_a = ${self} AND v.patient_b = p.id AND v.status = 'distinct')) AS distinct
       FROM ${modelFor('Patient').table} p
       LEFT JOIN empi_link l ON l.tenant = p.tenant AND l.patient_id = p.id
      WHERE p.tenant = $1 AND NOT p.deleted AND p.id IN (${[...blocks, `SELECT ${self}::text`].join(' UNION ')})`,
    values,
    // A named statement per shape (which blocking keys the record has): planned a few times, then its plan is kept.
    { prepare: 'auto' },
  );
  const links = new Map<string, LinkRow & { members: number }>();
  const me = patientToPerson(patient);
  const scored: ScoredCandidate[] = [];
  for (const r of rows) {
    if (r.person_id) links.set(r.id, { patient_id: r.id, person_id: r.person_id, assurance: r.assurance!, members: r.members });
    if (r.id === patient.id) continue;
    const candidate = JSON.parse(r.content) as Patient;
    if (isRetired(candidate)) continue;
    scored.push({ patient: candidate, score: scorePair(me, patientToPerson(candidate), { rules }), distinct: r.distinct });
  }
  scored.sort((a, b) => b.score.weight - a.score.weight);
  return { scored, links };
}
