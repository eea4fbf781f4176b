/**
 * Every test run gets a fresh PostgreSQL database (yiwang_test_<pid>), created from the server's `test`
 * database: migrations apply from scratch and nothing an earlier run left behind (including append-only
 * audit rows) can change the outcome. Runs at the same time (several developers or agents on one machine)
 * each have their own; a run drops its database at the end, and databases of runs that died are dropped
 * once their process is gone. TEST_DATABASE_URL, when set, is used as it is.
 */
import pg from 'pg';

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PREFIX = 'yiwang_test_';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.TEST_DATABASE_URL) return async () => undefined;
  const runDb = `${PREFIX}${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const leftovers = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}%'`);
  for (const { datname } of leftovers.rows) {
    const pid = Number(datname.slice(PREFIX.length));
    if (datname === runDb || !Number.isInteger(pid) || !alive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  await admin.query(`CREATE DATABASE "${runDb}"`);
  await admin.end();
  process.env.TEST_DATABASE_URL = ADMIN_URL.replace(/\/[^/]*$/, `/${runDb}`);
  return async () => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${runDb}" WITH (FORCE)`);
    // Databases of this run's workers (apps on a ManualClock, helpers/db.ts): their processes have ended.
    const left = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}%'`);
    for (const { datname } of left.rows) {
      const pid = Number(datname.slice(PREFIX.length));
      if (Number.isInteger(pid) && !alive(pid)) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await client.end();
  };
}
