/**
 * SQL for writing resource rows: the column list of each table, multi-row INSERTs (bundles and bulk
 * loads send many rows in one statement) and the UPDATE of an existing row. Statements are cached per type.
 */
import type { Queryable } from '../db/database.js';
import type { ExtractedRow, StringValue } from './extract.js';
import { paramSqlColumns, type TableModel } from './schema.js';

const FIXED = ['tenant', 'id', 'version', 'last_updated', 'deleted', 'content', 'compartments'];

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

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const HISTORY_COLUMNS = 'tenant, id, version, last_updated, deleted, content';

/** Rows per INSERT statement: bounds the size of one JSON parameter. */
const INSERT_CHUNK = 1000;

/** A row as the JSON object json_populate_recordset reads; absent keys become NULL. */
function rowObject(tenant: string, row: ResourceRow): Record<string, unknown> {
  const o: Record<string, unknown> = {
    tenant,
    id: row.id,
    version: row.version,
    last_updated: row.lastUpdated,
    deleted: row.deleted,
    content: row.content,
  };
  if (row.extracted) {
    if (row.extracted.compartments) o.compartments = row.extracted.compartments;
    for (const [k, v] of row.extracted.columns) o[k] = v;
  }
  return o;
}

/**
 * Inserts new resources (their ids must not exist yet) with their history rows and string lookups.
 * A batch travels as one JSON parameter expanded by json_populate_recordset — far cheaper than a
 * hundred mostly-NULL parameters per row — and the history rows are copied from the inserted rows in
 * the same statement, so each content crosses the wire once.
 */
export async function insertRows(db: Queryable, model: TableModel, tenant: string, rows: ResourceRow[]): Promise<void> {
  for (const part of chunk(rows, INSERT_CHUNK)) {
    await db.query(
      `WITH ins AS (INSERT INTO ${model.table} SELECT * FROM json_populate_recordset(NULL::${model.table}, $1::json) RETURNING ${HISTORY_COLUMNS}) ` +
        `INSERT INTO ${model.history} (${HISTORY_COLUMNS}) SELECT ${HISTORY_COLUMNS} FROM ins`,
      [JSON.stringify(part.map((r) => rowObject(tenant, r)))],
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

/** Replaces the string lookups of one resource (used by `yiwang keys seal` when it rewrites search values). */
export async function replaceStrings(db: Queryable, model: TableModel, tenant: string, id: string, strings: StringValue[]): Promise<void> {
  await db.query('DELETE FROM search_string WHERE resource_type = $1 AND resource_id = $2 AND tenant = $3', [
    model.resourceType,
    id,
    tenant,
  ]);
  await insertStrings(
    db,
    model,
    tenant,
    strings.map((s) => [id, s] as [string, StringValue]),
  );
}

async function insertStrings(db: Queryable, model: TableModel, tenant: string, strings: [string, StringValue][]): Promise<void> {
  for (const part of chunk(strings, INSERT_CHUNK * 4)) {
    if (!part.length) continue;
    const objects = part.map(([id, s]) => ({
      tenant,
      resource_type: model.resourceType,
      resource_id: id,
      code: s.code,
      value: s.value,
      exact: s.exact,
    }));
    await db.query('INSERT INTO search_string SELECT * FROM json_populate_recordset(NULL::search_string, $1::json)', [
      JSON.stringify(objects),
    ]);
  }
}
