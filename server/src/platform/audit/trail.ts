/**
 * The audit trail: who accessed which resident's personal data, and every security event — append-only,
 * SM3 hash-chained per tenant (county), kept for the retention period, queryable, exportable as FHIR AuditEvents.
 *
 * Design (a variant of "insert, then seal later" that seals while inserting):
 *
 * - `record()` only pushes the event on an in-memory queue and returns. The queue is flushed every `flushMs`
 *   (default 100 ms), as soon as it holds `batchSize` events (default 500), on `flush()` and on `close()`.
 * - A flush is one transaction: for each tenant in the batch (in tenant order, so concurrent flushers cannot
 *   deadlock) it locks the tenant's `audit_head` row FOR UPDATE, computes the next chain positions and hashes in
 *   memory (hash = SM3(prev_hash ‖ canonical JSON of the row), see chain.ts), inserts the rows with one multi-row
 *   INSERT and advances the head. The rows and the head commit together, so every committed row is already sealed:
 *   there is no unsealed window, no background sealer, no grace period, and no row is ever UPDATEd (the
 *   append-only trigger refuses every UPDATE, with no exception for a sealer).
 * - Ordering guarantee: within a tenant, chain order = `pos` order = commit order of the flushes; positions are
 *   1, 2, 3 … without gaps. A writer whose transaction commits later cannot slip in "below" a sealed row,
 *   because positions are taken from the locked head, not from a sequence. Any number of AuditTrail instances,
 *   in any number of processes, produce one valid chain per tenant.
 * - Cost: the head lock serialises flushes of the same tenant only, and for one short statement per batch, so the
 *   server is not serialised per event (the bench in bench/audit.ts measures events/s on PostgreSQL).
 * - Loss window: events still in the queue — at most `flushMs` (≈100 ms) or `batchSize` events — are lost if the
 *   process dies. A failed flush puts its events back at the front of the queue and reports through `onError`;
 *   they are retried on the next flush (the queue is bounded by `maxQueue`, beyond which the oldest unflushed
 *   events are dropped and reported). Events that must be durable with the action itself (policy changes,
 *   break-glass) use `recordNow(tx, …)`, which appends inside the caller's transaction: the event commits or rolls
 *   back with the action. It holds the tenant's head lock until that transaction ends, so keep such transactions
 *   short.
 * - Tamper evidence: `verify()` recomputes every hash from the row's columns and checks positions, links and the
 *   head. An edited, deleted, reordered or inserted row breaks it. The chain cannot protect against someone who
 *   can rewrite the whole chain and its head (a database superuser recomputing every hash); for that, record the
 *   head hash printed by `runVerifyCommand` outside the database (an external anchor).
 * - Retention: `purgeExpired()` deletes, per tenant, the longest prefix of the chain whose rows are all older than
 *   `retentionDays` (default 180, never less than 180 unless `allowShortRetention`), records the last purged
 *   row's position and hash as the tenant's anchor in `audit_anchor`, all in one transaction that sets
 *   `yiwang.audit_purge = 'on'` locally — the only way past the append-only trigger. Verification starts from the
 *   anchor, so the chain stays verifiable.
 */
import type { Database, Queryable } from '../db/database.js';
import { GENESIS_HASH, linkHash } from './chain.js';
import { toAuditEvent } from './fhir.js';
import {
  ACCESS_ACTIONS,
  SECURITY_ACTIONS,
  type AuditAction,
  type AuditFilter,
  type AuditInput,
  type AuditOutcome,
  type AuditPage,
  type AuditRow,
  type ResidentAccess,
  type VerifyResult,
} from './types.js';

export interface AuditTrailOptions {
  /** Retention period in days (default 180). */
  retentionDays?: number;
  /** Allow a retention shorter than the 180 days the security rules require (tests only). */
  allowShortRetention?: boolean;
  /** Maximum delay between `record()` and the write (default 100 ms). */
  flushMs?: number;
  /** Flush as soon as this many events wait (default 500). */
  batchSize?: number;
  /** Bound of the in-memory queue when the database is unavailable (default 100 000). */
  maxQueue?: number;
  /** The clock (tests). */
  now?: () => Date;
  /** Background flush failures and dropped events. */
  onError?: (err: unknown) => void;
}

