/**
 * ECG centre (心电诊断中心, F2, docs/ecg.md) and the chest-pain centre record (胸痛中心, S8): a village or township
 * requests an ECG and uploads the tracing (DICOM waveform, HL7 aECG, JSON or CSV; the original kept), the county ECG
 * centre reads it on the shared reading workflow with standard statements, a second reader signs; critical statements
 * raise the critical-value loop through their codes, and a STEMI statement opens the chest-pain time-line.
 */
import type { YiwangModule } from '../../platform/module.js';
import { defineReadingWorkflows } from '../reading/rules.js';
import { ReadingService } from '../reading/service.js';
import { EcgIntake } from './intake.js';
import { makeEcgProfile } from './profile.js';
import { registerEcgRoutes } from './routes.js';

export const ecgModule: YiwangModule = {
  id: 'ecg',
  async register(app, ctx) {
    defineReadingWorkflows(ctx.workflows);
    const now = () => ctx.clock.now();
    const service = new ReadingService(makeEcgProfile(ctx.notifier, now), ctx.workflows, ctx.notifier, now);
    await registerEcgRoutes(app, ctx, service, new EcgIntake(ctx.workflows, now));
  },
};
