/**
 * Every test run gets a fresh PostgreSQL database (yiwang_test_run), created from the server's `test`
 * database: migrations apply from scratch and nothing an earlier run left behind (including append-only
 * audit rows) can change the outcome. TEST_DATABASE_URL, when set, is used as it is.
 */
import pg from 'pg';

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUN_DB = 'yiwang_test_run';

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.TEST_DATABASE_URL) return async () => undefined;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${RUN_DB}`);
  await admin.end();
  process.env.TEST_DATABASE_URL = ADMIN_URL.replace(/\/[^/]*$/, `/${RUN_DB}`);
  return async () => undefined;
}
