/**
 * Versioned SQL migrations: numbered files in ./migrations, applied in order at start-up and by `yiwang migrate`.
 * Each migration runs in its own transaction together with its bookkeeping row, so a crash never leaves
 * half a migration behind. A checksum guards against editing a migration that already ran.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/** Arbitrary constant: the advisory lock that serialises servers migrating the same PostgreSQL database. */
const MIGRATION_LOCK = 4_242_001;

export async function migrate(db: Database, log: (msg: string) => void = () => undefined): Promise<number> {
  if (db.kind !== 'postgres') return applyMigrations(db, log);
  // The lock is per session; pin one connection for lock and unlock.
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    return applyMigrations(db, log);
  });
}

async function applyMigrations(db: Database, log: (msg: string) => void): Promise<number> {
  await db.exec(`CREATE TABLE IF NOT EXISTS yiwang_migration (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied = new Map(
    (await db.query<{ version: number; checksum: string; name: string }>('SELECT version, checksum, name FROM yiwang_migration')).rows.map(
      (r) => [r.version, r],
    ),
  );
  let count = 0;
  for (const m of listMigrations()) {
    const done = applied.get(m.version);
    if (done) {
      if (done.checksum !== m.checksum) {
        throw new Error(`Migration ${m.version} (${m.name}) was changed after it was applied; add a new migration instead.`);
      }
      continue;
    }
    log(`applying migration ${m.version} ${m.name}`);
    await db.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO yiwang_migration (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    });
    count++;
  }
  return count;
}
