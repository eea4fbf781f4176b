/**
 * County-scale benchmark on PostgreSQL (prints figures; not a test).
 *
 *   npm run build && npx tsx bench/county.ts --residents 100000 [--seed 1] [--reuse] [--port 18090]
 *
 * 1. Generates the demo county (`streamCounty`, deterministic by seed, ≈ 7.7 resources per resident) as NDJSON, one
 *    file per resource type, streamed in constant memory, into a directory the server imports from; alongside, the
 *    same rows as a COPY text file.
 * 2. Starts `yiwang serve` on the database `yiwang_county` (fresh unless --reuse) and loads the files through the
 *    bulk path: `POST /fhir/R4/$import` (Prefer: respond-async), polling `$bulk-status` → resources/s.
 * 3. Loads the same rows with plain `COPY` into one table `county_copy (id text primary key, resource_type text,
 *    content jsonb)` with three more indexes (resource_type, subject reference, GIN on content) in the same
 *    PostgreSQL → rows/s and the ratio.
 * 4. Query latencies (client and server p50/p99, server from `Server-Timing`) as the administrator and as a
 *    township doctor (catchment-scoped access): read by id, patient-scoped search, `$everything`, and a county-wide
 *    search with `_total=estimate`. Peak RSS of the server and of this process. Writes bench/results/county-N.json.
 *
 * With --reuse an already loaded database is kept: generation, import and COPY are skipped, the queries run.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Resource } from '@medplum/fhirtypes';
import { streamCounty } from '../server/src/demo/county.js';
import { BENCH_ADMIN, ensureDatabase, rng, signedInFetch, startServer, summarize, writeResult } from './lib.js';

const { values } = parseArgs({
  options: {
    residents: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '1' },
    reuse: { type: 'boolean', default: false },
    port: { type: 'string', default: '18090' },
    samples: { type: 'string', default: '1000' },
  },
});
const RESIDENTS = Number(values.residents);
const SEED = Number(values.seed);
const SAMPLES = Number(values.samples);
const DB_NAME = 'yiwang_county';
const DATA_DIR = process.env.COUNTY_DATA_DIR ?? '/tmp/yiwang-county';
const FILES_DIR = join(DATA_DIR, `seed${SEED}-residents${RESIDENTS}`);
const round2 = (x: number): number => Math.round(x * 100) / 100;
const log = (msg: string): void => console.error(`[county ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function selfPeakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Reservoir sample of fixed size, deterministic. */
class Reservoir {
  readonly items: string[] = [];
  private seen = 0;
  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}
  add(x: string): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(x);
    else {
      const j = Math.floor(this.random() * this.seen);
      if (j < this.size) this.items[j] = x;
    }
  }
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function copyField(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

interface Generated {
  residents: number;
  resources: number;
  byType: Record<string, number>;
  /** NDJSON files in load order (first appearance of the type in the stream: registries first). */
  files: { type: string; path: string }[];
  copyFile: string;
  samples: { patients: string[]; observations: string[]; townshipPatients: string[]; townshipObservations: string[] };
  commonLoinc: string;
  township: { username: string; organizationId: string; practitionerId?: string; displayName: string };
  seconds: number;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((r) => stream.once('drain', () => r()));
}

/** Generates the county into FILES_DIR (or reuses a complete earlier generation of the same size and seed). */
async function generate(): Promise<Generated> {
  const manifest = join(FILES_DIR, 'manifest.json');
  if (existsSync(manifest)) {
    log(`reusing generated files in ${FILES_DIR}`);
    return JSON.parse(readFileSync(manifest, 'utf8')) as Generated;
  }
  rmSync(FILES_DIR, { recursive: true, force: true });
  mkdirSync(FILES_DIR, { recursive: true });
  const t0 = performance.now();
  const random = rng(SEED * 7919 + 17);
  const stream = streamCounty({ seed: SEED, residents: RESIDENTS });
  const outs = new Map<string, { path: string; out: WriteStream }>();
  const copyFile = join(FILES_DIR, 'county.copy');
  const copyOut = createWriteStream(copyFile);
  const patients = new Reservoir(500, random);
  const observations = new Reservoir(SAMPLES, random);
  const townshipPatients = new Reservoir(500, random);
  const townshipObservations = new Reservoir(SAMPLES, random);
  const loinc = new Map<string, number>();
  let townCentre: string | undefined;
  const catchmentOrgs = new Set<string>();
  const townshipPatientSet = new Set<string>();
  let resources = 0;
  let lastLog = performance.now();
  for (const bundle of stream.bundles()) {
    if (!townCentre) {
      const t = stream.users.find((u) => u.username === 'township.doctor');
      if (t) {
        townCentre = t.organizationId;
        catchmentOrgs.add(`Organization/${townCentre}`);
      }
    }
    const ndjson = new Map<string, string[]>();
    const copyLines: string[] = [];
    for (const e of bundle.entry ?? []) {
      const r = e.resource as Resource & Record<string, unknown>;
      const text = JSON.stringify(r);
      const type = r.resourceType;
      if (!ndjson.has(type)) ndjson.set(type, []);
      (ndjson.get(type) as string[]).push(text);
      copyLines.push(`${r.id}\t${type}\t${copyField(text)}\n`);
      resources++;
      if (type === 'Organization') {
        const partOf = (r as { partOf?: { reference?: string } }).partOf?.reference;
        if (partOf && catchmentOrgs.has(partOf)) catchmentOrgs.add(`Organization/${r.id}`);
      } else if (type === 'Patient') {
        patients.add(r.id as string);
        const org = (r as { managingOrganization?: { reference?: string } }).managingOrganization?.reference;
        if (org && catchmentOrgs.has(org)) {
          townshipPatients.add(r.id as string);
          townshipPatientSet.add(`Patient/${r.id}`);
        }
      } else if (type === 'Observation') {
        observations.add(r.id as string);
        const code = (r as { code?: { coding?: { system?: string; code?: string }[] } }).code?.coding?.find(
          (c) => c.system === 'http://loinc.org',
        )?.code;
        if (code) loinc.set(code, (loinc.get(code) ?? 0) + 1);
        const subject = (r as { subject?: { reference?: string } }).subject?.reference;
        if (subject && townshipPatientSet.has(subject)) townshipObservations.add(r.id as string);
      }
    }
    for (const [type, lines] of ndjson) {
      let o = outs.get(type);
      if (!o) {
        const path = join(FILES_DIR, `${type}.ndjson`);
        o = { path, out: createWriteStream(path) };
        outs.set(type, o);
      }
      await write(o.out, lines.join('\n') + '\n');
    }
    await write(copyOut, copyLines.join(''));
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`generated ${stream.facts.residents} residents, ${resources} resources`);
    }
  }
  await Promise.all([...outs.values(), { out: copyOut }].map(({ out }) => new Promise((r) => out.end(r))));
  const township = stream.users.find((u) => u.username === 'township.doctor');
  if (!township) throw new Error('the generated county has no township doctor');
  const commonLoinc = [...loinc.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '8480-6';
  const generated: Generated = {
    residents: stream.facts.residents,
    resources,
    byType: stream.facts.byType,
    files: [...outs.entries()].map(([type, o]) => ({ type, path: o.path })),
    copyFile,
    samples: {
      patients: patients.items,
      observations: observations.items,
      townshipPatients: townshipPatients.items,
      townshipObservations: townshipObservations.items,
    },
    commonLoinc,
    township: {
      username: township.username,
      organizationId: township.organizationId,
      practitionerId: township.practitionerId,
      displayName: township.displayName,
    },
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  writeFileSync(manifest, JSON.stringify(generated));
  return generated;
}

/** `$import` of the files through the HTTP API; resolves with the final manifest. */
async function bulkImport(fetch: typeof globalThis.fetch, base: string, gen: Generated): Promise<{ seconds: number; manifest: unknown }> {
  const body = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'inputFormat', valueCode: 'application/fhir+ndjson' },
      ...gen.files.map((f) => ({
        name: 'input',
        part: [
          { name: 'type', valueCode: f.type },
          { name: 'url', valueUrl: `file://${f.path}` },
        ],
      })),
    ],
  };
  const t0 = performance.now();
  const kick = await fetch(`${base}/$import`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', prefer: 'respond-async' },
    body: JSON.stringify(body),
  });
  if (kick.status !== 202) throw new Error(`$import: ${kick.status} ${await kick.text()}`);
  await kick.arrayBuffer();
  const status = kick.headers.get('content-location') as string;
  let lastLog = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const res = await fetch(status);
    const text = await res.text();
    if (res.status === 200) return { seconds: (performance.now() - t0) / 1000, manifest: JSON.parse(text) };
    if (res.status !== 202) throw new Error(`$bulk-status: ${res.status} ${text.slice(0, 500)}`);
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      const elapsed = (performance.now() - t0) / 1000;
      const done = Number(/: (\d+) resources loaded/.exec(res.headers.get('x-progress') ?? '')?.[1] ?? 0);
      log(`import ${Math.round(elapsed)} s: ${res.headers.get('x-progress')} (${Math.round(done / elapsed)}/s)`);
    }
  }
}

