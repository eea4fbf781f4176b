/**
 * `$export` (FHIR Bulk Data Access IG v2) at system, Patient and Group level: kick-off parameters are
 * checked up front (400 with the parameter as expression), then the runner pages each type by id
 * (keyset, like `yiwang export`) and writes one file part per page together with its checkpoint.
 */
import type { Group } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.js';
import type { Repository } from '../fhir/repository.js';
import { getTableModel, getTableModels, type TableModel } from '../fhir/schema.js';
import { dateRange } from '../fhir/search/ranges.js';
import { SqlParams } from '../fhir/sql.js';
import { StopLoad } from './ndjson.js';
import { saveCheckpoint, writePart, type BulkJob } from './store.js';

export const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];

export interface ExportParams {
  level: 'system' | 'patient' | 'group';
  types?: string[];
  since?: string;
  groupId?: string;
  /** Group level: the member patients, fixed at kick-off. */
  patients?: string[];
}

export interface ExportCheckpoint {
  /** Index into the job's type list of the type being written, and the last id written of it. */
  typeIndex?: number;
  after?: string;
  exported?: number;
}

function single(query: Record<string, string | string[] | undefined>, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v.join(',') : v;
}

function inCompartment(model: TableModel): boolean {
  return model.resourceType === 'Patient' || model.compartmentParams.length > 0;
}

/** Checks the kick-off request; throws 400 OperationOutcomes naming the parameter. */
export async function parseExportRequest(
  repo: Repository,
  query: Record<string, string | string[] | undefined>,
  target: { resourceType?: string; id?: string },
): Promise<ExportParams> {
  let level: ExportParams['level'] = 'system';
  if (target.resourceType === 'Patient' && !target.id) level = 'patient';
  else if (target.resourceType === 'Group' && target.id) level = 'group';
  else if (target.resourceType) throw badRequest('$export runs at the system level, on Patient, or on a Group instance');

  const format = single(query, '_outputFormat');
  if (format !== undefined && !NDJSON_FORMATS.includes(format)) {
    throw badRequest(`_outputFormat '${format}' is not supported; use application/fhir+ndjson`, '_outputFormat');
  }
  for (const p of ['_typeFilter', '_elements', 'patient', 'includeAssociatedData']) {
    if (query[p] !== undefined) throw badRequest(`Parameter ${p} is not supported by this server`, p);
  }
  const params: ExportParams = { level };
  const typeText = single(query, '_type');
  if (typeText !== undefined) {
    const types = [...new Set(typeText.split(',').map((t) => t.trim()))].filter(Boolean);
    if (!types.length) throw badRequest('_type must name at least one resource type', '_type');
    for (const t of types) {
      const model = getTableModel(t);
      if (!model) throw badRequest(`Unknown resource type '${t}' in _type`, '_type');
      if (level !== 'system' && !inCompartment(model)) throw badRequest(`${t} is not in the Patient compartment`, '_type');
    }
    params.types = types;
  }
  const since = single(query, '_since');
  if (since !== undefined) {
    params.since = dateRange(since, '_since').start;
  }
  if (level === 'group') {
    const group = (await repo.read('Group', target.id as string)) as Group;
    params.groupId = group.id;
    params.patients = [
      ...new Set(
        (group.member ?? [])
          .map((m) => m.entity?.reference ?? '')
          .filter((r) => r.startsWith('Patient/'))
          .map((r) => r.slice('Patient/'.length)),
      ),
    ];
  }
  return params;
}

export function exportTypes(params: ExportParams): string[] {
  const all = [...getTableModels().values()].filter((m) => params.level === 'system' || inCompartment(m)).map((m) => m.resourceType);
  return params.types ? all.filter((t) => params.types?.includes(t)) : all;
}

/**
 * One page of a type's current resources for an export, after id `after` in id order (keyset) —
 * shared by the `$export` runner and `yiwang export`.
 */
export async function exportPage(
  repo: Repository,
  params: ExportParams,
  model: TableModel,
  after: string,
  pageSize: number,
  options: { sealed?: boolean } = {},
): Promise<{ id: string; content: string }[]> {
  // Current versions. A resource changed after transactionTime is exported as it is now rather than
  // left out (the IG's SHALL include everything changed up to transactionTime wins over its SHOULD NOT).
  const sql = new SqlParams([repo.tenant, after]);
  const where = [`r.tenant = $1`, `r.id > $2`, `NOT r.deleted`];
  if (params.since) where.push(`r.last_updated >= ${sql.add(params.since)}::timestamptz`);
  if (params.level === 'patient') where.push('r.compartments IS NOT NULL');
  if (params.level === 'group') where.push(`r.compartments && ${sql.add(params.patients ?? [])}::text[]`);
  const access = repo.access.readCondition(model.resourceType, 'r', sql);
  if (access) where.push(`(${access})`);
  const text = `SELECT r.id, r.content FROM ${model.table} r WHERE ${where.join(' AND ')} ORDER BY r.id LIMIT ${pageSize}`;
  // Sealed: the stored text as it is (identity fields still encrypted), for files kept in the database.
  if (options.sealed) return (await repo.db.query<{ id: string; content: string }>(text, sql.values)).rows;
  return repo.query<{ id: string; content: string }>(text, sql.values);
}

/** Runs (or resumes) an export job one page at a time; false when asked to stop before the end. */
export async function runExport(
  repo: Repository,
  job: BulkJob,
  options: { pageSize: number; shouldStop: () => boolean; afterChunk?: () => void },
): Promise<boolean> {
  const params = job.params as unknown as ExportParams;
  const types = exportTypes(params);
  const cp = job.checkpoint as ExportCheckpoint;
  let typeIndex = cp.typeIndex ?? 0;
  let after = cp.after ?? '';
  let exported = cp.exported ?? 0;
  while (typeIndex < types.length) {
    if (options.shouldStop()) return false;
    const model = getTableModel(types[typeIndex]) as TableModel;
    // Files wait in bulk_file until downloaded: they keep the identity fields encrypted; the download reveals them.
    const rows = await exportPage(repo, params, model, after, options.pageSize, { sealed: true });
    if (!rows.length) {
      // Nothing (more) of this type: move on without a write; the next page's checkpoint covers it.
      typeIndex++;
      after = '';
      continue;
    }
    const done = await repo.withTransaction(async (tx) => {
      await writePart(
        tx.db,
        job,
        `${model.resourceType}.ndjson`,
        model.resourceType,
        rows.map((r) => r.content),
      );
      const next: ExportCheckpoint =
        rows.length < options.pageSize
          ? { typeIndex: typeIndex + 1, after: '', exported: exported + rows.length }
          : { typeIndex, after: rows[rows.length - 1].id, exported: exported + rows.length };
      const progress = `${next.exported} resources exported; ${model.resourceType} (${typeIndex + 1} of ${types.length} types)`;
      if (!(await saveCheckpoint(tx.db, job, next, progress))) throw new StopLoad('job cancelled');
      return next;
    });
    typeIndex = done.typeIndex as number;
    after = done.after as string;
    exported = done.exported as number;
    options.afterChunk?.();
  }
  return true;
}
