/**
 * Due follow-ups: each is a FHIR Task (code chronic|follow-up-due, focus the EpisodeOfCare, restriction.period the due
 * window) with its index row. A follow-up completes every open due Task of its episode (Task.output names the
 * Encounter), then the rules plan the next one. These Tasks are plain Tasks, not workflow-engine tasks: their due
 * windows are counted in calendar months from the follow-up's own date (the engine counts durations from now), and a
 * county has tens of thousands open at any time, which the module's own index lists per village and doctor.
 */
import type { Task } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { chronicCode, DUE_KIND_SYSTEM, DUE_TEXT, PROGRAMME_TEXT, type DueKind } from './model.js';
import { chinaDay } from './rules.js';
import { closeDue, insertDue, openDue, type DueRow, type EpisodeRow } from './store.js';

export const DUE_CODE = 'follow-up-due';

export async function createDueTask(
  tx: Repository,
  episode: EpisodeRow,
  kind: DueKind,
  window: { start: string; end: string },
  now: Date,
  basedOn?: string,
): Promise<DueRow> {
  const today = chinaDay(now);
  const owner = episode.village_doctor ?? episode.organization;
  const task: Task = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'plan',
    priority: kind === 'referral-check' ? 'urgent' : 'routine',
    code: chronicCode(DUE_CODE, '慢病随访待办 (chronic follow-up due)'),
    businessStatus: { coding: [{ system: DUE_KIND_SYSTEM, code: kind, display: DUE_TEXT[kind] }], text: DUE_TEXT[kind] },
    description: `${PROGRAMME_TEXT[episode.programme].followUp}：${DUE_TEXT[kind]}（${window.start} 至 ${window.end}）`,
    focus: { reference: `EpisodeOfCare/${episode.episode_id}` },
    for: { reference: episode.patient },
    authoredOn: now.toISOString(),
    ...(owner ? { owner: { reference: owner } } : {}),
    ...(episode.organization ? { requester: { reference: episode.organization } } : {}),
    ...(basedOn ? { basedOn: [{ reference: basedOn }] } : {}),
    restriction: { period: { start: window.start, end: window.end } },
  };
  const written = (await tx.create(task)).resource as Task;
  const row: DueRow = {
    task_id: written.id as string,
    episode_id: episode.episode_id,
    patient: episode.patient,
    programme: episode.programme,
    kind,
    due_start: window.start,
    due_end: window.end,
    status: 'open',
    organization: episode.organization,
    practitioner: episode.village_doctor,
    fulfilled_by: null,
    fulfilled_on: null,
    created_on: today,
  };
  await insertDue(tx, row);
  return row;
}

/** Completes (or cancels) every open due Task of an episode; returns their ids. */
export async function settleDue(
  tx: Repository,
  episodeId: string,
  outcome: { status: 'done'; encounter: string; day: string } | { status: 'cancelled'; reason: string; day: string },
): Promise<string[]> {
  const open = await openDue(tx, episodeId);
  for (const due of open) {
    const task = (await tx.read('Task', due.task_id)) as Task;
    const next: Task =
      outcome.status === 'done'
        ? {
            ...task,
            status: 'completed',
            executionPeriod: { ...(task.executionPeriod ?? {}), end: outcome.day },
            output: [
              ...(task.output ?? []),
              { type: chronicCode('fulfilled-by', '完成随访 (fulfilled by)'), valueReference: { reference: outcome.encounter } },
            ],
          }
        : {
            ...task,
            status: 'cancelled',
            statusReason: { text: outcome.reason },
            executionPeriod: { ...(task.executionPeriod ?? {}), end: outcome.day },
          };
    await tx.update('Task', due.task_id, next);
    await closeDue(tx, due.task_id, outcome.status, outcome.status === 'done' ? outcome.encounter : null, outcome.day);
  }
  return open.map((d) => d.task_id);
}
