/**
 * A module is a plain object the app registers: its routes, its event handlers, its scheduled jobs and its pages in
 * the web app's navigation. `modules/index.ts` lists them; that list is the table of contents of the product.
 * Modules use the platform through this context and reach each other only through FHIR resources and events.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import type { Database } from './db/database.js';
import type { Repository } from './fhir/repository.js';
import type { RawJson } from './fhir/raw.js';
import type { EventBus } from './events/types.js';
import type { Scheduler } from './scheduler/scheduler.js';
import type { Notifier } from './notify/notifier.js';
import type { AuditTrail } from './audit/index.js';
import type { WorkflowEngine } from './workflow/engine.js';

export interface ModuleContext {
  db: Database;
  config: Config;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Full access in a tenant (the default: the configured county): for event handlers and jobs acting for the platform. */
  systemRepository(tenant?: string): Repository;
  /** The caller's repository: their tenant and access policy compiled into every query (use it for user requests). */
  repositoryFor(request: FastifyRequest): Promise<Repository>;
  /** Masks identity fields of a response per the caller's role. */
  present(request: FastifyRequest, body: Resource | RawJson): Resource | RawJson;
  /** Writes an audit row for an access to residents' data made outside the FHIR routes. */
  auditAccess(
    request: FastifyRequest,
    entry: { action: 'read' | 'create' | 'update'; resources: string[]; patients?: string[]; detail?: string },
  ): void;
  events: EventBus;
  scheduler: Scheduler;
  notifier: Notifier;
  workflows: WorkflowEngine;
  audit: AuditTrail;
}

export interface YiwangModule {
  /** Stable id (folder name under modules/). */
  id: string;
  /** Registers routes, event handlers, job handlers and workflow definitions. */
  register(app: FastifyInstance, ctx: ModuleContext): Promise<void>;
}
