// PLACEHOLDER — being written (workflow engine). Replaced wholesale by the workflow engine implementation.
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { Notifier } from '../notify/notifier.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { ModuleContext } from '../module.js';

export interface WorkflowEngineDeps {
  db: Database;
  clock: Clock;
  scheduler: Scheduler;
  notifier: Notifier;
  log?: (message: string, err?: unknown) => void;
}

export class WorkflowEngine {
  constructor(readonly deps: WorkflowEngineDeps) {}

  async register(_app: FastifyInstance, _ctx: ModuleContext): Promise<void> {}
}
