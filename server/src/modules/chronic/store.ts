/**
 * The module's index rows (migration 0014_chronic.sql), always written in the transaction of the FHIR writes they
 * describe. Reads for users join the resource rows with the caller's access condition (worklist.ts, indicators.ts).
 */
import type { Repository } from '../../platform/fhir/repository.js';
import type { DueKind, ExitReason, FollowUpSource } from './model.js';
import type { Programme } from './rules.js';

export interface EpisodeRow {
  episode_id: string;
  patient: string;
  programme: Programme;
  status: 'active' | 'finished';
  organization: string | null;
  village_doctor: string | null;
  township_gp: string | null;
  specialist: string | null;
  birth_date: string | null;
  start_date: string;
  end_date: string | null;
  exit_reason: ExitReason | null;
}

export interface FollowUpRow {
  encounter_id: string;
  episode_id: string;
  patient: string;
  programme: Programme;
  day: string;
  classification: string;
  controlled: boolean;
  decision: string;
  rule_version: string;
  classification_id: string;
  sbp: number | null;
  dbp: number | null;
  glucose: number | null;
  hba1c: number | null;
  organization: string | null;
  practitioner: string | null;
  source: FollowUpSource;
  referral: string | null;
}

export interface DueRow {
  task_id: string;
  episode_id: string;
  patient: string;
  programme: Programme;
  kind: DueKind;
  due_start: string;
  due_end: string;
  status: 'open' | 'done' | 'cancelled';
  organization: string | null;
  practitioner: string | null;
  fulfilled_by: string | null;
  fulfilled_on: string | null;
  created_on: string;
}

/** Dates come back as Date objects from pg and strings from PGlite: both become YYYY-MM-DD. */
export function dayOf(v: unknown): string {
  if (v instanceof Date) return `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}`;
  return String(v).slice(0, 10);
}

const DATE_COLUMNS = ['birth_date', 'start_date', 'end_date', 'day', 'due_start', 'due_end', 'fulfilled_on', 'created_on'];

export function normalise<T>(row: T): T {
  const r = row as Record<string, unknown>;
  for (const c of DATE_COLUMNS) if (r[c] !== undefined && r[c] !== null) r[c] = dayOf(r[c]);
  for (const c of ['glucose', 'hba1c']) if (r[c] !== undefined && r[c] !== null) r[c] = Number(r[c]);
  return row;
}

const EPISODE_COLUMNS =
  'episode_id, patient, programme, status, organization, village_doctor, township_gp, specialist, birth_date, start_date, end_date, exit_reason';
const FOLLOWUP_COLUMNS =
  'encounter_id, episode_id, patient, programme, day, classification, controlled, decision, rule_version, classification_id, sbp, dbp, glucose, hba1c, organization, practitioner, source, referral';
const DUE_COLUMNS =
  'task_id, episode_id, patient, programme, kind, due_start, due_end, status, organization, practitioner, fulfilled_by, fulfilled_on, created_on';

const placeholders = (n: number, from = 2) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

export async function upsertEpisode(tx: Repository, r: EpisodeRow): Promise<void> {
  const values = EPISODE_COLUMNS.split(', ').map((c) => (r as unknown as Record<string, unknown>)[c] ?? null);
  await tx.query(
    `INSERT INTO chronic_episode (tenant, ${EPISODE_COLUMNS}) VALUES ($1, ${placeholders(values.length)})
     ON CONFLICT (tenant, episode_id) DO UPDATE SET status = EXCLUDED.status, organization = EXCLUDED.organization,
       village_doctor = EXCLUDED.village_doctor, township_gp = EXCLUDED.township_gp, specialist = EXCLUDED.specialist,
       end_date = EXCLUDED.end_date, exit_reason = EXCLUDED.exit_reason`,
    [tx.tenant, ...values],
  );
}

