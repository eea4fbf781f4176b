#!/usr/bin/env node
// Builds the web app (web/dist) when it is missing or older than its sources; `--force` builds anyway.
// Used by `npm start`/`npm run build` and the browser tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const stamp = join(web, 'dist', 'index.html');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

export function webBuildNeeded() {
  if (!existsSync(stamp)) return true;
  const inputs = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((f) => join(web, f)).filter(existsSync);
  return Math.max(...inputs.map(newest)) > statSync(stamp).mtimeMs;
}

export function buildWeb({ force = false } = {}) {
  if (!force && !webBuildNeeded()) {
    console.log('web: web/dist is up to date');
    return 0;
  }
  console.log('web: building web/dist (vite build)');
  const r = spawnSync('npm', ['run', 'build', '-w', 'web'], { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exit(buildWeb({ force: process.argv.includes('--force') }));
}
