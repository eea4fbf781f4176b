/**
 * What makes one reading centre different from another (imaging, ECG, pathology): its name, the report's category, its
 * dated catalogue of report templates and coded conclusions, and the centre-specific parts of a report and of the case
 * page. Everything else — the state machine, the roster's rules, the report's versions, signatures and routes — is the
 * same for every centre (service.ts, case-routes.ts).
 */
import type { Coding, DiagnosticReport } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ReadingCase } from './cases.js';
import type { Centre } from './rules.js';

/** A coded conclusion a reader may choose; critical ones carry the critical-value catalogue's codes. */
export interface ConclusionOption {
  code: string;
  system: string;
  display: string;
  en: string;
  critical: boolean;
}

/** A report template: prefilled findings and impression for some of the centre's items. */
export interface TemplateRef {
  id: string;
  /** Item codes the template is for (all items when absent). */
  items?: string[];
}

/** The centre's report catalogue in force on a day. */
export interface CentreCatalogue {
  version: string;
  templates: TemplateRef[];
  conclusions: ConclusionOption[];
}

export interface CentreProfile {
  centre: Centre;
  /** "影像" / "Imaging": used in messages, notices and the audit trail. */
  name: { zh: string; en: string };
  /** DiagnosticReport.category (HL7 v2 table 0074: RAD, EC, SP). */
  category: Coding;
  catalogue(at: Date): CentreCatalogue;
  /**
   * Adds the centre's own parts to a report being written (imaging: the study and when it was taken; ECG: the tracing;
   * pathology: the specimen and pictures), in the report's transaction.
   */
  completeReport?(tx: Repository, c: ReadingCase, report: DiagnosticReport): Promise<DiagnosticReport>;
  /**
   * Called after each version of a report is written, in its transaction (ECG: a STEMI statement opens the chest-pain
   * centre record at the preliminary report already, as minutes count).
   */
  reportWritten?(tx: Repository, c: ReadingCase, report: DiagnosticReport): Promise<void>;
  /** Pictures printed in the report's PDF (pathology photos, the ECG tracing as PNG/JPEG), read in the report's transaction. */
  printedPictures?(tx: Repository, c: ReadingCase, report: DiagnosticReport): Promise<{ title: string; data: Buffer }[]>;
  /** The centre's own parts of the case page (imaging: the study for the viewer). Reads go through the caller's repository. */
  caseDetail?(repo: Repository, c: ReadingCase): Promise<Record<string, unknown>>;
}

export function conclusionCoding(option: ConclusionOption): Coding {
  return { system: option.system, code: option.code, display: option.display };
}

/** Whether a coded conclusion is a critical finding (detected by the critical-values module through this system). */
export const CRITICAL_FINDING_SYSTEM = 'urn:yiwang:critical-finding';
