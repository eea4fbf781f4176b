/**
 * The chest-pain centre record (胸痛中心, S8): an EpisodeOfCare (type chest-pain) for the resident, opened by an ECG
 * report carrying the STEMI statement, with the time-line of milestones in an extension (code, time, who recorded
 * it) and the intervals computed against the dated targets when read. One open record per resident (a unique index):
 * a second STEMI report while one is open joins it. Opening notifies the county chest-pain team — the institutions
 * whose Organization.type carries the centre role 'chest-pain' — and the requesting doctor.
 */
import { randomUUID } from 'node:crypto';
import type { EpisodeOfCare, Extension, Organization } from '@medplum/fhirtypes';
import { zonedInstant } from '../../../platform/fhir/input.js';
import { readRef } from '../../../platform/fhir/lookup.js';
import { badRequest } from '../../../platform/fhir/outcomes.js';
import type { Repository } from '../../../platform/fhir/repository.js';
import type { Notifier } from '../../../platform/notify/notifier.js';
import { findResources } from '../../reading/fhir.js';
import { CENTRE_ROLE_SYSTEM } from '../../reading/request.js';
import { chestPainRulesOn, intervalsOf, orderConflict, type Interval } from './targets.js';

export const CHEST_PAIN_ROLE = 'chest-pain';
export const EPISODE_TYPE = { system: 'urn:yiwang:episode-type', code: 'chest-pain', display: '胸痛中心 (chest-pain centre)' };
export const MILESTONE_EXT = 'https://yiwang.cn/fhir/StructureDefinition/chest-pain-milestone';
const REPORT_EXT = 'https://yiwang.cn/fhir/StructureDefinition/chest-pain-ecg-report';

export interface RecordRow {
  id: string;
  patient: string;
  task_id: string | null;
  report: string | null;
  requester_org: string | null;
  ecg_centre: string | null;
  team_org: string | null;
  status: string;
  opened_at: string | Date;
  closed_at: string | Date | null;
}

export interface OpenInput {
  patient: string;
  task: string;
  report: string;
  requesterOrg: string | null;
  requester?: string;
  ecgCentre: string;
  /** Milestones the ECG case already knows: first ECG (acquisition), transmitted (upload), diagnosed (this report). */
  known: Record<string, string>;
  at: string;
  patientName?: string;
}

export function milestonesOf(e: EpisodeOfCare): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of e.extension ?? []) {
    if (x.url !== MILESTONE_EXT) continue;
    const code = x.extension?.find((p) => p.url === 'code')?.valueCode;
    const at = x.extension?.find((p) => p.url === 'at')?.valueDateTime;
    if (code && at) out[code] = at;
  }
  return out;
}

function withMilestone(e: EpisodeOfCare, code: string, at: string, by?: string): EpisodeOfCare {
  const kept = (e.extension ?? []).filter(
    (x) => !(x.url === MILESTONE_EXT && x.extension?.some((p) => p.url === 'code' && p.valueCode === code)),
  );
  const ext: Extension = {
    url: MILESTONE_EXT,
    extension: [
      { url: 'code', valueCode: code },
      { url: 'at', valueDateTime: at },
      ...(by ? [{ url: 'recordedBy', valueReference: { reference: by } }] : []),
    ],
  };
  return { ...e, extension: [...kept, ext] };
}

async function teamOf(tx: Repository, ecgCentre: string): Promise<string> {
  const teams = await findResources<Organization>(tx, 'Organization', `type=${CENTRE_ROLE_SYSTEM}|${CHEST_PAIN_ROLE}`, 20);
  // No chest-pain team registered: the ECG centre's hospital (or the centre itself) receives the record.
  return teams[0]?.id ? `Organization/${teams[0].id}` : ecgCentre;
}

