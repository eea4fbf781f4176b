/**
 * Codes, systems and the versioned imaging data (templates/): what can be requested, report templates, coded
 * conclusions. FHIR modelling is described in docs/imaging.md.
 */
import { inForce, loadDatedFrom, type Dated } from '../reading/dated.js';
import { checkTemplates, type ConclusionOption, type ReportTemplate } from '../reading/profile.js';

export type { ConclusionOption };

export const CENTRE = 'imaging' as const;
export const SYSTEMS = {
  dicomUid: 'urn:dicom:uid',
  accession: 'urn:yiwang:accession',
  item: 'urn:yiwang:imaging-item',
  dicomModality: 'http://dicom.nema.org/resources/ontology/DCM',
  snomed: 'http://snomed.info/sct',
  readingResult: 'urn:yiwang:reading-result',
  template: 'urn:yiwang:report-template',
  v2Section: 'http://terminology.hl7.org/CodeSystem/v2-0074',
} as const;

export const EXT = {
  requesterOrganization: 'https://yiwang.cn/fhir/StructureDefinition/requester-organization',
  findings: 'https://yiwang.cn/fhir/StructureDefinition/report-findings',
  recognition: 'https://yiwang.cn/fhir/StructureDefinition/result-recognition',
  dicomPatientId: 'urn:yiwang:dicom-patient-id',
} as const;

export const RECOGNITION_TAG_SYSTEM = 'urn:yiwang:recognition';

/** Modalities a township may send for reading (DR images arrive as DX or CR). */
export const MODALITIES = ['DX', 'CR', 'CT', 'MR', 'US'] as const;

export interface ImagingItem {
  code: string;
  modality: string;
  bodySite: { code: string; display: string };
  name: string;
  nameEn: string;
}

export interface ImagingCatalogue extends Dated {
  items: ImagingItem[];
  templates: ReportTemplate[];
  conclusions: ConclusionOption[];
}

export const CATALOGUES: ImagingCatalogue[] = loadDatedFrom<ImagingCatalogue>(import.meta.url, 'templates', (c, file) => {
  const items = new Set((c.items ?? []).map((i) => i.code));
  for (const i of c.items ?? [])
    if (!i.code || !(MODALITIES as readonly string[]).includes(i.modality) || !i.name)
      throw new Error(`Invalid imaging data ${file}: item '${i.code}' needs a code, a modality among ${MODALITIES.join(', ')} and a name`);
  const codes = new Set((c.conclusions ?? []).map((x) => x.code));
  checkTemplates(c.templates ?? [], items, codes, (what) => {
    throw new Error(`Invalid imaging data ${file}: ${what}`);
  });
});

export const catalogueOn = (at: Date): ImagingCatalogue => inForce(CATALOGUES, at);

/** The catalogue item of a code on a date, or undefined (no code, or not in the catalogue in force). */
export const itemOn = (code: string | undefined, at: Date): ImagingItem | undefined => catalogueOn(at).items.find((i) => i.code === code);

export const studyIdentifier = (uid: string) => ({ system: SYSTEMS.dicomUid, value: `urn:oid:${uid}` });
