/**
 * The pathology centre's index rows (migration 0017_pathology.sql): one per specimen, block and slide, one per picture,
 * always written in the transaction of the FHIR resources they describe.
 */
import type { Repository } from '../../platform/fhir/repository.js';

export interface SpecimenRow {
  specimen_id: string;
  task_id: string;
  kind: 'specimen' | 'block' | 'slide';
  parent: string | null;
  label: string;
  type_code: string;
  item_code: string | null;
  requester_org: string | null;
  owner_org: string;
  collected_at: string | Date | null;
  fixed_at: string | Date | null;
  cold_minutes: number | null;
  over_limit: boolean;
  status: 'sent' | 'received' | 'rejected' | 'made';
  received_at: string | Date | null;
  rejected_at: string | Date | null;
  reject_reason: string | null;
  grossed_at: string | Date | null;
  created_at: string | Date;
}

export interface PictureRow {
  media_id: string;
  task_id: string;
  specimen_id: string | null;
  kind: 'gross' | 'micro';
  title: string;
  content_type: string;
  size: number;
  in_report: boolean;
  created_at: string | Date;
}

const SPECIMEN_COLUMNS = [
  'specimen_id',
  'task_id',
  'kind',
  'parent',
  'label',
  'type_code',
  'item_code',
  'requester_org',
  'owner_org',
  'collected_at',
  'fixed_at',
  'cold_minutes',
  'over_limit',
  'status',
  'received_at',
  'rejected_at',
  'reject_reason',
  'grossed_at',
  'created_at',
] as const;

export async function insertSpecimen(tx: Repository, row: SpecimenRow): Promise<void> {
  const params = SPECIMEN_COLUMNS.map((c) => row[c]);
  await tx.query(
    `INSERT INTO pathology_specimen (tenant, ${SPECIMEN_COLUMNS.join(', ')})
     VALUES ($1, ${SPECIMEN_COLUMNS.map((_, i) => `$${i + 2}`).join(', ')})`,
    [tx.tenant, ...params],
  );
}

type SpecimenChange = Partial<Pick<SpecimenRow, 'status' | 'received_at' | 'rejected_at' | 'reject_reason' | 'grossed_at'>>;

/** Sets the given columns of some rows (column names are this module's own). */
export async function updateSpecimens(tx: Repository, ids: string[], change: SpecimenChange): Promise<void> {
  const entries = Object.entries(change).filter(([, v]) => v !== undefined);
  if (!entries.length || !ids.length) return;
  const sets = entries.map(([k], i) => `${k} = $${i + 3}`);
  await tx.query(`UPDATE pathology_specimen SET ${sets.join(', ')} WHERE tenant = $1 AND specimen_id = ANY($2::text[])`, [
    tx.tenant,
    ids,
    ...entries.map(([, v]) => v),
  ]);
}

export const specimensOf = (repo: Repository, taskId: string): Promise<SpecimenRow[]> =>
  repo.query<SpecimenRow>('SELECT * FROM pathology_specimen WHERE tenant = $1 AND task_id = $2 ORDER BY created_at, label', [
    repo.tenant,
    taskId,
  ]);

export async function insertPicture(tx: Repository, row: PictureRow): Promise<void> {
  await tx.query(
    `INSERT INTO pathology_picture (tenant, media_id, task_id, specimen_id, kind, title, content_type, size, in_report, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [tx.tenant, row.media_id, row.task_id, row.specimen_id, row.kind, row.title, row.content_type, row.size, row.in_report, row.created_at],
  );
}

export const picturesOf = (repo: Repository, taskId: string): Promise<PictureRow[]> =>
  repo.query<PictureRow>('SELECT * FROM pathology_picture WHERE tenant = $1 AND task_id = $2 ORDER BY created_at, media_id', [
    repo.tenant,
    taskId,
  ]);

export async function setPictureInReport(tx: Repository, taskId: string, mediaId: string, inReport: boolean): Promise<boolean> {
  const rows = await tx.query<{ media_id: string }>(
    'UPDATE pathology_picture SET in_report = $4 WHERE tenant = $1 AND task_id = $2 AND media_id = $3 RETURNING media_id',
    [tx.tenant, taskId, mediaId, inReport],
  );
  return rows.length > 0;
}
