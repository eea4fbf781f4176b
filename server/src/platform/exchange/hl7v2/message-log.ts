/**
 * The HL7 v2 message log (table hl7_message, migration 0005): one row per received message and per
 * replay, with its outcome, the resources it wrote and the raw bytes SM4-encrypted. Raw bytes are
 * kept (base64 inside the ciphertext) rather than decoded text, so a replay decodes them exactly as
 * the first time, GB18030 included.
 */
import type { Queryable } from '../../db/database.js';
import { decryptField, encryptField } from '../../crypto/field.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { AckCode } from './ack.js';

export type Hl7Transport = 'mllp' | 'http' | 'replay';

/** One ERR segment as logged. */
export interface LoggedIssue {
  code: number;
  severity: string;
  message: string;
  location?: string;
}

/** A resource written (or found) by a message. */
export interface LoggedResource {
  reference: string;
  /** created; updated; existing (create-if-missing found it); merged (ADT^A40). */
  outcome: 'created' | 'updated' | 'existing' | 'merged';
}

export interface LogEntry {
  id: string;
  tenant: string;
  receivedAt: Date;
  sendingApplication: string;
  sendingFacility: string;
  sender: string;
  controlId: string;
  messageType: string;
  version: string;
  transport: Hl7Transport;
  peer?: string;
  outcome: AckCode;
  duplicateOf?: string;
  replayOf?: string;
  errors: LoggedIssue[];
  resources: LoggedResource[];
  ack: string;
  charset: string;
  size: number;
  durationMs?: number;
}

/** The idempotency scope of MSH-10: sending application and facility. */
export function senderKey(application: string, facility: string): string {
  return `${application.trim()}|${facility.trim()}`;
}

const rawContext = (tenant: string, id: string): string => `hl7_message/${tenant}/${id}`;

export function encryptRaw(raw: Buffer, tenant: string, id: string, keyring: Keyring): string {
  return encryptField(raw.toString('base64'), keyring, { context: rawContext(tenant, id) });
}

export function decryptRaw(stored: string, tenant: string, id: string, keyring: Keyring): Buffer {
  return Buffer.from(decryptField(stored, keyring, { context: rawContext(tenant, id) }), 'base64');
}

export async function insertLogEntry(db: Queryable, e: LogEntry, raw: Buffer, keyring: Keyring): Promise<void> {
  await db.query(
    `INSERT INTO hl7_message (tenant, id, received_at, sending_application, sending_facility, sender, control_id, message_type,
       version, transport, peer, outcome, duplicate_of, replay_of, errors, resources, ack, charset, size, raw, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16::jsonb, $17, $18, $19, $20, $21)`,
    [
      e.tenant,
      e.id,
      e.receivedAt.toISOString(),
      e.sendingApplication,
      e.sendingFacility,
      e.sender,
      e.controlId,
      e.messageType,
      e.version,
      e.transport,
      e.peer ?? null,
      e.outcome,
      e.duplicateOf ?? null,
      e.replayOf ?? null,
      JSON.stringify(e.errors),
      JSON.stringify(e.resources),
      e.ack,
      e.charset,
      e.size,
      encryptRaw(raw, e.tenant, e.id, keyring),
      e.durationMs ?? null,
    ],
  );
}

/** The message of this sender and control id that was accepted and applied, if any. */
export async function findAccepted(
  db: Queryable,
  tenant: string,
  sender: string,
  controlId: string,
): Promise<{ id: string; receivedAt: Date; resources: LoggedResource[] } | undefined> {
  const r = await db.query<{ id: string; received_at: Date | string; resources: unknown }>(
    `SELECT id, received_at, resources FROM hl7_message
     WHERE tenant = $1 AND sender = $2 AND control_id = $3 AND outcome = 'AA' AND duplicate_of IS NULL
     ORDER BY received_at LIMIT 1`,
    [tenant, sender, controlId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { id: row.id, receivedAt: new Date(row.received_at), resources: json<LoggedResource[]>(row.resources) };
}

interface Row {
  tenant: string;
  id: string;
  received_at: Date | string;
  sending_application: string;
  sending_facility: string;
  sender: string;
  control_id: string;
  message_type: string;
  version: string;
  transport: Hl7Transport;
  peer: string | null;
  outcome: AckCode;
  duplicate_of: string | null;
  replay_of: string | null;
  errors: unknown;
  resources: unknown;
  ack: string;
  charset: string;
  size: number;
  duration_ms: number | null;
  raw?: string;
}

/** jsonb arrives parsed from pg and PGlite alike, but be tolerant of text. */
function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function toEntry(r: Row): LogEntry {
  return {
    id: r.id,
    tenant: r.tenant,
    receivedAt: new Date(r.received_at),
    sendingApplication: r.sending_application,
    sendingFacility: r.sending_facility,
    sender: r.sender,
    controlId: r.control_id,
    messageType: r.message_type,
    version: r.version,
    transport: r.transport,
    ...(r.peer ? { peer: r.peer } : {}),
    outcome: r.outcome,
    ...(r.duplicate_of ? { duplicateOf: r.duplicate_of } : {}),
    ...(r.replay_of ? { replayOf: r.replay_of } : {}),
    errors: json<LoggedIssue[]>(r.errors),
    resources: json<LoggedResource[]>(r.resources),
    ack: r.ack,
    charset: r.charset,
    size: r.size,
    ...(r.duration_ms !== null ? { durationMs: r.duration_ms } : {}),
  };
}

const COLUMNS = `tenant, id, received_at, sending_application, sending_facility, sender, control_id, message_type, version,
  transport, peer, outcome, duplicate_of, replay_of, errors, resources, ack, charset, size, duration_ms`;

export interface ListOptions {
  /** AA, AE, AR, or 'duplicate'. */
  status?: string;
  /** Matches MSH-3, MSH-4 or '<MSH-3>|<MSH-4>'. */
  sender?: string;
  controlId?: string;
  /** Newest first; `before` = received_at of the last row of the previous page (ISO). */
  before?: string;
  limit?: number;
}

export async function listLogEntries(db: Queryable, tenant: string, options: ListOptions = {}): Promise<LogEntry[]> {
  const params: unknown[] = [tenant];
  const where = ['tenant = $1'];
  const add = (sql: (n: string) => string, value: unknown): void => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (options.status === 'duplicate') where.push('duplicate_of IS NOT NULL');
  else if (options.status) add((p) => `outcome = ${p}`, options.status);
  if (options.sender) add((p) => `(sender = ${p} OR sending_application = ${p} OR sending_facility = ${p})`, options.sender);
  if (options.controlId) add((p) => `control_id = ${p}`, options.controlId);
  if (options.before) add((p) => `received_at < ${p}::timestamptz`, options.before);
  params.push(Math.min(Math.max(options.limit ?? 50, 1), 500));
  const r = await db.query<Row>(
    `SELECT ${COLUMNS} FROM hl7_message WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toEntry);
}

export async function getLogEntry(
  db: Queryable,
  tenant: string,
  id: string,
  keyring: Keyring,
): Promise<(LogEntry & { raw: Buffer }) | undefined> {
  const r = await db.query<Row>(`SELECT ${COLUMNS}, raw FROM hl7_message WHERE tenant = $1 AND id = $2`, [tenant, id]);
  const row = r.rows[0];
  if (!row) return undefined;
  return { ...toEntry(row), raw: decryptRaw(row.raw!, tenant, id, keyring) };
}
