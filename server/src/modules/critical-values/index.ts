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
import { loadWorkflows } from './policy.js';
import { registerCriticalValueRoutes } from './routes.js';

export const criticalValuesModule: YiwangModule = {
  id: 'critical-values',
  async register(app, ctx) {
    const deps: CriticalValueDeps = {
      clock: ctx.clock,
      notifier: ctx.notifier,
      catalogue: loadCatalogue(),
      workflows: loadWorkflows(),
      timer: schedulerTimer(ctx.scheduler),
      log: (message, err) => (err ? ctx.log.error({ err }, message) : ctx.log.warn(message)),
    };
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