const MIN_RETENTION_DAYS = 180;
const DAY_MS = 86_400_000;
const SECURITY = new Set<string>(SECURITY_ACTIONS);
const ACCESS = new Set<string>(ACCESS_ACTIONS);
const FAILURE_ACTIONS = new Set<string>(['login-failure', 'lockout', 'token-refused']);
/** Rows per INSERT statement (18 parameters each, well below PostgreSQL's 65 535). */
const ROWS_PER_STATEMENT = 1_000;
const VERIFY_PAGE = 5_000;

const COLUMNS =
  'tenant, pos, recorded, kind, action, outcome, user_id, user_display, user_role, institution, patient_id, resources, query, purpose, break_glass, source_ip, detail, prev_hash, hash';
const SELECT_COLUMNS = `tenant, pos, (extract(epoch from recorded) * 1000)::float8 AS recorded_ms, kind, action, outcome, user_id,
  user_display, user_role, institution, patient_id, resources, query, purpose, break_glass, source_ip, detail, prev_hash, hash`;

interface Pending {
  input: AuditInput;
  recorded: number;
}

interface DbRow {
  tenant: string;
  pos: number | string;
  recorded_ms: number;
  kind: string;
  action: string;
  outcome: number;
  user_id: string | null;
  user_display: string | null;
  user_role: string | null;
  institution: string | null;
  patient_id: string | null;
  resources: string[] | null;
  query: string | null;
  purpose: string | null;
  break_glass: string | null;
  source_ip: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

function fromDb(r: DbRow): AuditRow {
  return {
    tenant: r.tenant,
    pos: Number(r.pos),
    recorded: Number(r.recorded_ms),
    kind: r.kind as AuditRow['kind'],
    action: r.action as AuditAction,
    outcome: Number(r.outcome) as AuditOutcome,
    userId: r.user_id,
    userDisplay: r.user_display,
    role: r.user_role,
    institution: r.institution,
    patientId: r.patient_id,
    resources: r.resources ?? [],
    query: r.query,
    purpose: r.purpose,
    breakGlass: r.break_glass,
    sourceIp: r.source_ip,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function toRow(p: Pending, pos: number, prevHash: string): AuditRow {
  const e = p.input;
  const row: Omit<AuditRow, 'hash'> = {
    tenant: e.tenant,
    pos,
    recorded: p.recorded,
    kind: SECURITY.has(e.action) ? 'security' : 'access',
    action: e.action,
    outcome: e.outcome ?? (FAILURE_ACTIONS.has(e.action) ? 4 : 0),
    userId: e.userId ?? null,
    userDisplay: e.userDisplay ?? null,
    role: e.role ?? null,
    institution: e.institution ?? null,
    patientId: e.patientId ?? null,
    resources: e.resources ?? [],
    query: e.query ?? null,
    purpose: e.purpose ?? (e.breakGlassReason ? 'BTG' : null),
    breakGlass: e.breakGlassReason ?? null,
    sourceIp: e.sourceIp ?? null,
    detail: e.detail ?? null,
    prevHash,
  };
  return { ...row, hash: linkHash(prevHash, row) };
}

function validate(e: AuditInput): void {
  if (!e || typeof e.tenant !== 'string' || !e.tenant) throw new Error('audit: tenant is required');
  if (!SECURITY.has(e.action) && !ACCESS.has(e.action)) {
    throw new Error(`audit: unknown action ${String(e.action)}`);
  }
  if (e.outcome !== undefined && ![0, 4, 8, 12].includes(e.outcome)) throw new Error(`audit: bad outcome ${String(e.outcome)}`);
}

/**
 * Appends the events of one tenant to its chain inside `tx`: locks the head, inserts, advances the head.
 * Callers holding several tenants must call it in tenant order.
 */
async function appendTenant(tx: Queryable, tenant: string, events: Pending[]): Promise<void> {
  await tx.query('INSERT INTO audit_head (tenant) VALUES ($1) ON CONFLICT (tenant) DO NOTHING', [tenant]);
  const head = (
    await tx.query<{ last_pos: number | string; last_hash: string }>(
      'SELECT last_pos, last_hash FROM audit_head WHERE tenant = $1 FOR UPDATE',
      [tenant],
    )
  ).rows[0];
  let pos = Number(head.last_pos);
  let prev = head.last_hash;
  const rows: AuditRow[] = [];
  for (const p of events) {
    const row = toRow(p, ++pos, prev);
    prev = row.hash;
    rows.push(row);
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const values: string[] = [];
    for (const r of chunk) {
      const b = params.length;
      const ph = Array.from({ length: 19 }, (_, k) => `$${b + k + 1}`);
      ph[2] += '::timestamptz';
      ph[11] += '::text[]';
      values.push(`(${ph.join(', ')})`);
      params.push(
        r.tenant,
        r.pos,
        new Date(r.recorded).toISOString(),
        r.kind,
        r.action,
        r.outcome,
        r.userId,
        r.userDisplay,
        r.role,
        r.institution,
        r.patientId,
        r.resources,
        r.query,
        r.purpose,
        r.breakGlass,
        r.sourceIp,
        r.detail,
        r.prevHash,
        r.hash,
      );
    }
    await tx.query(`INSERT INTO audit_event (${COLUMNS}) VALUES ${values.join(', ')}`, params);
  }
  await tx.query('UPDATE audit_head SET last_pos = $2, last_hash = $3 WHERE tenant = $1', [tenant, pos, prev]);
}

function encodeCursor(pos: number): string {
  return Buffer.from(`p${pos}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^p(\d{1,15})$/.exec(text);
  if (!m) throw new Error('audit: bad cursor');
  return Number(m[1]);
}

export class AuditTrail {
  readonly retentionDays: number;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  private readonly now: () => Date;
  private readonly onError: (err: unknown) => void;
  private queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The flush in progress; flushes of one instance run one after the other. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Database,
    options: AuditTrailOptions = {},
  ) {
    this.retentionDays = options.retentionDays ?? MIN_RETENTION_DAYS;
    if (!(this.retentionDays > 0)) throw new Error('audit: retentionDays must be positive');
    if (this.retentionDays < MIN_RETENTION_DAYS && !options.allowShortRetention) {
      throw new Error(`audit: audit records must be kept at least ${MIN_RETENTION_DAYS} days`);
    }
    this.flushMs = options.flushMs ?? 100;
    this.batchSize = options.batchSize ?? 500;
    this.maxQueue = options.maxQueue ?? 100_000;
    this.now = options.now ?? (() => new Date());
    this.onError = options.onError ?? ((err) => console.error('audit trail:', err));
  }

  /** Queues an event; written within `flushMs`. Never blocks; throws only on an invalid event or after close(). */
  record(e: AuditInput): void {
    if (this.closed) throw new Error('audit: trail is closed');
    validate(e);
    this.queue.push({ input: e, recorded: (e.recorded ?? this.now()).getTime() });
    if (this.queue.length > this.maxQueue) {
      const dropped = this.queue.splice(0, this.queue.length - this.maxQueue);
      this.onError(new Error(`audit: queue full, ${dropped.length} events dropped`));
    }
    if (this.queue.length >= this.batchSize) {
      this.background();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.background(), this.flushMs);
      this.timer.unref?.();
    }
  }

  /** Appends an event inside the caller's transaction: durable exactly when that transaction commits. */
  async recordNow(tx: Queryable, e: AuditInput): Promise<void> {
    validate(e);
    await appendTenant(tx, e.tenant, [{ input: e, recorded: (e.recorded ?? this.now()).getTime() }]);
  }

  private background(): void {
    this.flush().catch((err: unknown) => this.onError(err));
  }

  /** Writes every queued event; resolves when they are committed. Returns the number written. */
  flush(): Promise<number> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const run = this.chain.then(() => this.flushNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(): Promise<number> {
    if (!this.queue.length) return 0;
    const batch = this.queue;
    this.queue = [];
    const byTenant = new Map<string, Pending[]>();
    for (const p of batch) {
      let list = byTenant.get(p.input.tenant);
      if (!list) byTenant.set(p.input.tenant, (list = []));
      list.push(p);
    }
    const tenants = [...byTenant.keys()].sort();
    try {
      await this.db.transaction(async (tx) => {
        for (const tenant of tenants) await appendTenant(tx, tenant, byTenant.get(tenant)!);
      });
    } catch (err) {
      // Put the batch back in front, in order, and let the next flush retry it.
      this.queue = batch.concat(this.queue);
      if (this.queue.length > this.maxQueue) this.queue.splice(0, this.queue.length - this.maxQueue);
      if (!this.timer && !this.closed) {
        this.timer = setTimeout(() => this.background(), Math.max(this.flushMs, 1_000));
        this.timer.unref?.();
      }
      throw err;
    }
    return batch.length;
  }

  /**
   * Rows are sealed as they are written (see the top of this file), so sealing is flushing: kept for callers that
   * want "everything recorded so far is in the chain". Returns the number of rows written.
   */
  seal(): Promise<number> {
    return this.flush();
  }

  /** Checks the chain of one tenant, or of every tenant. */
  async verify(tenant?: string): Promise<VerifyResult> {
    return verifyChain(this.db, tenant);
  }

  /** Events newest first, by resident, user, period and action, with keyset paging. */
  async query(filter: AuditFilter): Promise<AuditPage> {
    const where = ['tenant = $1'];
    const params: unknown[] = [filter.tenant];
    const add = (cond: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(cond(`$${params.length}`));
    };
    if (filter.patientId !== undefined) add((p) => `patient_id = ${p}`, filter.patientId);
    if (filter.userId !== undefined) add((p) => `user_id = ${p}`, filter.userId);
    if (filter.from) add((p) => `recorded >= ${p}::timestamptz`, filter.from.toISOString());
    if (filter.to) add((p) => `recorded < ${p}::timestamptz`, filter.to.toISOString());
    if (filter.action !== undefined) {
      add((p) => `action = ANY(${p}::text[])`, Array.isArray(filter.action) ? filter.action : [filter.action]);
    }
    if (filter.breakGlass) where.push('break_glass IS NOT NULL');
    if (filter.cursor) add((p) => `pos < ${p}`, decodeCursor(filter.cursor));
    const count = Math.min(Math.max(1, Math.floor(filter.count ?? 100)), 1_000);
    params.push(count + 1);
    const rows = (
      await this.db.query<DbRow>(
        `SELECT ${SELECT_COLUMNS} FROM audit_event WHERE ${where.join(' AND ')} ORDER BY pos DESC LIMIT $${params.length}`,
        params,
      )
    ).rows.map(fromDb);
    const page: AuditPage = { events: rows.slice(0, count) };
    if (rows.length > count) page.next = encodeCursor(page.events[page.events.length - 1].pos);
    return page;
  }

  /**
   * "Who accessed my record": the accesses to one resident's personal data, newest first, reduced to accessor,
   * role, institution, time and purpose. Nothing about the resources, queries or any other resident is returned.
   * `excludeUserId` leaves out the resident's own accesses.
   */
  async accessesOfResident(
    tenant: string,
    patientId: string,
    options: { from?: Date; to?: Date; count?: number; cursor?: string; excludeUserId?: string } = {},
  ): Promise<{ accesses: ResidentAccess[]; next?: string }> {
    if (!patientId) throw new Error('audit: patientId is required');
    let cursor = options.cursor;
    const accesses: ResidentAccess[] = [];
    const count = Math.min(Math.max(1, Math.floor(options.count ?? 100)), 1_000);
    for (;;) {
      const page = await this.query({ tenant, patientId, from: options.from, to: options.to, count, cursor });
      for (const e of page.events) {
        if (e.kind !== 'access' || e.patientId !== patientId) continue;
        if (options.excludeUserId !== undefined && e.userId === options.excludeUserId) continue;
        accesses.push({
          time: new Date(e.recorded).toISOString(),
          action: e.action,
          accessor: e.userDisplay ?? e.userId,
          accessorId: e.userId,
          role: e.role,
          institution: e.institution,
          purpose: e.purpose,
          breakGlass: e.breakGlass !== null,
        });
        if (accesses.length === count) {
          const more = e !== page.events[page.events.length - 1] || page.next !== undefined;
          return more ? { accesses, next: encodeCursor(e.pos) } : { accesses };
        }
      }
      if (!page.next) return { accesses };
      cursor = page.next;
    }
  }

  /** Writes the matching events (all pages) as NDJSON FHIR AuditEvents; returns how many. */
  async exportNdjson(filter: Omit<AuditFilter, 'cursor'>, write: (line: string) => void | Promise<void>): Promise<number> {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await this.query({ ...filter, count: 1_000, cursor });
      for (const e of page.events) {
        await write(JSON.stringify(toAuditEvent(e)) + '\n');
        n++;
      }
      cursor = page.next;
    } while (cursor);
    return n;
  }

  /** Deletes the rows older than the retention period, keeping each chain verifiable through its anchor. */
  async purgeExpired(tenant?: string): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * DAY_MS).toISOString();
    const tenants =
      tenant !== undefined
        ? [tenant]
        : (await this.db.query<{ tenant: string }>('SELECT tenant FROM audit_head ORDER BY tenant')).rows.map((r) => r.tenant);
    let purged = 0;
    for (const t of tenants) {
      try {
        purged += await this.purgeTenant(t, cutoff);
      } catch (err) {
        // One tenant's broken chain must not stop the others' retention; a single-tenant call reports it.
        if (tenant !== undefined) throw err;
        this.onError(err);
      }
    }
    return purged;
  }

  private purgeTenant(t: string, cutoff: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('yiwang.audit_purge', 'on', true)`);
      const head = (await tx.query<{ last_pos: number | string }>('SELECT last_pos FROM audit_head WHERE tenant = $1 FOR UPDATE', [t]))
        .rows[0];
      if (!head) return 0;
      const anchor = (await tx.query<{ anchor_pos: number | string }>('SELECT anchor_pos FROM audit_anchor WHERE tenant = $1', [t]))
        .rows[0];
      const start = anchor ? Number(anchor.anchor_pos) : 0;
      const kept = (
        await tx.query<{ pos: number | string | null }>(
          'SELECT min(pos) AS pos FROM audit_event WHERE tenant = $1 AND recorded >= $2::timestamptz',
          [t, cutoff],
        )
      ).rows[0];
      // The longest prefix whose rows are all expired (positions may be a little out of time order).
      const last = kept?.pos != null ? Number(kept.pos) - 1 : Number(head.last_pos);
      if (last <= start) return 0;
      const hash = (await tx.query<{ hash: string }>('SELECT hash FROM audit_event WHERE tenant = $1 AND pos = $2', [t, last])).rows[0];
      if (!hash) throw new Error(`audit: tenant ${t} has no row at position ${last}; verify the chain before purging`);
      const deleted = await tx.query('DELETE FROM audit_event WHERE tenant = $1 AND pos <= $2', [t, last]);
      await tx.query(
        `INSERT INTO audit_anchor (tenant, anchor_pos, anchor_hash, purged_at) VALUES ($1, $2, $3, $4::timestamptz)
           ON CONFLICT (tenant) DO UPDATE SET anchor_pos = EXCLUDED.anchor_pos, anchor_hash = EXCLUDED.anchor_hash, purged_at = EXCLUDED.purged_at`,
        [t, last, hash.hash, this.now().toISOString()],
      );
      return deleted.rowCount;
    });
  }

