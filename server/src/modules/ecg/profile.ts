/**
 * The ECG centre as a reading centre (modules/reading/profile.ts): report category EC, the dated statements and
 * templates, the tracing and its measurements as the report's results (finalised when the report is signed, so the
 * critical-value catalogue then judges a QTc), SNOMED CT next to the Yiwang code of each statement, the chest-pain
 * record opened by a STEMI statement, the tracing for the case page's drawing and for the printed report (print.ts).
 */
import type { CodeableConcept, DiagnosticReport, DocumentReference, Observation, ServiceRequest } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import { nameOf, readRef } from '../../platform/fhir/lookup.js';
import type { ReadingCase } from '../reading/cases.js';
import { readOptional } from '../reading/fhir.js';
import { CRITICAL_FINDING_SYSTEM, type CentreProfile } from '../reading/profile.js';
import { leadsOf } from './fhir.js';
import { ecgIdentity } from './identity.js';
import { catalogueOn, MEASUREMENT_KEYS, MEASUREMENTS, SYSTEMS, type MeasurementKey } from './model.js';
import { drawTracing } from './print.js';
import { openRecord, recordOfTask } from './chest-pain/record.js';
import { closeFromTask } from './chest-pain/close.js';
import { latestTracing, type TracingRow } from './tracings.js';

const STEMI = `${CRITICAL_FINDING_SYSTEM}|stemi`;
const hasStemi = (r: DiagnosticReport) => (r.conclusionCode ?? []).some((c) => c.coding?.some((x) => `${x.system}|${x.code}` === STEMI));
const iso = (v: string | Date | null | undefined) => (v ? new Date(v).toISOString() : undefined);

/** Each statement's SNOMED CT concept next to its Yiwang code (computed again from the codes on every version). */
function withSnomed(conclusions: CodeableConcept[], at: Date): CodeableConcept[] {
  const statements = catalogueOn(at).statements;
  // A report signed unchanged comes back with its codings flattened (reading/service.ts reportInputOf): the SNOMED
  // ones alone are dropped here and put back next to their statement.
  return conclusions.flatMap((cc) => {
    const own = cc.coding?.filter((x) => x.system !== SYSTEMS.snomed) ?? [];
    if (!own.length) return [];
    const s = statements.find((st) => own.some((x) => x.system === st.system && x.code === st.code));
    return [s?.snomed ? { ...cc, coding: [...own, { system: SYSTEMS.snomed, code: s.snomed, display: s.en }] } : { ...cc, coding: own }];
  });
}

type Values = Partial<Record<MeasurementKey, number>>;

/** The current values of a tracing's measurements, read through `repo`. */
async function measurementValues(repo: Repository, tracing: TracingRow | undefined): Promise<Values> {
  const values: Values = {};
  for (const [key, ref] of Object.entries(tracing?.measurements ?? {})) {
    const m = await readOptional<Observation>(repo, ref);
    if (typeof m?.valueQuantity?.value === 'number') values[key as MeasurementKey] = m.valueQuantity.value;
  }
  return values;
}

/**
 * What completeReport read for the report it returned: the PDF of that report is drawn next, in the same transaction
 * (reading/service.ts), and takes the tracing and the measurements from here instead of reading them again.
 */
const completed = new WeakMap<DiagnosticReport, { tracing: TracingRow; values: Values }>();

