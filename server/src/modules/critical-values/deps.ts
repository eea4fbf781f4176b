/** What the parts of the critical-value module share: the platform services and the loaded rule data. */
import type { Clock } from '../../platform/clock.js';
import type { Queryable } from '../../platform/db/database.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import type { CatalogueVersion } from './catalogue.js';
import type { CriticalValueWorkflow } from './policy.js';

/**
 * Times the escalation of an alert (durable jobs of the platform scheduler, escalation.ts). The engine's own escalation
 * only notifies; a critical value's escalation also writes a Communication per level (the recorded chain) and tells
 * the recipients with the impossible-to-miss critical-value alert, so the module times it itself, behind this interface.
 */
export interface EscalationTimer {
  /** Plans every escalation level of a new alert, in the alert's transaction `q` (idempotent). */
  plan(tenant: string, taskId: string, notifiedAt: Date, workflow: CriticalValueWorkflow, q: Queryable): Promise<void>;
  /** Cancels what is still planned, in the acknowledgement's transaction. */
  stop(tenant: string, taskId: string, q: Queryable): Promise<void>;
}

export interface CriticalValueDeps {
  clock: Clock;
  notifier: Notifier;
  catalogue: readonly CatalogueVersion[];
  /** The critical-value workflow versions (also registered with the engine). */
  definitions: readonly CriticalValueWorkflow[];
  /** The platform workflow engine: the acknowledgement Task's states, transition, Provenance and worklists. */
  engine: WorkflowEngine;
  timer: EscalationTimer;
  log: (message: string, err?: unknown) => void;
}
