/**
 * The critical-value workflow as dated data (./workflow/<effective>.json): its states, who may acknowledge, the
 * time limits (notify within 10 minutes, acknowledge within 15 by default) and the escalation chain. The version in
 * force when an alert is raised governs that alert; a county changes the minutes by adding a file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { durationMs } from '../../platform/clock.js';
import { countyDate } from './catalogue.js';

export interface EscalationStep {
  level: number;
  /** Time after the notification at which this level is told (ISO 8601 duration). */
  after: string;
  /** PractitionerRole.code looked for at the responsible institution, then up its partOf chain. */
  practitionerRoleCode: string;
  display: string;
}

export interface CriticalValueWorkflow {
  id: string;
  version: string;
  effective: string;
  title: string;
  task: { code: { system: string; code: string; display: string }; priority: 'routine' | 'urgent' | 'asap' | 'stat' };
  initial: string;
  states: Record<string, { status: string; display: string; due?: string; final?: boolean }>;
  transitions: { from: string; to: string; by: string[]; requires?: string[] }[];
  notifyWithin: string;
  acknowledgeWithin: string;
  escalation: EscalationStep[];
}

const workflowDir = join(dirname(fileURLToPath(import.meta.url)), 'workflow');

export function validateWorkflow(w: CriticalValueWorkflow, source: string): CriticalValueWorkflow {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(w.effective ?? '')) throw new Error(`${source}: 'effective' must be a date (YYYY-MM-DD)`);
  for (const d of [w.notifyWithin, w.acknowledgeWithin, ...w.escalation.map((e) => e.after)]) durationMs(d);
  if (!w.states[w.initial]) throw new Error(`${source}: initial state '${w.initial}' is not a state`);
  const levels = w.escalation.map((e) => e.level);
  if (levels.some((l, i) => l !== i + 1)) throw new Error(`${source}: escalation levels must be 1, 2, … in order`);
  const afters = w.escalation.map((e) => durationMs(e.after));
  if (afters.some((a, i) => i > 0 && a <= afters[i - 1]!))
    throw new Error(`${source}: each escalation level must come later than the one before`);
  return w;
}

let loaded: CriticalValueWorkflow[] | undefined;

export function loadWorkflows(dir = workflowDir): CriticalValueWorkflow[] {
  if (dir === workflowDir && loaded) return loaded;
  const list = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => validateWorkflow(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CriticalValueWorkflow, f))
    .sort((a, b) => a.effective.localeCompare(b.effective));
  if (dir === workflowDir) loaded = list;
  return list;
}

/** The workflow version in force at `when` (the first one before it exists, so an alert is never left without rules). */
export function workflowInForce(list: readonly CriticalValueWorkflow[], when: Date): CriticalValueWorkflow {
  const day = countyDate(when);
  let found = list[0];
  for (const w of list) if (w.effective <= day) found = w;
  if (!found) throw new Error('No critical-value workflow data');
  return found;
}
