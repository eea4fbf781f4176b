/** Public test data written by others lives in ../shared/data (CI always has it). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED_DATA =
  process.env.YIWANG_SHARED_DATA ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'data');

export function sharedPath(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}

export const hasSharedData = existsSync(SHARED_DATA);
if (!hasSharedData) console.warn(`shared test data not found at ${SHARED_DATA}: data-driven tests are skipped (CI always has it)`);

export function readJsonDir<T = any>(...parts: string[]): { file: string; json: T }[] {
  const dir = sharedPath(...parts);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) as T }));
}
