/**
 * Chronic disease management and prevention inside care (慢病管理与医防融合, issue #8; docs/chronic.md): the registry
 * of hypertension and diabetes patients (EpisodeOfCare), follow-ups classified by the national rules as dated data,
 * due follow-ups as Tasks, referrals through the referral module, crediting of clinic visits, screening of raised
 * readings, home readings, worklists and indicators.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Flag } from '@medplum/fhirtypes';
import type { YiwangModule } from '../../platform/module.js';
import type { WorkflowDefinition } from '../../platform/workflow/definition.js';
import type { ChronicDeps } from './deps.js';
import { enrol } from './enrol.js';
import { onCondition, onObservation, SCREENING_WORKFLOW } from './handlers.js';
import { loadGuidance } from './guidance.js';
import { httpReferralPort } from './referral.js';
import { careRoutes } from './routes-care.js';
import { indicatorRoutes } from './indicators.js';
import { worklistRoutes } from './worklist.js';
import { registerChronicRoutes } from './routes.js';
import { loadRules, type Programme } from './rules.js';
import { readRef } from './fhir.js';
import { CHRONIC_SYSTEM } from './model.js';

const workflowsDir = join(dirname(fileURLToPath(import.meta.url)), 'workflows');

export const chronicModule: YiwangModule = {
  id: 'chronic',
  async register(app, ctx) {
    const deps: ChronicDeps = {
      clock: ctx.clock,
      rules: loadRules(),
      guidance: loadGuidance(),
      referrals: httpReferralPort(app),
      workflows: ctx.workflows,
      log: (message, err) => (err ? ctx.log.error({ err }, message) : ctx.log.warn(message)),
    };
    for (const f of readdirSync(workflowsDir).filter((x) => x.endsWith('.json')))
      ctx.workflows.define(JSON.parse(readFileSync(join(workflowsDir, f), 'utf8')) as WorkflowDefinition);
    // Confirming a screening flag enrols the resident; either answer closes the flag — in the transition's transaction.
    ctx.workflows.onTransition(SCREENING_WORKFLOW, async ({ repo, task, action }) => {
      const flag = await readRef<Flag>(repo, task.focus?.reference, 'Flag');
      if (!flag) return;
      await repo.update('Flag', flag.id as string, {
        ...flag,
        status: 'inactive',
        period: { ...(flag.period ?? {}), end: ctx.clock.now().toISOString() },
      });
      const code = flag.code?.coding?.find((c) => c.system === CHRONIC_SYSTEM)?.code ?? '';
      const programme = code.replace(/^suspected-/, '') as Programme;
      if (action === 'confirm' && (programme === 'hypertension' || programme === 'diabetes') && task.for?.reference)
        await enrol(repo, deps, { patient: task.for.reference, programme }, 'return');
    });
    ctx.events.subscribe({
      name: 'chronic.enrol-from-problem-list',
      types: ['Condition'],
      actions: ['create', 'update'],
      handle: (event, { repository }) => onCondition(deps, repository, event),
    });
    ctx.events.subscribe({
      name: 'chronic.screening-and-home-readings',
      types: ['Observation'],
      actions: ['create'],
      handle: (event, { repository }) => onObservation(deps, repository, event),
    });
    await registerChronicRoutes(app, ctx, deps, [careRoutes(ctx, deps), worklistRoutes(ctx, deps), indicatorRoutes(ctx, deps)]);
  },
};
