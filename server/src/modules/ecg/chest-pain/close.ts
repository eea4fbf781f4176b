/**
 * A chest-pain record opened by a preliminary STEMI statement that the signed report no longer carries (returned and
 * corrected) is cancelled: the time-line stays in the record's history, the list no longer shows it open.
 */
import type { EpisodeOfCare } from '@medplum/fhirtypes';
import type { Repository } from '../../../platform/fhir/repository.js';

export async function closeFromTask(tx: Repository, taskId: string, now: Date): Promise<void> {
  const rows = await tx.query<{ id: string }>(`SELECT id FROM chest_pain_record WHERE tenant = $1 AND task_id = $2 AND status = 'active'`, [
    tx.tenant,
    taskId,
  ]);
  for (const { id } of rows) {
    const e = (await tx.read('EpisodeOfCare', id)) as EpisodeOfCare;
    await tx.update(
      'EpisodeOfCare',
      id,
      { ...e, status: 'cancelled', period: { ...e.period, end: now.toISOString() } },
      { ifMatch: e.meta?.versionId },
    );
    await tx.query(`UPDATE chest_pain_record SET status = 'cancelled', closed_at = $3 WHERE tenant = $1 AND id = $2`, [
      tx.tenant,
      id,
      now.toISOString(),
    ]);
  }
}
