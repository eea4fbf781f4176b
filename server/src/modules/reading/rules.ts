/**
 * The shared reading rules (issue #7 item 5) as versioned data with an effective date, for every reading centre
 * (imaging, ECG, pathology): the one request/report state machine (workflow/), the roster and assignment rules
 * (roster/) and the mutual-recognition catalogue (recognition/). A file is checked when loaded: a faulty rule stops the
 * server at start with a message naming the file, not a report at night.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowDefinition } from '../../platform/workflow/definition.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import { inForce, loadDatedFrom, type Dated } from './dated.js';

const here = dirname(fileURLToPath(import.meta.url));
const loadDated = <T extends Dated>(folder: string, check: (value: T, file: string) => void): T[] =>
  loadDatedFrom<T>(import.meta.url, folder, check);

export type Centre = 'imaging' | 'ecg' | 'pathology';

export interface RosterRules extends Dated {
  centres: Record<Centre, { centreRole: string; modalities: string[]; maxOpenClaimsPerReader: number }>;
  reportBy: 'claimant' | 'any';
  secondReader: { required: boolean; distinctFromReporter: boolean };
}

export interface RecognitionItem {
  code: string;
  name: string;
  nameEn: string;
  scope: 'consortium' | 'city' | 'province' | 'national';
  validityDays: number;
  qc: 'passed' | 'failed' | 'pending';
}

export interface RecognitionCatalogue extends Dated {
  mark: string;
  items: RecognitionItem[];
}

export const ROSTERS: RosterRules[] = loadDated<RosterRules>('roster', (r, file) => {
  for (const centre of ['imaging', 'ecg', 'pathology'] as const) {
    const c = r.centres?.[centre];
    if (!c?.centreRole || !Array.isArray(c.modalities) || !(c.maxOpenClaimsPerReader > 0))
      throw new Error(`Invalid rule file ${file}: centre '${centre}' needs centreRole, modalities and maxOpenClaimsPerReader > 0`);
  }
});

export const RECOGNITION: RecognitionCatalogue[] = loadDated<RecognitionCatalogue>('recognition', (c, file) => {
  if (!c.mark || !Array.isArray(c.items)) throw new Error(`Invalid rule file ${file}: 'mark' and 'items' are required`);
  for (const item of c.items) {
    if (!item.code || !(item.validityDays > 0) || !['consortium', 'city', 'province', 'national'].includes(item.scope))
      throw new Error(`Invalid rule file ${file}: item '${item.code}' needs a code, a scope and validityDays > 0`);
  }
});

/** The reading workflow's versions (one state machine for every centre; validated by the engine when defined). */
export const READING_WORKFLOWS: WorkflowDefinition[] = readdirSync(join(here, 'workflow'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(here, 'workflow', f), 'utf8')) as WorkflowDefinition);

export const READING_WORKFLOW = 'reading';

/** The recognised item for a code on a date, or undefined (not recognised, or its quality control has not passed). */
export function recognisedItem(code: string | undefined, at: Date): { item: RecognitionItem; catalogue: RecognitionCatalogue } | undefined {
  if (!code) return undefined;
  const catalogue = inForce(RECOGNITION, at);
  const item = catalogue.items.find((i) => i.code === code);
  return item && item.qc === 'passed' ? { item, catalogue } : undefined;
}
export { inForce };

/** The mutual-recognition catalogue in force on a date, as the centres' catalogue routes show it. */
export function recognitionOn(at: Date): Pick<RecognitionCatalogue, 'version' | 'mark' | 'items'> {
  const { version, mark, items } = inForce(RECOGNITION, at);
  return { version, mark, items };
}

/**
 * Defines the reading workflow's versions on an engine (each centre module calls it; defining again is harmless). A
 * task's link opens its centre's own case page.
 */
export function defineReadingWorkflows(engine: WorkflowEngine): void {
  for (const def of READING_WORKFLOWS) {
    engine.define(def, {
      link: (task) => {
        const centre = task.input?.find((i) => i.type?.text === 'centre')?.valueCode ?? 'imaging';
        return `/${centre}/cases/${task.id}`;
      },
    });
  }
}
