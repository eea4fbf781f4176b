/**
 * The record store: every create, update, patch and delete of a FHIR resource goes through here,
 * writing the resource row, its history row and its search values in one transaction.
 * Inside a bundle transaction, new resources are buffered and written with multi-row INSERTs.
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { applyPatch, type Operation } from 'rfc6902';
import type { Database, Queryable, QueryOptions } from '../db/database.js';
import { systemAccess, type AccessFilter } from './access.js';
import { extractSearchValues } from './extract.js';
import { badRequest, conflict, gone, notFound, preconditionFailed, unprocessable } from './outcomes.js';
import { insertRows, updateRow, type ResourceRow } from './rows.js';
import { getTableModel, type TableModel } from './schema.js';
import { pgTimestampToIso, SqlParams } from './sql.js';
import { protectionFor, type FieldProtection } from '../protect/protection.js';
import { assertResourceType, assertValidId, validateIncoming } from './validate.js';
import { runWriteHooks } from './write-hooks.js';
import { appendOutboxEvents, outboxSignal } from '../events/outbox.js';

export interface RepositoryContext {
  tenant: string;
  access?: AccessFilter;
  /** Injectable clock for tests. */
  now?: () => Date;
  /** Field encryption; default: the one attached to the database (protect/index.ts). */
  protection?: FieldProtection;
}

export interface WriteResult {
  resource: Resource;
  /** 'created' (201), 'updated' (200), 'unchanged' (conditional create found a match: 200). */
  outcome: 'created' | 'updated' | 'unchanged';
}

interface StoredRow {
  content: string;
  version: number;
  last_updated: string;
  deleted: boolean;
}

export function modelFor(resourceType: string): TableModel {
  assertResourceType(resourceType);
  const model = getTableModel(resourceType);
  if (!model) throw badRequest(`Unknown resource type '${resourceType}'`);
  return model;
}

/** Puts resourceType, id and meta first so stored JSON reads naturally. */
function withMeta(resource: Resource, id: string, version: number, lastUpdated: string): Resource {
  const { resourceType, id: _ignored, meta, ...rest } = resource as Resource & Record<string, unknown>;
  return {
    resourceType,
    id,
    meta: { ...(meta ?? {}), versionId: String(version), lastUpdated },
    ...rest,
  } as Resource;
}

export class Repository {
  private pending = new Map<string, ResourceRow[]>();
  readonly access: AccessFilter;
  /** The encryption boundary: content is sealed on every write and revealed in `query`. */
  readonly protection: FieldProtection;

  constructor(
    readonly db: Queryable,
    readonly ctx: RepositoryContext,
    private readonly database?: Database,
  ) {
    this.access = ctx.access ?? systemAccess;
    this.protection = ctx.protection ?? protectionFor(database ?? db);
  }

  get tenant(): string {
    return this.ctx.tenant;
  }

  now(): string {
    return (this.ctx.now ? this.ctx.now() : new Date()).toISOString();
  }

