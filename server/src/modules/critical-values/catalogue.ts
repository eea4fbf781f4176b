/**
 * The critical-value catalogue (危急值项目表) as dated data: one JSON file per version in ./catalogue, each complete
 * and in force from its effective date until the next one. A result is judged by the version in force on the
 * result's own date (county time, UTC+8), so a change of a threshold applies to results from that date only, and
 * every alert records the version it used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUnit, type Substance } from './units.js';

export interface CatalogueCode {
  system: string;
  code: string;
}

interface CatalogueEntry {
  /** Stable id of the item across versions ('potassium', 'stemi'). */
  id: string;
  name: string;
  nameEn: string;
  /** laboratory | ecg | imaging */
  category: string;
  codes: CatalogueCode[];
  /** Words a doctor may use to name the item when reading it back (钾, K, potassium …). */
  aliases?: string[];
}

/** A numeric item: critical below `low` or above `high` (strictly), measured in `unit` (UCUM). */
export interface MeasurementItem extends CatalogueEntry, Substance {
  unit: string;
  /** How to print the unit in messages (×10⁹/L for 10*9/L); default the unit itself. */
  unitDisplay?: string;
  /** A value without a unit is taken to be in `unit` (dimensionless items: pH, INR). */
  unitOptional?: boolean;
  low?: number;
  high?: number;
}

/** A coded finding (ECG, imaging) that is critical whenever it is reported. */
export type FindingItem = CatalogueEntry;

export interface CatalogueVersion {
  version: string;
  /** YYYY-MM-DD, county time. */
  effective: string;
  description?: string;
  previous?: string;
  measurements: MeasurementItem[];
  findings: FindingItem[];
}

const catalogueDir = join(dirname(fileURLToPath(import.meta.url)), 'catalogue');

/** Checks one version; a broken file stops the server at start rather than missing a critical value later. */
export function validateCatalogue(v: CatalogueVersion, source: string): CatalogueVersion {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v.effective ?? '')) throw new Error(`${source}: 'effective' must be a date (YYYY-MM-DD)`);
  if (!v.version) throw new Error(`${source}: 'version' is required`);
  const ids = new Set<string>();
  const codes = new Map<string, string>();
  for (const item of [...(v.measurements ?? []), ...(v.findings ?? [])]) {
    if (!item.id || ids.has(item.id)) throw new Error(`${source}: item id '${item.id}' is missing or repeated`);
    ids.add(item.id);
    if (!item.name || !item.nameEn || !item.codes?.length) throw new Error(`${source}: item '${item.id}' needs name, nameEn and codes`);
    for (const c of item.codes) {
      const key = `${c.system}|${c.code}`;
      if (codes.has(key)) throw new Error(`${source}: code ${key} belongs to both '${codes.get(key)}' and '${item.id}'`);
      codes.set(key, item.id);
    }
  }
  for (const m of v.measurements ?? []) {
    if (!parseUnit(m.unit)) throw new Error(`${source}: item '${m.id}' has a unit the converter does not know: '${m.unit}'`);
    if (m.low === undefined && m.high === undefined) throw new Error(`${source}: item '${m.id}' needs 'low' or 'high'`);
    if (m.low !== undefined && m.high !== undefined && m.low >= m.high) throw new Error(`${source}: item '${m.id}' has low ≥ high`);
  }
  return { ...v, measurements: v.measurements ?? [], findings: v.findings ?? [] };
}

/** The versions of a directory, oldest first. */
export function loadCatalogue(dir = catalogueDir): CatalogueVersion[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => validateCatalogue(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CatalogueVersion, f))
    .sort((a, b) => a.effective.localeCompare(b.effective));
}

/** The county's calendar date of an instant or date (UTC+8: China has one time zone). */
export function countyDate(when: string | Date): string {
  if (typeof when === 'string' && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(when)) return when.length === 10 ? when : `${when}-01-01`.slice(0, 10);
  const t = new Date(when).getTime();
  if (Number.isNaN(t)) throw new Error(`'${String(when)}' is not a date`);
  return new Date(t + 8 * 3600_000).toISOString().slice(0, 10);
}

/** The version in force on a date, or undefined before the first one. */
export function versionInForce(versions: readonly CatalogueVersion[], when: string | Date): CatalogueVersion | undefined {
  const day = countyDate(when);
  let found: CatalogueVersion | undefined;
  for (const v of versions) if (v.effective <= day) found = v;
  return found;
}

/** How an item's unit is printed. */
export const unitText = (item: MeasurementItem): string => item.unitDisplay ?? item.unit;
