/**
 * One small database interface over PostgreSQL (`pg`) and the embedded PGlite.
 * Every module writes the same SQL for both; the two adapters only differ in how they connect.
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Keep the statement prepared on the connection (PostgreSQL; PGlite runs in process and ignores it).
   * 'auto': PostgreSQL's own choice, which settles on a cached generic plan for simple fixed-shape
   * statements such as a read by primary key. 'generic': force the generic plan, for large queries
   * whose planning costs more than their execution ($everything's UNION over every compartment table
   * plans in ~8 ms and runs in ~1 ms, and PostgreSQL would keep re-planning it).
   */
  prepare?: 'auto' | 'generic';
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory; ignored for PostgreSQL. */
  dataDir?: string;
  /** PGlite in memory (tests, `--memory`). */
  memory?: boolean;
  /** Size of the PostgreSQL connection pool. */
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite(options.memory ? undefined : (options.dataDir ?? './data'));
}
