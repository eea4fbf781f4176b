/**
 * Diet and exercise guidance points (健康指导要点) for hypertension, diabetes, hyperlipidaemia and obesity, shown on the
 * follow-up form at the point of care. Dated data like the rules: a new version applies from its effective date.
 */
import { loadDatedFrom } from '../reading/dated.js';
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

export function loadGuidance(): GuidanceVersion[] {
  return loadDatedFrom<GuidanceVersion>(import.meta.url, 'guidance', (v, file) => {
    for (const [k, t] of Object.entries(v.topics ?? {}))
      if (!t.name?.zh || !Array.isArray(t.diet) || !Array.isArray(t.exercise))
        throw new Error(`chronic guidance ${file}: topic '${k}' needs name, diet, exercise`);
  });
}

export function guidanceInForce(versions: readonly GuidanceVersion[], at: string | Date): GuidanceVersion | undefined {
  const day = chinaDay(at);
  return versions.filter((v) => v.effective <= day).pop();
}
