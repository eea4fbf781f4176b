/**
 * Two-way referral (双向转诊, docs/referral.md): up-referral from village/township to county, down-referral back with a
 * discharge summary and a follow-up plan that lands on the township's worklist, referral outside the county, the
 * printable form and statistics. The workflows are data (workflows/*.json) run by the platform's workflow engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { YiwangModule } from '../../platform/module.js';
import type { WorkflowDefinition } from '../../platform/workflow/definition.js';
import { registerReferralRoutes } from './routes.js';
import { ReferralService, registerFollowUp } from './service.js';

const workflowsDir = join(dirname(fileURLToPath(import.meta.url)), 'workflows');

/** Every workflow version in workflows/ (validated when defined: a faulty file stops the server at start). */
export function referralWorkflows(dir = workflowsDir): WorkflowDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as WorkflowDefinition);
}

export const referralModule: YiwangModule = {
  id: 'referral',
  async register(app, ctx) {
    const engine = ctx.workflows;
    for (const def of referralWorkflows()) {
      engine.define(def, {
        link: (task) => (task.focus?.reference ? `/referrals/${task.focus.reference.split('/')[1]}` : `/tasks/${task.id}`),
      });
    }
    registerFollowUp(engine);
    await registerReferralRoutes(app, ctx, new ReferralService(ctx, engine));
  },
};