  /** Runs `fn` with a repository bound to one database transaction (or this one, if already inside one). */
  async withTransaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    if (!this.database) return fn(this);
    const result = await this.database.transaction(async (tx) => {
      const repo = new Repository(tx, { ...this.ctx, protection: this.protection });
      const result = await fn(repo);
      await repo.flush();
      return result;
    });
    // Committed: the events it appended can be delivered now rather than at the dispatcher's next poll.
    outboxSignal.notify();
    return result;
  }

  /** Writes buffered new resources; called before any read so a transaction sees its own writes. */
  async flush(): Promise<void> {
    if (!this.pending.size) return;
    const pending = this.pending;
    this.pending = new Map();
    for (const [type, rows] of pending) await insertRows(this.db, modelFor(type), this.tenant, rows);
    // The events of these creates, in the same transaction (transactional outbox).
    const events = [...pending].flatMap(([resourceType, rows]) =>
      rows.map((r) => ({ resourceType, id: r.id, version: r.version, action: 'create' as const, at: r.lastUpdated })),
    );
    await appendOutboxEvents(this.db, this.tenant, events);
  }

  async query<T>(sql: string, params: unknown[], options?: QueryOptions): Promise<T[]> {
    await this.flush();
    // Every stored content leaving the store passes here: protected fields are decrypted in one place.
    return this.protection.revealRows((await this.db.query<T>(sql, params, options)).rows);
  }

  /** Creates a resource with a server-assigned UUID (or the one given by a transaction). */
  async create(body: unknown, options: { assignedId?: string; where?: string; validated?: boolean } = {}): Promise<WriteResult> {
    const resource = options.validated ? (body as Resource) : validateIncoming(body, undefined, options.where);
    // The access check and the insert share one transaction, so the check still holds when the row lands.
    if (this.database) return this.withTransaction((tx) => tx.create(resource, { ...options, validated: true }));
    const model = modelFor(resource.resourceType);
    await this.access.checkWrite(this, resource, 'create');
    const id = options.assignedId ?? randomUUID();
    const stored = withMeta(resource, id, 1, this.now());
    const extracted = extractSearchValues(stored, model);
    const row: ResourceRow = {
      id,
      version: 1,
      lastUpdated: stored.meta?.lastUpdated as string,
      deleted: false,
      content: this.protection.seal(stored, extracted, model),
      extracted,
    };
    // Buffered: flushed as multi-row INSERTs before the next read or at commit.
    const list = this.pending.get(model.resourceType) ?? [];
    list.push(row);
    this.pending.set(model.resourceType, list);
    await runWriteHooks(this, { resourceType: model.resourceType, id, action: 'create', resource: stored });
    return { resource: stored, outcome: 'created' };
  }

  private async readRow(model: TableModel, id: string, lock: boolean): Promise<StoredRow | undefined> {
    const params = new SqlParams([this.tenant, id]);
    const filter = lock ? null : this.access.readCondition(model.resourceType, 'r', params);
    const rows = await this.query<StoredRow>(
      `SELECT content, version, last_updated, deleted FROM ${model.table} r WHERE r.tenant = $1 AND r.id = $2${filter ? ` AND (${filter})` : ''}${lock ? ' FOR UPDATE' : ''}`,
      params.values,
      { prepare: 'auto' },
    );
    return rows[0];
  }

  /** The current version as stored text, with its version and time; 404 or 410 otherwise. */
  async readStored(resourceType: string, id: string): Promise<{ content: string; version: number; lastUpdated: string }> {
    const model = modelFor(resourceType);
    assertValidId(id);
    const row = await this.readRow(model, id, false);
    if (!row) throw notFound(`${resourceType}/${id} not found`);
    if (row.deleted) throw gone(`${resourceType}/${id} was deleted (version ${row.version})`);
    return { content: row.content, version: row.version, lastUpdated: pgTimestampToIso(row.last_updated) };
  }

  async read(resourceType: string, id: string): Promise<Resource> {
    return JSON.parse((await this.readStored(resourceType, id)).content) as Resource;
  }

  async vread(resourceType: string, id: string, versionId: string): Promise<Resource> {
    const model = modelFor(resourceType);
    assertValidId(id);
    if (!/^\d{1,9}$/.test(versionId)) throw notFound(`${resourceType}/${id}/_history/${versionId} not found`);
    // Visibility follows the current row: a caller who may not see the resource may not see its past.
    if (!(await this.readRow(model, id, false))) throw notFound(`${resourceType}/${id} not found`);
    const rows = await this.query<StoredRow>(
      `SELECT content, version, last_updated, deleted FROM ${model.history} WHERE tenant = $1 AND id = $2 AND version = $3`,
      [this.tenant, id, Number(versionId)],
    );
    const row = rows[0];
    if (!row) throw notFound(`${resourceType}/${id}/_history/${versionId} not found`);
    if (row.deleted) throw gone(`${resourceType}/${id} version ${versionId} is a deletion`);
    return JSON.parse(row.content) as Resource;
  }

  /**
   * Update (or create-on-update) at a client-chosen id. The row is locked for the transaction, so
   * concurrent writers queue behind each other and `If-Match` detects every lost update.
   */
  async update(
    resourceType: string,
    id: string,
    body: unknown,
    options: { ifMatch?: string; where?: string; validated?: boolean } = {},
  ): Promise<WriteResult> {
    const resource = options.validated ? (body as Resource) : validateIncoming(body, resourceType, options.where);
    assertValidId(id);
    if (resource.id !== undefined && resource.id !== id) {
      throw badRequest(`The resource id '${resource.id}' does not match the URL id '${id}'`, `${resourceType}.id`);
    }
    const model = modelFor(resourceType);
    return this.inTx(async (repo) => {
      const existing = await repo.readRow(model, id, true);
      repo.checkIfMatch(options.ifMatch, existing, resourceType, id);
      await repo.access.checkWrite(repo, resource, existing ? 'update' : 'create');
      const version = (existing?.version ?? 0) + 1;
      const stored = withMeta(resource, id, version, repo.now());
      const extracted = extractSearchValues(stored, model);
      const row: ResourceRow = {
        id,
        version,
        lastUpdated: stored.meta?.lastUpdated as string,
        deleted: false,
        content: repo.protection.seal(stored, extracted, model),
        extracted,
      };
      if (existing) {
        await updateRow(repo.db, model, repo.tenant, row);
      } else {
        await insertRows(repo.db, model, repo.tenant, [row]);
      }
      const action = existing ? ('update' as const) : ('create' as const);
      await appendOutboxEvents(repo.db, repo.tenant, [{ resourceType, id, version, action, at: row.lastUpdated }]);
      await runWriteHooks(repo, { resourceType, id, action: existing ? 'update' : 'create', resource: stored });
      return { resource: stored, outcome: existing ? ('updated' as const) : ('created' as const) };
    });
  }

  async patch(
    resourceType: string,
    id: string,
    operations: unknown,
    options: { ifMatch?: string; where?: string } = {},
  ): Promise<WriteResult> {
    if (!Array.isArray(operations)) throw badRequest('A JSON Patch body must be an array of operations');
    const model = modelFor(resourceType);
    assertValidId(id);
    return this.inTx(async (repo) => {
      const existing = await repo.readRow(model, id, true);
      if (!existing) throw notFound(`${resourceType}/${id} not found`);
      if (existing.deleted) throw gone(`${resourceType}/${id} was deleted`);
      repo.checkIfMatch(options.ifMatch, existing, resourceType, id);
      const target = JSON.parse(existing.content) as Resource;
      const results = applyPatch(target, operations as Operation[]);
      results.forEach((err, i) => {
        if (!err) return;
        if (err.name === 'TestError') throw unprocessable(`JSON Patch test failed at operation ${i}: ${err.message}`, `Patch[${i}]`);
        throw unprocessable(`JSON Patch operation ${i} cannot be applied: ${err.message}`, `Patch[${i}]`);
      });
      if (target.resourceType !== resourceType || target.id !== id) {
        throw unprocessable('A patch may not change resourceType or id');
      }
      return repo.update(resourceType, id, target, { where: options.where });
    });
  }

  async delete(resourceType: string, id: string): Promise<void> {
    const model = modelFor(resourceType);
    assertValidId(id);
    await this.inTx(async (repo) => {
      const existing = await repo.readRow(model, id, true);
      if (!existing || existing.deleted) return; // Deleting what is not there succeeds (idempotent).
      const current = JSON.parse(existing.content) as Resource;
      await repo.access.checkWrite(repo, current, 'delete');
      const version = existing.version + 1;
      const tombstone = withMeta({ resourceType } as Resource, id, version, repo.now());
      await updateRow(repo.db, model, repo.tenant, {
        id,
        version,
        lastUpdated: tombstone.meta?.lastUpdated as string,
        deleted: true,
        content: JSON.stringify(tombstone),
        extracted: null,
      });
      await appendOutboxEvents(repo.db, repo.tenant, [{ resourceType, id, version, action: 'delete', at: tombstone.meta?.lastUpdated }]);
      await runWriteHooks(repo, { resourceType, id, action: 'delete' });
    });
  }

  private checkIfMatch(ifMatch: string | undefined, existing: StoredRow | undefined, type: string, id: string): void {
    if (ifMatch === undefined) return;
    const expected = /^(W\/)?"?([^"]*)"?$/.exec(ifMatch.trim())?.[2];
    if (!existing) throw preconditionFailed(`If-Match given but ${type}/${id} does not exist`);
    if (expected !== String(existing.version)) {
      throw preconditionFailed(`Version conflict on ${type}/${id}: If-Match ${ifMatch} but current version is ${existing.version}`);
    }
  }

  private async inTx<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    try {
      return await this.withTransaction(fn);
    } catch (err) {
      // Two creates of one new id racing: the loser sees a unique violation; tell the client plainly.
      if ((err as { code?: string }).code === '23505') throw conflict('Concurrent write of the same resource; retry');
      throw err;
    }
  }
}
