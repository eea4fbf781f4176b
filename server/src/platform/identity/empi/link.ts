/**
 * The resident index acting on every Patient write (a write hook, in the write's transaction):
 * - same valid ID number → the person of that record (assurance level4, deterministic);
 * - weight above the link threshold → auto-link (level3);
 * - weight in the review band → a new person of its own, and the pair goes to the review queue;
 * - below → a new person.
 * Pairs a reviewer called distinct are never linked again automatically; a record already sharing its person
 * with others is not moved automatically (only queued), so a reviewer's or merge's work is not undone.
 */
import type { Patient } from '@medplum/fhirtypes';
import type { Repository } from '../../fhir/repository.js';
import type { WriteEvent } from '../../fhir/write-hooks.js';
import { deferLinking } from './batch.js';
import { findCandidates, isRetired, rulesOn, validResidentId, type ScoredCandidate } from './candidates.js';
import { queueReviews, withdrawReviews } from './reviews.js';
import { moveLinks, savePerson, systemRepo, unlink, type Assurance } from './store.js';

/** Advisory lock class of the resident index (the other key is a hash of tenant and ID number). */
const ID_LOCK = 4_242_006;

/** At most this many review pairs are opened by one write. */
const MAX_REVIEWS_PER_WRITE = 5;

export async function onPatientWrite(repo: Repository, event: WriteEvent): Promise<void> {
  // A bulk load links its Patients in batches (batch.ts), at the end of each chunk in the same transaction.
  if (deferLinking(event)) return;
  // Earlier records of the same transaction bundle are still buffered: write them so the searches see them.
  await repo.flush();
  const sys = systemRepo(repo);
  if (event.action === 'delete') {
    await unlink(sys, event.id, 'source record deleted');
    await withdrawReviews(sys, event.id);
    return;
  }
  const patient = event.resource as Patient;
  if (isRetired(patient)) return; // Merged into another record: the merge keeps the golden record.
  const rules = rulesOn(sys.now());
  const idNumber = validResidentId(patient);
  if (idNumber) {
    // Two transactions writing the same ID number at once would each miss the other's uncommitted record:
    // the second waits here, and its searches (new snapshots under READ COMMITTED) then see the first.
    await sys.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ID_LOCK, `${sys.tenant}|${idNumber}`]);
  }
  const { scored, links } = await findCandidates(sys, patient, rules);
  const relevant = scored.filter((s) => s.score.decision !== 'non-match');
  const own = links.get(event.id);
  const outside = relevant.filter((s) => !s.distinct && (!own || links.get(s.patient.id!)?.person_id !== own.person_id));
  const best = outside.find((s) => s.score.decision === 'match');
  const alone = !own || own.members <= 1;

  let personId = own?.person_id;
  if (best && alone) {
    const assurance: Assurance = best.score.reason === 'id-number' ? 'level4' : 'level3';
    const bestPerson = links.get(best.patient.id!)?.person_id;
    // A candidate written before the index existed has no person yet: it founds the shared one.
    const joining = [
      { patient: event.id, assurance },
      ...(bestPerson ? [] : [{ patient: best.patient.id!, assurance: 'level4' as const }]),
    ];
    const why = `${best.score.reason === 'id-number' ? 'same ID number' : 'auto-link'} (rules ${rules.version}, weight ${best.score.weight})`;
    personId = await moveLinks(sys, bestPerson, joining, why, own ? [own.person_id] : []);
  } else if (!own) {
    // The founding record of a person defines it.
    personId = await savePerson(sys, undefined, [{ patient: event.id, assurance: 'level4' }], 'new resident');
  }
  const unresolved: ScoredCandidate[] = outside.filter((s) => s !== best || !alone);
  const toReview = unresolved.filter((s) => {
    const other = links.get(s.patient.id!)?.person_id;
    return !other || other !== personId;
  });
  if (toReview.length) await queueReviews(sys, event.id, toReview.slice(0, MAX_REVIEWS_PER_WRITE), rules.version);
}
