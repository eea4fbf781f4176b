/**
 * Resident master index benchmark: accuracy on a labelled synthetic 南川 population and on FEBRL, and the time and
 * memory to deduplicate 1 000 000 generated records.
 *
 *   cd /work/main/server && npx tsx ../bench/mpi.ts [--population 50000] [--records 1000000] [--seed 1] [--skip-scale]
 *
 * Prints figures; it is a benchmark, not a test (the assertions live in server/test/identity-population.test.ts).
 * Re-runs itself once with a larger V8 young generation (--max-semi-space-size): bulk matching allocates many
 * short-lived strings and the default 16 MB semi-space roughly doubles the time spent in garbage collection.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  dedupe,
  estimateParameters,
  pairwiseMetrics,
  selectRules,
  SHIPPED_RULES,
  type DedupeResult,
  type MatchRules,
  type PersonRecord,
} from '../server/src/platform/identity/matching/index.js';
import { generatePopulation, hasGeographyData, loadGeography } from '../server/src/platform/identity/testpop/index.js';

const SEMI_SPACE_MB = 64;
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) && !process.env['MPI_BENCH_CHILD']) {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`, process.argv[1]!, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, MPI_BENCH_CHILD: '1' } },
  );
  process.exit(child.status ?? 1);
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const DATA = process.env['YIWANG_SHARED_DATA'] ?? fileURLToPath(new URL('../../shared/data', import.meta.url));
const POPULATION = arg('population', 50_000);
const SCALE = arg('records', 1_000_000);
const SEED = arg('seed', 1);

const fmt = (x: number, digits = 4) => x.toFixed(digits);
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

function line(label: string, text: string): void {
  console.log(`${label.padEnd(34)} ${text}`);
}

function reviewSummary(res: DedupeResult, truthOf: Map<string, string>): string {
  const same = res.reviewPairs.filter((p) => truthOf.get(p.a) === truthOf.get(p.b)).length;
  return `${res.reviewPairs.length} review pairs (${same} true matches)`;
}

function accuracy(label: string, records: PersonRecord[], truth: string[], rules?: MatchRules): void {
  const t = performance.now();
  const res = dedupe(records, rules ? { rules } : {});
  const ms = performance.now() - t;
  const m = pairwiseMetrics(res.assignment, truth);
  const truthOf = new Map(records.map((r, i) => [r.id, truth[i]!]));
  line(
    label,
    `precision ${fmt(m.precision)}  recall ${fmt(m.recall)}  F1 ${fmt(m.f1)}  ` +
      `(${m.truePositives}/${m.predictedPairs} predicted, ${m.truePairs} true pairs; ${reviewSummary(res, truthOf)}; ${Math.round(ms)} ms)`,
  );
}

function loadFebrl(file: string): { records: PersonRecord[]; truth: string[] } {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const records: PersonRecord[] = [];
  const truth: string[] = [];
  for (const l of lines.slice(1)) {
    const cells = l.split(',').map((c) => c.trim());
    const f = (k: string) => cells[header.indexOf(k)] || undefined;
    const id = f('rec_id')!;
    records.push({
      id,
      givenName: f('given_name'),
      familyName: f('surname'),
      birthDate: f('date_of_birth'),
      idNumber: f('soc_sec_id'),
      address: ['street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state'].map(f).filter(Boolean).join(' '),
    });
    truth.push(/^rec-(\d+)-/.exec(id)![1]!);
  }
  return { records, truth };
}

console.log(
  `Yiwang resident index benchmark — node ${process.version}, ${process.execArgv.filter((a) => a.startsWith('--max')).join(' ')}`,
);

if (!hasGeographyData(DATA)) {
  console.log(`shared data not found at ${DATA}: set YIWANG_SHARED_DATA`);
  process.exit(1);
}
const geography = loadGeography(DATA);

console.log(`\n== Generated population (seed ${SEED}) ==`);
for (const size of [5_000, POPULATION]) {
  const pop = generatePopulation({ seed: SEED, records: size, geography });
  accuracy(`${size} records, ${pop.persons} persons`, pop.records, pop.truth);
}
{
  const pop = generatePopulation({ seed: SEED + 1, records: 20_000, geography, twinRate: 0.1 });
  accuracy(`20000 records, twin rate 10 %`, pop.records, pop.truth);
}

const febrlDir = join(DATA, 'record-linkage', 'febrl');
if (existsSync(febrlDir)) {
  // FEBRL is a Latin-script register: it is matched with the rule set for that data source, in force today.
  const latin = selectRules(SHIPPED_RULES, new Date().toISOString().slice(0, 10), 'yiwang-mpi-latin');
  console.log(`\n== FEBRL (English names; ${latin.name} ${latin.version}, then Chinese-register rules and EM for comparison) ==`);
  for (const ds of ['dataset1', 'dataset2', 'dataset3']) {
    const { records, truth } = loadFebrl(join(febrlDir, `${ds}.csv`));
    accuracy(`${ds} (${records.length}) ${latin.name}`, records, truth, latin);
    accuracy(`${ds} (${records.length}) yiwang-mpi`, records, truth);
    const em = estimateParameters(records, { rules: latin });
    accuracy(`${ds} EM (${em.iterations} it., λ=${fmt(em.matchShare, 3)})`, records, truth, em.rules);
  }
} else {
  console.log(`\nFEBRL not found at ${febrlDir}: skipped`);
}

if (!flag('skip-scale')) {
  console.log(`\n== Scale: dedupe ${SCALE} generated records ==`);
  let t = performance.now();
  const pop = generatePopulation({ seed: SEED + 100, records: SCALE, geography });
  line('generate', `${Math.round(performance.now() - t)} ms (${pop.persons} persons; not part of the dedupe time)`);
  global.gc?.();
  const before = process.memoryUsage();
  const cpu = process.cpuUsage();
  t = performance.now();
  const res = dedupe(pop.records);
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const after = process.memoryUsage();
  const s = res.stats;
  line('dedupe wall time', `${fmt(wall / 1000, 1)} s (target ≤ 60 s)`);
  line('dedupe CPU time', `${fmt((used.user + used.system) / 1e6, 1)} s (user ${fmt(used.user / 1e6, 1)} s, incl. GC threads)`);
  line(
    'phases',
    `prepare ${fmt(s.timings.prepareMs / 1000, 1)} s, block+score ${fmt(s.timings.blockAndScoreMs / 1000, 1)} s, cluster ${fmt(s.timings.clusterMs / 1000, 1)} s`,
  );
  line(
    'memory',
    `heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}, rss ${mb(after.rss)}, peak rss ${mb(process.resourceUsage().maxRSS * 1024)}`,
  );
  line(
    'work',
    `${s.comparisons} comparisons, ${s.links} links (${s.refusedLinks} refused), ${s.clusters} clusters, ${s.oversizedBlocks} oversized blocks`,
  );
  const m = pairwiseMetrics(res.assignment, pop.truth);
  const truthOf = new Map(pop.records.map((r, i) => [r.id, pop.truth[i]!]));
  line('accuracy at scale', `precision ${fmt(m.precision)}  recall ${fmt(m.recall)}  F1 ${fmt(m.f1)}; ${reviewSummary(res, truthOf)}`);
  const load = (await import('node:os')).loadavg()[0]!;
  line('machine', `load average ${fmt(load, 2)} on ${(await import('node:os')).availableParallelism()} cores during the run`);
}
