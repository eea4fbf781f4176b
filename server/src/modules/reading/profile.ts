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

/** A report template as a centre's dated catalogue holds it (imaging, pathology, ECG). */
export interface ReportTemplate extends TemplateRef {
  title: { zh: string; en: string };
  findings: string;
  impression: string;
  positive: boolean;
  /** Coded conclusions the template proposes. */
  conclusionCodes?: string[];
}

/**
 * Checks a catalogue's templates when it is loaded: each needs findings, impression and positive, and names only the
 * catalogue's own items and conclusions; `fail` throws with the file's name.
 */
export function checkTemplates(
  templates: readonly ReportTemplate[],
  items: ReadonlySet<string>,
  conclusions: ReadonlySet<string>,
  fail: (what: string) => void,
): void {
  for (const t of templates) {
    if (!t.id || !t.findings || !t.impression || typeof t.positive !== 'boolean')
      fail(`template '${t.id}' needs findings, impression and positive`);
    for (const code of t.items ?? []) if (!items.has(code)) fail(`template '${t.id}' names unknown item '${code}'`);
    for (const code of t.conclusionCodes ?? []) if (!conclusions.has(code)) fail(`template '${t.id}' names unknown conclusion '${code}'`);
  }
}

/** The centre's report catalogue in force on a day. */
export interface CentreCatalogue {
  version: string;
  templates: TemplateRef[];
  conclusions: ConclusionOption[];
}

/**
 * A drawing in the printed report: an A4 landscape page after the text, headed by the resident and `title`; `draw`
 * draws with pdfkit inside `area` (points, within the page's 30 pt margins; 1 mm = 72 / 25.4 pt).
 */
export interface PrintedDrawing {
  /** "十二导联心电图 12-lead ECG …": printed above the drawing and named on the first page. */
  title: string;
  draw(doc: PDFKit.PDFDocument, area: { x: number; y: number; width: number; height: number }): void;
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
  /** Pictures (PNG/JPEG) printed in the report's PDF under the text (pathology photos), read in the report's transaction. */
  printedPictures?(tx: Repository, c: ReadingCase, report: DiagnosticReport): Promise<{ title: string; data: Buffer }[]>;
  /** A vector drawing printed on a page of its own in the report's PDF (ECG: the 12-lead tracing), read in the transaction. */
  printedDrawing?(tx: Repository, c: ReadingCase, report: DiagnosticReport): Promise<PrintedDrawing | undefined>;
  /** The centre's own parts of the case page (imaging: the study for the viewer). Reads go through the caller's repository. */
  caseDetail?(repo: Repository, c: ReadingCase): Promise<Record<string, unknown>>;
}

export function conclusionCoding(option: ConclusionOption): Coding {
  return { system: option.system, code: option.code, display: option.display };
}

/** Whether a coded conclusion is a critical finding (detected by the critical-values module through this system). */
export const CRITICAL_FINDING_SYSTEM = 'urn:yiwang:critical-finding';