export async function openRecord(tx: Repository, notifier: Notifier, input: OpenInput): Promise<{ id: string; opened: boolean }> {
  const open = await tx.query<RecordRow>(
    `SELECT * FROM chest_pain_record WHERE tenant = $1 AND patient = $2 AND status = 'active' FOR UPDATE`,
    [tx.tenant, input.patient],
  );
  if (open[0]) return { id: open[0].id, opened: false };
  const team = await teamOf(tx, input.ecgCentre);
  let episode: EpisodeOfCare = {
    resourceType: 'EpisodeOfCare',
    id: randomUUID(),
    status: 'active',
    type: [{ coding: [EPISODE_TYPE], text: '胸痛中心' }],
    patient: { reference: input.patient },
    managingOrganization: { reference: team },
    period: { start: input.at },
    extension: [{ url: REPORT_EXT, valueReference: { reference: input.report } }],
    ...(input.requester ? { careManager: { reference: input.requester } } : {}),
  };
  for (const [code, at] of Object.entries(input.known)) episode = withMilestone(episode, code, at);
  const written = (await tx.update('EpisodeOfCare', episode.id as string, episode)).resource as EpisodeOfCare;
  await tx.query(
    `INSERT INTO chest_pain_record (tenant, id, patient, task_id, report, requester_org, ecg_centre, team_org, status, opened_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9)`,
    [tx.tenant, written.id, input.patient, input.task, input.report, input.requesterOrg, input.ecgCentre, team, input.at],
  );
  for (const recipient of [...new Set([team, input.requester ?? input.requesterOrg].filter((r): r is string => !!r))]) {
    await notifier.send(
      {
        tenant: tx.tenant,
        recipient,
        category: 'chest-pain',
        priority: 'urgent',
        title: `胸痛中心：急性STEMI ${input.patientName ?? ''}，请立即启动再灌注流程 · Chest-pain centre: acute STEMI`,
        body: '心电图报告急性ST段抬高型心肌梗死，已建立胸痛中心时间轴（首次医疗接触、转运、入门、导丝通过）。',
        link: `/chest-pain/${written.id}`,
        focus: `EpisodeOfCare/${written.id}`,
        patient: input.patient,
        dedupKey: `chest-pain-open:${written.id}:${recipient}`,
      },
      tx.db,
    );
  }
  return { id: written.id as string, opened: true };
}

export interface EventInput {
  milestone: string;
  at: string;
}

export function parseEvent(body: unknown, now: Date): EventInput {
  const b = (body ?? {}) as Record<string, unknown>;
  const rules = chestPainRulesOn(now);
  const milestone = typeof b.milestone === 'string' ? b.milestone : '';
  if (!rules.milestones.some((m) => m.code === milestone))
    throw badRequest(`'milestone' must be one of ${rules.milestones.map((m) => m.code).join(', ')} (未知的时间节点)`, 'milestone');
  const at = zonedInstant(b.at, 'at');
  // A minute of slack for clocks that differ between the ambulance tablet and the server.
  if (Date.parse(at) > now.getTime() + 60_000) throw badRequest(`'at' ${at} is in the future (时间不能晚于当前时间)`, 'at');
  return { milestone, at: new Date(at).toISOString() };
}

/** Records (or corrects) a milestone, keeping the time-line in order (400 naming the milestone it would contradict). */
export async function recordEvent(
  tx: Repository,
  id: string,
  input: EventInput,
  by: string | undefined,
  now: Date,
): Promise<EpisodeOfCare> {
  const e = (await tx.read('EpisodeOfCare', id)) as EpisodeOfCare;
  if (e.status !== 'active') throw badRequest('The chest-pain record is closed (胸痛记录已关闭)', 'id');
  const rules = chestPainRulesOn(now);
  const clash = orderConflict(milestonesOf(e), input.milestone, input.at, rules);
  if (clash)
    throw badRequest(
      `'${input.milestone}' at ${input.at} is out of order with '${clash.code}' at ${milestonesOf(e)[clash.code]} (时间顺序不合理：${clash.zh})`,
      'at',
    );
  return (await tx.update('EpisodeOfCare', id, withMilestone(e, input.milestone, input.at, by), { ifMatch: e.meta?.versionId }))
    .resource as EpisodeOfCare;
}

export interface RecordView {
  id: string;
  status: string;
  patient: string;
  report: string | null;
  task: string | null;
  openedAt: string;
  milestones: { code: string; zh: string; en: string; at: string | null; optional: boolean }[];
  intervals: Interval[];
}

export function recordView(e: EpisodeOfCare, row: RecordRow | undefined, now: Date): RecordView {
  const rules = chestPainRulesOn(now);
  const times = milestonesOf(e);
  return {
    id: e.id as string,
    status: e.status,
    patient: e.patient.reference as string,
    report: row?.report ?? null,
    task: row?.task_id ?? null,
    openedAt: e.period?.start ?? '',
    milestones: rules.milestones.map((m) => ({ code: m.code, zh: m.zh, en: m.en, at: times[m.code] ?? null, optional: !!m.optional })),
    intervals: intervalsOf(times, rules),
  };
}

/** The chest-pain record an ECG case opened (its latest), as the case page shows it; read through `repo`. */
export async function recordOfTask(repo: Repository, taskId: string, now: Date): Promise<RecordView | null> {
  const rows = await repo.query<RecordRow>(
    'SELECT * FROM chest_pain_record WHERE tenant = $1 AND task_id = $2 ORDER BY opened_at DESC LIMIT 1',
    [repo.tenant, taskId],
  );
  const episode = await readRef<EpisodeOfCare>(repo, rows[0] ? `EpisodeOfCare/${rows[0].id}` : undefined);
  return episode ? recordView(episode, rows[0], now) : null;
}
