/**
 * Merge and unmerge of Patient records (Patient/$merge, Patient/$unmerge, HL7 v2 ADT^A40).
 *
 * Merge: the source record is retired (active = false, link replaced-by the target), the target gets
 * `link replaces` the source (R4's intended use of both link types), every resource in the source's
 * compartment is re-pointed at the target (new versions: history keeps the past) and the two golden records
 * become one. What was changed is kept in the merge log, so unmerge can put it back — again as new versions —
 * without losing edits made since. Everything happens in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Patient, PatientLink, Resource } from '@medplum/fhirtypes';
import { badRequest, conflict, notFound } from '../../fhir/outcomes.js';
import type { Repository } from '../../fhir/repository.js';
import { getTableModels } from '../../fhir/schema.js';
import { SqlParams } from '../../fhir/sql.js';
import { withoutWriteHooks } from '../../fhir/write-hooks.js';
import { linksOf, membersOf, moveLinks, savePerson, systemRepo, type Link } from './store.js';

export interface MergeRequest {
  sourceId: string;
  targetId: string;
  reason?: string;
  /** Who asked (user id, or the sending system of an HL7 message); kept in the merge log. */
  by?: string;
}

export interface MergeResult {
  mergeId: string;
  source: Patient;
  target: Patient;
  /** Resources re-pointed from the source to the target (merge) or back (unmerge). */
  moved: { resourceType: string; id: string }[];
}

type Path = (string | number)[];

interface MergeRecord {
  source: { versionBefore: number; active?: boolean };
  target: { versionBefore: number };
  moved: { type: string; id: string; paths: Path[] }[];
  persons: { source?: { id: string; links: Link[] }; target?: { id: string; links: Link[] } };
}

const ref = (id: string): string => `Patient/${id}`;

/** Rewrites every `reference` to Patient/from (relative or absolute) into Patient/to; returns the paths changed. */
function repoint(node: unknown, from: string, to: string, path: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(node)) {
    node.forEach((v, i) => repoint(v, from, to, [...path, i], out));
  } else if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'reference' && typeof v === 'string' && (v === ref(from) || v.endsWith(`/${ref(from)}`))) {
        obj[k] = v.slice(0, v.length - ref(from).length) + ref(to);
        out.push([...path, k]);
      } else if (v && typeof v === 'object') {
        repoint(v, from, to, [...path, k], out);
      }
    }
  }
  return out;
}

/** Sets the references at `paths` back from Patient/from to Patient/to where they still point at `from`. */
function repointPaths(resource: unknown, paths: Path[], from: string, to: string): boolean {
  let changed = false;
  for (const path of paths) {
    let node = resource as Record<string | number, unknown> | undefined;
    for (const key of path.slice(0, -1)) node = node?.[key] as Record<string | number, unknown> | undefined;
    const last = path[path.length - 1]!;
    const v = node?.[last];
    if (node && typeof v === 'string' && (v === ref(from) || v.endsWith(`/${ref(from)}`))) {
      node[last] = v.slice(0, v.length - ref(from).length) + ref(to);
      changed = true;
    }
  }
  return changed;
}

/** Every current resource (other than Patient records) in a resident's compartment, in one statement. */
async function compartmentOf(repo: Repository, patientId: string): Promise<{ type: string; id: string; content: string }[]> {
  const params = new SqlParams([repo.tenant, [patientId]]);
  const selects: string[] = [];
  for (const model of getTableModels().values()) {
    if (!model.compartmentParams.length || model.resourceType === 'Patient') continue;
    selects.push(
      `SELECT ${params.add(model.resourceType)}::text AS type, r.id, r.content FROM ${model.table} r WHERE r.tenant = $1 AND r.compartments && $2::text[] AND NOT r.deleted`,
    );
  }
  return repo.query(`${selects.join(' UNION ALL ')} ORDER BY 1, 2`, params.values, { prepare: 'generic' });
}

const isLinkTo = (l: PatientLink, id: string, type: PatientLink['type']): boolean => l.type === type && l.other?.reference === ref(id);

