/**
 * Validation throughput: @medplum/core validateResource vs our compiled validateResourceFast.
 *
 * Run (single core, ~30 s):
 *   cd server && npx tsx ../bench/validate.ts            # default: 5 rounds of 1 s per validator and corpus
 *   cd server && npx tsx ../bench/validate.ts --rounds 3 --ms 500
 *
 * Corpora (read from /work/shared/data, or $SHARED_DATA_DIR):
 * - the 700 official FHIR R4 examples (fhir-r4-examples/resources/*.json), as whole resources
 *   (Bundles included, with their entries validated as nested resources);
 * - every entry[].resource of the Synthea patient bundles (synthea/bundles/*.json).
 *
 * Rounds alternate between the two validators so background load affects both alike; the best round of each
 * is reported as resources per CPU-second (i.e. on one core), plus the ratio. Medplum's result is obtained without cloning the
 * input (its own cost only); both validators are warmed up before measuring.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadDefinitions } from '../server/src/platform/fhir/definitions.js';
import { validateResourceFast } from '../server/src/platform/fhir/validation/index.js';
import { validateResourceReference } from '../server/src/platform/fhir/validation/reference.js';

const dataDir = process.env.SHARED_DATA_DIR ?? '/work/shared/data';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const rounds = arg('--rounds', 5);
const roundMs = arg('--ms', 1000);

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function loadExamples(): unknown[] {
  const dir = join(dataDir, 'fhir-r4-examples', 'resources');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readJson(join(dir, f)));
}

function loadSynthea(): unknown[] {
  const dir = join(dataDir, 'synthea', 'bundles');
  const resources: unknown[] = [];
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const bundle = readJson(join(dir, f)) as { entry?: { resource?: unknown }[] };
    for (const entry of bundle.entry ?? []) {
      if (entry.resource) {
        resources.push(entry.resource);
      }
    }
  }
  return resources;
}

type Validator = (resource: unknown) => void;

const validators: Record<string, Validator> = {
  medplum: (r) => void validateResourceReference(r, false),
  ours: (r) => void validateResourceFast(r),
};

/**
 * Resources per CPU-second of this process over at least `ms` milliseconds of wall time (whole passes over
 * the corpus). CPU time rather than wall time keeps the figure meaningful on a loaded 2-core machine.
 */
function measure(validate: Validator, corpus: unknown[], ms: number): number {
  let count = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  do {
    for (const r of corpus) {
      validate(r);
    }
    count += corpus.length;
  } while (performance.now() - start < ms);
  const cpu = process.cpuUsage(cpuStart);
  return (count / (cpu.user + cpu.system)) * 1e6;
}

function main(): void {
  if (!existsSync(dataDir)) {
    console.error(`No test data at ${dataDir} (set SHARED_DATA_DIR)`);
    process.exit(1);
  }
  loadDefinitions();
  const corpora: [string, unknown[]][] = [
    ['R4 examples', loadExamples()],
    ['Synthea resources', loadSynthea()],
  ];
  console.log(`node ${process.version}, ${rounds} rounds x ${roundMs} ms, best round, resources per CPU-second\n`);
  for (const [name, corpus] of corpora) {
    for (const validate of Object.values(validators)) {
      measure(validate, corpus, roundMs); // warm-up (JIT, lazy schema compilation)
    }
    const best: Record<string, number> = { medplum: 0, ours: 0 };
    for (let round = 0; round < rounds; round++) {
      for (const [label, validate] of Object.entries(validators)) {
        best[label] = Math.max(best[label], measure(validate, corpus, roundMs));
      }
    }
    console.log(
      `${name.padEnd(18)} ${String(corpus.length).padStart(5)} resources   ` +
        `medplum ${Math.round(best.medplum).toLocaleString('en-US').padStart(7)} res/s   ` +
        `ours ${Math.round(best.ours).toLocaleString('en-US').padStart(8)} res/s   ` +
        `x${(best.ours / best.medplum).toFixed(1)}`,
    );
  }
}

main();
