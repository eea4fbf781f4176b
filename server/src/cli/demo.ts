/**
 * `yiwang demo [--seed N] [--residents N] [--years N] [--today YYYY-MM-DD] [--force]` and the demo county of the first start:
 * `yiwang serve` on an empty tenant loads the default county before it listens, unless YIWANG_DEMO=0 (off by default
 * when NODE_ENV is production or test).
 */
import type { YiwangApp } from '../app.js';
import { buildApp } from '../app.js';
import type { Config } from '../config.js';
import { MAX_YEARS } from '../demo/county.js';
import { DEMO_PASSWORD, demoMarkers, hasOrganizations, loadDemoCounty, type LoadDemoResult } from '../demo/load.js';
import { DemoProgressBar, summaryTable } from './demo-report.js';

/**
 * Default size: ≈ 9 700 resources with one year of care, which load in about half a minute on the embedded PGlite
 * (28–30 s measured on a shared 2-core machine; 27 s before charge items; about 70 s when other work keeps both cores busy).
 */
export const DEFAULT_DEMO_RESIDENTS = 1000;
/** Default history depth: the past year of care (`--years 5` gives ≈ 39 resources per resident). */
export const DEFAULT_DEMO_YEARS = 1;
export const DEFAULT_DEMO_SEED = 1;
const MAX_RESIDENTS = 1_000_000;

/** Today's date in China (the county's clock), so visits and ages are recent whenever the demo is loaded. */
export function chinaToday(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

function integer(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > max)
    throw new Error(`--${name} must be an integer from 0 to ${max}: '${value}'`);
  return n;
}

export interface DemoFlags {
  seed?: string;
  residents?: string;
  years?: string;
  today?: string;
  force?: boolean;
}

interface Run {
  seed: number;
  residents: number;
  years: number;
  today: string;
  force?: boolean;
}

async function load(yiwang: YiwangApp, tenant: string, run: Run, bar: DemoProgressBar): Promise<LoadDemoResult> {
  return loadDemoCounty(
    { db: yiwang.db, repo: yiwang.systemRepository(tenant), tenant },
    {
      ...run,
      // PostgreSQL: generation and validation (this process) overlap with the database's work on the other core.
      concurrency: yiwang.db.kind === 'postgres' ? 3 : 1,
      baseUrl: yiwang.config.publicBaseUrl,
      onProgress: (p) => bar.update(p),
    },
  );
}

/** The `yiwang demo` command; returns the exit code. */
export async function runDemoCommand(config: Config, flags: DemoFlags): Promise<number> {
  const run: Run = {
    seed: integer('seed', flags.seed, DEFAULT_DEMO_SEED, 2 ** 31 - 1),
    residents: integer('residents', flags.residents, DEFAULT_DEMO_RESIDENTS, MAX_RESIDENTS),
    years: integer('years', flags.years, DEFAULT_DEMO_YEARS, MAX_YEARS),
    today: flags.today ?? chinaToday(),
    force: flags.force,
  };
  if (run.residents < 1) throw new Error('--residents must be at least 1');
  if (run.years < 1) throw new Error('--years must be at least 1');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(run.today) || Number.isNaN(Date.parse(run.today)))
    throw new Error(`--today must be YYYY-MM-DD: '${run.today}'`);
  const yiwang = await buildApp({ ...config, logLevel: 'warn' });
  try {
    const bar = new DemoProgressBar(run.residents);
    const result = await load(yiwang, config.tenant, run, bar);
    if (!result.alreadyLoaded) bar.finish();
    process.stdout.write(summaryTable(result, { ...run, tenant: config.tenant }));
    process.stdout.write(`Sign in as any demo user (README: "Demo county and users") with the password ${DEMO_PASSWORD}\n`);
  } finally {
    await yiwang.close();
  }
  return 0;
}

/** Whether the first start may load the demo county: YIWANG_DEMO=0/1 decides, else on except in production and tests. */
export function demoOnFirstStart(env: NodeJS.ProcessEnv): { enabled: boolean; why: string } {
  const v = env['YIWANG_DEMO']?.trim().toLowerCase();
  if (v && ['0', 'false', 'off', 'no'].includes(v)) return { enabled: false, why: 'YIWANG_DEMO=0' };
  if (v && ['1', 'true', 'on', 'yes'].includes(v)) return { enabled: true, why: 'YIWANG_DEMO=1' };
  if (env['NODE_ENV'] === 'production' || env['NODE_ENV'] === 'test') {
    return { enabled: false, why: `NODE_ENV=${env['NODE_ENV']} (set YIWANG_DEMO=1 to load it anyway)` };
  }
  return { enabled: true, why: 'default' };
}

/**
 * Loads the demo county when the tenant is empty (no Organization and no demo marker), or finishes one a previous
 * start left half loaded. Runs before the server listens, so nobody sees a half-built county.
 */
export async function firstStartDemo(
  yiwang: YiwangApp,
  env: NodeJS.ProcessEnv = process.env,
  tenant = yiwang.config.tenant,
): Promise<LoadDemoResult | undefined> {
  const log = yiwang.app.log;
  const decision = demoOnFirstStart(env);
  const markers = await demoMarkers(yiwang.db, tenant);
  const interrupted = markers.length > 0 && markers.every((m) => m.status !== 'complete') ? markers[0] : undefined;
  if (!interrupted && (markers.length > 0 || (await hasOrganizations(yiwang.db, tenant)))) return undefined;
  if (!decision.enabled) {
    log.info(`demo county: not loaded into the empty tenant '${tenant}' (${decision.why})`);
    return undefined;
  }
  const run: Run = {
    seed: interrupted?.seed ?? integer('seed', env['YIWANG_DEMO_SEED'], DEFAULT_DEMO_SEED, 2 ** 31 - 1),
    residents:
      interrupted?.residents ?? Math.max(1, integer('residents', env['YIWANG_DEMO_RESIDENTS'], DEFAULT_DEMO_RESIDENTS, MAX_RESIDENTS)),
    years: interrupted ? (interrupted.years ?? 1) : Math.max(1, integer('years', env['YIWANG_DEMO_YEARS'], DEFAULT_DEMO_YEARS, MAX_YEARS)),
    today: interrupted?.today ?? chinaToday(),
  };
  log.info(
    `demo county: ${interrupted ? 'finishing the one a previous start left half loaded' : `tenant '${tenant}' is empty, loading`} ` +
      `(seed ${run.seed}, ${run.residents} residents${run.years > 1 ? `, ${run.years} years` : ''}) before listening; YIWANG_DEMO=0 starts empty`,
  );
  const bar = new DemoProgressBar(run.residents);
  const result = await load(yiwang, tenant, run, bar);
  bar.finish();
  process.stderr.write(summaryTable(result, { ...run, tenant }));
  log.info(
    { resources: result.facts.resources, elapsedMs: result.elapsedMs, users: result.usersCreated },
    `demo county loaded: ${result.facts.resources} resources in ${(result.elapsedMs / 1000).toFixed(1)} s; demo users (password ${DEMO_PASSWORD}) are listed in the README`,
  );
  return result;
}