export async function mergePatients(repo: Repository, request: MergeRequest): Promise<MergeResult> {
  const { sourceId, targetId } = request;
  if (sourceId === targetId) throw badRequest('source-patient and target-patient are the same record');
  return repo.withTransaction((tx) =>
    withoutWriteHooks(async () => {
      // The caller must be allowed to see (and below, update) both records.
      const source = (await tx.read('Patient', sourceId)) as Patient;
      const target = (await tx.read('Patient', targetId)) as Patient;
      if (source.link?.some((l) => l.type === 'replaced-by')) throw conflict(`Patient/${sourceId} is already merged into another record`);
      if (target.link?.some((l) => l.type === 'replaced-by'))
        throw badRequest(`Patient/${targetId} is merged into another record; merge into that one`);
      const sys = systemRepo(tx);
      const moved: MergeRecord['moved'] = [];
      for (const row of await compartmentOf(sys, sourceId)) {
        const resource = JSON.parse(row.content) as Resource;
        const paths = repoint(resource, sourceId, targetId);
        if (!paths.length) continue;
        await sys.update(row.type, row.id, resource);
        moved.push({ type: row.type, id: row.id, paths });
      }
      const links = await linksOf(sys, [sourceId, targetId]);
      const snapshot = async (id: string | undefined) => (id ? { id, links: await membersOf(sys, id) } : undefined);
      const persons = { source: await snapshot(links.get(sourceId)?.person_id), target: await snapshot(links.get(targetId)?.person_id) };

      const retired = await tx.update('Patient', sourceId, {
        ...source,
        active: false,
        link: [...(source.link ?? []), { other: { reference: ref(targetId) }, type: 'replaced-by' }],
      });
      const survivor = await tx.update('Patient', targetId, {
        ...target,
        link: [...(target.link ?? []), { other: { reference: ref(sourceId) }, type: 'replaces' }],
      });

      // One golden record: the source's person joins the target's.
      const why = `merge Patient/${sourceId} into Patient/${targetId}`;
      if (persons.source?.id !== persons.target?.id || !persons.target) {
        const joining: Link[] = persons.source?.links ?? [];
        const own = joining.find((l) => l.patient === sourceId);
        const sourceLink: Link = { patient: sourceId, assurance: own?.assurance === 'level4' ? 'level4' : 'level2' };
        const targetLink: Link[] = persons.target ? [] : [{ patient: targetId, assurance: 'level2' }];
        await moveLinks(sys, persons.target?.id, [...joining.filter((l) => l.patient !== sourceId), sourceLink, ...targetLink], why);
      }
      await sys.query(
        `UPDATE empi_review SET status = 'linked', decided_by = $4, decided_at = $5, reason = $6
          WHERE tenant = $1 AND status = 'open' AND patient_a = $2 AND patient_b = $3`,
        [sys.tenant, ...[sourceId, targetId].sort(), request.by ?? 'merge', sys.now(), why],
      );
      const record: MergeRecord = {
        source: { versionBefore: Number(source.meta?.versionId), ...(source.active !== undefined ? { active: source.active } : {}) },
        target: { versionBefore: Number(target.meta?.versionId) },
        moved,
        persons: { ...(persons.source ? { source: persons.source } : {}), ...(persons.target ? { target: persons.target } : {}) },
      };
      const mergeId = randomUUID();
      await sys.query(
        `INSERT INTO empi_merge (tenant, id, source_id, target_id, status, reason, merged_at, merged_by, record)
         VALUES ($1, $2, $3, $4, 'merged', $5, $6, $7, $8)`,
        [sys.tenant, mergeId, sourceId, targetId, request.reason ?? null, sys.now(), request.by ?? null, JSON.stringify(record)],
      );
      return {
        mergeId,
        source: retired.resource as Patient,
        target: survivor.resource as Patient,
        moved: moved.map((m) => ({ resourceType: m.type, id: m.id })),
      };
    }),
  );
}

/** Undoes the latest merge of `sourceId` into `targetId`. */
export async function unmergePatients(repo: Repository, request: MergeRequest): Promise<MergeResult> {
  const { sourceId, targetId } = request;
  return repo.withTransaction((tx) =>
    withoutWriteHooks(async () => {
      const sys = systemRepo(tx);
      const [log] = await sys.query<{ id: string; record: string }>(
        `SELECT id, record FROM empi_merge WHERE tenant = $1 AND source_id = $2 AND target_id = $3 AND status = 'merged'
          ORDER BY merged_at DESC LIMIT 1 FOR UPDATE`,
        [sys.tenant, sourceId, targetId],
      );
      if (!log) throw notFound(`No merge of Patient/${sourceId} into Patient/${targetId} to undo`);
      const record = JSON.parse(log.record) as MergeRecord;
      const source = (await tx.read('Patient', sourceId)) as Patient;
      const target = (await tx.read('Patient', targetId)) as Patient;

      const moved: MergeResult['moved'] = [];
      for (const m of record.moved) {
        let current: Resource;
        try {
          current = await sys.read(m.type, m.id);
        } catch {
          continue; // Deleted since the merge: nothing to put back.
        }
        if (!repointPaths(current, m.paths, targetId, sourceId)) continue;
        await sys.update(m.type, m.id, current);
        moved.push({ resourceType: m.type, id: m.id });
      }

      const { active: _active, link: sourceLinks, ...sourceRest } = source;
      const restoredLinks = (sourceLinks ?? []).filter((l) => !isLinkTo(l, targetId, 'replaced-by'));
      const restored = await tx.update('Patient', sourceId, {
        ...sourceRest,
        ...(record.source.active !== undefined ? { active: record.source.active } : {}),
        ...(restoredLinks.length ? { link: restoredLinks } : {}),
      } as Patient);
      const { link: targetLinks, ...targetRest } = target;
      const keptLinks = (targetLinks ?? []).filter((l) => !isLinkTo(l, sourceId, 'replaces'));
      const survivor = await tx.update('Patient', targetId, { ...targetRest, ...(keptLinks.length ? { link: keptLinks } : {}) } as Patient);

      // The source's golden record as it was: its former members leave the combined one.
      const why = `unmerge Patient/${sourceId} from Patient/${targetId}`;
      const before = record.persons;
      if (before.source?.id !== before.target?.id || !before.source) {
        const current = await linksOf(sys, before.source?.links.map((l) => l.patient) ?? [sourceId]);
        const combined = current.get(sourceId)?.person_id;
        const back = (before.source?.links ?? [{ patient: sourceId, assurance: 'level3' as const }]).filter(
          (l) => current.get(l.patient)?.person_id === combined,
        );
        if (before.source) await savePerson(sys, before.source.id, back, why);
        else await moveLinks(sys, undefined, back, why);
        if (combined && combined !== before.source?.id) await savePerson(sys, combined, [], why);
      }
      await sys.query(
        `UPDATE empi_merge SET status = 'unmerged', unmerged_at = $3, unmerged_by = $4, unmerge_reason = $5 WHERE tenant = $1 AND id = $2`,
        [sys.tenant, log.id, sys.now(), request.by ?? null, request.reason ?? null],
      );
      return { mergeId: log.id, source: restored.resource as Patient, target: survivor.resource as Patient, moved };
    }),
  );
}
