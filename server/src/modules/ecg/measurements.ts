/**
 * Measurements the reader enters or corrects (HR, PR, QRS, QT, QTc) while reporting: each a preliminary Observation
 * of its LOINC code derived from the tracing (fhir.ts buildMeasurement); a corrected value is a new version of the same
 * Observation. The report lists them as results; signing finalises them.
 */
import type { Observation } from '@medplum/fhirtypes';
import { badRequest, conflict, forbidden } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { ReadingService } from '../reading/service.js';
import { buildMeasurement } from './fhir.js';
import { MEASUREMENT_KEYS, MEASUREMENTS, type MeasurementKey } from './model.js';
import { latestTracing, setMeasurements } from './tracings.js';

export function parseMeasurements(body: unknown): Partial<Record<MeasurementKey, number>> {
  const b = (body ?? {}) as Record<string, unknown>;
  const out: Partial<Record<MeasurementKey, number>> = {};
  for (const [key, v] of Object.entries(b)) {
    if (!MEASUREMENT_KEYS.includes(key as MeasurementKey))
      throw badRequest(`Unknown measurement '${key}' (${MEASUREMENT_KEYS.join(', ')})`, key);
    const m = MEASUREMENTS[key as MeasurementKey];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < m.min || v > m.max)
      throw badRequest(`'${key}' (${m.zh}) must be a number ${m.min}–${m.max} ${m.unit} (测量值超出范围)`, key);
    out[key as MeasurementKey] = v;
  }
  if (!Object.keys(out).length) throw badRequest(`Send at least one of ${MEASUREMENT_KEYS.join(', ')} (请填写测量值)`);
  return out;
}

export async function enterMeasurements(
  service: ReadingService,
  repo: Repository,
  actor: Actor,
  taskId: string,
  values: Partial<Record<MeasurementKey, number>>,
  now: Date,
): Promise<void> {
  const { c, side } = await service.visibleCase(repo, actor, taskId);
  if (side !== 'centre' || !actor.practitionerId)
    throw forbidden("Only the centre's readers enter measurements (只有诊断中心医生可以填写测量值)");
  if (c.signed_at) throw conflict('The report is signed; revise it instead (报告已签发)');
  await repo.withTransaction(async (tx) => {
    const tracing = await latestTracing(tx, taskId);
    if (!tracing) throw conflict('No tracing has arrived yet (尚未上传心电图)');
    const refs = { ...tracing.measurements };
    const ctx = {
      subject: c.patient,
      request: c.service_request,
      at: now.toISOString(),
      performer: `Practitioner/${actor.practitionerId}`,
      source: 'reader' as const,
    };
    for (const [key, value] of Object.entries(values) as [MeasurementKey, number][]) {
      const fresh = buildMeasurement(key, value, tracing.observation, ctx);
      const ref = refs[key];
      if (ref) {
        const old = (await tx.read('Observation', ref.split('/')[1]!)) as Observation;
        await tx.update('Observation', old.id as string, { ...fresh, id: old.id }, { ifMatch: old.meta?.versionId });
      } else refs[key] = `Observation/${((await tx.create(fresh)).resource as Observation).id}`;
    }
    await setMeasurements(tx, tracing.observation, refs);
  });
}
