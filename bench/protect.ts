/**
 * Cost of field encryption at rest (prints figures; not a test).
 *
 *   cd /work/main/server && npx tsx ../bench/protect.ts [--patients 20000]
 *
 * 1. CPU per Patient: seal (SM4-CBC + HMAC-SM3 per protected value, blind indexes) and reveal, against plain JSON.
 * 2. Creates of N Patients on in-memory PGlite, in transactions of 1000, with and without protection, and reading
 *    them back in pages of 1000 (every page decrypted).
 */
import { parseArgs } from 'node:util';
import type { Patient, Resource } from '@medplum/fhirtypes';
import { generateKeyFile, Keyring } from '../server/src/platform/crypto/index.js';
import { openDatabase } from '../server/src/platform/db/database.js';
import { migrate } from '../server/src/platform/db/migrate.js';
import { loadDefinitions } from '../server/src/platform/fhir/definitions.js';
import { extractSearchValues } from '../server/src/platform/fhir/extract.js';
import { Repository } from '../server/src/platform/fhir/repository.js';
import { getTableModel, type TableModel } from '../server/src/platform/fhir/schema.js';
import { computeCheckCharacter } from '../server/src/platform/identity/id-number.js';
import { FieldProtection } from '../server/src/platform/protect/index.js';

const { values } = parseArgs({ options: { patients: { type: 'string', default: '20000' } } });
const N = Number(values.patients);

function patient(n: number): Patient {
  const first17 = `511322${1950 + (n % 60)}0${1 + (n % 9)}1${String(n % 10)}${String(n % 1000).padStart(3, '0')}`.slice(0, 17);
  return {
    resourceType: 'Patient',
    identifier: [
      { system: 'urn:oid:2.16.156.10011.1.3', value: first17 + computeCheckCharacter(first17) },
      { system: 'urn:oid:1.2.156.112604.1', value: `MRN${n}` },
    ],
    name: [{ family: '王', given: ['秀兰'] }],
    gender: n % 2 ? 'male' : 'female',
    birthDate: `${1950 + (n % 60)}-0${1 + (n % 9)}-1${n % 10}`,
    telecom: [{ system: 'phone', value: `139${String(n).padStart(8, '0')}` }],
    address: [{ line: [`幸福路${n}号`], text: `四川省南充市南川县幸福路${n}号`, city: '南充市', district: '南川县', state: '四川省' }],
  };
}

/** The store without encryption (the cost baseline). */
class Plain extends FieldProtection {
  override seal(resource: Resource): string {
    return JSON.stringify(resource);
  }
}

function perOp(label: string, n: number, fn: (i: number) => void): void {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const us = ((performance.now() - t) * 1000) / n;
  console.log(`${label.padEnd(44)} ${us.toFixed(1)} µs`);
}

async function main(): Promise<void> {
  loadDefinitions();
  const keyring = Keyring.fromJson(generateKeyFile());
  const protection = new FieldProtection(keyring);
  const model = getTableModel('Patient') as TableModel;
  const samples = Array.from({ length: 2000 }, (_, i) => ({ ...patient(i), id: `p${i}`, meta: { versionId: '1' } }) as Patient);
  perOp('JSON.stringify (baseline)', 2000, (i) => JSON.stringify(samples[i]));
  perOp('extract search values (baseline)', 2000, (i) => extractSearchValues(samples[i], model));
  perOp('seal: encrypt 5 values + blind indexes', 2000, (i) => protection.seal(samples[i], extractSearchValues(samples[i], model), model));
  const sealed = samples.map((p) => protection.seal(p, null, model));
  perOp('reveal: decrypt 5 values', 2000, (i) => protection.revealText(sealed[i]));
  const obs = JSON.stringify({ resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'BP' } });
  perOp('reveal: unprotected type (prefix test)', 100000, () => protection.revealText(obs));

  for (const [label, p] of [
    ['plain', new Plain(keyring)],
    ['protected', protection],
  ] as const) {
    const db = await openDatabase({ memory: true });
    await migrate(db);
    const repo = new Repository(db, { tenant: 'bench', protection: p }, db);
    let t = performance.now();
    for (let b = 0; b < N; b += 1000) {
      await repo.withTransaction(async (tx) => {
        for (let i = b; i < Math.min(N, b + 1000); i++) await tx.create(patient(i), { validated: true });
      });
    }
    const create = performance.now() - t;
    t = performance.now();
    let after = '';
    let read = 0;
    for (;;) {
      const rows = await repo.query<{ id: string; content: string }>(
        `SELECT id, content FROM "Patient" WHERE tenant = 'bench' AND id > $1 ORDER BY id LIMIT 1000`,
        [after],
      );
      if (!rows.length) break;
      read += rows.length;
      after = rows[rows.length - 1].id;
    }
    const readMs = performance.now() - t;
    console.log(
      `${label.padEnd(10)} ${N} creates ${(create / 1000).toFixed(2)} s (${Math.round(N / (create / 1000))}/s); ` +
        `read ${read} in pages of 1000: ${(readMs / 1000).toFixed(2)} s`,
    );
    await db.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
