/**
 * Cost of the resident index per Patient write: N creates (each its own transaction, as over REST) without
 * and with the write hook, on PGlite (in memory) and on PostgreSQL (DATABASE_URL).
 * Records come from the synthetic 南川 population (names, birth dates, phones, addresses, ID numbers, ~0.8
 * duplicates per person), so blocking searches find realistic candidates.
 *
 *   npx tsx scripts/bench-empi.ts [count] [pglite|postgres]
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Patient } from '@medplum/fhirtypes';
import { openDatabase, type Database } from '../src/platform/db/database.js';
import { migrate } from '../src/platform/db/migrate.js';
import { loadDefinitions } from '../src/platform/fhir/definitions.js';
import { Repository } from '../src/platform/fhir/repository.js';
import { addResourceCheck } from '../src/platform/fhir/validate.js';
import { addWriteHook, removeWriteHook } from '../src/platform/fhir/write-hooks.js';
import { isValidIdNumber } from '../src/platform/identity/id-number.js';
import { checkResidentIdNumbers, RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/index.js';
import { onPatientWrite } from '../src/platform/identity/empi/link.js';
import { generatePopulation, loadGeography } from '../src/platform/identity/testpop/index.js';
import { prepareRecord, type PersonRecord } from '../src/platform/identity/matching/index.js';

const DATA = process.env['YIWANG_SHARED_DATA'] ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));

function isoDate(raw: string | undefined): string | undefined {
  const d = raw?.replace(/\D/g, '');
  if (!d || d.length !== 8) return undefined;
  const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
  const t = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === iso ? iso : undefined;
}

function toPatient(r: PersonRecord): Patient {
  const birthDate = isoDate(r.birthDate);
  // Population records carry a full name; split it as the matcher does (compound surnames included).
  const split = prepareRecord(r);
  const family = r.familyName ?? split.surname?.text;
  const given = r.givenName ?? split.given?.text;
  return {
    resourceType: 'Patient',
    ...(family || given
      ? { name: [{ ...(r.name ? { text: r.name } : {}), ...(family ? { family } : {}), ...(given ? { given: [given] } : {}) }] }
      : {}),
    ...(birthDate ? { birthDate } : {}),
    ...(r.sex === 'male' || r.sex === 'female' ? { gender: r.sex } : {}),
    ...(r.idNumber && isValidIdNumber(r.idNumber) ? { identifier: [{ system: RESIDENT_ID_SYSTEM, value: r.idNumber }] } : {}),
    ...(r.phone ? { telecom: [{ system: 'phone', value: r.phone }] } : {}),
    ...(r.address ? { address: [{ text: r.address }] } : {}),
  };
}

async function run(db: Database, patients: Patient[]): Promise<{ ms: number; tenant: string; ids: string[] }> {
  const repo = new Repository(db, { tenant: 'bench-' + randomUUID() }, db);
  const ids: string[] = [];
  const start = performance.now();
  for (const p of patients) ids.push((await repo.create(p)).resource.id!);
  return { ms: (performance.now() - start) / patients.length, tenant: repo.tenant, ids };
}

/** Pairwise quality of the golden records against the population's truth. */
async function quality(db: Database, tenant: string, ids: string[], truth: string[]): Promise<string> {
  const person = new Map(
    (
      await db.query<{ patient_id: string; person_id: string }>('SELECT patient_id, person_id FROM empi_link WHERE tenant = $1', [tenant])
    ).rows.map((r) => [r.patient_id, r.person_id]),
  );
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const linked = person.get(ids[i]!) === person.get(ids[j]!);
      const same = truth[i] === truth[j];
      if (linked && same) tp++;
      else if (linked) fp++;
      else if (same) fn++;
    }
  }
  const golden = new Set(person.values()).size;
  return `${golden} golden records; pairwise precision ${(tp / (tp + fp)).toFixed(3)}, recall ${(tp / (tp + fn)).toFixed(3)}`;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 2000);
  const engine = process.argv[3] ?? 'pglite';
  loadDefinitions();
  addResourceCheck('Patient', checkResidentIdNumbers);
  const pop = generatePopulation({ seed: 7, records: count, geography: loadGeography(DATA) });
  const patients = pop.records.map(toPatient);
  const db = await openDatabase(engine === 'postgres' ? { databaseUrl: process.env.DATABASE_URL! } : { memory: true });
  await migrate(db);
  // Warm-up (JIT, plan caches), then alternate so both runs see a similar table size.
  await run(db, patients.slice(0, 200));
  removeWriteHook('Patient', 'empi');
  const without = await run(db, patients);
  addWriteHook('Patient', 'empi', onPatientWrite);
  const withHook = await run(db, patients);
  const [{ n }] = (
    await db.query<{ n: string }>("SELECT count(*) AS n FROM empi_review WHERE tenant = $1 AND status = 'open'", [withHook.tenant])
  ).rows;
  console.log(
    `${engine}: ${count} creates — without hook ${without.ms.toFixed(2)} ms/write, with hook ${withHook.ms.toFixed(2)} ms/write, ` +
      `overhead ${(withHook.ms - without.ms).toFixed(2)} ms/write\n` +
      `  ${pop.persons} true persons; ${await quality(db, withHook.tenant, withHook.ids, pop.truth)}; open reviews ${n}`,
  );
  await db.close();
}

await main();
