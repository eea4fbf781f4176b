/**
 * The product's modules, in the order they are registered. Each lives in its own folder and talks to the others only
 * through FHIR resources and events (docs/architecture.md).
 */
import type { YiwangModule } from '../platform/module.js';
import { criticalValuesModule } from './critical-values/index.js';
import { referralModule } from './referral/index.js';
import { chronicModule } from './chronic/index.js';
import { imagingModule } from './imaging/index.js';
import { ecgModule } from './ecg/index.js';
import { pathologyModule } from './pathology/index.js';
import { consultationModule } from './consultation/index.js';

export const MODULE_LIST: readonly YiwangModule[] = [
  criticalValuesModule,
  referralModule,
  chronicModule,
  imagingModule,
  ecgModule,
  pathologyModule,
  consultationModule,
];
