/**
 * Applies the FHIR result of a mapped HL7 v2 message inside the caller's database transaction:
 * a transaction Bundle through the store's bundle processing (platform/fhir/transaction.ts), or an
 * ADT^A40 merge through the resident index. Errors are thrown; the caller rolls back and turns them
 * into ERR segments with `issuesFromError`.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { FhirError } from '../../fhir/outcomes.js';
import type { Repository } from '../../fhir/repository.js';
import { conditionalMatches } from '../../fhir/router.js';
import { processBundle } from '../../fhir/transaction.js';
import { Hl7ErrorCode, type Hl7Issue, type Hl7Location } from './errors.js';
import type { MergeInstruction } from './map-adt.js';
import type { LoggedResource } from './message-log.js';

/** `mergePatients` of platform/identity/empi/merge.ts. */
export type MergePatients = (
  repo: Repository,
  args: { sourceId: string; targetId: string; reason?: string; by?: string },
) => Promise<unknown>;

/** An application-level problem found while applying (becomes an AE with this ERR). */
export class ApplyError extends Error implements Hl7Issue {
  constructor(
    readonly code: number,
    message: string,
    readonly location?: Hl7Location,
  ) {
    super(message);
  }
}

/**
 * Serialises messages that touch the same keys (the message itself and every conditional URL), so
 * two messages for a new patient arriving at once on PostgreSQL cannot both create it. Sorted, so
 * two transactions always take their locks in the same order.
 */
export async function lockKeys(tx: Repository, keys: string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (!sorted.length) return;
  await tx.query('SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k', [
    sorted.map((k) => `hl7|${tx.tenant}|${k}`),
  ]);
}

/** Conditional URLs of a bundle (the identity keys its entries are written under). */
export function conditionalKeys(bundle: Bundle): string[] {
  return (bundle.entry ?? []).flatMap((e) => {
    const r = e.request;
    if (!r) return [];
    if (r.method === 'PUT' && r.url.includes('?')) return [r.url];
    if (r.method === 'POST' && r.ifNoneExist) return [`${r.url}?${r.ifNoneExist}`];
    return [];
  });
}

const HISTORY = /([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})\/_history\/\d+$/;

/** Runs the bundle as one FHIR transaction in `tx`; returns what each entry did. */
export async function applyBundle(tx: Repository, bundle: Bundle, baseUrl: string): Promise<LoggedResource[]> {
  const requests = (bundle.entry ?? []).map((e) => e.request?.method);
  const response = await processBundle(tx, bundle, { baseUrl });
  return (response.entry ?? []).flatMap((e: BundleEntry, i) => {
    const m = HISTORY.exec(e.response?.location ?? '');
    if (!m) return [];
    const status = e.response?.status ?? '';
    const outcome: LoggedResource['outcome'] = status.startsWith('201') ? 'created' : requests[i] === 'POST' ? 'existing' : 'updated';
    return [{ reference: `${m[1]}/${m[2]}`, outcome }];
  });
}

async function patientId(tx: Repository, conditional: string, baseUrl: string, location: Hl7Location, what: string): Promise<string> {
  const query = conditional.slice(conditional.indexOf('?') + 1);
  const ids = await conditionalMatches(tx, 'Patient', query, baseUrl);
  if (ids.length === 0) throw new ApplyError(Hl7ErrorCode.UnknownKeyIdentifier, `${what} patient not found (${query})`, location);
  if (ids.length > 1)
    throw new ApplyError(
      Hl7ErrorCode.DuplicateKeyIdentifier,
      `${what} patient identifier matches more than one patient (${query})`,
      location,
    );
  return ids[0]!;
}

/**
 * ADT^A40: for each PID/MRG pair, updates the surviving patient from PID (created when missing, as
 * an ADT would), then merges the MRG patient into it through the resident index.
 */
export async function applyMerge(
  tx: Repository,
  merge: MergeInstruction,
  baseUrl: string,
  mergePatients: MergePatients,
): Promise<LoggedResource[]> {
  const out: LoggedResource[] = [];
  let n = 0;
  for (const m of merge.merges) {
    n++;
    const sourceId = await patientId(tx, m.mergedReference, baseUrl, { segment: 'MRG', sequence: n, field: 1 }, 'Merged (MRG-1)');
    const url = m.survivingReference;
    const written = await applyBundle(
      tx,
      { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: m.patient, request: { method: 'PUT', url } }] },
      baseUrl,
    );
    const targetId = await patientId(tx, url, baseUrl, { segment: 'PID', sequence: n, field: 3 }, 'Surviving (PID-3)');
    if (sourceId === targetId)
      throw new ApplyError(Hl7ErrorCode.DuplicateKeyIdentifier, 'PID-3 and MRG-1 name the same patient', {
        segment: 'MRG',
        sequence: n,
        field: 1,
      });
    await mergePatients(tx, { sourceId, targetId, reason: `HL7 v2 ADT^A40, MSH-10 ${merge.controlId}`, by: `hl7v2:${merge.sender}` });
    out.push(...written, { reference: `Patient/${sourceId}`, outcome: 'merged' });
  }
  if (!merge.merges.length)
    throw new ApplyError(Hl7ErrorCode.RequiredFieldMissing, 'No PID/MRG pair with identifiers to merge', { segment: 'MRG', field: 1 });
  return out;
}

/** The segment a resource type is mapped from, to point ERR-2 at it when a write is refused. */
const SEGMENT_OF: Record<string, string> = {
  Patient: 'PID',
  Encounter: 'PV1',
  Observation: 'OBX',
  DiagnosticReport: 'OBR',
  ServiceRequest: 'ORC',
  Appointment: 'SCH',
  Practitioner: 'PV1',
  Location: 'PV1',
};

const FHIR_STATUS_CODE: Record<number, number> = {
  400: Hl7ErrorCode.DataType,
  404: Hl7ErrorCode.UnknownKeyIdentifier,
  409: Hl7ErrorCode.ApplicationRecordLocked,
  412: Hl7ErrorCode.DuplicateKeyIdentifier,
  422: Hl7ErrorCode.DataType,
};

/** ERR content for an error thrown while applying: what the store refused, and in which resource. */
export function issuesFromError(err: unknown, bundle?: Bundle): Hl7Issue[] {
  if (err instanceof ApplyError) return [{ code: err.code, message: err.message, location: err.location, severity: 'E' }];
  if (err instanceof FhirError) {
    const code = FHIR_STATUS_CODE[err.status] ?? Hl7ErrorCode.ApplicationInternalError;
    return err.issues
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => {
        const where = i.expression?.find((e) => e.startsWith('Bundle.entry[')) ?? i.expression?.[0] ?? '';
        const index = /^Bundle\.entry\[(\d+)\]/.exec(where);
        const type = index ? bundle?.entry?.[Number(index[1])]?.resource?.resourceType : undefined;
        const path = i.expression?.find((e) => !e.startsWith('Bundle.'));
        const text = i.details?.text ?? i.diagnostics ?? i.code;
        const segment = type ? SEGMENT_OF[type] : undefined;
        return {
          code,
          message: `${type ? `${type}: ` : ''}${text}${path && !text.includes(path) ? ` (${path})` : ''}`,
          ...(segment ? { location: { segment } } : {}),
          severity: 'E' as const,
        };
      });
  }
  // Not something the message can fix (database down, bug): say so without internals.
  return [
    {
      code: Hl7ErrorCode.ApplicationInternalError,
      message: 'The message could not be stored (internal error); it may be resent',
      severity: 'E',
    },
  ];
}
