import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/platform/db/database.js';
import { migrate } from '../src/platform/db/migrate.js';
import { AuditTrail, linkHash, runVerifyCommand, toAuditEvent, type AuditInput } from '../src/platform/audit/index.js';
import { validateResourceFast } from '../src/platform/fhir/validation/index.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ENGINES = (process.env.TEST_ENGINES?.split(',') ?? ['pglite', 'postgres']) as ('pglite' | 'postgres')[];
const DAY = 86_400_000;

const tenantId = () => 'audit-' + randomUUID();

function read(tenant: string, i: number, extra: Partial<AuditInput> = {}): AuditInput {
  return {
    tenant,
    action: 'read',
    userId: `Practitioner/d${i % 3}`,
    userDisplay: `医生${i % 3}`,
    role: 'doctor',
    institution: 'org1',
    patientId: `p${i % 2}`,
    resources: [`Observation/o${i}`],
    purpose: 'TREAT',
    sourceIp: '10.0.0.1',
    ...extra,
  };
}

/** Runs `sql` with the append-only trigger disabled, as a superuser could (inside one transaction). */
async function tamper(db: Database, ...sql: [string, unknown[]?][]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
    for (const [s, p] of sql) await tx.query(s, p);
    await tx.query('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
  });
}

describe.each(ENGINES)('audit trail on %s', (engine) => {
  let db: Database;
  const trails: AuditTrail[] = [];
  const trail = (opts: ConstructorParameters<typeof AuditTrail>[1] = {}) => {
    const t = new AuditTrail(db, { onError: () => undefined, ...opts });
    trails.push(t);
    return t;
  };

  beforeAll(async () => {
    db = await openDatabase(engine === 'postgres' ? { databaseUrl: POSTGRES_URL } : { memory: true });
    await migrate(db);
  });
  afterAll(async () => {
    for (const t of trails) await t.close().catch(() => undefined);
    await db?.close();
  });

  it('records, flushes, seals and verifies', async () => {
    const tenant = tenantId();
    const a = trail({ flushMs: 20 });
    for (let i = 0; i < 25; i++) a.record(read(tenant, i));
    a.record({ tenant, action: 'login-failure', userId: 'zhang', sourceIp: '10.0.0.2', detail: 'bad password' });
    await a.seal();
    expect(await a.verify(tenant)).toMatchObject({ ok: true, checked: 26 });
    const { events } = await a.query({ tenant, count: 100 });
    expect(events.map((e) => e.pos)).toEqual(Array.from({ length: 26 }, (_, i) => 26 - i));
    const failure = events[0];
    expect(failure).toMatchObject({ kind: 'security', action: 'login-failure', outcome: 4, detail: 'bad password' });
    // Each link: hash = SM3(prev ‖ canonical row), prev = the previous row's hash.
    expect(linkHash(events[1].hash, failure)).toBe(failure.hash);
    expect(failure.prevHash).toBe(events[1].hash);
    // The timer flushes too.
    a.record(read(tenant, 99));
    await new Promise((r) => setTimeout(r, 200));
    expect((await a.query({ tenant, count: 1 })).events[0].pos).toBe(27);
    const lines: string[] = [];
    expect((await runVerifyCommand(db, tenant, (l) => lines.push(l))).ok).toBe(true);
    expect(lines[0]).toMatch(/^audit trail OK: 27 events in 1 tenant\(s\) verified, head [0-9a-f]{64}$/);
  });

  it('recordNow commits and rolls back with the caller', async () => {
    const tenant = tenantId();
    const a = trail();
    await db.transaction((tx) =>
      a.recordNow(tx, { tenant, action: 'policy-change', userId: 'admin', detail: 'role doctor: +Observation read' }),
    );
    await expect(
      db.transaction(async (tx) => {
        await a.recordNow(tx, { tenant, action: 'read', userId: 'x', patientId: 'p1', breakGlassReason: 'unconscious patient' });
        throw new Error('action failed');
      }),
    ).rejects.toThrow('action failed');
    a.record(read(tenant, 1));
    await a.flush();
    const { events } = await a.query({ tenant });
    expect(events.map((e) => [e.pos, e.action])).toEqual([
      [2, 'read'],
      [1, 'policy-change'],
    ]);
    expect((await a.verify(tenant)).ok).toBe(true);
  });

  it('keeps the events of a failed flush and writes them on the next one', async () => {
    const tenant = tenantId();
    let fail = true;
    const flaky: Database = {
      kind: db.kind,
      query: (sql, params, options) => db.query(sql, params, options),
      exec: (sql) => db.exec(sql),
      close: async () => undefined,
      transaction: (fn) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('connection lost'));
        }
        return db.transaction(fn);
      },
    };
    const errors: unknown[] = [];
    const a = new AuditTrail(flaky, { onError: (e) => errors.push(e) });
    trails.push(a);
    a.record(read(tenant, 1));
    a.record(read(tenant, 2));
    await expect(a.flush()).rejects.toThrow('connection lost');
    a.record(read(tenant, 3));
    expect(await a.flush()).toBe(3);
    const { events } = await a.query({ tenant });
    expect(events.map((e) => e.resources[0])).toEqual(['Observation/o3', 'Observation/o2', 'Observation/o1']);
    expect((await a.verify(tenant)).ok).toBe(true);
    await a.close();
    expect(() => a.record(read(tenant, 4))).toThrow(/closed/);
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const tenant = tenantId();
    const a = trail();
    a.record(read(tenant, 1));
    await a.flush();
    await expect(db.query(`UPDATE audit_event SET user_id = 'someone' WHERE tenant = $1`, [tenant])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_event WHERE tenant = $1', [tenant])).rejects.toThrow(/append-only/);
    await expect(db.transaction((tx) => tx.query('TRUNCATE audit_event'))).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_head WHERE tenant = $1', [tenant])).rejects.toThrow(/never removed/);
    await expect(
      db.query(`INSERT INTO audit_anchor (tenant, anchor_pos, anchor_hash, purged_at) VALUES ($1, 1, 'x', now())`, [tenant]),
    ).rejects.toThrow(/retention purge/);
    expect((await a.verify(tenant)).ok).toBe(true);
  });

  it('detects an edited row', async () => {
    const tenant = tenantId();
    const a = trail();
    for (let i = 0; i < 10; i++) a.record(read(tenant, i));
    await a.flush();
    await tamper(db, [`UPDATE audit_event SET patient_id = 'p9' WHERE tenant = $1 AND pos = 4`, [tenant]]);
    expect(await a.verify(tenant)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'hash does not match the row' });
    const lines: string[] = [];
    await runVerifyCommand(db, tenant, (l) => lines.push(l));
    expect(lines[0]).toMatch(/^audit trail TAMPERED: tenant audit-.* position 4/);
  });

  it('detects a deleted row, including the last one', async () => {
    const tenant = tenantId();
    const a = trail();
    for (let i = 0; i < 10; i++) a.record(read(tenant, i));
    await a.flush();
    await tamper(db, ['DELETE FROM audit_event WHERE tenant = $1 AND pos = 6', [tenant]]);
    expect(await a.verify(tenant)).toMatchObject({ ok: false, firstBadSeq: 6 });
    const tenant2 = tenantId();
    for (let i = 0; i < 5; i++) a.record(read(tenant2, i));
    await a.flush();
    await tamper(db, ['DELETE FROM audit_event WHERE tenant = $1 AND pos = 5', [tenant2]]);
    expect(await a.verify(tenant2)).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it('detects reordered and inserted rows', async () => {
    const tenant = tenantId();
    const a = trail();
    for (let i = 0; i < 10; i++) a.record(read(tenant, i));
    await a.flush();
    // Swap rows 3 and 4.
    await tamper(
      db,
      ['UPDATE audit_event SET pos = -1 WHERE tenant = $1 AND pos = 3', [tenant]],
      ['UPDATE audit_event SET pos = 3 WHERE tenant = $1 AND pos = 4', [tenant]],
      ['UPDATE audit_event SET pos = 4 WHERE tenant = $1 AND pos = -1', [tenant]],
    );
    expect(await a.verify(tenant)).toMatchObject({ ok: false, firstBadSeq: 3 });

    // Insert a forged row after 5 with a correctly computed link, shifting the rest.
    const t2 = tenantId();
    for (let i = 0; i < 10; i++) a.record(read(t2, i));
    await a.flush();
    const five = (await a.query({ tenant: t2, count: 1, cursor: undefined, from: undefined })).events[0];
    expect(five.pos).toBe(10);
    const row5 = (await a.query({ tenant: t2, count: 100 })).events.find((e) => e.pos === 5)!;
    const forged = { ...row5, pos: 6, patientId: 'p7', resources: ['Observation/forged'], prevHash: row5.hash };
    const hash = linkHash(row5.hash, forged);
    await tamper(
      db,
      ['UPDATE audit_event SET pos = pos + 100 WHERE tenant = $1 AND pos > 5', [t2]],
      ['UPDATE audit_event SET pos = pos - 99 WHERE tenant = $1 AND pos > 100', [t2]],
      [
        `INSERT INTO audit_event (tenant, pos, recorded, kind, action, outcome, patient_id, resources, prev_hash, hash)
         SELECT tenant, 6, recorded, kind, action, outcome, 'p7', ARRAY['Observation/forged'], prev_hash, $2 FROM audit_event
         WHERE tenant = $1 AND pos = 7`,
        [t2, hash],
      ],
    );
    const r = await a.verify(t2);
    expect(r.ok).toBe(false);
    expect(r.firstBadSeq).toBeGreaterThanOrEqual(6);
    expect(r.firstBadSeq).toBeLessThanOrEqual(7);

    // A row appended past the head.
    const t3 = tenantId();
    for (let i = 0; i < 3; i++) a.record(read(t3, i));
    await a.flush();
    const last = (await a.query({ tenant: t3, count: 1 })).events[0];
    const extra = { ...last, pos: 4, prevHash: last.hash };
    await db.query(
      `INSERT INTO audit_event (tenant, pos, recorded, kind, action, outcome, user_id, user_display, user_role, institution, patient_id,
        resources, query, purpose, break_glass, source_ip, detail, prev_hash, hash)
       SELECT tenant, 4, recorded, kind, action, outcome, user_id, user_display, user_role, institution, patient_id, resources, query,
        purpose, break_glass, source_ip, detail, $2, $3 FROM audit_event WHERE tenant = $1 AND pos = 3`,
      [t3, last.hash, linkHash(last.hash, extra)],
    );
    expect(await a.verify(t3)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'row beyond the chain head' });
  });

  it('keeps one valid chain under concurrent writers', async () => {
    const tenant = tenantId();
    const other = tenantId();
    const writers = [trail({ batchSize: 7 }), trail({ batchSize: 5 }), trail({ batchSize: 11 })];
    const verifying = (async () => {
      const verdicts = [];
      for (let i = 0; i < 5; i++) {
        verdicts.push(await writers[0].verify(tenant));
        await new Promise((r) => setTimeout(r, 5));
      }
      return verdicts;
    })();
    await Promise.all(
      writers.map(async (w, k) => {
        for (let i = 0; i < 60; i++) {
          w.record(read(i % 4 === 0 ? other : tenant, i, { userId: `Practitioner/w${k}` }));
          if (i % 9 === 0) await w.flush();
        }
        await w.flush();
      }),
    );
    await Promise.all(writers.map((w) => Promise.all([w.flush(), w.flush()])));
    expect((await verifying).every((v) => v.ok)).toBe(true);
    const v = await writers[0].verify(tenant);
    expect(v).toMatchObject({ ok: true, checked: 135 });
    expect(await writers[1].verify(other)).toMatchObject({ ok: true, checked: 45 });
  });

  it('purges only expired rows and stays verifiable', async () => {
    const tenant = tenantId();
    let now = new Date('2025-01-01T00:00:00Z').getTime();
    const a = trail({ now: () => new Date(now) });
    expect(() => new AuditTrail(db, { retentionDays: 30 })).toThrow(/180/);
    for (let i = 0; i < 5; i++) a.record(read(tenant, i));
    await a.flush();
    now += 100 * DAY;
    for (let i = 5; i < 8; i++) a.record(read(tenant, i));
    await a.flush();
    now += 100 * DAY; // the first 5 are 200 days old, the next 3 are 100 days old
    expect(await a.purgeExpired(tenant)).toBe(5);
    expect(await a.verify(tenant)).toMatchObject({ ok: true, checked: 3 });
    expect((await a.query({ tenant })).events.map((e) => e.pos)).toEqual([8, 7, 6]);
    expect(await a.purgeExpired(tenant)).toBe(0);
    a.record(read(tenant, 9));
    await a.flush();
    now += 100 * DAY;
    // Every tenant at once on the private PGlite; one tenant on the shared PostgreSQL test database.
    expect(await a.purgeExpired(engine === 'pglite' ? undefined : tenant)).toBe(3);
    expect(await a.verify(tenant)).toMatchObject({ ok: true, checked: 1 });
    // Deleting the first kept row after a purge is still detected.
    await tamper(db, ['DELETE FROM audit_event WHERE tenant = $1 AND pos = 9', [tenant]]);
    expect(await a.verify(tenant)).toMatchObject({ ok: false, firstBadSeq: 9 });
  });

  it('queries by resident, user, period and action with paging', async () => {
    const tenant = tenantId();
    let now = Date.parse('2026-03-01T08:00:00Z');
    const a = trail({ now: () => new Date((now += 60_000)) });
    for (let i = 0; i < 30; i++) a.record(read(tenant, i, i % 5 === 0 ? { action: 'search-type', query: 'Observation?patient=p0' } : {}));
    await a.flush();
    const pages: number[][] = [];
    let cursor: string | undefined;
    do {
      const page = await a.query({ tenant, patientId: 'p0', count: 4, cursor });
      pages.push(page.events.map((e) => e.pos));
      cursor = page.next;
    } while (cursor);
    expect(pages.flat()).toEqual([29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1]);
    expect(pages[0]).toHaveLength(4);
    expect((await a.query({ tenant, userId: 'Practitioner/d1', count: 100 })).events.every((e) => e.userId === 'Practitioner/d1')).toBe(
      true,
    );
    expect((await a.query({ tenant, userId: 'Practitioner/d1', count: 100 })).events).toHaveLength(10);
    const byAction = await a.query({ tenant, action: 'search-type' });
    expect(byAction.events.map((e) => e.pos)).toEqual([26, 21, 16, 11, 6, 1]);
    const period = await a.query({
      tenant,
      from: new Date(Date.parse('2026-03-01T08:00:00Z') + 3 * 60_000),
      to: new Date(Date.parse('2026-03-01T08:00:00Z') + 6 * 60_000),
    });
    expect(period.events.map((e) => e.pos)).toEqual([5, 4, 3]);
    expect((await a.query({ tenant: tenantId() })).events).toEqual([]);
    await expect(a.query({ tenant, cursor: 'garbage' })).rejects.toThrow(/cursor/);
  });

  it("lists who accessed a resident's record, and nothing else", async () => {
    const tenant = tenantId();
    const a = trail();
    a.record(read(tenant, 0, { patientId: 'res1', userId: 'Practitioner/li', userDisplay: '李医生', institution: 'hosp1' }));
    a.record(read(tenant, 1, { patientId: 'res2', userId: 'Practitioner/wang', userDisplay: '王医生' }));
    a.record(read(tenant, 2, { patientId: 'res1', userId: 'Practitioner/zhao', userDisplay: '赵医生', breakGlassReason: '急诊昏迷' }));
    a.record(read(tenant, 3, { patientId: 'res1', userId: 'Patient/res1', userDisplay: '本人', role: 'resident' }));
    a.record({ tenant, action: 'login', userId: 'Practitioner/li' });
    a.record(read(tenantId(), 4, { patientId: 'res1' })); // same id in another county
    await a.flush();
    const mine = await a.accessesOfResident(tenant, 'res1', { excludeUserId: 'Patient/res1' });
    expect(mine.accesses.map((x) => x.accessor)).toEqual(['赵医生', '李医生']);
    expect(mine.accesses[0]).toEqual({
      time: expect.any(String),
      action: 'read',
      accessor: '赵医生',
      accessorId: 'Practitioner/zhao',
      role: 'doctor',
      institution: 'org1',
      purpose: 'TREAT',
      breakGlass: true,
    });
    expect(JSON.stringify(mine)).not.toMatch(/res2|Observation|王医生/);
    const page1 = await a.accessesOfResident(tenant, 'res1', { count: 2 });
    expect(page1.accesses).toHaveLength(2);
    const page2 = await a.accessesOfResident(tenant, 'res1', { count: 2, cursor: page1.next });
    expect(page2.accesses.map((x) => x.accessor)).toEqual(['李医生']);
    expect(page2.next).toBeUndefined();
  });

  it('renders and exports valid FHIR R4 AuditEvents', async () => {
    const tenant = tenantId();
    const a = trail();
    const inputs: AuditInput[] = [
      read(tenant, 1),
      { ...read(tenant, 2), action: 'vread' },
      { ...read(tenant, 3), action: 'search-type', resources: [], query: 'Observation?patient=p1&code=8867-4' },
      { ...read(tenant, 4), action: 'create' },
      { ...read(tenant, 5), action: 'update' },
      { ...read(tenant, 6), action: 'delete' },
      { ...read(tenant, 7), action: 'history' },
      { ...read(tenant, 8), action: 'export', patientId: undefined },
      { ...read(tenant, 9), breakGlassReason: '急诊抢救，患者昏迷', purpose: undefined },
      { tenant, action: 'login', userId: 'zhang.san', sourceIp: '::1' },
      { tenant, action: 'logout', userId: 'Practitioner/d1' },
      { tenant, action: 'login-failure', userId: 'zhang.san', detail: 'wrong password' },
      { tenant, action: 'lockout', userId: 'zhang.san', detail: '5 failures' },
      { tenant, action: 'token-refused', sourceIp: '10.1.1.1', detail: 'expired' },
      { tenant, action: 'credential-change', userId: 'zhang.san', detail: 'password changed' },
      { tenant, action: 'policy-change', userId: 'Practitioner/admin', role: 'admin', detail: 'granted nurse: read Observation' },
    ];
    for (const e of inputs) a.record(e);
    await a.flush();
    const lines: string[] = [];
    expect(await a.exportNdjson({ tenant }, (l) => void lines.push(l))).toBe(inputs.length);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      const ev = JSON.parse(line);
      expect(validateResourceFast(ev), line).toEqual([]);
    }
    const events = lines.map((l) => JSON.parse(l)).reverse();
    expect(events[0]).toMatchObject({
      resourceType: 'AuditEvent',
      type: { code: 'rest' },
      subtype: [{ code: 'read' }],
      action: 'R',
      outcome: '0',
      agent: [
        { who: { reference: 'Practitioner/d1', display: '医生1' }, requestor: true, network: { address: '10.0.0.1', type: '2' } },
        { who: { reference: 'Organization/org1' }, requestor: false },
      ],
      entity: [{ what: { reference: 'Patient/p1' } }, { what: { reference: 'Observation/o1' } }],
    });
    expect(events[2].entity[1].query).toBe(Buffer.from('Observation?patient=p1&code=8867-4').toString('base64'));
    expect(events[8].purposeOfEvent[0].coding[0]).toMatchObject({
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
      code: 'BTG',
    });
    expect(events[8].extension[0].valueString).toBe('急诊抢救，患者昏迷');
    expect(events[9]).toMatchObject({ type: { code: '110114' }, subtype: [{ code: '110122' }], action: 'E' });
    expect(events[11].outcome).toBe('4');
    expect(toAuditEvent((await a.query({ tenant, count: 1 })).events[0])).toMatchObject({ subtype: [{ code: '110129' }] });
  });
});
