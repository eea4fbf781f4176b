/**
 * Critical values (危急值, issue #6 item 5; docs/critical-values.md): a catalogue of thresholds as dated data, detection
 * of critical results from any source through the event bus, an alert directed to the responsible doctor (Flag,
 * Communication, Task, urgent notification), acknowledgement with read-back, escalation to the head of department and
 * the medical affairs office, lists and the timeliness indicator.
 */
import type { YiwangModule } from '../../platform/module.js';
import { loadCatalogue } from './catalogue.js';
import type { CriticalValueDeps } from './deps.js';
import { onResultEvent } from './detect.js';
import { escalate, ESCALATION_JOB, schedulerTimer } from './escalation.js';
import { alertLink } from './model.js';
import { loadWorkflows, WORKFLOW_ID } from './policy.js';
import { acknowledgementHook } from './acknowledge.js';
import { withdrawalHook } from './correct.js';
import { registerCriticalValueRoutes } from './routes.js';

export const criticalValuesModule: YiwangModule = {
  id: 'critical-values',
  async register(app, ctx) {
    const deps: CriticalValueDeps = {
      clock: ctx.clock,
      notifier: ctx.notifier,
      catalogue: loadCatalogue(),
      definitions: loadWorkflows(),
      engine: ctx.workflows,
      timer: schedulerTimer(ctx.scheduler),
      log: (message, err) => (err ? ctx.log.error({ err }, message) : ctx.log.warn(message)),
    };
    // The acknowledgement Task runs on the platform workflow engine; its notifications open the alert page.
    for (const definition of deps.definitions) ctx.workflows.define(definition, { link: (task) => alertLink(task.id!) });
    // Every acknowledgement, by this module's route or the engine's: read-back checked, Flag, Provenance, escalations.
    ctx.workflows.onTransition(WORKFLOW_ID, acknowledgementHook(deps));
    // 'withdraw' (a corrected result no longer critical) is the system's, made by detection (correct.ts).
    ctx.workflows.onTransition(WORKFLOW_ID, withdrawalHook());
    ctx.events.subscribe({
      name: 'critical-values.detect',
      types: ['Observation', 'DiagnosticReport'],
      actions: ['create', 'update'],
      handle: async (event, { repository }) => {
        await onResultEvent(deps, repository, event);
      },
    });
    ctx.scheduler.handle(ESCALATION_JOB, async (job, { repository }) => {
      const { taskId, level } = job.payload as { taskId: string; level: number };
      await escalate(deps, repository, taskId, level);
    });
    await registerCriticalValueRoutes(app, ctx, deps);
  },
};
