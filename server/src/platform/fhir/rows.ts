/**
 * SQL for writing resource rows: the column list of each table, multi-row INSERTs (bundles and bulk
 * loads send many rows in one statement) and the UPDATE of an existing row. Statements are cached per type.
 */
import type { Queryable } from '../db/database.js';
import type { ExtractedRow, StringValue } from './extract.js';
import { paramSqlColumns, type TableModel } from './schema.js';

const FIXED = ['tenant', 'id', 'version', 'last_updated', 'deleted', 'content', 'compartments'];
/** PostgreSQL accepts at most 65 535 parameters per statement. */
const MAX_PARAMS = 60_000;

const columnCache = new Map<string, string[]>();

export function paramColumns(model: TableModel): string[] {
  let cols = columnCache.get(model.resourceType);
  if (!cols) {
    cols = [...model.params.values()].flatMap((p) => paramSqlColumns(p).map(([name]) => name));
    columnCache.set(model.resourceType, cols);
  }
  return cols;
}

export interface ResourceRow {
  id: string;
  version: number;
  lastUpdated: string;
  deleted: boolean;
  content: string;
  extracted: ExtractedRow | null;
}

function rowParams(model: TableModel, tenant: string, row: ResourceRow): unknown[] {
  const values: unknown[] = [tenant, row.id, row.version, row.lastUpdated, row.deleted, row.content, row.extracted?.compartments ?? null];
  const cols = row.extracted?.columns;
  for (const c of paramColumns(model)) values.push(cols?.get(c) ?? null);
  return values;
}

function placeholders(start: number, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push('$' + (start + i));
  return '(' + parts.join(',') + ')';
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const HISTORY_COLUMNS = 'tenant, id, version, last_updated, deleted, content';

/**
 * Inserts new resources (their ids must not exist yet) with their history rows and string lookups.
 * The history row is copied from the inserted row in the same statement, so the content crosses the wire once.
 */
export async function insertRows(db: Queryable, model: TableModel, tenant: string, rows: ResourceRow[]): Promise<void> {
  const columns = [...FIXED, ...paramColumns(model)];
  const perRow = columns.length;
  for (const part of chunk(rows, Math.max(1, Math.floor(MAX_PARAMS / perRow)))) {
    const params: unknown[] = [];
    const values: string[] = [];
    for (const row of part) {
      values.push(placeholders(params.length + 1, perRow));
      params.push(...rowParams(model, tenant, row));
    }
    await db.query(
      `WITH ins AS (INSERT INTO ${model.table} (${columns.join(',')}) VALUES ${values.join(',')} RETURNING ${HISTORY_COLUMNS}) ` +
        `INSERT INTO ${model.history} (${HISTORY_COLUMNS}) SELECT ${HISTORY_COLUMNS} FROM ins`,
      params,
    );
  }
  await insertStrings(
    db,
    model,
    tenant,
    rows.flatMap((r) => (r.extracted?.strings ?? []).map((s) => [r.id, s] as [string, StringValue])),
  );
}

/** Replaces an existing row (update, delete, resurrection) and appends its history row. */
export async function updateRow(db: Queryable, model: TableModel, tenant: string, row: ResourceRow): Promise<void> {
  const columns = [...FIXED, ...paramColumns(model)];
  const sets = columns.slice(2).map((c, i) => `${c} = $${i + 3}`);
  await db.query(
    `WITH upd AS (UPDATE ${model.table} SET ${sets.join(', ')} WHERE tenant = $1 AND id = $2 RETURNING ${HISTORY_COLUMNS}) ` +
      `INSERT INTO ${model.history} (${HISTORY_COLUMNS}) SELECT ${HISTORY_COLUMNS} FROM upd`,
    rowParams(model, tenant, row),
  );
  await db.query('DELETE FROM search_string WHERE resource_type = $1 AND resource_id = $2 AND tenant = $3', [
    model.resourceType,
    row.id,
    tenant,
  ]);
  await insertStrings(
    db,
    model,
    tenant,
    (row.extracted?.strings ?? []).map((s) => [row.id, s] as [string, StringValue]),
  );
}

async function insertStrings(db: Queryable, model: TableModel, tenant: string, strings: [string, StringValue][]): Promise<void> {
  for (const part of chunk(strings, Math.floor(MAX_PARAMS / 6))) {
    if (!part.length) continue;
    const params: unknown[] = [];
    const values: string[] = [];
    for (const [id, s] of part) {
      values.push(placeholders(params.length + 1, 6));
      params.push(tenant, model.resourceType, id, s.code, s.value, s.exact);
    }
    await db.query(`INSERT INTO search_string (tenant, resource_type, resource_id, code, value, exact) VALUES ${values.join(',')}`, params);
  }
}
