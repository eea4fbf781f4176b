/**
 * Deferred, batched linking for bulk loads (`$import`, `yiwang import`). Inside `withDeferredLinking` the
 * resident index's write hook only records each Patient written; at the end of the block (still inside the
 * writer's transaction) the whole batch is linked by a few set-based statements instead of several statements
 * per record: blocking keys replaced for the batch at once, one candidate statement for every record (ID number,
 * phone and phonetic-key blocks, each limited as in the one-by-one path), one statement reading candidates and
 * their golden records, scoring in memory, and the new golden records written together.
 *
 * The decisions are those of the one-by-one hook (`link.ts`) taken in the order the records were written: a
 * record is compared with the records written before it (earlier batches and earlier records of this batch),
 * never with later ones, and the rare records that join or move a golden record or open reviews go through the
 * same functions as the hook. Because it runs in the writer's transaction, a chunk and its links commit together:
 * a load interrupted and resumed never links a record twice and never leaves one unlinked.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Patient } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/repository.js';
import { modelFor } from '../../fhir/repository.js';
import type { WriteEvent } from '../../fhir/write-hooks.js';
import { prepareRecord, scorePair, type PreparedRecord } from '../matching/index.js';
import { isRetired, phoneticKeys, rulesOn, validResidentId, type ScoredCandidate } from './candidates.js';
import { patientToPerson, RESIDENT_ID_SYSTEM } from './person.js';
import { queueReviews } from './reviews.js';
import { moveLinks, systemRepo, type Assurance } from './store.js';

/** Advisory lock class of the resident index (as in link.ts). */
const ID_LOCK = 4_242_006;
/** Rows per blocking search (as in candidates.ts). */
const BLOCK_LIMIT = 50;
/** At most this many review pairs are opened by one write (as in link.ts). */
const MAX_REVIEWS_PER_WRITE = 5;

const deferred = new AsyncLocalStorage<Patient[]>();

/**
 * Runs `fn` (writes through `repo` or a repository on the same transaction) with the resident index's linking
 * deferred, then links every Patient it wrote in one batch, in the same transaction.
 */
export async function withDeferredLinking<T>(repo: Repository, fn: () => Promise<T>): Promise<T> {
  const pending: Patient[] = [];
  const result = await deferred.run(pending, fn);
  if (pending.length) await linkBatch(repo, pending);
  return result;
}

/** Called by the write hook: true when the write was recorded for a batch (the hook then does nothing more). */
export function deferLinking(event: WriteEvent): boolean {
  const pending = deferred.getStore();
  if (!pending || event.action === 'delete' || !event.resource) return false;
  pending.push(event.resource as Patient);
  return true;
}

interface LinkState {
  person_id: string;
  assurance: Assurance;
}

