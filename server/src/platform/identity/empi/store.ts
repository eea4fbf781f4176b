/**
 * The resident index's tables (migration 0006): which golden record (person) each Patient record belongs to,
 * every version of each person's link set, the review queue and the merge log. All statements take the
 * writer's repository, so they run in its transaction and see its buffered rows.
 */
import { randomUUID } from 'node:crypto';
import { Repository } from '../../fhir/repository.js';

/** FHIR Person.link.assurance: level4 = same valid ID number, level3 = probabilistic auto-link, level2 = confirmed by a person. */
export type Assurance = 'level1' | 'level2' | 'level3' | 'level4';

export interface Link {
  patient: string;
  assurance: Assurance;
}

export interface LinkRow {
  patient_id: string;
  person_id: string;
  assurance: Assurance;
}

/**
 * A repository on the same transaction with full access: the index must see every resident of the county
 * whoever writes, and its reads must not be narrowed by the writer's catchment.
 */
export function systemRepo(repo: Repository): Repository {
  // Same context (tenant, clock, field protection keys) without the caller's access filter.
  const { access: _callerAccess, ...ctx } = repo.ctx;
  return new Repository(repo.db, { ...ctx, protection: repo.protection });
}

export async function linksOf(repo: Repository, patientIds: string[]): Promise<Map<string, LinkRow>> {
  if (!patientIds.length) return new Map();
  const rows = await repo.query<LinkRow>(
    'SELECT patient_id, person_id, assurance FROM empi_link WHERE tenant = $1 AND patient_id = ANY($2::text[])',
    [repo.tenant, patientIds],
  );
  return new Map(rows.map((r) => [r.patient_id, r]));
}

export async function linkOf(repo: Repository, patientId: string): Promise<LinkRow | undefined> {
  return (await linksOf(repo, [patientId])).get(patientId);
}

export async function membersOf(repo: Repository, personId: string): Promise<Link[]> {
  const rows = await repo.query<LinkRow>(
    'SELECT patient_id, person_id, assurance FROM empi_link WHERE tenant = $1 AND person_id = $2 ORDER BY patient_id',
    [repo.tenant, personId],
  );
  return rows.map((r) => ({ patient: r.patient_id, assurance: r.assurance }));
}

/**
 * Writes a new version of a person in one statement: the `changed` links are (re)pointed at it, and its history
 * keeps its whole link set afterwards. A person left without links is retired (inactive).
 */
export async function savePerson(repo: Repository, personId: string | undefined, changed: Link[], reason: string): Promise<string> {
  const id = personId ?? randomUUID();
  await repo.query(
    `WITH m AS (
       SELECT x.p AS patient, x.a AS assurance FROM unnest($4::text[], $5::text[]) AS x(p, a)
       UNION ALL
       SELECT patient_id, assurance FROM empi_link WHERE tenant = $1 AND person_id = $2 AND NOT (patient_id = ANY($4::text[]))
     ), l AS (
       INSERT INTO empi_link (tenant, patient_id, person_id, assurance, linked_at)
       SELECT $1, x.p, $2, x.a, $3 FROM unnest($4::text[], $5::text[]) AS x(p, a)
       ON CONFLICT (tenant, patient_id) DO UPDATE SET person_id = EXCLUDED.person_id, assurance = EXCLUDED.assurance, linked_at = EXCLUDED.linked_at
       RETURNING 1
     ), p AS (
       INSERT INTO empi_person (tenant, id, version, last_updated, active) VALUES ($1, $2, 1, $3, (SELECT count(*) > 0 FROM m))
       ON CONFLICT (tenant, id) DO UPDATE SET version = empi_person.version + 1, last_updated = EXCLUDED.last_updated, active = EXCLUDED.active
       RETURNING version, active
     )
     INSERT INTO empi_person_history (tenant, id, version, last_updated, active, links, reason)
     SELECT $1, $2, p.version, $3, p.active,
            (SELECT coalesce(json_agg(json_build_object('patient', patient, 'assurance', assurance) ORDER BY patient COLLATE "C"), '[]')::text FROM m),
            $6
       FROM p`,
    [repo.tenant, id, repo.now(), changed.map((l) => l.patient), changed.map((l) => l.assurance), reason],
  );
  return id;
}

/**
 * Moves `links` into the person `into` (or a new one) and re-versions the persons they leave (retired when
 * left empty). `from`: the persons they are in now, when the caller knows (saves a query).
 */
export async function moveLinks(
  repo: Repository,
  into: string | undefined,
  links: Link[],
  reason: string,
  from?: string[],
): Promise<string> {
  const left =
    from ??
    [
      ...(
        await linksOf(
          repo,
          links.map((l) => l.patient),
        )
      ).values(),
    ].map((r) => r.person_id);
  const id = await savePerson(repo, into, links, reason);
  for (const old of new Set(left)) if (old !== id) await savePerson(repo, old, [], reason);
  return id;
}

/** A deleted Patient record leaves its person (and the blocking index). */
export async function unlink(repo: Repository, patientId: string, reason: string): Promise<void> {
  await repo.query('DELETE FROM empi_block WHERE tenant = $1 AND patient_id = $2', [repo.tenant, patientId]);
  const rows = await repo.query<{ person_id: string }>('DELETE FROM empi_link WHERE tenant = $1 AND patient_id = $2 RETURNING person_id', [
    repo.tenant,
    patientId,
  ]);
  for (const r of rows) await savePerson(repo, r.person_id, [], reason);
}
