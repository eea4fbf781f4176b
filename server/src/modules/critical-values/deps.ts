/** What the parts of the critical-value module share: the platform services and the loaded rule data. */
import type { Clock } from '../../platform/clock.js';
import type { Queryable } from '../../platform/db/database.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import type { CatalogueVersion } from './catalogue.js';
import type { CriticalValueWorkflow } from './policy.js';

/**
 * Times the escalation of an alert. Behind an interface so the timing can move to the platform's workflow engine
 * without touching detection or acknowledgement (today: durable jobs of the platform scheduler, escalation.ts).
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
  workflows: readonly CriticalValueWorkflow[];
  timer: EscalationTimer;
  log: (message: string, err?: unknown) => void;
}