/** Plain COPY of the same rows into one jsonb table with a primary key and three indexes, timed. */
async function plainCopy(
  db: pg.Client,
  databaseUrl: string,
  gen: Generated,
): Promise<{ rows: number; seconds: number; perSecond: number }> {
  await db.query('DROP TABLE IF EXISTS county_copy');
  await db.query('CREATE TABLE county_copy (id text PRIMARY KEY, resource_type text NOT NULL, content jsonb NOT NULL)');
  await db.query('CREATE INDEX county_copy_type ON county_copy (resource_type)');
  await db.query("CREATE INDEX county_copy_subject ON county_copy ((content->'subject'->>'reference'))");
  await db.query('CREATE INDEX county_copy_content ON county_copy USING gin (content jsonb_path_ops)');
  await db.query('CHECKPOINT');
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const psql = spawn(
      'psql',
      [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy county_copy (id, resource_type, content) FROM '${gen.copyFile}'`],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    psql.once('error', reject);
    psql.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy exited with ${code}`))));
  });
  const seconds = (performance.now() - t0) / 1000;
  const rows = Number((await db.query('SELECT count(*) AS n FROM county_copy')).rows[0].n);
  return { rows, seconds: round2(seconds), perSecond: Math.round(rows / seconds) };
}

type Fetch = typeof globalThis.fetch;

