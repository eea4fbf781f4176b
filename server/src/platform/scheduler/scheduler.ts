/**
 * Timed jobs (escalations, reminders, due-date checks), kept in the database so a restart neither misses nor
 * doubles one. A job has a key unique in its tenant: scheduling the same key again changes nothing (or, with
 * `replace`, moves the pending job). A job is claimed before it runs and marked done after, in that order; a process
 * that dies in between lets the claim expire and the job runs again later, so job handlers are idempotent.
 *
 * Time comes from the platform clock, so tests move a ManualClock and call `runDue()` instead of waiting.
 */
import type { Database, Queryable } from '../db/database.js';
import type { Clock } from '../clock.js';
import type { Repository } from '../fhir/repository.js';

export interface ScheduledJob {
  tenant: string;
  key: string;
  kind: string;
  runAt: Date;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface JobContext {
  repository: Repository;
  clock: Clock;
  attempt: number;
}

export type JobHandler = (job: ScheduledJob, ctx: JobContext) => Promise<void>;

export interface ScheduleRequest {
  tenant: string;
  key: string;
  kind: string;
  runAt: Date | string;
  payload?: Record<string, unknown>;
  /** Move a pending job with the same key to this time and payload (default: keep the existing one). */
  replace?: boolean;
}

export interface SchedulerOptions {
  clock: Clock;
  repositoryFor(tenant: string): Repository;
  log?: (message: string, err?: unknown) => void;
  /** How often the background loop looks for due jobs (ms, default 1 000). */
  pollMs?: number;
  /** How long a claim holds (ms of real time, default 5 min). */
  claimMs?: number;
  /** Attempts before a job is marked failed (default 5); retried after 30 s × attempt (clock time). */
  maxAttempts?: number;
}

interface JobRow {
  tenant: string;
  key: string;
  kind: string;
  run_at: string | Date;
  payload: Record<string, unknown> | string;
  attempts: number;
}

export class Scheduler {
  private readonly handlers = new Map<string, JobHandler>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: SchedulerOptions,
  ) {}

  /** Registers what runs for jobs of `kind` (one handler per kind). */
  handle(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Schedules a job; in a write's transaction when `q` is that transaction, so the job exists if the write does. */
  async schedule(request: ScheduleRequest, q: Queryable = this.db): Promise<void> {
    const runAt = new Date(request.runAt).toISOString();
    await q.query(
      `INSERT INTO scheduled_job (tenant, key, kind, run_at, payload) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, key) DO ${
         request.replace
           ? `UPDATE SET run_at = EXCLUDED.run_at, payload = EXCLUDED.payload, kind = EXCLUDED.kind, attempts = 0,
                status = 'pending', claimed_until = NULL, last_error = NULL, done_at = NULL
              WHERE scheduled_job.status IN ('pending', 'cancelled')`
           : 'NOTHING'
       }`,
      [request.tenant, request.key, request.kind, runAt, JSON.stringify(request.payload ?? {})],
    );
  }

  /** Cancels pending jobs whose key starts with `prefix` (e.g. every escalation of a task once it is handled). */
  async cancel(tenant: string, prefix: string, q: Queryable = this.db): Promise<number> {
    const r = await q.query(
      `UPDATE scheduled_job SET status = 'cancelled', done_at = $3
        WHERE tenant = $1 AND status = 'pending' AND starts_with(key, $2)`,
      [tenant, prefix, this.options.clock.now().toISOString()],
    );
    return r.rowCount;
  }

  async pending(tenant: string, prefix = ''): Promise<ScheduledJob[]> {
    const rows = await this.db.query<JobRow>(
      `SELECT tenant, key, kind, run_at, payload, attempts FROM scheduled_job
        WHERE tenant = $1 AND status = 'pending' AND starts_with(key, $2) ORDER BY run_at, key`,
      [tenant, prefix],
    );
    return rows.rows.map(toJob);
  }

  /**
   * Runs every job due at the clock's time (each once); returns how many ran. `tenant` limits the pass to one tenant:
   * tests that move a ManualClock on a shared database must not run other tenants' (other test files') jobs early.
   */
  async runDue(options: { tenant?: string } = {}): Promise<number> {
    if (this.running) await this.running.catch(() => undefined);
    this.running = this.runBatches(options.tenant).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  start(): void {
    if (this.timer) return;
    const loop = () => {
      this.runDue().then(
        () => undefined,
        (err: unknown) => this.options.log?.('scheduler pass failed', err),
      );
    };
    this.timer = setInterval(loop, this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async runBatches(tenant?: string): Promise<number> {
    let ran = 0;
    for (;;) {
      const jobs = await this.claim(tenant);
      if (jobs.length === 0) return ran;
      for (const job of jobs) {
        await this.run(job);
        ran++;
      }
    }
  }

  private async claim(tenant?: string): Promise<ScheduledJob[]> {
    const now = this.options.clock.now().toISOString();
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return [];
    const rows = await this.db.query<JobRow>(
      `UPDATE scheduled_job SET claimed_until = now() + ($2 || ' milliseconds')::interval, attempts = attempts + 1
        WHERE (tenant, key) IN (
          SELECT tenant, key FROM scheduled_job
           WHERE status = 'pending' AND run_at <= $1 AND kind = ANY($3::text[])
             AND (claimed_until IS NULL OR claimed_until < now()) AND ($4::text IS NULL OR tenant = $4)
           ORDER BY run_at LIMIT 50 FOR UPDATE SKIP LOCKED)
      RETURNING tenant, key, kind, run_at, payload, attempts`,
      [now, String(this.options.claimMs ?? 300_000), kinds, tenant ?? null],
    );
    return rows.rows.map(toJob).sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
  }

  private async run(job: ScheduledJob): Promise<void> {
    const handler = this.handlers.get(job.kind);
    if (!handler) return;
    const clock = this.options.clock;
    try {
      await handler(job, { repository: this.options.repositoryFor(job.tenant), clock, attempt: job.attempts });
      await this.db.query(
        `UPDATE scheduled_job SET status = 'done', done_at = $3, claimed_until = NULL, last_error = NULL WHERE tenant = $1 AND key = $2`,
        [job.tenant, job.key, clock.now().toISOString()],
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.options.log?.(`scheduled job ${job.kind} ${job.key} failed (attempt ${job.attempts})`, err);
      const failed = job.attempts >= (this.options.maxAttempts ?? 5);
      const retryAt = new Date(clock.now().getTime() + 30_000 * job.attempts).toISOString();
      await this.db.query(
        `UPDATE scheduled_job SET status = $3, run_at = CASE WHEN $3 = 'pending' THEN $4::timestamptz ELSE run_at END,
           claimed_until = NULL, last_error = $5 WHERE tenant = $1 AND key = $2`,
        [job.tenant, job.key, failed ? 'failed' : 'pending', retryAt, message.slice(0, 2000)],
      );
    }
  }
}

function toJob(r: JobRow): ScheduledJob {
  return {
    tenant: r.tenant,
    key: r.key,
    kind: r.kind,
    runAt: new Date(r.run_at),
    payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload,
    attempts: r.attempts,
  };
}
