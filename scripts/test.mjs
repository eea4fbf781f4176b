#!/usr/bin/env node
// The whole test suite: type check, lint, then every Vitest suite against PGlite and PostgreSQL.
// Prints a closing line "N passed, N failed" that CI reads.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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
failures += step('lint', 'npx', ['eslint', '--max-warnings=0', 'server/src', 'server/test', 'bench', 'scripts']) ? 1 : 0;

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

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = r.numFailedTests ?? 0;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
if (vitestStatus !== 0 && failed === 0) failed = 1;
failed += failures;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