/** Client-observed latency, and the server's own time from its Server-Timing header. */
async function latency(fetch: Fetch, n: number, url: (i: number) => string): Promise<Record<string, number>> {
  const samples: number[] = [];
  const serverSamples: number[] = [];
  let entries = 0;
  let totals = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url(i));
    const text = await res.text();
    samples.push(performance.now() - t);
    serverSamples.push(Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
    if (res.status !== 200) throw new Error(`${url(i)}: ${res.status} ${text.slice(0, 300)}`);
    if (text.startsWith('{"resourceType":"Bundle"')) {
      entries += (text.match(/"fullUrl"/g) ?? []).length;
      const m = /"total":(\d+)/.exec(text);
      if (m) {
        totals++;
        total += Number(m[1]);
      }
    }
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
    ...(totals ? { avgTotal: Math.round(total / totals) } : {}),
  };
}

async function queries(fetch: Fetch, base: string, gen: Generated, who: 'admin' | 'township'): Promise<Record<string, unknown>> {
  const patients = who === 'admin' ? gen.samples.patients : gen.samples.townshipPatients;
  const observations = who === 'admin' ? gen.samples.observations : gen.samples.townshipObservations;
  if (!patients.length || !observations.length) return { skipped: 'no samples in the catchment' };
  const nEverything = Math.min(SAMPLES, 300);
  const nCounty = Math.min(SAMPLES, 50);
  // First pass over the samples: cold (pages touched for the first time since the server started); second: warm.
  const twice = async (n: number, url: (i: number) => string) => ({
    cold: await latency(fetch, n, url),
    warm: await latency(fetch, n, url),
  });
  const out: Record<string, unknown> = {};
  log(`${who}: reads`);
  out.readMs = await twice(SAMPLES, (i) => `${base}/Observation/${observations[i % observations.length]}`);
  log(`${who}: patient-scoped searches`);
  out.patientSearchMs = await twice(SAMPLES, (i) => `${base}/Observation?subject=Patient/${patients[i % patients.length]}&_count=50`);
  log(`${who}: $everything`);
  out.everythingMs = await twice(nEverything, (i) => `${base}/Patient/${patients[i % patients.length]}/$everything`);
  log(`${who}: county-wide searches`);
  // A county-wide search paged through: each sample asks for another page offset of the same query.
  out.countySearchMs = await twice(
    nCounty,
    (i) =>
      `${base}/Observation?code=http://loinc.org|${gen.commonLoinc}&_total=estimate&_count=50${i % 4 ? `&date=ge20${10 + (i % 15)}-01-01` : ''}`,
  );
  return out;
}

