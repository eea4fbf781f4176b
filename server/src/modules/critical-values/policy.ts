/**
 * The critical-value workflow as dated data (./workflow/<effective>.json). Each file is a platform workflow definition
 * (states notified → acknowledged, the transition, the due time for acknowledgement; platform/workflow/definition.ts)
 * plus what only critical values need: the notify limit and the escalation chain by PractitionerRole code. The version
 * in force when an alert is raised governs it; a county changes the minutes by adding a file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { durationMs } from '../../platform/clock.js';
import { validateDefinition, type WorkflowDefinition } from '../../platform/workflow/definition.js';
import { countyDate } from './catalogue.js';

export const WORKFLOW_ID = 'critical-value';

export interface EscalationStep {
  level: number;
  /** Time after the notification at which this level is told (ISO 8601 duration). */
  after: string;
  /** PractitionerRole.code looked for at the responsible institution, then up its partOf chain. */
  practitionerRoleCode: string;
  display: string;
}

export interface CriticalValueWorkflow extends WorkflowDefinition {
  description?: string;
  /** From the result's release to the notification (measured for the indicator). */
  notifyWithin: string;
  /**
   * A result released (else measured) longer ago than this when it reaches Yiwang is history — loaded by bulk import or
   * a backfilled interface — and raises no alert: judged and logged, nobody paged about last year's potassium.
   */
  alertWindow?: string;
  escalation: EscalationStep[];
}

const workflowDir = join(dirname(fileURLToPath(import.meta.url)), 'workflow');

/** The time allowed for acknowledgement: the due time of the initial state. */
export function acknowledgeWithin(w: CriticalValueWorkflow): string {
  const due = w.states[w.initial]?.due;
  if (typeof due !== 'string') throw new Error(`critical-value workflow ${w.version}: the initial state needs a due time (a duration)`);
  return due;
}

export function validateWorkflow(w: CriticalValueWorkflow, source: string): CriticalValueWorkflow {
  try {
    validateDefinition(w);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`, { cause: err });
  }
  if (w.id !== WORKFLOW_ID) throw new Error(`${source}: id must be '${WORKFLOW_ID}'`);
  if (!w.transitions.some((t) => t.action === 'acknowledge' && t.from.includes(w.initial))) {
    throw new Error(`${source}: needs an 'acknowledge' transition from '${w.initial}'`);
  }
  for (const d of [w.notifyWithin, acknowledgeWithin(w), ...(w.alertWindow ? [w.alertWindow] : []), ...w.escalation.map((e) => e.after)])
    durationMs(d);
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

/** The version an alert runs under (recorded on its Task), else the latest. */
export function workflowVersion(list: readonly CriticalValueWorkflow[], version: string | undefined): CriticalValueWorkflow {
  return list.find((w) => w.version === version) ?? list[list.length - 1]!;
}