export function makeEcgProfile(notifier: Notifier, now: () => Date): CentreProfile {
  return {
    ...ecgIdentity,
    catalogue(at) {
      const c = catalogueOn(at);
      return { version: c.version, templates: c.templates, conclusions: c.statements };
    },

    async completeReport(tx, c, report) {
      const tracing = await latestTracing(tx, c.task_id);
      const out: DiagnosticReport = { ...report, conclusionCode: withSnomed(report.conclusionCode ?? [], now()) };
      if (!tracing) return out;
      const measurements = Object.values(tracing.measurements);
      const signed = report.status === 'final' || report.status === 'amended';
      const values: Values = {};
      for (const [key, ref] of Object.entries(tracing.measurements) as [MeasurementKey, string][]) {
        const m = await readOptional<Observation>(tx, ref);
        if (typeof m?.valueQuantity?.value === 'number') values[key] = m.valueQuantity.value;
        // Signed: the measurements become final with the report (the critical-value loop judges them then).
        if (signed && m?.status === 'preliminary')
          await tx.update('Observation', m.id as string, { ...m, status: 'final', issued: report.issued }, { ifMatch: m.meta?.versionId });
      }
      const done: DiagnosticReport = {
        ...out,
        effectiveDateTime: iso(tracing.acquired_at) ?? iso(tracing.uploaded_at)!,
        result: [tracing.observation, ...measurements].map((reference) => ({ reference })),
      };
      completed.set(done, { tracing, values });
      return done;
    },

    async reportWritten(tx, c, report) {
      if (!hasStemi(report)) {
        if (report.status === 'final' || report.status === 'amended') await closeFromTask(tx, c.task_id, now());
        return;
      }
      const sr = (await tx.read('ServiceRequest', c.service_request.split('/')[1]!)) as ServiceRequest;
      const tracing = await latestTracing(tx, c.task_id);
      const patient = await readRef(tx, c.patient);
      await openRecord(tx, notifier, {
        patient: c.patient,
        task: c.task_id,
        report: `DiagnosticReport/${report.id}`,
        requesterOrg: c.requester_org,
        ...(sr.requester?.reference ? { requester: sr.requester.reference } : {}),
        ecgCentre: c.owner_org,
        at: now().toISOString(),
        known: {
          ...(tracing?.acquired_at ? { 'first-ecg': iso(tracing.acquired_at)! } : {}),
          ...(tracing ? { 'ecg-transmitted': iso(tracing.uploaded_at)! } : {}),
          'ecg-diagnosed': report.issued ?? now().toISOString(),
        },
        ...(patient ? { patientName: nameOf(patient) } : {}),
      });
    },

    /** The tracing on a landscape page of the PDF, headed by its speed, rate and measurements. */
    async printedDrawing(tx, c, report) {
      const known = completed.get(report);
      const tracing = known ? known.tracing : await latestTracing(tx, c.task_id);
      const obs = await readOptional<Observation>(tx, tracing?.observation);
      if (!tracing || !obs) return undefined;
      const leads = leadsOf(obs);
      const values = known ? known.values : await measurementValues(tx, tracing);
      const measured = MEASUREMENT_KEYS.filter((k) => values[k] !== undefined).map(
        (k) => `${MEASUREMENTS[k].zh} ${values[k]} ${MEASUREMENTS[k].unit}`,
      );
      return {
        title: [`十二导联心电图 12-lead ECG (${tracing.sample_rate} Hz, ${tracing.seconds} s)`, ...measured].join('  '),
        draw: (doc, area) => drawTracing(doc, area, leads),
      };
    },

    async caseDetail(repo: Repository, c: ReadingCase) {
      const tracing = await latestTracing(repo, c.task_id);
      const obs = await readOptional<Observation>(repo, tracing?.observation);
      const values = await measurementValues(repo, tracing);
      const original = await readOptional<DocumentReference>(repo, tracing?.document_reference);
      return {
        tracing:
          obs && tracing
            ? {
                observation: tracing.observation,
                format: tracing.format,
                sampleRate: tracing.sample_rate,
                seconds: tracing.seconds,
                acquiredAt: iso(tracing.acquired_at) ?? null,
                leads: leadsOf(obs),
              }
            : null,
        measurements: values,
        measurementItems: MEASUREMENTS,
        original: original ? { documentReference: `DocumentReference/${original.id}`, attachment: original.content[0]?.attachment } : null,
        chestPain: await recordOfTask(repo, c.task_id, now()),
      };
    },
  };
}
