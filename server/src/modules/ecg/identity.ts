/** The ECG centre's name and report category (its profile adds the catalogue and the tracing: profile.ts). */
import { SYSTEMS, CENTRE } from './model.js';

export const ecgIdentity = {
  centre: CENTRE,
  name: { zh: '心电', en: 'ECG' },
  category: { system: SYSTEMS.v2Section, code: 'EC', display: 'Electrocardiac' },
};
