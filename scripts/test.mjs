#!/usr/bin/env node
// The whole test suite: type check, lint, every Vitest suite against PGlite and PostgreSQL, then the browser tests.
// Prints a closing line "N passed, N failed" that CI reads.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (name, cmd, args, opts = {}) => {
  console.log(`\n▶ ${name}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return r.status ?? 1;
};

function ensurePostgres() {
  if (process.env.TEST_DATABASE_URL) return;
  const ready = () => spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']).status === 0;
  if (ready()) return;
  try {
    const version = execSync('ls /etc/postgresql').toString().trim().split('\n')[0];
    execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`, { stdio: 'inherit' });
  } catch (err) {
    console.error('PostgreSQL is not running and could not be started:', err.message);
  }
  for (let i = 0; i < 30 && !ready(); i++) execSync('sleep 1');
}

ensurePostgres();
let failures = 0;
failures += step('type check', 'npx', ['tsc', '-p', 'server/tsconfig.json', '--noEmit']) ? 1 : 0;
failures += step('type check (web app)', 'npx', ['tsc', '-p', 'web/tsconfig.json', '--noEmit']) ? 1 : 0;
failures += step('type check (browser tests)', 'npx', ['tsc', '-p', 'e2e/tsconfig.json', '--noEmit']) ? 1 : 0;
failures += step('lint', 'npx', [
  'eslint',
  '--max-warnings=0',
  'server/src',
  'server/test',
  'bench',
  'scripts',
  'web/src',
  'web/vite.config.ts',
  'e2e',
])
  ? 1
  : 0;

mkdirSync(join(root, 'server', '.vitest'), { recursive: true });
const report = join(root, 'server', '.vitest', 'report.json');
const vitestStatus = step(
  'unit, API and conformance tests (PGlite + PostgreSQL)',
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
  {
    cwd: join(root, 'server'),
  },
);

// Browser tests (e2e/): the built web app against the real server with the demo county, in Debian's Chromium.
const e2eReport = join(root, 'server', '.vitest', 'e2e-report.json');
rmSync(e2eReport, { force: true });
let e2eStatus = step('build the web app (when its sources changed)', 'node', ['scripts/build-web.mjs']);
if (e2eStatus === 0) {
  e2eStatus = step('browser tests (Chromium, playwright-core)', 'npx', [
    'vitest',
    'run',
    '--config',
    'e2e/vitest.config.ts',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${e2eReport}`,
  ]);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [file, status] of [
  [report, vitestStatus],
  [e2eReport, e2eStatus],
]) {
  let f = 0;
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    // A suite whose setup failed reports its tests as skipped: count the suite as failed.
    f = (r.numFailedTests ?? 0) + (r.numFailedTests ? 0 : (r.numFailedTestSuites ?? 0));
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
  failed += status !== 0 && f === 0 ? 1 : f;
}
failed += failures;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
