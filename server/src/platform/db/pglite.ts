import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.js';

// Same conventions as the PostgreSQL adapter: timestamps and numerics as text.
const parsers = {
  [types.TIMESTAMPTZ]: (v: string) => v,
  [types.NUMERIC]: (v: string) => v,
  [types.INT8]: (v: string) => Number(v),
};

function wrap(db: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    // PGlite runs in process; the `prepare` hint is not needed there.
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      const result = await db.query<T>(sql, params as unknown[] | undefined, { parsers });
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  const base = wrap(db);
  return {
    kind: 'pglite',
    query: base.query,
    // PGlite is single-connection; its transaction() holds a lock so other queries wait for the commit.
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction((tx) => fn(wrap(tx)));
    },
    exec: base.exec,
    async close(): Promise<void> {
      await db.close();
    },
  };
}
