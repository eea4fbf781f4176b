/**
 * Codes, systems, the twelve standard leads and the ECG centre's dated catalogue (catalogue/): what can be requested,
 * the standard diagnostic statements (标准诊断术语) and report templates. FHIR modelling: docs/ecg.md.
 */
import { inForce, loadDatedFrom, type Dated } from '../reading/dated.js';
import { checkTemplates, CRITICAL_FINDING_SYSTEM, type ConclusionOption, type ReportTemplate } from '../reading/profile.js';

export const CENTRE = 'ecg' as const;
export const MODALITY = 'ECG';

export const SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  ucum: 'http://unitsofmeasure.org',
  /** ISO/IEEE 11073-10101 (MDC), the codes HL7 aECG and FHIR's ECG examples use for leads. */
  mdc: 'urn:oid:2.16.840.1.113883.6.24',
  item: 'urn:yiwang:ecg-item',
  statement: 'urn:yiwang:ecg-statement',
  accession: 'urn:yiwang:accession',
  v2Section: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  dicomModality: 'http://dicom.nema.org/resources/ontology/DCM',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
} as const;

/** LOINC 11524-6 "EKG study": the tracing Observation. */
export const TRACING_CODE = { system: SYSTEMS.loinc, code: '11524-6', display: 'EKG study' } as const;

/** The twelve standard leads in the order of the printed 3×4 layout's columns (I II III, aVR aVL aVF, V1–V3, V4–V6). */
export const LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const;
export type Lead = (typeof LEADS)[number];

/** MDC codes of the leads (IEEE 11073-10101 MDC_ECG_LEAD_*). */
export const MDC_LEAD: Record<Lead, { code: string; mdc: string }> = {
  I: { code: '131329', mdc: 'MDC_ECG_LEAD_I' },
  II: { code: '131330', mdc: 'MDC_ECG_LEAD_II' },
  III: { code: '131389', mdc: 'MDC_ECG_LEAD_III' },
  aVR: { code: '131390', mdc: 'MDC_ECG_LEAD_AVR' },
  aVL: { code: '131391', mdc: 'MDC_ECG_LEAD_AVL' },
  aVF: { code: '131392', mdc: 'MDC_ECG_LEAD_AVF' },
  V1: { code: '131331', mdc: 'MDC_ECG_LEAD_V1' },
  V2: { code: '131332', mdc: 'MDC_ECG_LEAD_V2' },
  V3: { code: '131333', mdc: 'MDC_ECG_LEAD_V3' },
  V4: { code: '131334', mdc: 'MDC_ECG_LEAD_V4' },
  V5: { code: '131335', mdc: 'MDC_ECG_LEAD_V5' },
  V6: { code: '131336', mdc: 'MDC_ECG_LEAD_V6' },
};

/** A lead's name as written by devices and files ('Lead aVR', 'AVR', 'MDC_ECG_LEAD_AVR', 'v1' …) → the standard name. */
export function leadOf(name: string): Lead | undefined {
  const key = name
    .trim()
    .replace(/^MDC_ECG_LEAD_/i, '')
    .replace(/^lead\s*/i, '')
    .replace(/\s*\(.*\)$/, '')
    .toUpperCase();
  return LEADS.find((l) => l.toUpperCase() === key);
}

/** The measurements a tracing may carry (from the device or entered by the reader), with their LOINC codes. */
export const MEASUREMENTS = {
  hr: { code: '8867-4', display: 'Heart rate', zh: '心率', unit: '/min', min: 10, max: 350 },
  pr: { code: '8625-6', display: 'P-R Interval', zh: 'PR间期', unit: 'ms', min: 40, max: 600 },
  qrs: { code: '8633-0', display: 'QRS duration', zh: 'QRS时限', unit: 'ms', min: 30, max: 300 },
  qt: { code: '8634-8', display: 'Q-T interval', zh: 'QT间期', unit: 'ms', min: 150, max: 800 },
  qtc: { code: '8636-3', display: 'Q-T interval corrected', zh: 'QTc间期', unit: 'ms', min: 150, max: 800 },
} as const;
export type MeasurementKey = keyof typeof MEASUREMENTS;
export const MEASUREMENT_KEYS = Object.keys(MEASUREMENTS) as MeasurementKey[];

export interface EcgItem {
  code: string;
  name: string;
  nameEn: string;
  loinc: string;
}

/** A standard statement: a coded conclusion with its group and, where the mapping is certain, its SNOMED CT concept. */
export interface Statement extends ConclusionOption {
  group: string;
  snomed?: string;
}

export interface EcgCatalogue extends Dated {
  items: EcgItem[];
  statements: Statement[];
  templates: ReportTemplate[];
}

const STATEMENT_SYSTEMS = new Set<string>([SYSTEMS.statement, CRITICAL_FINDING_SYSTEM]);

export function checkCatalogue(c: EcgCatalogue, file: string): void {
  const fail = (what: string) => {
    throw new Error(`Invalid ECG catalogue ${file}: ${what}`);
  };
  if (!c.items?.length) fail("'items' must list at least one item");
  for (const i of c.items) if (!i.code || !i.name || !i.loinc) fail(`item '${i.code}' needs a code, a name and a LOINC code`);
  const codes = new Set<string>();
  for (const s of c.statements ?? []) {
    if (!s.code || !s.display || !s.en || !s.group) fail(`statement '${s.code}' needs a code, display, en and group`);
    if (!STATEMENT_SYSTEMS.has(s.system)) fail(`statement '${s.code}' has system '${s.system}'`);
    if ((s.system === CRITICAL_FINDING_SYSTEM) !== s.critical)
      fail(`statement '${s.code}': critical statements, and only they, use ${CRITICAL_FINDING_SYSTEM}`);
    if (codes.has(s.code)) fail(`statement '${s.code}' is listed twice`);
    codes.add(s.code);
  }
  checkTemplates(c.templates ?? [], new Set(c.items.map((i) => i.code)), codes, fail);
}

export const CATALOGUES: EcgCatalogue[] = loadDatedFrom<EcgCatalogue>(import.meta.url, 'catalogue', checkCatalogue);

export const catalogueOn = (at: Date): EcgCatalogue => inForce(CATALOGUES, at);
