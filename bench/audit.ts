/**
 * Audit trail throughput on PostgreSQL: N events recorded by several AuditTrail instances (as several server
 * processes would) across a few tenants, then flushed; prints events/s of record → committed, and of verify.
 * A print, not an assertion. Uses its own database (dropped and recreated):
 *   npx tsx bench/audit.ts [events]      (BENCH_ADMIN_URL to point elsewhere)
 */
import { AuditTrail } from '../server/src/platform/audit/index.js';
import { openDatabase } from '../server/src/platform/db/database.js';
import { migrate } from '../server/src/platform/db/migrate.js';
import { ensureDatabase } from './lib.js';

const total = Number(process.argv[2] ?? 50_000);
const WRITERS = 3;
const TENANTS = ['county-a', 'county-b', 'county-c', 'county-d'];

const url = await ensureDatabase('yiwang_bench_audit', true);
const db = await openDatabase({ databaseUrl: url, poolSize: 6 });
await migrate(db);
const trails = Array.from({ length: WRITERS }, () => new AuditTrail(db));

const start = performance.now();
let recordMs = 0;
// Arrive in bursts of 1 000 events per writer, yielding between bursts as a server handling requests would.
for (let i = 0; i < total;) {
  const t0 = performance.now();
  for (let k = 0; k < 1_000 && i < total; k++, i++) {
    trails[i % WRITERS].record({
      tenant: TENANTS[i % TENANTS.length],
      action: i % 10 === 0 ? 'search-type' : 'read',
      userId: `Practitioner/d${i % 50}`,
      userDisplay: `医生${i % 50}`,
      role: 'doctor',
      institution: `org${i % 7}`,
      patientId: `p${i % 5_000}`,
      resources: [`Observation/o${i}`],
      query: i % 10 === 0 ? `Observation?patient=p${i % 5_000}` : undefined,
      purpose: 'TREAT',
      sourceIp: '10.0.0.1',
    });
  }
  recordMs += performance.now() - t0;
  await new Promise((r) => setImmediate(r));
}
await Promise.all(trails.map((t) => t.close()));
const seconds = (performance.now() - start) / 1000;

const v0 = performance.now();
const verdict = await trails[0].verify();
const verifySeconds = (performance.now() - v0) / 1000;

console.log(
  `audit: ${total} events by ${WRITERS} writers into ${TENANTS.length} tenants in ${seconds.toFixed(2)} s = ` +
    `${Math.round(total / seconds)} events/s committed (record() itself: ${((recordMs * 1000) / total).toFixed(2)} µs/event); ` +
    `verify ${verdict.ok ? 'OK' : 'FAILED'} ${verdict.checked} rows in ${verifySeconds.toFixed(2)} s = ${Math.round(verdict.checked / verifySeconds)} rows/s`,
);
await db.close();
