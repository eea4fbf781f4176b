/** Durable timed jobs: idempotent scheduling, runs when due by the platform clock, once, across restarts; retries. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock.js';
import { Scheduler, type ScheduledJob } from '../src/platform/scheduler/scheduler.js';
import { closeApps, ENGINES, sharedApp } from './helpers/db.js';

afterAll(closeApps);

describe.each(ENGINES)('scheduler on %s', (engine) => {
  // Building the app (migrations) can take long on a loaded machine: in the hook, not in the first test.
  beforeAll(() => sharedApp(engine));

  async function setup(opts: { maxAttempts?: number } = {}) {
    const yiwang = await sharedApp(engine);
    const clock = new ManualClock('2026-12-05T08:00:00+08:00');
    const tenant = 't-' + randomUUID();
    const ran: ScheduledJob[] = [];
    const make = () => {
      const s = new Scheduler(yiwang.db, { clock, repositoryFor: (t) => yiwang.systemRepository(t), ...opts });
      s.handle('remind', async (job) => {
        ran.push(job);
      });
      return s;
    };
    return { yiwang, clock, tenant, ran, make };
  }

  it('runs a job once when its time comes; scheduling the same key twice makes one job', async () => {
    const { clock, tenant, ran, make } = await setup();
    const s = make();
    await s.schedule({ tenant, key: 'task-1:remind', kind: 'remind', runAt: '2026-12-05T08:10:00+08:00', payload: { n: 1 } });
    await s.schedule({ tenant, key: 'task-1:remind', kind: 'remind', runAt: '2026-12-05T08:05:00+08:00', payload: { n: 2 } });
    expect(await s.pending(tenant)).toHaveLength(1);
    clock.advance('PT9M');
    await s.runDue({ tenant });
    expect(ran.filter((j) => j.tenant === tenant)).toHaveLength(0);
    clock.advance('PT1M');
    await s.runDue({ tenant });
    await s.runDue({ tenant });
    const mine = ran.filter((j) => j.tenant === tenant);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.payload).toEqual({ n: 1 });
    expect(await s.pending(tenant)).toHaveLength(0);
  });

  it('replace moves a pending job; cancel by key prefix stops it', async () => {
    const { clock, tenant, ran, make } = await setup();
    const s = make();
    await s.schedule({ tenant, key: 'task-2:escalate:1', kind: 'remind', runAt: '2026-12-05T08:10:00+08:00' });
    await s.schedule({ tenant, key: 'task-2:escalate:1', kind: 'remind', runAt: '2026-12-05T09:00:00+08:00', replace: true });
    await s.schedule({ tenant, key: 'task-2:escalate:2', kind: 'remind', runAt: '2026-12-05T09:30:00+08:00' });
    await s.schedule({ tenant, key: 'task-3:escalate:1', kind: 'remind', runAt: '2026-12-05T09:30:00+08:00' });
    clock.advance('PT30M');
    await s.runDue({ tenant });
    expect(ran.filter((j) => j.tenant === tenant)).toHaveLength(0);
    expect(await s.cancel(tenant, 'task-2:')).toBe(2);
    clock.advance('PT2H');
    await s.runDue({ tenant });
    expect(ran.filter((j) => j.tenant === tenant).map((j) => j.key)).toEqual(['task-3:escalate:1']);
  });

  it('survives a restart: a new scheduler runs what the old one left, and not what another process holds', async () => {
    const { yiwang, clock, tenant, ran, make } = await setup();
    const before = make();
    await before.schedule({ tenant, key: 'a', kind: 'remind', runAt: '2026-12-05T08:01:00+08:00' });
    await before.schedule({ tenant, key: 'b', kind: 'remind', runAt: '2026-12-05T08:01:00+08:00' });
    await before.stop();
    // 'b' was claimed by a process that is still working on it (its claim has not expired): not run twice.
    await yiwang.db.query(
      `UPDATE scheduled_job SET claimed_until = now() + interval '1 hour', attempts = 1 WHERE tenant = $1 AND key = 'b'`,
      [tenant],
    );
    const after = make();
    clock.advance('PT5M');
    expect(await after.runDue({ tenant })).toBe(1);
    expect(ran.filter((j) => j.tenant === tenant).map((j) => j.key)).toEqual(['a']);
    // That process died: its claim expires and the job runs, once.
    await yiwang.db.query(`UPDATE scheduled_job SET claimed_until = now() - interval '1 second' WHERE tenant = $1 AND key = 'b'`, [tenant]);
    await after.runDue({ tenant });
    await after.runDue({ tenant });
    expect(ran.filter((j) => j.tenant === tenant).map((j) => j.key)).toEqual(['a', 'b']);
  });

  it('retries a failing job later by the clock and marks it failed after the last attempt', async () => {
    const { yiwang, clock, tenant } = await setup();
    const s = new Scheduler(yiwang.db, { clock, repositoryFor: (t) => yiwang.systemRepository(t), maxAttempts: 2 });
    let calls = 0;
    s.handle('flaky', async () => {
      calls++;
      throw new Error('gateway down');
    });
    await s.schedule({ tenant, key: 'f', kind: 'flaky', runAt: clock.now() });
    await s.runDue({ tenant });
    expect(calls).toBe(1);
    await s.runDue({ tenant });
    expect(calls).toBe(1); // not before the retry delay
    clock.advance('PT1M');
    await s.runDue({ tenant });
    expect(calls).toBe(2);
    const row = await yiwang.db.query<{ status: string; last_error: string }>(
      'SELECT status, last_error FROM scheduled_job WHERE tenant = $1 AND key = $2',
      [tenant, 'f'],
    );
    expect(row.rows[0]).toEqual({ status: 'failed', last_error: 'gateway down' });
  });
});
