/**
 * The chest-pain centre's milestones (in the order they happen) and interval targets as dated data (targets/), and
 * the intervals of a time-line against them: minutes, target, met or not, pending while an end is missing.
 */
import { inForce, loadDatedFrom, type Dated } from '../../reading/dated.js';

export interface Milestone {
  code: string;
  zh: string;
  en: string;
  optional?: boolean;
}

export interface Target {
  id: string;
  zh: string;
  en: string;
  from: string;
  to: string;
  maxMinutes: number;
}

export interface ChestPainRules extends Dated {
  milestones: Milestone[];
  targets: Target[];
}

export const CHEST_PAIN_RULES = loadDatedFrom<ChestPainRules>(import.meta.url, 'targets', (r, file) => {
  const codes = new Set((r.milestones ?? []).map((m) => m.code));
  if (!codes.size) throw new Error(`Invalid chest-pain rules ${file}: 'milestones' is required`);
  for (const t of r.targets ?? [])
    if (!codes.has(t.from) || !codes.has(t.to) || !(t.maxMinutes > 0))
      throw new Error(`Invalid chest-pain rules ${file}: target '${t.id}' needs known milestones and maxMinutes > 0`);
});

export const chestPainRulesOn = (at: Date): ChestPainRules => inForce(CHEST_PAIN_RULES, at);

export interface Interval {
  id: string;
  zh: string;
  en: string;
  minutes: number | null;
  target: number;
  met: boolean | null;
}

/** The intervals of a time-line (milestone code → ISO time) against the targets. */
export function intervalsOf(times: Record<string, string>, rules: ChestPainRules): Interval[] {
  return rules.targets.map((t) => {
    const from = times[t.from];
    const to = times[t.to];
    const minutes = from && to ? Math.round(((Date.parse(to) - Date.parse(from)) / 60_000) * 10) / 10 : null;
    return { id: t.id, zh: t.zh, en: t.en, minutes, target: t.maxMinutes, met: minutes === null ? null : minutes <= t.maxMinutes };
  });
}

/**
 * Whether a milestone at a time keeps the time-line in order: not after any later milestone already recorded, not
 * before any earlier one. Returns the conflicting milestone, if any.
 */
export function orderConflict(times: Record<string, string>, milestone: string, at: string, rules: ChestPainRules): Milestone | undefined {
  const order = rules.milestones.map((m) => m.code);
  const i = order.indexOf(milestone);
  const t = Date.parse(at);
  return rules.milestones.find((m, j) => {
    const other = times[m.code];
    if (!other || m.code === milestone) return false;
    return (j < i && Date.parse(other) > t) || (j > i && Date.parse(other) < t);
  });
}
