/**
 * Chronic disease management and prevention inside care (慢病管理与医防融合, issue #8; docs/chronic.md): the registry
 * of hypertension and diabetes patients (EpisodeOfCare), follow-ups classified by the national rules as dated data,
 * due follow-ups as Tasks, referrals through the referral module, crediting of clinic visits, screening of raised
 * readings, home readings, worklists and indicators.
 */
import type { YiwangModule } from '../../platform/module.js';
import type { ChronicDeps } from './deps.js';
import { httpReferralPort } from './referral.js';
import { registerChronicRoutes } from './routes.js';
import { loadRules } from './rules.js';

export const chronicModule: YiwangModule = {
  id: 'chronic',
  async register(app, ctx) {
    const deps: ChronicDeps = {
      clock: ctx.clock,
      rules: loadRules(),
      referrals: httpReferralPort(app),
      workflows: ctx.workflows,
      log: (message, err) => (err ? ctx.log.error({ err }, message) : ctx.log.warn(message)),
    };
    await registerChronicRoutes(app, ctx, deps);
  },
};
