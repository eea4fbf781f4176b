/**
 * Diet and exercise guidance points (健康指导要点) for hypertension, diabetes, hyperlipidaemia and obesity, shown on the
 * follow-up form at the point of care. Dated data like the rules: a new version applies from its effective date.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chinaDay } from './rules.js';

export interface GuidancePoint {
  zh: string;
  en: string;
}

export interface GuidanceVersion {
  version: string;
  effective: string;
  source?: string;
  topics: Record<string, { name: GuidancePoint; diet: GuidancePoint[]; exercise: GuidancePoint[] }>;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'guidance');

export function loadGuidance(): GuidanceVersion[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f))
    .map((f) => {
      const v = JSON.parse(readFileSync(join(dir, f), 'utf8')) as GuidanceVersion;
      if (!v.version || !/^\d{4}-\d{2}-\d{2}$/.test(v.effective ?? ''))
        throw new Error(`chronic guidance ${f}: version and effective date are required`);
      for (const [k, t] of Object.entries(v.topics ?? {}))
        if (!t.name?.zh || !Array.isArray(t.diet) || !Array.isArray(t.exercise))
          throw new Error(`chronic guidance ${f}: topic '${k}' needs name, diet, exercise`);
      return v;
    })
    .sort((a, b) => a.effective.localeCompare(b.effective));
}

export function guidanceInForce(versions: readonly GuidanceVersion[], at: string | Date): GuidanceVersion | undefined {
  const day = chinaDay(at);
  return versions.filter((v) => v.effective <= day).pop();
}
