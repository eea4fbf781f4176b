/**
 * Bulk Data jobs and their files, both in the database (tables `bulk_job` and `bulk_file`, migration 0004).
 *
 * Files live in the database rather than under the data directory: the in-memory PGlite of tests and
 * `--memory` has no directory, several PostgreSQL-backed servers see the same files, a file part is
 * written in the same transaction as the checkpoint that says it was written (so a resumed job never
 * writes a page twice), and a cancel removes job and files atomically. Each part is one page of lines,
 * so a download streams part by part and no single value grows with the export.
 */
import { randomUUID } from 'node:crypto';
import { decryptField, encryptField, isEncryptedField } from '../crypto/field.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Queryable } from '../db/database.js';
import { notFound } from '../fhir/outcomes.js';
import { pgTimestampToIso } from '../fhir/sql.js';

export type JobKind = 'export' | 'import';
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface BulkJob<P = Record<string, unknown>, C = Record<string, unknown>> {
  tenant: string;
  id: string;
  kind: JobKind;
  status: JobStatus;
  request: string;
  baseUrl: string;
  params: P;
  transactionTime: string;
  checkpoint: C;
  progress: string | null;
  error: string | null;
}

interface JobRow {
  tenant: string;
  id: string;
  kind: JobKind;
  status: JobStatus;
  request: string;
  base_url: string;
  params: unknown;
  transaction_time: string;
  checkpoint: unknown;
  progress: string | null;
  error: string | null;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function toJob(r: JobRow): BulkJob {
  return {
    tenant: r.tenant,
    id: r.id,
    kind: r.kind,
    status: r.status,
    request: r.request,
    baseUrl: r.base_url,
    params: json(r.params),
    transactionTime: pgTimestampToIso(r.transaction_time),
    checkpoint: json(r.checkpoint),
    progress: r.progress,
    error: r.error,
  };
}

export async function createJob(
  db: Queryable,
  job: { tenant: string; kind: JobKind; request: string; baseUrl: string; params: unknown; transactionTime: string },
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO bulk_job (tenant, id, kind, status, request, base_url, params, transaction_time) VALUES ($1, $2, $3, 'queued', $4, $5, $6::jsonb, $7)`,
    [job.tenant, id, job.kind, job.request, job.baseUrl, JSON.stringify(job.params), job.transactionTime],
  );
  return id;
}

export async function findJob(db: Queryable, tenant: string, id: string): Promise<BulkJob | undefined> {
  const rows = await db.query<JobRow>('SELECT * FROM bulk_job WHERE tenant = $1 AND id = $2', [tenant, id]);
  return rows.rows[0] ? toJob(rows.rows[0]) : undefined;
}

/** A job the caller may see: cancelled jobs are gone (404), as the IG asks. */
export async function getJob(db: Queryable, tenant: string, id: string): Promise<BulkJob> {
  const job = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await findJob(db, tenant, id) : undefined;
  if (!job || job.status === 'cancelled') throw notFound(`Bulk data job ${id} not found`);
  return job;
}

/** Unfinished jobs of every tenant, oldest first (the runner's queue). */
export async function activeJobs(db: Queryable): Promise<{ tenant: string; id: string }[]> {
  return (
    await db.query<{ tenant: string; id: string }>(
      `SELECT tenant, id FROM bulk_job WHERE status IN ('queued', 'running') ORDER BY created_at, id`,
    )
  ).rows;
}

/**
 * Saves the checkpoint (and progress) of a running job; false when the job was cancelled meanwhile,
 * so the caller rolls back the chunk. The row lock orders this against a concurrent cancel.
 */
export async function saveCheckpoint(db: Queryable, job: BulkJob, checkpoint: unknown, progress: string): Promise<boolean> {
  const r = await db.query(
    `UPDATE bulk_job SET checkpoint = $3::jsonb, progress = $4, updated_at = now() WHERE tenant = $1 AND id = $2 AND status = 'running' RETURNING id`,
    [job.tenant, job.id, JSON.stringify(checkpoint), progress],
  );
  return r.rows.length === 1;
}

export async function setStatus(db: Queryable, job: { tenant: string; id: string }, status: JobStatus, error?: string): Promise<void> {
  await db.query(
    `UPDATE bulk_job SET status = $3, error = $4, updated_at = now() WHERE tenant = $1 AND id = $2 AND status <> 'cancelled'`,
    [job.tenant, job.id, status, error ?? null],
  );
}

/** Cancels a job and removes its files in one transaction. */
export async function cancelJob(db: Queryable, tenant: string, id: string): Promise<void> {
  await db.query(`UPDATE bulk_job SET status = 'cancelled', updated_at = now() WHERE tenant = $1 AND id = $2`, [tenant, id]);
  await db.query('DELETE FROM bulk_file WHERE tenant = $1 AND job_id = $2', [tenant, id]);
}

export async function writePart(
  db: Queryable,
  job: { tenant: string; id: string },
  name: string,
  resourceType: string,
  lines: string[],
  /** Transforms the part's text before it is stored (encryption of uploaded input). */
  seal?: (text: string) => string,
): Promise<void> {
  if (!lines.length) return;
  const text = lines.join('\n') + '\n';
  await db.query(
    `INSERT INTO bulk_file (tenant, job_id, name, part, resource_type, lines, content)
     SELECT $1, $2, $3, COALESCE(MAX(part), -1) + 1, $4, $5, $6 FROM bulk_file WHERE tenant = $1 AND job_id = $2 AND name = $3`,
    [job.tenant, job.id, name, resourceType, lines.length, seal ? seal(text) : text],
  );
}

export interface FileSummary {
  name: string;
  resourceType: string;
  count: number;
}

export async function listFiles(db: Queryable, job: { tenant: string; id: string }): Promise<FileSummary[]> {
  const rows = await db.query<{ name: string; resource_type: string; count: number }>(
    `SELECT name, MIN(resource_type) AS resource_type, SUM(lines)::int AS count FROM bulk_file WHERE tenant = $1 AND job_id = $2 GROUP BY name ORDER BY name`,
    [job.tenant, job.id],
  );
  return rows.rows.map((r) => ({ name: r.name, resourceType: r.resource_type, count: Number(r.count) }));
}

/** The parts of one file in order, read one at a time. */
export async function* readFile(
  db: Queryable,
  job: { tenant: string; id: string },
  name: string,
  open: (text: string) => string = (text) => text,
): AsyncGenerator<string> {
  let part = -1;
  for (;;) {
    const rows = await db.query<{ part: number; content: string }>(
      'SELECT part, content FROM bulk_file WHERE tenant = $1 AND job_id = $2 AND name = $3 AND part > $4 ORDER BY part LIMIT 1',
      [job.tenant, job.id, name, part],
    );
    const row = rows.rows[0];
    if (!row) return;
    part = row.part;
    yield open(row.content);
  }
}

export async function fileExists(db: Queryable, job: { tenant: string; id: string }, name: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM bulk_file WHERE tenant = $1 AND job_id = $2 AND name = $3 LIMIT 1', [
    job.tenant,
    job.id,
    name,
  ]);
  return rows.rows.length > 0;
}

/**
 * Uploaded NDJSON holds residents' identity fields in clear: it waits for the import SM4-encrypted, bound to
 * its job (`bulk_file/<job>`), and is opened only by the import itself.
 */
export function uploadSealing(keyring: Keyring, jobId: string): { seal: (text: string) => string; open: (text: string) => string } {
  const context = `bulk_file/${jobId}`;
  return {
    seal: (text) => encryptField(text, keyring, { context }),
    open: (text) => (isEncryptedField(text.trim()) ? decryptField(text.trim(), keyring, { context }) : text),
  };
}
