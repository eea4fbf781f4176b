/**
 * Golden records as FHIR Person resources: the links of the person (Person.link.target = Patient, with the
 * assurance of each link) and a demographic summary of the best current values of its source records.
 * The summary is computed when read, so it is never stale and no demographic value is stored twice.
 */
import type { Bundle, Patient, Person } from '@medplum/fhirtypes';
import { gone, notFound } from '../../fhir/outcomes.js';
import type { Repository } from '../../fhir/repository.js';
import { fetchRawByIds } from '../../fhir/search/search.js';
import { pgTimestampToIso } from '../../fhir/sql.js';
import { RESIDENT_ID_SYSTEM } from './person.js';
import { systemRepo, type Link } from './store.js';

export const EMPI_TAG = { system: 'https://yiwang.cn/fhir/CodeSystem/empi', code: 'golden', display: 'Golden record (resident index)' };

interface PersonVersion {
  id: string;
  version: number;
  last_updated: string;
  active: boolean;
  links: string;
}

function newestFirst(a: Patient, b: Patient): number {
  return (b.meta?.lastUpdated ?? '').localeCompare(a.meta?.lastUpdated ?? '');
}

/** The most frequent value among the records (ties: the most recently updated record's). */
function mode<T>(records: Patient[], pick: (p: Patient) => T | undefined): T | undefined {
  const counts = new Map<string, { value: T; n: number }>();
  for (const p of records) {
    const v = pick(p);
    if (v === undefined) continue;
    const key = JSON.stringify(v);
    const c = counts.get(key) ?? { value: v, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  let best: { value: T; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best?.value;
}

export function renderPerson(row: Omit<PersonVersion, 'links'>, links: Link[], sources: Patient[]): Person {
  // Retired (merged-away) records still count as sources, but the survivor's values come first.
  const records = [...sources].sort(newestFirst).sort((a, b) => Number(a.active === false) - Number(b.active === false));
  const ids = [
    ...new Set(
      records
        .flatMap((p) => p.identifier ?? [])
        .filter((i) => i.system === RESIDENT_ID_SYSTEM)
        .map((i) => i.value!),
    ),
  ];
  const phones = [...new Set(records.flatMap((p) => p.telecom ?? []).map((t) => `${t.system ?? ''}|${t.value ?? ''}`))];
  const name = records.map((p) => p.name?.find((n) => n.use === 'official') ?? p.name?.[0]).find(Boolean);
  const gender = mode(records, (p) => p.gender);
  const birthDate = mode(records, (p) => p.birthDate);
  const address = records.map((p) => p.address?.[0]).find(Boolean);
  return {
    resourceType: 'Person',
    id: row.id,
    meta: { versionId: String(row.version), lastUpdated: pgTimestampToIso(row.last_updated), tag: [EMPI_TAG] },
    ...(ids.length ? { identifier: ids.map((value) => ({ system: RESIDENT_ID_SYSTEM, value })) } : {}),
    active: row.active,
    ...(name ? { name: [name] } : {}),
    ...(phones.length
      ? {
          telecom: phones.map((p) => {
            const [system, value] = p.split('|');
            return { ...(system ? { system: system as 'phone' } : {}), ...(value ? { value } : {}) };
          }),
        }
      : {}),
    ...(gender ? { gender } : {}),
    ...(birthDate ? { birthDate } : {}),
    ...(address ? { address: [address] } : {}),
    ...(links.length ? { link: links.map((l) => ({ target: { reference: `Patient/${l.patient}` }, assurance: l.assurance })) } : {}),
  };
}

async function rowOf(sys: Repository, id: string, version?: number): Promise<PersonVersion | undefined> {
  const rows =
    version === undefined
      ? await sys.query<PersonVersion>(
          `SELECT p.id, p.version, p.last_updated::text AS last_updated, p.active, h.links FROM empi_person p
             JOIN empi_person_history h ON h.tenant = p.tenant AND h.id = p.id AND h.version = p.version
            WHERE p.tenant = $1 AND p.id = $2`,
          [sys.tenant, id],
        )
      : await sys.query<PersonVersion>(
          'SELECT id, version, last_updated::text AS last_updated, active, links FROM empi_person_history WHERE tenant = $1 AND id = $2 AND version = $3',
          [sys.tenant, id, version],
        );
  return rows[0];
}

/**
 * A golden record as the caller may see it: visible when one of its source records is (the same rule as the
 * access policies' rule for Person); the summary uses only the records the caller can see.
 */
export async function readPerson(repo: Repository, id: string, version?: number): Promise<Person> {
  const sys = systemRepo(repo);
  const current = await rowOf(sys, id);
  if (!current) throw notFound(`Person/${id} not found`);
  const row = version === undefined ? current : await rowOf(sys, id, version);
  if (!row) throw notFound(`Person/${id}/_history/${version} not found`);
  // Visibility follows the current link set, as for every resource's history.
  const currentLinks = JSON.parse(current.links) as Link[];
  const links = JSON.parse(row.links) as Link[];
  const visible = await fetchRawByIds(repo, 'Patient', [...new Set([...currentLinks, ...links].map((l) => l.patient))]);
  if (!visible.length && currentLinks.length) throw notFound(`Person/${id} not found`);
  if (!current.active && !currentLinks.length && version === undefined) throw gone(`Person/${id} was retired (version ${current.version})`);
  const sources = visible.map((r) => JSON.parse(r.content) as Patient).filter((p) => links.some((l) => l.patient === p.id));
  return renderPerson(row, links, sources);
}

export async function personHistory(repo: Repository, id: string, baseUrl: string): Promise<Bundle> {
  const sys = systemRepo(repo);
  await readPerson(repo, id).catch((e: { status?: number }) => {
    if (e.status !== 410) throw e;
  });
  const versions = await sys.query<{ version: number }>(
    'SELECT version FROM empi_person_history WHERE tenant = $1 AND id = $2 ORDER BY version DESC',
    [sys.tenant, id],
  );
  const entry = [];
  for (const v of versions) {
    const resource = await readPerson(repo, id, v.version);
    entry.push({
      fullUrl: `${baseUrl}/Person/${id}`,
      resource,
      request: { method: v.version === 1 ? 'POST' : 'PUT', url: v.version === 1 ? 'Person' : `Person/${id}` },
    });
  }
  return { resourceType: 'Bundle', type: 'history', total: entry.length, entry } as Bundle;
}

/** The golden record of a Patient record, if the index has one. */
export async function personIdOf(repo: Repository, patientId: string): Promise<string | undefined> {
  const rows = await repo.query<{ person_id: string }>('SELECT person_id FROM empi_link WHERE tenant = $1 AND patient_id = $2', [
    repo.tenant,
    patientId,
  ]);
  return rows[0]?.person_id;
}

/** The other Patient records of the same individual (for $everything). */
export async function linkedRecords(repo: Repository, patientId: string): Promise<string[]> {
  const rows = await repo.query<{ patient_id: string }>(
    `SELECT l2.patient_id FROM empi_link l1 JOIN empi_link l2 ON l2.tenant = l1.tenant AND l2.person_id = l1.person_id
      WHERE l1.tenant = $1 AND l1.patient_id = $2 AND l2.patient_id <> $2`,
    [repo.tenant, patientId],
  );
  return rows.map((r) => r.patient_id);
}
