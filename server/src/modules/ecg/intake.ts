/**
 * Intake of a tracing for an ECG request (POST /api/ecg/requests/:id/tracing): the file is parsed and checked first
 * (format, twelve leads, sample rate — a 400 names what is wrong, nothing is written); the request must be the caller's
 * institution's and active; demographics in the file must not contradict the requested resident; then one database
 * transaction writes the original file (DocumentReference), the tracing Observation, the device's
 * measurements, the index row and the workflow step (to the centre's worklist). A failure anywhere writes nothing.
 */
import type { DocumentReference, Observation, Patient } from '@medplum/fhirtypes';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import { caseOfRequest, updateCase } from '../reading/cases.js';
import { materialArrived, ownActiveRequest } from '../reading/request.js';
import { buildDocumentReference, buildMeasurement, buildTracingObservation, type TracingContext } from './fhir.js';
import { ecgIdentity } from './identity.js';
import { MEASUREMENT_KEYS, type MeasurementKey } from './model.js';
import { parseTracing } from './parse.js';
import { isEcgRequest } from './request.js';
import { durationOf, type Tracing } from './tracing.js';
import { insertTracing } from './tracings.js';

export interface Upload {
  file: Buffer;
  contentType: string;
  filename?: string;
  sampleRate?: number;
  unit?: string;
}

export interface IntakeResult {
  task: string;
  observation: string;
  documentReference: string;
  format: Tracing['format'];
  leads: number;
  sampleRate: number;
  seconds: number;
  measurements: Partial<Record<MeasurementKey, string>>;
}

const HAN = /[\u3400-\u9fff]/;

/**
 * What the file says about its patient against the requested resident: a birth date, a sex or a Chinese name that
 * differs refuses the upload (never attached to a guess); an anonymised file (no name, 'Anonymous') is accepted on the
 * request's word, as the uploader chose the request.
 */
export function demographicConflict(patient: Patient, file: Tracing['patient']): string | undefined {
  if (!file) return undefined;
  if (file.birthDate && patient.birthDate && file.birthDate !== patient.birthDate)
    return `birth date ${file.birthDate} ≠ ${patient.birthDate} (出生日期不符)`;
  if (file.gender && patient.gender && ['male', 'female'].includes(patient.gender) && file.gender !== patient.gender)
    return `sex ${file.gender} ≠ ${patient.gender} (性别不符)`;
  const name = patient.name?.[0];
  const resident = name?.text ?? `${name?.family ?? ''}${(name?.given ?? []).join('')}`;
  if (file.name && HAN.test(file.name) && resident && file.name.replace(/\s/g, '') !== resident.replace(/\s/g, ''))
    return `name ${file.name} ≠ the requested resident (姓名不符)`;
  return undefined;
}

export class EcgIntake {
  constructor(
    private readonly engine: WorkflowEngine,
    private readonly now: () => Date,
  ) {}

  async upload(repo: Repository, system: Repository, actor: Actor, requestRef: string, upload: Upload): Promise<IntakeResult> {
    const tracing = parseTracing(upload.file, {
      ...(upload.sampleRate ? { sampleRate: upload.sampleRate } : {}),
      ...(upload.unit ? { unit: upload.unit } : {}),
    });
    const sr = await ownActiveRequest(repo, actor, requestRef, ecgIdentity, isEcgRequest);
    const patient = (await system.read('Patient', (sr.subject?.reference ?? '').replace('Patient/', ''))) as Patient;
    const conflict = demographicConflict(patient, tracing.patient);
    if (conflict)
      throw badRequest(
        `The ECG file's patient does not match the requested resident: ${conflict}; nothing was stored — 心电图文件的患者信息与申请居民不符，未保存`,
        'file',
      );
    const at = this.now().toISOString();
    const ctx: TracingContext = {
      subject: sr.subject?.reference as string,
      request: `ServiceRequest/${sr.id}`,
      at,
      ...(actor.practitionerId ? { performer: `Practitioner/${actor.practitionerId}` } : {}),
    };
    return repo.withTransaction(async (tx) => {
      const c = await caseOfRequest(tx, `ServiceRequest/${sr.id}`);
      if (!c) throw badRequest(`ServiceRequest/${sr.id} has no ECG case (申请没有对应的心电病例)`, 'request');
      const doc = (await tx.create(buildDocumentReference(upload.file, upload.contentType, upload.filename, tracing, ctx)))
        .resource as DocumentReference;
      const obs = (await tx.create(buildTracingObservation(tracing, `DocumentReference/${doc.id}`, ctx))).resource as Observation;
      const measurements: IntakeResult['measurements'] = {};
      for (const key of MEASUREMENT_KEYS) {
        const value = tracing.measurements[key];
        if (value === undefined) continue;
        const m = (await tx.create(buildMeasurement(key, value, `Observation/${obs.id}`, { ...ctx, source: 'device' })))
          .resource as Observation;
        measurements[key] = `Observation/${m.id}`;
      }
      await insertTracing(tx, {
        observation: `Observation/${obs.id}`,
        task_id: c.task_id,
        document_reference: `DocumentReference/${doc.id}`,
        format: tracing.format,
        sample_rate: tracing.sampleRate,
        seconds: durationOf(tracing),
        acquired_at: tracing.acquiredAt ?? null,
        uploaded_at: at,
        measurements,
      });
      await updateCase(tx, c.task_id, { images_at: at });
      await materialArrived(this.engine, tx, actor, c.task_id, {
        zh: `已上传心电图（${tracing.format.toUpperCase()}，12导联）`,
        en: 'ECG tracing received',
      });
      return {
        task: c.task_id,
        observation: `Observation/${obs.id}`,
        documentReference: `DocumentReference/${doc.id}`,
        format: tracing.format,
        leads: 12,
        sampleRate: tracing.sampleRate,
        seconds: durationOf(tracing),
        measurements,
      };
    });
  }
}
