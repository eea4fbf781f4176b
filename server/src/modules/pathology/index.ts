/**
 * Pathology centre (病理诊断中心, docs/pathology.md): a township or the county's own wards request a pathology
 * examination with the specimens' details, send the specimens, the county centre receives or rejects them with a
 * standard reason, grosses, cuts and stains slides, photographs, reports with pictures; a second pathologist signs
 * (SM2) and the report goes back to the requester. The state machine, roster and recognition catalogue are the shared
 * reading rules (modules/reading); critical findings raise the critical-value loop through their codes.
 */
import { conflict } from '../../platform/fhir/outcomes.js';
import type { YiwangModule } from '../../platform/module.js';
import { caseOf } from '../reading/cases.js';
import { defineReadingWorkflows } from '../reading/rules.js';
import { ReadingService } from '../reading/service.js';
import { Lab } from './lab.js';
import { CENTRE } from './model.js';
import { Pictures } from './pictures.js';
import { pathologyProfile } from './profile.js';
import { registerPathologyRoutes } from './routes.js';

export const pathologyModule: YiwangModule = {
  id: 'pathology',
  async register(app, ctx) {
    const engine = ctx.workflows;
    defineReadingWorkflows(engine);
    const now = () => ctx.clock.now();
    const service = new ReadingService(pathologyProfile, engine, ctx.notifier, now);
    // A pathologist claims a case whose specimen is in the lab: sent is not enough (docs/pathology.md).
    engine.onTransition('reading', async (e) => {
      if (e.action !== 'claim') return;
      const c = await caseOf(e.repo, e.task.id as string);
      if (c?.centre === CENTRE && !c.images_at)
        throw conflict('No specimen of this case has been received yet; receive it first (标本尚未接收，请先接收标本)');
    });
    const lab = new Lab(service, engine, now);
    await registerPathologyRoutes(app, { ctx, service, lab, pictures: new Pictures(lab, now) });
  },
};
