/**
 * Remote consultation (远程会诊, F5; docs/consultation.md): a township or village doctor asks the county consultation
 * centre for a single-specialty or multidisciplinary consultation, instant or scheduled, sharing chosen items of the
 * resident's record; the centre accepts and arranges experts (external ones from a city or province hospital too);
 * the experts read the resident's record while the consultation is open, write opinions, the lead expert concludes;
 * the requester evaluates. Fees are dated data (fees/*.json); the workflow is data run by the platform engine
 * (workflow/*.json).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { YiwangModule } from '../../platform/module.js';
import type { WorkflowDefinition } from '../../platform/workflow/definition.js';
import { loadFeeSchedules } from './fees.js';
import { registerConsultationHooks } from './hooks.js';
import { registerConsultationRoutes } from './routes.js';
import { ConsultationService } from './service.js';
import { ConsultationSteps } from './steps.js';

const workflowDir = join(dirname(fileURLToPath(import.meta.url)), 'workflow');

/** Every version of the consultation workflow (validated when defined: a faulty file stops the server at start). */
export function consultationWorkflows(): WorkflowDefinition[] {
  return readdirSync(workflowDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(workflowDir, f), 'utf8')) as WorkflowDefinition);
}

export const consultationModule: YiwangModule = {
  id: 'consultation',
  async register(app, ctx) {
    const engine = ctx.workflows;
    for (const def of consultationWorkflows()) {
      engine.define(def, {
        link: (task) => (task.focus?.reference ? `/consultation/${task.focus.reference.split('/')[1]}` : `/tasks/${task.id}`),
      });
    }
    const fees = loadFeeSchedules();
    registerConsultationHooks(
      engine,
      () => fees,
      () => ctx.clock.now(),
    );
    const service = new ConsultationService(ctx, engine);
    await registerConsultationRoutes(app, ctx, service, new ConsultationSteps(ctx, service));
  },
};
