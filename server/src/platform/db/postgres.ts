import pg from 'pg';
import { createHash } from 'node:crypto';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';

// Timestamps and numerics come back as strings: the FHIR layer formats them itself and must not lose precision.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => v);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** The same text always gets the same name, so each pooled connection prepares it once. */
function statementName(sql: string): string {
  return 'y' + createHash('sha1').update(sql).digest('hex').slice(0, 24);
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<T>> {
      const result = options?.prepare
        ? await client.query({ name: statementName(sql), text: sql, values: params as unknown[] | undefined })
        : await client.query(sql, params as unknown[] | undefined);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

export async function openPostgres(connectionString: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // Named statements are only used for fixed-shape queries that are costly to plan: reuse one plan.
  pool.on('connect', (client) => {
    client.query('SET plan_cache_mode = force_generic_plan').catch(() => undefined);
  });
  // Fail fast with a clear message when the server is not there.
  const probe = await pool.connect();
  probe.release();
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    exec: base.exec,
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
