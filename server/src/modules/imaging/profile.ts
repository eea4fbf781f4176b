/**
 * The imaging centre as a reading centre (modules/reading/profile.ts): its report category (RAD), its dated templates and
 * coded conclusions, and the ImagingStudy a report and the case page carry.
 */
import type { DiagnosticReport, ImagingStudy } from '@medplum/fhirtypes';
import { readOptional } from '../reading/fhir.js';
import type { CentreProfile } from '../reading/profile.js';
import { CENTRE, catalogueOn, SYSTEMS } from './model.js';

export const imagingProfile: CentreProfile = {
  centre: CENTRE,
  name: { zh: '影像', en: 'Imaging' },
  category: { system: SYSTEMS.v2Section, code: 'RAD', display: 'Radiology' },
  catalogue: catalogueOn,
  async completeReport(tx, c, report): Promise<DiagnosticReport> {
    if (!c.imaging_study) return report;
    const study = (await tx.read('ImagingStudy', c.imaging_study.split('/')[1]!)) as ImagingStudy;
    return {
      ...report,
      imagingStudy: [{ reference: c.imaging_study }],
      ...(study.started ? { effectiveDateTime: study.started } : {}),
    };
  },
  async caseDetail(repo, c) {
    return { imagingStudy: await readOptional<ImagingStudy>(repo, c.imaging_study ?? undefined) };
  },
};