/** Links `written` (stored Patients, in write order) as the one-by-one hook would have. */
export async function linkBatch(repo: Repository, written: Patient[]): Promise<void> {
  // The writer's buffered rows first: the statements below must see every record of the batch.
  await repo.flush();
  const sys = systemRepo(repo);
  const tenant = sys.tenant;
  // A record written twice in the batch: its last version, at its last position.
  const last = new Map<string, number>();
  written.forEach((p, i) => last.set(p.id!, i));
  const batch = written.filter((p, i) => last.get(p.id!) === i && !isRetired(p));
  if (!batch.length) return;
  const position = new Map(batch.map((p, i) => [p.id!, i]));
  const ids = batch.map((p) => p.id!);
  const rules = rulesOn(sys.now());

  const idNumbers = [...new Set(batch.map(validResidentId).filter((x): x is string => !!x))].sort();
  if (idNumbers.length) {
    // The hook's lock per ID number, taken in a fixed order (two batches never wait for each other in a cycle).
    await sys.query('SELECT count(pg_advisory_xact_lock($1, hashtext(k)))::int AS n FROM unnest($2::text[]) AS k', [
      ID_LOCK,
      idNumbers.map((n) => `${tenant}|${n}`),
    ]);
  }

  // Blocking keys of the batch replaced at once.
  const keyPatients: string[] = [];
  const keyValues: number[] = [];
  const blocks = batch.map((p) => {
    const keys = phoneticKeys(tenant, p);
    for (const k of keys) {
      keyPatients.push(p.id!);
      keyValues.push(k);
    }
    const idNumber = validResidentId(p);
    const phone = p.telecom?.find((t) => (t.system === 'phone' || t.system === 'sms') && t.value)?.value;
    return {
      i: position.get(p.id!)!,
      // The values the store's own search would look for (blind indexes when the fields are encrypted).
      ids: idNumber ? sys.protection.searchTokens('Patient', 'identifier', [`${RESIDENT_ID_SYSTEM}|${idNumber}`], 'identifier') : null,
      phones: phone ? sys.protection.searchTokens('Patient', 'phone', [phone], 'phone') : null,
      keys,
    };
  });
  await sys.query('DELETE FROM empi_block WHERE tenant = $1 AND patient_id = ANY($2::text[])', [tenant, ids]);
  if (keyPatients.length) {
    await sys.query('INSERT INTO empi_block (tenant, patient_id, key) SELECT $1, x.p, x.k FROM unnest($2::text[], $3::int[]) AS x(p, k)', [
      tenant,
      keyPatients,
      keyValues,
    ]);
  }

  // Candidates of every record of the batch in one statement: per record, each block limited as the hook's.
  const model = modelFor('Patient');
  const identifierCol = model.params.get('identifier')!.column;
  const phoneCol = model.params.get('phone')!.column;
  const pairs = await sys.query<{ i: number; id: string }>(
    `SELECT q.i, c.id
       FROM json_to_recordset($2::json) AS q(i int, ids text[], phones text[], keys int[]),
       LATERAL (
         (SELECT r.id FROM ${model.table} r WHERE q.ids IS NOT NULL AND r.tenant = $1 AND NOT r.deleted AND r.${identifierCol} && q.ids LIMIT ${BLOCK_LIMIT})
         UNION
         (SELECT r.id FROM ${model.table} r WHERE q.phones IS NOT NULL AND r.tenant = $1 AND NOT r.deleted AND r.${phoneCol} && q.phones LIMIT ${BLOCK_LIMIT})
         UNION
         (SELECT b.patient_id FROM empi_block b WHERE b.tenant = $1 AND b.key = ANY(q.keys) LIMIT ${BLOCK_LIMIT})
       ) c`,
    [tenant, JSON.stringify(blocks)],
  );
  const candidatesOf = new Map<number, Set<string>>();
  for (const r of pairs) {
    const i = Number(r.i);
    const at = position.get(r.id);
    // Only records written before this one: a record never sees a later one of its own batch.
    if (r.id === ids[i] || (at !== undefined && at > i)) continue;
    let set = candidatesOf.get(i);
    if (!set) candidatesOf.set(i, (set = new Set()));
    set.add(r.id);
  }

  // Candidates' content (those outside the batch) and everybody's golden record, in one statement.
  const outside = new Set<string>();
  for (const set of candidatesOf.values()) for (const id of set) if (!position.has(id)) outside.add(id);
  const all = [...ids, ...outside];
  type Row = { id: string; content: string | null; person_id: string | null; assurance: Assurance | null; members: number };
  const { rows } = await sys.db.query<Row>(
    `SELECT p.id, CASE WHEN p.id = ANY($3::text[]) THEN p.content END AS content, l.person_id, l.assurance,
            (SELECT count(*)::int FROM empi_link m WHERE m.tenant = l.tenant AND m.person_id = l.person_id) AS members
       FROM ${model.table} p LEFT JOIN empi_link l ON l.tenant = p.tenant AND l.patient_id = p.id
      WHERE p.tenant = $1 AND NOT p.deleted AND p.id = ANY($2::text[])`,
    [tenant, all, [...outside]],
  );
  // Decrypt the candidates' protected fields (only rows with content: the batch's own records are in memory).
  sys.protection.revealRows(rows.filter((r) => typeof r.content === 'string'));
  const links = new Map<string, LinkState>();
  const members = new Map<string, number>();
  const content = new Map<string, Patient>(batch.map((p) => [p.id!, p]));
  for (const r of rows) {
    if (r.person_id) {
      links.set(r.id, { person_id: r.person_id, assurance: r.assurance! });
      members.set(r.person_id, Number(r.members));
    }
    if (r.content !== null && r.content !== undefined) content.set(r.id, JSON.parse(r.content) as Patient);
  }
  const present = new Set(rows.map((r) => r.id));
  const distinct = new Set<string>();
  if (all.length) {
    const decided = await sys.query<{ patient_a: string; patient_b: string }>(
      `SELECT patient_a, patient_b FROM empi_review
        WHERE tenant = $1 AND status = 'distinct' AND (patient_a = ANY($2::text[]) OR patient_b = ANY($2::text[]))`,
      [tenant, ids],
    );
    for (const d of decided) distinct.add(`${d.patient_a}\u0000${d.patient_b}`);
  }
  const prepared = new Map<string, PreparedRecord>();
  const preparedOf = (id: string): PreparedRecord => {
    let p = prepared.get(id);
    if (!p) prepared.set(id, (p = prepareRecord(patientToPerson(content.get(id)!))));
    return p;
  };

  // New golden records are written together; anything else flushes them first, then goes the hook's way.
  const fresh: { patient: string; person: string }[] = [];
  const flushFresh = async (): Promise<void> => {
    if (!fresh.length) return;
    const now = sys.now();
    await sys.query(
      `WITH x AS (SELECT * FROM unnest($2::text[], $3::text[]) AS x(patient, person)),
            l AS (INSERT INTO empi_link (tenant, patient_id, person_id, assurance, linked_at) SELECT $1, patient, person, 'level4', $4 FROM x),
            p AS (INSERT INTO empi_person (tenant, id, version, last_updated, active) SELECT $1, person, 1, $4, true FROM x)
       INSERT INTO empi_person_history (tenant, id, version, last_updated, active, links, reason)
       SELECT $1, person, 1, $4, true, json_build_array(json_build_object('patient', patient, 'assurance', 'level4'))::text, 'new resident' FROM x`,
      [tenant, fresh.map((f) => f.patient), fresh.map((f) => f.person), now],
    );
    fresh.length = 0;
  };

  for (let i = 0; i < batch.length; i++) {
    const patient = batch[i]!;
    const id = patient.id!;
    const me = preparedOf(id);
    const scored: ScoredCandidate[] = [];
    for (const c of candidatesOf.get(i) ?? []) {
      const candidate = content.get(c);
      if (!candidate || !present.has(c) || isRetired(candidate)) continue;
      const [a, b] = [id, c].sort();
      scored.push({
        patient: candidate,
        score: scorePair(me, preparedOf(c), { rules }),
        distinct: distinct.has(`${a}\u0000${b}`),
      });
    }
    scored.sort((a, b) => b.score.weight - a.score.weight);
    // From here on, the decision of link.ts onPatientWrite.
    const relevant = scored.filter((s) => s.score.decision !== 'non-match');
    const own = links.get(id);
    const ownMembers = own ? (members.get(own.person_id) ?? 1) : 0;
    const outsideOwn = relevant.filter((s) => !s.distinct && (!own || links.get(s.patient.id!)?.person_id !== own.person_id));
    const best = outsideOwn.find((s) => s.score.decision === 'match');
    const alone = !own || ownMembers <= 1;

    let personId = own?.person_id;
    if (best && alone) {
      await flushFresh();
      const assurance: Assurance = best.score.reason === 'id-number' ? 'level4' : 'level3';
      const bestPerson = links.get(best.patient.id!)?.person_id;
      const joining = [{ patient: id, assurance }, ...(bestPerson ? [] : [{ patient: best.patient.id!, assurance: 'level4' as const }])];
      const why = `${best.score.reason === 'id-number' ? 'same ID number' : 'auto-link'} (rules ${rules.version}, weight ${best.score.weight})`;
      personId = await moveLinks(sys, bestPerson, joining, why, own ? [own.person_id] : []);
      if (own && own.person_id !== personId) members.set(own.person_id, Math.max(0, ownMembers - 1));
      members.set(personId, (bestPerson ? (members.get(bestPerson) ?? 1) : 0) + joining.length);
      for (const j of joining) links.set(j.patient, { person_id: personId, assurance: j.assurance });
    } else if (!own) {
      personId = randomUUID();
      fresh.push({ patient: id, person: personId });
      links.set(id, { person_id: personId, assurance: 'level4' });
      members.set(personId, 1);
    }
    const toReview = outsideOwn
      .filter((s) => s !== best || !alone)
      .filter((s) => {
        const other = links.get(s.patient.id!)?.person_id;
        return !other || other !== personId;
      });
    if (toReview.length) await queueReviews(sys, id, toReview.slice(0, MAX_REVIEWS_PER_WRITE), rules.version);
  }
  await flushFresh();
}