/** The machine's load average (1, 5, 15 minutes) at each phase: the figures of a shared machine need it. */
const loadAverages: Record<string, number[]> = {};
function noteLoad(phase: string): void {
  loadAverages[phase] = loadavg().map((x) => Math.round(x * 100) / 100);
  log(`load average at ${phase}: ${loadAverages[phase].join(' ')}`);
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { date: new Date().toISOString(), residentsRequested: RESIDENTS, seed: SEED, loadAverages };
  noteLoad('start');
  const gen = await generate();
  log(`generated ${gen.resources} resources for ${gen.residents} residents in ${gen.seconds} s`);
  Object.assign(results, { residents: gen.residents, resources: gen.resources, byType: gen.byType, generateSeconds: gen.seconds });

  const databaseUrl = await ensureDatabase(DB_NAME, !values.reuse);
  {
    // Small statements (a resident's $everything is a 146-branch UNION ALL of index lookups) must not start parallel
    // workers: on a busy 2-core machine the workers' start-up made $everything take 200-450 ms instead of 2 ms
    // (EXPLAIN ANALYZE of its generic plan: Gather Merge 262 ms, 1.9 ms without). This database only.
    const a = new pg.Client({ connectionString: databaseUrl });
    await a.connect();
    await a.query(`ALTER DATABASE ${DB_NAME} SET max_parallel_workers_per_gather = 0`);
    await a.end();
  }
  if (process.env.COUNTY_EXPLAIN_MS) {
    // Diagnosis: the plans of slow statements go to the PostgreSQL log (auto_explain, this database only).
    const a = new pg.Client({ connectionString: databaseUrl });
    await a.connect();
    await a.query(`ALTER DATABASE ${DB_NAME} SET session_preload_libraries = 'auto_explain'`);
    await a.query(`ALTER DATABASE ${DB_NAME} SET auto_explain.log_min_duration = '${Number(process.env.COUNTY_EXPLAIN_MS)}ms'`);
    await a.end();
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const server = await startServer(
    {
      DATABASE_URL: databaseUrl,
      YIWANG_IMPORT_DIRS: DATA_DIR,
      YIWANG_DEMO: '0',
      ...(process.env.COUNTY_SERVER_ENV ? JSON.parse(process.env.COUNTY_SERVER_ENV) : {}),
    },
    Number(values.port),
  );
  const base = `${server.url}/fhir/R4`;
  try {
    const admin = await signedInFetch(server.url, BENCH_ADMIN.username, BENCH_ADMIN.password);
    const pgInfo = await db.query(
      `SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('max_wal_size') AS max_wal_size,
              current_setting('checkpoint_timeout') AS checkpoint_timeout, current_setting('synchronous_commit') AS synchronous_commit,
              current_setting('max_parallel_workers_per_gather') AS max_parallel_workers_per_gather,
              current_setting('maintenance_work_mem') AS maintenance_work_mem, current_setting('server_version') AS version`,
    );
    results.postgres = pgInfo.rows[0];

    if (!values.reuse) {
      log(`importing ${gen.resources} resources through $import`);
      const imported = await bulkImport(admin, base, gen);
      const loaded = ((imported.manifest as { output?: { count: number }[] }).output ?? []).reduce((a, o) => a + o.count, 0);
      const errors = ((imported.manifest as { error?: { count: number }[] }).error ?? []).reduce((a, o) => a + o.count, 0);
      results.bulkImport = {
        resources: loaded,
        errors,
        seconds: round2(imported.seconds),
        perSecond: Math.round(loaded / imported.seconds),
        serverPeakRssMb: Math.round(server.peakRssMb()),
      };
      log(`bulk import: ${JSON.stringify(results.bulkImport)}`);
      noteLoad('after import');
      if (errors) log('import reported errors; see the job error file');

      log('plain COPY of the same rows');
      const copy = await plainCopy(db, databaseUrl, gen);
      results.plainCopy = {
        ...copy,
        table:
          'county_copy (id text primary key, resource_type text, content jsonb) + indexes on resource_type, subject reference, GIN(content jsonb_path_ops)',
      };
      results.bulkToCopyRatio = round2((results.bulkImport as { perSecond: number }).perSecond / copy.perSecond);
      log(`COPY: ${JSON.stringify(copy)}; bulk/COPY = ${String(results.bulkToCopyRatio)}`);
      noteLoad('after COPY');
      await db.query('VACUUM ANALYZE');
    }

    // The township doctor: a real catchment-scoped user of a township centre from the generated data.
    const password = 'County-Bench-2026!';
    const create = await admin(`${server.url}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'bench.township',
        password,
        roles: ['township-doctor'],
        displayName: gen.township.displayName,
        organizationId: gen.township.organizationId,
        ...(gen.township.practitionerId ? { practitionerId: gen.township.practitionerId } : {}),
      }),
    });
    const created = await create.text();
    // With --reuse the user is there from the first run.
    if (create.status !== 201 && create.status !== 200 && create.status !== 409 && !created.includes('username-taken'))
      throw new Error(`create user: ${create.status} ${created}`);
    const township = await signedInFetch(server.url, 'bench.township', password);

    results.commonLoinc = gen.commonLoinc;
    noteLoad('before queries');
    results.admin = await queries(admin, base, gen, 'admin');
    noteLoad('after admin queries');
    results.townshipDoctor = { organizationId: gen.township.organizationId, ...(await queries(township, base, gen, 'township')) };
    noteLoad('after township queries');
    const counts = await db.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`);
    results.databaseSize = counts.rows[0].size;
    results.serverPeakRssMb = Math.round(server.peakRssMb());
    results.benchPeakRssMb = selfPeakRssMb();
  } finally {
    await db.end();
    await server.stop();
  }
  console.log(JSON.stringify(results, null, 2));
  console.log(`written to ${writeResult(`county-${RESIDENTS}`, results)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
