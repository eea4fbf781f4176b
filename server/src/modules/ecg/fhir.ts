/**
 * The tracing in FHIR, as FHIR's own ECG example models it: one Observation (LOINC 11524-6 EKG study) with a
 * component per lead (MDC code) holding valueSampledData (origin and factor in µV, period in ms, one dimension), the
 * measurements as Observations of their LOINC codes derived from it, and the original file kept unchanged in a
 * DocumentReference (attachment data with its content type, size, SHA-1 hash, file name; in the resident's compartment,
 * so it follows the record's access rules, which a Binary would not) that the tracing Observation derives from.
 */
import { createHash } from 'node:crypto';
import type { DocumentReference, Observation } from '@medplum/fhirtypes';
import { LEADS, MDC_LEAD, MEASUREMENTS, SYSTEMS, TRACING_CODE, type MeasurementKey } from './model.js';
import type { Tracing } from './tracing.js';

/** Whom and which request the resources are for ('Patient/…', 'ServiceRequest/…'), who recorded them and when. */
export interface TracingContext {
  subject: string;
  request: string;
  performer?: string;
  at: string;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

export function buildDocumentReference(
  file: Buffer,
  contentType: string,
  filename: string | undefined,
  t: Tracing,
  ctx: TracingContext,
): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [TRACING_CODE], text: '心电图原始文件 (original ECG file)' },
    subject: { reference: ctx.subject },
    date: ctx.at,
    ...(ctx.performer ? { author: [{ reference: ctx.performer }] } : {}),
    description: `${t.format.toUpperCase()} ${LEADS.length}-lead ECG, ${t.sampleRate} Hz`,
    content: [
      {
        attachment: {
          contentType,
          data: file.toString('base64'),
          size: file.length,
          hash: createHash('sha1').update(file).digest('base64'),
          ...(filename ? { title: filename } : {}),
          creation: t.acquiredAt ?? ctx.at,
        },
        format: { system: 'urn:yiwang:ecg-format', code: t.format },
      },
    ],
    context: { related: [{ reference: ctx.request }] },
  };
}

export function buildTracingObservation(t: Tracing, documentReference: string, ctx: TracingContext): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'procedure', display: 'Procedure' }] }],
    code: { coding: [TRACING_CODE], text: '十二导联心电图' },
    subject: { reference: ctx.subject },
    basedOn: [{ reference: ctx.request }],
    effectiveDateTime: t.acquiredAt ?? ctx.at,
    issued: ctx.at,
    ...(ctx.performer ? { performer: [{ reference: ctx.performer }] } : {}),
    ...(t.device ? { device: { display: t.device } } : {}),
    derivedFrom: [{ reference: documentReference }],
    component: LEADS.map((lead) => ({
      code: {
        coding: [{ system: SYSTEMS.mdc, code: MDC_LEAD[lead].code, display: MDC_LEAD[lead].mdc.replace('_LEAD_', '_ELEC_POTL_') }],
        text: lead,
      },
      valueSampledData: {
        origin: { value: round(t.origin), unit: 'uV', system: SYSTEMS.ucum, code: 'uV' },
        period: round(1000 / t.sampleRate),
        factor: round(t.factor),
        dimensions: 1,
        data: t.leads[lead].join(' '),
      },
    })),
  };
}

/**
 * A measurement (HR, PR, QRS, QT, QTc) of a tracing: preliminary until the report is signed, so a device's QTc does not
 * raise a critical value before a reader has confirmed it (the signing finalises it; then the critical-value
 * catalogue judges it).
 */
export function buildMeasurement(
  key: MeasurementKey,
  value: number,
  tracing: string,
  ctx: TracingContext & { source: 'device' | 'reader' },
): Observation {
  const m = MEASUREMENTS[key];
  return {
    resourceType: 'Observation',
    status: 'preliminary',
    category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'procedure', display: 'Procedure' }] }],
    code: { coding: [{ system: SYSTEMS.loinc, code: m.code, display: m.display }], text: m.zh },
    subject: { reference: ctx.subject },
    basedOn: [{ reference: ctx.request }],
    effectiveDateTime: ctx.at,
    issued: ctx.at,
    ...(ctx.performer ? { performer: [{ reference: ctx.performer }] } : {}),
    valueQuantity: { value, unit: m.unit, system: SYSTEMS.ucum, code: m.unit },
    method: { text: ctx.source === 'device' ? '设备自动测量 (device)' : '诊断医生测量 (reader)' },
    derivedFrom: [{ reference: tracing }],
  };
}

/** The samples of a tracing Observation back as numbers per lead (for the case page's drawing). */
export function leadsOf(obs: Observation): { lead: string; origin: number; factor: number; periodMs: number; data: number[] }[] {
  return (obs.component ?? []).map((c) => ({
    lead: c.code.text ?? c.code.coding?.[0]?.code ?? '?',
    origin: c.valueSampledData?.origin.value ?? 0,
    factor: c.valueSampledData?.factor ?? 1,
    periodMs: c.valueSampledData?.period ?? 1,
    data: (c.valueSampledData?.data ?? '').split(' ').filter(Boolean).map(Number),
  }));
}
