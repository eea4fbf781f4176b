/**
 * County geography for the synthetic population, read from the shared admin-division tables
 * (`admin-divisions/modood-2023/*.csv`, NBS 2023 codes). The data stays outside the repository; callers pass the
 * shared data directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Town {
  /** 9-digit NBS statistical code. */
  code: string;
  name: string;
  /** 街道 (urban sub-district) rather than 镇/乡. */
  urban: boolean;
}

export interface Geography {
  cityName: string;
  countyCode: string;
  countyName: string;
  towns: Town[];
  /** County-level codes of people registered elsewhere (same municipality and neighbouring provinces). */
  otherCounties: { code: string; name: string }[];
}

function readCsv(path: string): string[][] {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  return text
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => l.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
}

/** Folder with the admin-division CSVs inside the shared data directory. */
export function adminDivisionsDir(dataDir: string): string {
  return join(dataDir, 'admin-divisions', 'modood-2023');
}

export function hasGeographyData(dataDir: string): boolean {
  return existsSync(join(adminDivisionsDir(dataDir), 'streets_chongqing.csv'));
}

/**
 * Loads a Chongqing county (default 南川区 500119): its towns and sub-districts, plus other county codes for
 * residents whose ID numbers were issued elsewhere (other Chongqing districts; Sichuan, Guizhou, Hubei, Hunan).
 */
export function loadGeography(dataDir: string, countyCode = '500119'): Geography {
  const dir = adminDivisionsDir(dataDir);
  const provinces = readCsv(join(dir, 'provinces.csv'));
  const counties = readCsv(join(dir, 'areas.csv'));
  const streets = readCsv(join(dir, 'streets_chongqing.csv'));
  const county = counties.find((c) => c[0] === countyCode);
  if (!county) throw new Error(`county ${countyCode} not found in ${dir}/areas.csv`);
  const cityName = provinces.find((p) => p[0] === county[3])?.[1] ?? '';
  const towns = streets.filter((s) => s[2] === countyCode).map((s) => ({ code: s[0]!, name: s[1]!, urban: s[1]!.endsWith('街道') }));
  if (towns.length === 0) throw new Error(`no towns for county ${countyCode} in ${dir}/streets_chongqing.csv`);
  const neighbours = new Set(['50', '51', '52', '42', '43']);
  const otherCounties = counties
    .filter((c) => neighbours.has(c[3]!) && c[0] !== countyCode && !c[1]!.includes('市辖区'))
    .map((c) => ({ code: c[0]!, name: c[1]! }));
  return { cityName, countyCode, countyName: county[1]!, towns, otherCounties };
}