export async function episodeRow(q: Repository, episodeId: string, lock = false): Promise<EpisodeRow | undefined> {
  const rows = await q.query<EpisodeRow>(
    `SELECT ${EPISODE_COLUMNS} FROM chronic_episode WHERE tenant = $1 AND episode_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [q.tenant, episodeId],
  );
  return rows[0] && normalise(rows[0]);
}

export async function activeEpisodes(q: Repository, patient: string): Promise<EpisodeRow[]> {
  const rows = await q.query<EpisodeRow>(
    `SELECT ${EPISODE_COLUMNS} FROM chronic_episode WHERE tenant = $1 AND patient = $2 AND status = 'active' ORDER BY programme`,
    [q.tenant, patient],
  );
  return rows.map(normalise);
}

export async function insertFollowUp(tx: Repository, r: FollowUpRow): Promise<void> {
  const values = FOLLOWUP_COLUMNS.split(', ').map((c) => (r as unknown as Record<string, unknown>)[c] ?? null);
  await tx.query(`INSERT INTO chronic_followup (tenant, ${FOLLOWUP_COLUMNS}) VALUES ($1, ${placeholders(values.length)})`, [
    tx.tenant,
    ...values,
  ]);
}

export async function followUpOn(q: Repository, episodeId: string, day: string): Promise<FollowUpRow | undefined> {
  const rows = await q.query<FollowUpRow>(
    `SELECT ${FOLLOWUP_COLUMNS} FROM chronic_followup WHERE tenant = $1 AND episode_id = $2 AND day = $3`,
    [q.tenant, episodeId, day],
  );
  return rows[0] && normalise(rows[0]);
}

/** The latest follow-up of an episode before a day (the "previous" one the rules compare with). */
export async function previousFollowUp(q: Repository, episodeId: string, day: string): Promise<FollowUpRow | undefined> {
  const rows = await q.query<FollowUpRow>(
    `SELECT ${FOLLOWUP_COLUMNS} FROM chronic_followup WHERE tenant = $1 AND episode_id = $2 AND day < $3 ORDER BY day DESC LIMIT 1`,
    [q.tenant, episodeId, day],
  );
  return rows[0] && normalise(rows[0]);
}

export async function followUps(q: Repository, episodeId: string): Promise<FollowUpRow[]> {
  const rows = await q.query<FollowUpRow>(
    `SELECT ${FOLLOWUP_COLUMNS} FROM chronic_followup WHERE tenant = $1 AND episode_id = $2 ORDER BY day`,
    [q.tenant, episodeId],
  );
  return rows.map(normalise);
}

export async function followUpRow(q: Repository, encounterId: string): Promise<FollowUpRow | undefined> {
  const rows = await q.query<FollowUpRow>(`SELECT ${FOLLOWUP_COLUMNS} FROM chronic_followup WHERE tenant = $1 AND encounter_id = $2`, [
    q.tenant,
    encounterId,
  ]);
  return rows[0] && normalise(rows[0]);
}

export async function setReferral(q: Repository, encounterId: string, referral: string): Promise<void> {
  await q.query('UPDATE chronic_followup SET referral = $3 WHERE tenant = $1 AND encounter_id = $2', [q.tenant, encounterId, referral]);
}

export async function insertDue(tx: Repository, r: DueRow): Promise<void> {
  const values = DUE_COLUMNS.split(', ').map((c) => (r as unknown as Record<string, unknown>)[c] ?? null);
  await tx.query(`INSERT INTO chronic_due (tenant, ${DUE_COLUMNS}) VALUES ($1, ${placeholders(values.length)})`, [tx.tenant, ...values]);
}

export async function openDue(q: Repository, episodeId: string): Promise<DueRow[]> {
  const rows = await q.query<DueRow>(
    `SELECT ${DUE_COLUMNS} FROM chronic_due WHERE tenant = $1 AND episode_id = $2 AND status = 'open' ORDER BY due_end FOR UPDATE`,
    [q.tenant, episodeId],
  );
  return rows.map(normalise);
}

export async function closeDue(tx: Repository, taskId: string, status: 'done' | 'cancelled', by: string | null, on: string): Promise<void> {
  await tx.query('UPDATE chronic_due SET status = $3, fulfilled_by = $4, fulfilled_on = $5 WHERE tenant = $1 AND task_id = $2', [
    tx.tenant,
    taskId,
    status,
    by,
    on,
  ]);
}

export { DUE_COLUMNS, FOLLOWUP_COLUMNS, EPISODE_COLUMNS };
