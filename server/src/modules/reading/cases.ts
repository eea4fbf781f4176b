/**
 * The reading centres' index rows (migration 0015_imaging.sql, table reading_case): one per reading task, always
 * written in the transaction of the FHIR writes they describe.
 */
import type { Repository } from '../../platform/fhir/repository.js';

export interface ReadingCase {
  task_id: string;
  centre: string;
  service_request: string;
  patient: string;
  requester_org: string | null;
  owner_org: string;
  item_code: string | null;
  modality: string | null;
  study_uid: string | null;
  imaging_study: string | null;
  report: string | null;
  claimed_by: string | null;
  reported_by: string | null;
  signed_by: string | null;
  requested_at: string | Date;
  images_at: string | Date | null;
  claimed_at: string | Date | null;
  reported_at: string | Date | null;
  signed_at: string | Date | null;
  positive: boolean | null;
  critical: boolean;
  recognised: boolean;
  amendments: number;
}

export async function insertCase(
  tx: Repository,
  c: Pick<
    ReadingCase,
    | 'task_id'
    | 'centre'
    | 'service_request'
    | 'patient'
    | 'requester_org'
    | 'owner_org'
    | 'item_code'
    | 'modality'
    | 'study_uid'
    | 'imaging_study'
  > & {
    requested_at: string;
    images_at: string | null;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO reading_case (tenant, task_id, centre, service_request, patient, requester_org, owner_org, item_code, modality, study_uid, imaging_study, requested_at, images_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      tx.tenant,
      c.task_id,
      c.centre,
      c.service_request,
      c.patient,
      c.requester_org,
      c.owner_org,
      c.item_code,
      c.modality,
      c.study_uid,
      c.imaging_study,
      c.requested_at,
      c.images_at,
    ],
  );
}

/** The case of a task, locked for the rest of the transaction (two readers acting at once queue here). */
export async function lockCase(tx: Repository, taskId: string): Promise<ReadingCase | undefined> {
  const rows = await tx.query<ReadingCase>('SELECT * FROM reading_case WHERE tenant = $1 AND task_id = $2 FOR UPDATE', [tx.tenant, taskId]);
  return rows[0];
}

export async function caseOf(repo: Repository, taskId: string): Promise<ReadingCase | undefined> {
  const rows = await repo.query<ReadingCase>('SELECT * FROM reading_case WHERE tenant = $1 AND task_id = $2', [repo.tenant, taskId]);
  return rows[0];
}

export async function caseOfRequest(repo: Repository, serviceRequest: string): Promise<ReadingCase | undefined> {
  const rows = await repo.query<ReadingCase>('SELECT * FROM reading_case WHERE tenant = $1 AND service_request = $2', [
    repo.tenant,
    serviceRequest,
  ]);
  return rows[0];
}

export async function casesOfStudy(repo: Repository, studyUid: string): Promise<ReadingCase[]> {
  return repo.query<ReadingCase>('SELECT * FROM reading_case WHERE tenant = $1 AND study_uid = $2', [repo.tenant, studyUid]);
}

type Change = Partial<Omit<ReadingCase, 'task_id' | 'centre'>>;

/** Sets the given columns (names are this module's own, never the caller's). */
export async function updateCase(tx: Repository, taskId: string, change: Change): Promise<void> {
  const entries = Object.entries(change).filter(([, v]) => v !== undefined);
  if (!entries.length) return;
  const sets = entries.map(([k], i) => `${k} = $${i + 3}`);
  await tx.query(`UPDATE reading_case SET ${sets.join(', ')} WHERE tenant = $1 AND task_id = $2`, [
    tx.tenant,
    taskId,
    ...entries.map(([, v]) => v),
  ]);
}

/**
 * Cases a reader holds and still has to report (state claimed, including one returned for correction): the roster's
 * limit per reader. A reported case waits for the second reader and no longer counts against the first.
 */
export async function openClaims(tx: Repository, reader: string): Promise<number> {
  const rows = await tx.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM reading_case c JOIN workflow_task w ON w.tenant = c.tenant AND w.task_id = c.task_id
      WHERE c.tenant = $1 AND c.claimed_by = $2 AND w.state = 'claimed'`,
    [tx.tenant, reader],
  );
  return Number(rows[0]?.n ?? 0);
}