  /** Flushes what is queued and stops accepting events. The database stays open (it is the caller's). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}

/** Verifies the chain of one tenant, or of every tenant, from its anchor (or the start) to its head. */
export async function verifyChain(db: Database | Queryable, tenant?: string): Promise<VerifyResult> {
  const tenants =
    tenant !== undefined
      ? [tenant]
      : (
          await db.query<{ tenant: string }>(
            'SELECT tenant FROM audit_head UNION SELECT tenant FROM audit_anchor UNION SELECT DISTINCT tenant FROM audit_event ORDER BY 1',
          )
        ).rows.map((r) => r.tenant);
  let checked = 0;
  for (const t of tenants) {
    // One consistent snapshot per tenant, so concurrent appends and purges cannot look like tampering.
    const r =
      'transaction' in db
        ? await (db as Database).transaction(async (tx) => {
            await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
            return verifyTenant(tx, t);
          })
        : await verifyTenant(db, t);
    checked += r.checked;
    if (!r.ok) return { ...r, checked, tenants: tenants.length, tenant: t };
  }
  return { ok: true, checked, tenants: tenants.length, ...(tenant !== undefined ? { tenant } : {}) };
}

async function verifyTenant(db: Queryable, tenant: string): Promise<Omit<VerifyResult, 'tenants'>> {
  // Rows commit together with the head, so every position from the anchor up to last_pos must be there.
  const head = (
    await db.query<{ last_pos: number | string; last_hash: string }>('SELECT last_pos, last_hash FROM audit_head WHERE tenant = $1', [
      tenant,
    ])
  ).rows[0];
  const anchor = (
    await db.query<{ anchor_pos: number | string; anchor_hash: string }>(
      'SELECT anchor_pos, anchor_hash FROM audit_anchor WHERE tenant = $1',
      [tenant],
    )
  ).rows[0];
  let expected = anchor ? Number(anchor.anchor_pos) + 1 : 1;
  let prev = anchor ? anchor.anchor_hash : GENESIS_HASH;
  const lastPos = head ? Number(head.last_pos) : 0;
  let checked = 0;
  const bad = (pos: number, reason: string) => ({ ok: false, checked, firstBadSeq: pos, reason });
  if (!head) {
    const any = (await db.query<{ pos: number | string }>('SELECT pos FROM audit_event WHERE tenant = $1 ORDER BY pos LIMIT 1', [tenant]))
      .rows[0];
    if (any) return bad(Number(any.pos), 'rows without a chain head');
    return { ok: true, checked };
  }
  for (;;) {
    const rows = (
      await db.query<DbRow>(
        `SELECT ${SELECT_COLUMNS} FROM audit_event WHERE tenant = $1 AND pos >= $2 AND pos <= $3 ORDER BY pos LIMIT $4`,
        [tenant, expected, lastPos, VERIFY_PAGE],
      )
    ).rows;
    for (const raw of rows) {
      const row = fromDb(raw);
      if (row.pos !== expected) return bad(expected, `row ${expected} is missing`);
      if (row.prevHash !== prev) return bad(row.pos, 'prev_hash does not match the previous row');
      if (linkHash(prev, row) !== row.hash) return bad(row.pos, 'hash does not match the row');
      prev = row.hash;
      expected++;
      checked++;
    }
    if (rows.length < VERIFY_PAGE) break;
  }
  if (expected <= lastPos) return bad(expected, `row ${expected} is missing`);
  if (prev !== head.last_hash) return bad(lastPos, 'the chain does not end at the head hash');
  const beyond = (
    await db.query<{ pos: number | string }>('SELECT pos FROM audit_event WHERE tenant = $1 AND pos > $2 ORDER BY pos LIMIT 1', [
      tenant,
      lastPos,
    ])
  ).rows[0];
  // Rows commit together with their head update, so in one snapshot a row past the head is forged.
  if (beyond) return bad(Number(beyond.pos), 'row beyond the chain head');
  if (anchor) {
    const before = (
      await db.query<{ pos: number | string }>('SELECT pos FROM audit_event WHERE tenant = $1 AND pos <= $2 ORDER BY pos LIMIT 1', [
        tenant,
        Number(anchor.anchor_pos),
      ])
    ).rows[0];
    if (before) return bad(Number(before.pos), 'row before the retention anchor');
  }
  return { ok: true, checked };
}

/** `yiwang audit verify`: prints a one-line verdict and returns it (exit code 0 when ok). */
export async function runVerifyCommand(
  db: Database,
  tenant?: string,
  print: (line: string) => void = (l) => console.log(l),
): Promise<VerifyResult> {
  const r = await verifyChain(db, tenant);
  let line: string;
  if (r.ok) {
    const heads =
      tenant !== undefined
        ? (await db.query<{ last_hash: string }>('SELECT last_hash FROM audit_head WHERE tenant = $1', [tenant])).rows[0]
        : undefined;
    line = `audit trail OK: ${r.checked} events in ${r.tenants} tenant(s) verified${heads ? `, head ${heads.last_hash}` : ''}`;
  } else {
    line = `audit trail TAMPERED: tenant ${r.tenant ?? '?'} position ${r.firstBadSeq ?? '?'}: ${r.reason ?? 'unknown'} (${r.checked} events verified before it)`;
  }
  print(line);
  return r;
}
