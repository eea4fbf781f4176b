/** FHIR helpers: searches, $everything over all its pages, the institution registry (cached). */
import type { Bundle, Organization, Resource } from './types';
import { api, type RequestOptions } from './client';

export const BASE = '/fhir/R4';
export const ID_NUMBER_SYSTEM = 'urn:oid:2.16.156.10011.1.3';
export const EHEALTH_CARD_SYSTEM = 'urn:yiwang:e-health-card';
export const ORG_TYPE_SYSTEM = 'urn:yiwang:org-type';
export const CENTRE_SYSTEM = 'urn:yiwang:centre-role';

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.append(k, String(v));
  return q.toString();
}

export function search<T extends Resource = Resource>(
  type: string,
  params: Record<string, string | number | undefined> = {},
  options: RequestOptions = {},
): Promise<Bundle<T>> {
  return api<Bundle<T>>(`${BASE}/${type}?${query(params)}`, options);
}

/** `_summary=count`: the number of matches only. */
export async function count(type: string, params: Record<string, string | number | undefined> = {}): Promise<number> {
  const b = await search(type, { ...params, _summary: 'count' });
  return b.total ?? 0;
}

export function read<T extends Resource>(type: string, id: string, options: RequestOptions = {}): Promise<T> {
  return api<T>(`${BASE}/${type}/${encodeURIComponent(id)}`, options);
}

/** The resources of a search bundle (matches and includes). */
export function resources<T extends Resource = Resource>(b: Bundle<T> | undefined): T[] {
  return (b?.entry ?? []).map((e) => e.resource).filter((r): r is T => r !== undefined);
}

function relative(url: string): string {
  const u = new URL(url, window.location.origin);
  return u.pathname + u.search;
}

/** `Patient/{id}/$everything`, following next links until every page is read. */
export async function everything(id: string, options: RequestOptions = {}): Promise<Resource[]> {
  const out: Resource[] = [];
  let url: string | undefined = `${BASE}/Patient/${encodeURIComponent(id)}/$everything?_count=1000`;
  while (url) {
    const page: Bundle = await api<Bundle>(url, options);
    out.push(...resources(page));
    const next = page.link?.find((l) => l.relation === 'next')?.url;
    url = next ? relative(next) : undefined;
  }
  return out;
}

/** The resource types of a resident's record that the 360° view shows (each searched by `patient=`). */
export const RECORD_TYPES = [
  'Encounter',
  'Condition',
  'AllergyIntolerance',
  'Observation',
  'DiagnosticReport',
  'ImagingStudy',
  'Procedure',
  'MedicationRequest',
  'MedicationStatement',
  'Immunization',
  'EpisodeOfCare',
  'CarePlan',
  'CareTeam',
  'Contract',
  'ServiceRequest',
  'Task',
  'Coverage',
  'Flag',
] as const;

/**
 * A resident's record as parallel per-type searches (`{Type}?patient={id}`), every page followed. Same content as
 * $everything for these types; used by the 360° view because a caller with a scoped access policy gets these searches
 * answered on an index each, faster than one $everything (docs/web.md).
 */
export async function record(id: string, options: RequestOptions = {}): Promise<Resource[]> {
  const one = async (type: string): Promise<Resource[]> => {
    const out: Resource[] = [];
    let url: string | undefined = `${BASE}/${type}?${query({ patient: `Patient/${id}`, _count: 1000 })}`;
    while (url) {
      const page: Bundle = await api<Bundle>(url, options);
      out.push(...resources(page).filter((r) => r.resourceType === type));
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      url = next ? relative(next) : undefined;
    }
    return out;
  };
  return (await Promise.all(RECORD_TYPES.map(one))).flat();
}

/** Every institution of the county (reference data, readable by every role), by id. */
export async function organizations(): Promise<Map<string, Organization>> {
  const map = new Map<string, Organization>();
  let url: string | undefined = `${BASE}/Organization?_count=1000`;
  while (url) {
    const page: Bundle<Organization> = await api<Bundle<Organization>>(url);
    for (const o of resources(page)) if (o.id) map.set(o.id, o);
    const next = page.link?.find((l) => l.relation === 'next')?.url;
    url = next ? relative(next) : undefined;
  }
  return map;
}

/** Whether the server offers a search parameter for a type (CapabilityStatement, cached by the caller). */
export async function searchParams(type: string): Promise<Set<string>> {
  const cs = await api<{ rest?: { resource?: { type: string; searchParam?: { name: string }[] }[] }[] }>(`${BASE}/metadata`);
  const r = cs.rest?.[0]?.resource?.find((x) => x.type === type);
  return new Set((r?.searchParam ?? []).map((p) => p.name));
}
