/** The ECG centre's index of tracings (migration 0016_ecg.sql, table ecg_tracing), written with the FHIR resources. */
import type { Repository } from '../../platform/fhir/repository.js';
import type { MeasurementKey } from './model.js';

export interface TracingRow {
  observation: string;
  task_id: string;
  document_reference: string;
  format: string;
  sample_rate: number;
  seconds: number;
  acquired_at: string | Date | null;
  uploaded_at: string | Date;
  measurements: Partial<Record<MeasurementKey, string>>;
}

export async function insertTracing(tx: Repository, row: TracingRow): Promise<void> {
  await tx.query(
    `INSERT INTO ecg_tracing (tenant, observation, task_id, document_reference, format, sample_rate, seconds, acquired_at, uploaded_at, measurements)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      tx.tenant,
      row.observation,
      row.task_id,
      row.document_reference,
      row.format,
      row.sample_rate,
      row.seconds,
      row.acquired_at,
      row.uploaded_at,
      JSON.stringify(row.measurements),
    ],
  );
}

/** The latest tracing of a case (a new upload after a QC rejection replaces the earlier one on the case page). */
export async function latestTracing(repo: Repository, taskId: string): Promise<TracingRow | undefined> {
  const rows = await repo.query<Omit<TracingRow, 'measurements'> & { measurements: string }>(
    'SELECT * FROM ecg_tracing WHERE tenant = $1 AND task_id = $2 ORDER BY uploaded_at DESC LIMIT 1',
    [repo.tenant, taskId],
  );
  const r = rows[0];
  return r ? { ...r, sample_rate: Number(r.sample_rate), seconds: Number(r.seconds), measurements: JSON.parse(r.measurements) } : undefined;
}

export async function setMeasurements(tx: Repository, observation: string, measurements: TracingRow['measurements']): Promise<void> {
  await tx.query('UPDATE ecg_tracing SET measurements = $3 WHERE tenant = $1 AND observation = $2', [
    tx.tenant,
    observation,
    JSON.stringify(measurements),
  ]);
}
