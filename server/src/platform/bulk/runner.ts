/**
 * The in-process job runner: one job at a time, one chunk (page) at a time, so bulk work shares the
 * process with the API without starving it. Jobs and checkpoints are in the database; at start-up the
 * runner picks up every unfinished job and resumes it from its checkpoint.
 */
import type { Database } from '../db/database.js';
import { Repository } from '../fhir/repository.js';
import { runExport } from './export.js';
import { runImport } from './import.js';
import { StopLoad } from './ndjson.js';
import { activeJobs, findJob, setStatus } from './store.js';

export interface RunnerOptions {
  /** Resources per export page and lines per import chunk. */
  pageSize?: number;
  chunkSize?: number;
  log?: (msg: string, err?: unknown) => void;
  /** Tests: called after every committed chunk (e.g. to stop the runner mid-way). */
  afterChunk?: (jobId: string) => void;
}

export class BulkRunner {
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  pageSize: number;
  chunkSize: number;
  afterChunk: RunnerOptions['afterChunk'];

  constructor(
    private readonly db: Database,
    private readonly options: RunnerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000;
    this.chunkSize = options.chunkSize ?? 1000;
    this.afterChunk = options.afterChunk;
  }

  /** Starts (or restarts) processing: every queued or interrupted job, oldest first. */
  start(): void {
    this.stopping = false;
    this.kick();
  }

  /** Asks for new work to be looked at (after a kick-off). */
  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopping) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops after the chunk in progress; unfinished jobs keep their checkpoint for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Resolves when the runner has nothing left to do (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.again = false;
      if (this.stopping) return;
      let jobs: { tenant: string; id: string }[];
      try {
        jobs = await activeJobs(this.db);
      } catch (err) {
        this.options.log?.('bulk runner: cannot list jobs', err);
        return;
      }
      if (!jobs.length) return;
      for (const j of jobs) {
        if (this.stopping) return;
        await this.runJob(j.tenant, j.id);
      }
    }
  }

  private async runJob(tenant: string, id: string): Promise<void> {
    if (this.db.kind === 'postgres') {
      // Several servers may share one PostgreSQL: an advisory lock, held by a transaction open for the
      // job's duration, lets only one of them run a job. (PGlite belongs to one process.)
      await this.db.transaction(async (lock) => {
        const got = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`bulk:${tenant}:${id}`]);
        if (got.rows[0]?.ok) await this.execute(tenant, id);
      });
    } else {
      await this.execute(tenant, id);
    }
    // Let requests waiting on the event loop run between jobs.
    await new Promise((r) => setImmediate(r));
  }

  private async execute(tenant: string, id: string): Promise<void> {
    const job = await findJob(this.db, tenant, id);
    if (!job || (job.status !== 'queued' && job.status !== 'running')) return;
    await setStatus(this.db, job, 'running');
    const repo = new Repository(this.db, { tenant }, this.db);
    const shouldStop = (): boolean => this.stopping;
    const afterChunk = (): void => this.afterChunk?.(id);
    try {
      const finished =
        job.kind === 'export'
          ? await runExport(repo, job, { pageSize: this.pageSize, shouldStop, afterChunk })
          : await runImport(repo, job, { chunkSize: this.chunkSize, shouldStop, afterChunk });
      if (finished) await setStatus(this.db, job, 'completed');
    } catch (err) {
      if (err instanceof StopLoad) return; // cancelled meanwhile
      this.options.log?.(`bulk job ${id} failed`, err);
      await setStatus(this.db, job, 'failed', (err as Error).message).catch(() => undefined);
    }
  }
}
