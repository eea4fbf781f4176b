/**
 * Record-store benchmark on PostgreSQL (prints figures; not a test).
 *
 *   npm run build && npx tsx bench/store.ts [--resources 1000000] [--reuse] [--concurrency 4]
 *
 * Loads synthetic patient records (≈300 resources each) as transaction bundles through the HTTP API of
 * a `yiwang serve` child process, then measures single creates, reads, patient-scoped searches and
 * $everything at that size, and the server's peak RSS. --reuse keeps an already loaded database.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BENCH_ADMIN, ensureDatabase, pool, rng, signedInFetch, startServer, summarize, timed, writeResult } from './lib.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '1000000' },
    reuse: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '4' },
    samples: { type: 'string', default: '2000' },
    port: { type: 'string', default: '18080' },
  },
});
const TARGET = Number(values.resources);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values.samples);
const random = rng(20261123);
const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];

const LABS = [
  ['2823-3', 'Potassium', 'mmol/L', 3.5, 5.5],
  ['2951-2', 'Sodium', 'mmol/L', 135, 145],
  ['2345-7', 'Glucose', 'mmol/L', 3.9, 11],
  ['4548-4', 'HbA1c', '%', 4.5, 9],
  ['2160-0', 'Creatinine', 'umol/L', 50, 130],
  ['718-7', 'Hemoglobin', 'g/L', 100, 160],
] as const;

/** One resident's record: demographics, visits with vitals and labs, problems, drugs, vaccines. */
function patientBundle(n: number, size: number): object {
  const pid = `urn:uuid:${crypto.randomUUID()}`;
  const entry: object[] = [];
  const add = (resource: Record<string, unknown>, fullUrl = `urn:uuid:${crypto.randomUUID()}`) =>
    entry.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
  const year = 1940 + (n % 70);
  add(
    {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:yiwang:bench', value: `B${n}` }],
      name: [
        { family: pick(['王', '李', '张', '刘', '陈', '杨', '赵', '黄']), given: [pick(['伟', '芳', '娜', '敏', '静', '强', '磊', '军'])] },
      ],
      gender: n % 2 ? 'male' : 'female',
      birthDate: `${year}-0${1 + (n % 9)}-1${n % 9}`,
      address: [{ city: '南川区', district: pick(['大观镇', '南平镇', '头渡镇', '金山镇']) }],
    },
    pid,
  );
  let i = 1;
  while (i < size) {
    const enc = `urn:uuid:${crypto.randomUUID()}`;
    const day = `20${10 + (i % 15)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    add(
      {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: pid },
        period: { start: `${day}T09:00:00+08:00`, end: `${day}T09:20:00+08:00` },
      },
      enc,
    );
    i++;
    for (const [code, display, value] of [
      ['8480-6', 'Systolic blood pressure', 110 + Math.round(random() * 70)],
      ['8462-4', 'Diastolic blood pressure', 65 + Math.round(random() * 40)],
    ] as const) {
      add({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code, display }] },
        subject: { reference: pid },
        encounter: { reference: enc },
        effectiveDateTime: `${day}T09:05:00+08:00`,
        valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      });
      i++;
    }
    for (let k = 0; k < 4 && i < size; k++, i++) {
      const [code, display, unit, lo, hi] = pick([...LABS]);
      add({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: 'http://loinc.org', code, display }] },
        subject: { reference: pid },
        encounter: { reference: enc },
        effectiveDateTime: `${day}T10:00:00+08:00`,
        valueQuantity: {
          value: Math.round((lo + random() * (hi - lo) * 1.2) * 10) / 10,
          unit,
          system: 'http://unitsofmeasure.org',
          code: unit,
        },
        referenceRange: [{ low: { value: lo, unit }, high: { value: hi, unit } }],
      });
    }
    if (i % 5 === 0 && i < size) {
      add({
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: pid },
        encounter: { reference: enc },
        authoredOn: day,
        medicationCodeableConcept: {
          coding: [
            { system: 'urn:yiwang:drug', code: pick(['D001', 'D002', 'D003']), display: pick(['氨氯地平', '二甲双胍', '阿司匹林']) },
          ],
        },
        dosageInstruction: [{ text: '每日一次，每次一片' }],
      });
      i++;
    }
    if (i % 11 === 0 && i < size) {
      add({
        resourceType: 'Condition',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: pick(['I10', 'E11.9', 'J44.9']) }] },
        subject: { reference: pid },
        encounter: { reference: enc },
        recordedDate: day,
      });
      i++;
    }
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

async function main(): Promise<void> {
  const databaseUrl = await ensureDatabase('yiwang_bench', !values.reuse);
  const server = await startServer({ DATABASE_URL: databaseUrl }, Number(values.port));
  const base = `${server.url}/fhir/R4`;
  // Every request is authenticated (and audited), as in production.
  const fetch = await signedInFetch(server.url, BENCH_ADMIN.username, BENCH_ADMIN.password);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const results: Record<string, unknown> = { date: new Date().toISOString(), target: TARGET, concurrency: CONCURRENCY };
  try {
    const countAll = async () =>
      Number(
        (
          await db.query(
            `SELECT (SELECT count(*) FROM "Patient") + (SELECT count(*) FROM "Observation") + (SELECT count(*) FROM "Encounter") + (SELECT count(*) FROM "MedicationRequest") + (SELECT count(*) FROM "Condition") AS n`,
          )
        ).rows[0].n,
      );
    const existing = await countAll();
    const perPatient = 300;
    const bundles = Math.max(0, Math.ceil((TARGET - existing) / perPatient));
    if (bundles > 0) {
      let done = 0;
      const started = performance.now();
      let lastPrint = started;
      await pool(bundles, CONCURRENCY, async (n) => {
        const body = JSON.stringify(patientBundle(existing / perPatient + n, perPatient));
        const res = await fetch(`${base}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body });
        if (res.status !== 200) throw new Error(`bundle ${n}: ${res.status} ${(await res.text()).slice(0, 300)}`);
        await res.arrayBuffer();
        done += perPatient;
        const now = performance.now();
        if (now - lastPrint > 10_000) {
          lastPrint = now;
          process.stderr.write(`  ingested ${existing + done} (${Math.round(done / ((now - started) / 1000))}/s)\n`);
        }
      });
      const secs = (performance.now() - started) / 1000;
      results.ingest = { resources: bundles * perPatient, seconds: Math.round(secs), perSecond: Math.round((bundles * perPatient) / secs) };
    }
    const total = await countAll();
    results.resources = total;
    // What autovacuum does soon after a load: hint bits, visibility map and statistics, so reads don't pay for them.
    await db.query('VACUUM (ANALYZE)');

    // Single creates, 8 in flight.
    const creates = 2000;
    const [, createMs] = await timed(() =>
      pool(creates, 8, async () => {
        const res = await fetch(`${base}/Observation`, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
          body: JSON.stringify({
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
            valueQuantity: { value: 72, unit: '/min' },
          }),
        });
        if (res.status !== 201) throw new Error(`create: ${res.status}`);
        await res.arrayBuffer();
      }),
    );
    results.singleCreate = { n: creates, perSecond: Math.round(creates / (createMs / 1000)) };

    const obsIds = (await db.query(`SELECT id FROM "Observation" TABLESAMPLE SYSTEM (1) LIMIT ${SAMPLES}`)).rows.map((r) => r.id as string);
    const patientIds = (await db.query(`SELECT id FROM "Patient" ORDER BY random() LIMIT ${Math.min(SAMPLES, 500)}`)).rows.map(
      (r) => r.id as string,
    );

    const round2 = (x: number) => Math.round(x * 100) / 100;
    /** Client-observed latency, and the server's own time from its Server-Timing header. */
    const latency = async (n: number, url: (i: number) => string) => {
      const samples: number[] = [];
      const serverSamples: number[] = [];
      let entries = 0;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const res = await fetch(url(i));
        const text = await res.text();
        samples.push(performance.now() - t);
        serverSamples.push(Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
        if (res.status !== 200) throw new Error(`${url(i)}: ${res.status} ${text.slice(0, 200)}`);
        if (text.startsWith('{"resourceType":"Bundle"')) entries += (text.match(/"fullUrl"/g) ?? []).length;
      }
      const s = summarize(samples);
      const server = summarize(serverSamples);
      return {
        n: s.n,
        p50: round2(s.p50),
        p99: round2(s.p99),
        serverP50: round2(server.p50),
        serverP99: round2(server.p99),
        ...(entries ? { avgEntries: Math.round(entries / n) } : {}),
      };
    };
    // Each query kind runs twice over the same samples: the first pass touches pages for the first time since the
    // server started (cold), the second is the steady state of a running county server (warm).
    const twice = async (n: number, url: (i: number) => string) => ({ cold: await latency(n, url), warm: await latency(n, url) });
    results.readMs = await twice(SAMPLES, (i) => `${base}/Observation/${obsIds[i % obsIds.length]}`);
    results.patientSearchMs = await twice(
      SAMPLES,
      (i) => `${base}/Observation?patient=Patient/${patientIds[i % patientIds.length]}&code=http://loinc.org|8480-6&_count=50`,
    );
    results.everythingMs = await twice(
      Math.min(SAMPLES, 300),
      (i) => `${base}/Patient/${patientIds[i % patientIds.length]}/$everything?_count=1000`,
    );
    const pg_ = await db.query("SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('server_version') AS version");
    results.postgres = pg_.rows[0];
    results.peakRssMb = Math.round(server.peakRssMb());
  } finally {
    await db.end();
    await server.stop();
  }
  console.log(JSON.stringify(results, null, 2));
  console.log(`written to ${writeResult(`store-${TARGET}`, results)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
