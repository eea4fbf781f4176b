/**
 * Audit records of FHIR interactions with personal data (等保 / 个人信息保护法): one row per resident
 * touched, so "who accessed my record" is a simple lookup, plus one row for a search or a refused
 * attempt that touched nobody. Reads of reference data (institutions, staff, catalogues) are not personal
 * data and are not recorded.
 *
 * Residents are found in the response (and in the request body of writes) by their references, without
 * parsing stored JSON: `"reference":"Patient/…"` and the ids of Patient resources.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Principal } from '../auth/service.js';
import type { AuditAction, AuditInput, AuditOutcome } from '../audit/types.js';
import { RawJson } from '../fhir/raw.js';
import { isPatientData } from './filter.js';

export interface FhirAccessEvent {
  principal: Principal;
  method: string;
  /** Path below the FHIR base ('Patient/1/$everything'). */
  path: string;
  /** The raw query string, if any. */
  queryString?: string;
  status: number;
  requestBody?: unknown;
  responseBody?: Resource | RawJson;
  breakGlassReason?: string;
  purpose?: string;
  sourceIp?: string;
  recorded?: Date;
}

/** Residents per request beyond this are summarised in one row (a bulk-sized search page). */
export const MAX_RESIDENT_ROWS = 1000;
const MAX_RESOURCES_PER_ROW = 50;

const PATIENT_REF = /"reference":"Patient\/([A-Za-z0-9\-.]{1,64})"/g;
const RESOURCE_HEAD = /"resourceType":"([A-Z][A-Za-z]+)","id":"([A-Za-z0-9\-.]{1,64})"/g;

function actionOf(method: string, segments: string[]): { action: AuditAction; detail?: string } {
  const [type, id, third, fourth] = segments;
  const op = segments.find((s) => s.startsWith('$'));
  if (op) return { action: op === '$everything' ? 'read' : op === '$export' ? 'export' : 'search-type', detail: op };
  if (!type) return { action: 'update', detail: 'batch/transaction' };
  if (method === 'GET' && type === '_history') return { action: 'history' };
  if (method === 'POST' && id === '_search') return { action: 'search-type' };
  if (method === 'POST') return { action: 'create' };
  if (method === 'PUT' || method === 'PATCH') return { action: 'update' };
  if (method === 'DELETE') return { action: 'delete' };
  if (id === '_history' || third === '_history') return { action: fourth ? 'vread' : 'history' };
  if (id && third) return { action: 'search-type', detail: `compartment ${type}/${id}` };
  return { action: id ? 'read' : 'search-type' };
}

function textOf(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (body instanceof RawJson) return body.text;
  try {
    return JSON.stringify(body);
  } catch {
    return '';
  }
}

/** Patient ids and `Type/id` of the resources in a response or request text. */
function scan(text: string, residents: Set<string>, resources: Map<string, string[]>): void {
  for (const m of text.matchAll(RESOURCE_HEAD)) {
    const ref = `${m[1]}/${m[2]}`;
    if (m[1] === 'Patient') residents.add(m[2]!);
    if (m[1] !== 'Bundle' && m[1] !== 'OperationOutcome') resources.set(ref, []);
  }
  for (const m of text.matchAll(PATIENT_REF)) residents.add(m[1]!);
}

/** Search parameters whose values are identity data: the trail keeps them masked, never in clear. */
const IDENTITY_PARAMS = /^(?:.*\.)?(identifier|phone|telecom|email)(?::[a-z-]+)?$/;

/** The query string with identity values masked (`identifier=sys|5001**********1234`). */
export function redactQuery(queryString: string): string {
  return queryString
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      let value = pair.slice(eq + 1);
      try {
        name = decodeURIComponent(name);
        value = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        // keep the raw text
      }
      if (!IDENTITY_PARAMS.test(name)) return pair;
      const masked = value
        .split(',')
        .map((v) => {
          const bar = v.lastIndexOf('|');
          const [system, code] = bar >= 0 ? [v.slice(0, bar + 1), v.slice(bar + 1)] : ['', v];
          const chars = [...code];
          const shown =
            chars.length > 8
              ? chars.slice(0, 4).join('') + '*'.repeat(chars.length - 8) + chars.slice(-4).join('')
              : '*'.repeat(chars.length);
          return system + shown;
        })
        .join(',');
      return `${name}=${masked}`;
    })
    .join('&');
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 0;
  return status >= 500 ? 8 : 4;
}

/** The audit rows for one interaction; empty when no personal data was involved. */
export function accessAuditInputs(e: FhirAccessEvent): AuditInput[] {
  const segments = e.path.split('/').filter(Boolean);
  const [type, id] = segments;
  if (type === 'metadata') return [];
  const residents = new Set<string>();
  const resources = new Map<string, string[]>();
  if (type === 'Patient' && id && !id.startsWith('$') && !id.startsWith('_')) residents.add(id);
  scan(textOf(e.responseBody), residents, resources);
  if (e.method !== 'GET') scan(textOf(e.requestBody), residents, new Map());
  const personal = residents.size > 0 || (type !== undefined && !type.startsWith('$') && !type.startsWith('_') && isPatientData(type));
  if (!personal && e.status < 400) return [];
  if (!personal && !type) return [];

  const { action, detail } = actionOf(e.method.toUpperCase(), segments);
  const p = e.principal;
  const base: AuditInput = {
    tenant: p.tenant,
    action,
    outcome: outcomeOf(e.status),
    userId: p.practitionerId ? `Practitioner/${p.practitionerId}` : p.patientId ? `Patient/${p.patientId}` : p.subject,
    userDisplay: p.username ?? p.subject,
    role: p.roles.join(','),
    institution: p.organizationId,
    query: e.queryString ? `${e.path}?${redactQuery(e.queryString)}` : undefined,
    purpose: e.purpose,
    breakGlassReason: e.breakGlassReason,
    sourceIp: e.sourceIp,
    detail: [detail, e.status >= 400 ? `HTTP ${e.status}` : undefined].filter(Boolean).join('; ') || undefined,
    recorded: e.recorded,
  };
  const allResources = [...resources.keys()];
  if (!residents.size) return [{ ...base, resources: allResources.slice(0, MAX_RESOURCES_PER_ROW) }];

  // Which resources belong to which resident is not known without parsing; each row lists the resident's
  // Patient resource and the first resources of the answer, enough to find the interaction again.
  const list = [...residents];
  const rows: AuditInput[] = list.slice(0, MAX_RESIDENT_ROWS).map((patientId) => ({
    ...base,
    patientId,
    resources: allResources.slice(0, MAX_RESOURCES_PER_ROW),
  }));
  if (list.length > MAX_RESIDENT_ROWS) {
    rows.push({
      ...base,
      resources: [],
      detail: `${list.length - MAX_RESIDENT_ROWS} more residents in this answer (not listed one by one)`,
    });
  }
  return rows;
}
