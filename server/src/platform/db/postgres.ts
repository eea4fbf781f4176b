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

/**
 * A prepared statement runs with a forced generic plan, set on its own connection just around it:
 * PostgreSQL would otherwise keep re-planning wide UNIONs whose custom plans it estimates cheaper.
 */
async function runPrepared(client: pg.PoolClient | pg.Client, sql: string, params?: unknown[]): Promise<pg.QueryResult> {
  await client.query('SET plan_cache_mode = force_generic_plan');
  try {
    return await client.query({ name: statementName(sql), text: sql, values: params as unknown[] | undefined });
  } finally {
    await client.query('RESET plan_cache_mode');
  }
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<T>> {
      let result: pg.QueryResult;
      if (options?.prepare === 'auto') {
        result = await client.query({ name: statementName(sql), text: sql, values: params as unknown[] | undefined });
      } else if (options?.prepare === 'generic') {
        if (client instanceof pg.Pool) {
          const c = await client.connect();
          try {
            result = await runPrepared(c, sql, params);
          } finally {
            c.release();
          }
        } else {
          result = await runPrepared(client, sql, params);
        }
      } else {
        result = await client.query(sql, params as unknown[] | undefined);
      }
      return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

export async function openPostgres(connectionString: string, poolSize: number): Promise<Database> {
  // Named statements (QueryOptions.prepare) switch to a cached generic plan after five executions when it
  // costs no more than the custom ones (PostgreSQL's default plan_cache_mode). Forcing generic plans for
  // the whole session would also blind ordinary searches to their parameter values.
  const pool = new pg.Pool({ connectionString, max: poolSize });
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
