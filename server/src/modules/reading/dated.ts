/**
 * Rules as versioned data with an effective date: a folder of JSON files, each a version; the one in force on a day
 * (China time) is the latest whose effective date has come. Files are checked when loaded, so a faulty rule stops the
 * server at start with a message naming the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chinaDate } from '../../platform/workflow/definition.js';

export interface Dated {
  version: string;
  effective: string;
}

/** Every JSON file of `folder` next to the module `moduleUrl` (import.meta.url), oldest effective date first. */
export function loadDatedFrom<T extends Dated>(moduleUrl: string, folder: string, check: (value: T, file: string) => void): T[] {
  const dir = join(dirname(fileURLToPath(moduleUrl)), folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const value = JSON.parse(readFileSync(join(dir, f), 'utf8')) as T;
      if (typeof value.version !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value.effective ?? ''))
        throw new Error(`Invalid rule file ${folder}/${f}: 'version' and 'effective' (YYYY-MM-DD) are required`);
      check(value, `${folder}/${f}`);
      return value;
    })
    .sort((a, b) => a.effective.localeCompare(b.effective));
}

/** The version in force on a date (China time). */
export function inForce<T extends Dated>(versions: readonly T[], at: Date): T {
  const day = chinaDate(at);
  const found = versions.filter((v) => v.effective <= day).pop();
  if (!found) throw new Error(`No rule version is in force on ${day}`);
  return found;
}
