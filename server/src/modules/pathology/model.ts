/**
 * The pathology centre's dated data (catalogue/): what can be requested, specimen types, fixatives, stains, the standard
 * rejection reasons, report templates, coded conclusions and the cold-ischaemia limit. Checked when loaded, so a faulty
 * file stops the server at start with a message naming it. FHIR modelling: docs/pathology.md.
 */
import { inForce, loadDatedFrom, type Dated } from '../reading/dated.js';
import { checkTemplates, type ConclusionOption, type ReportTemplate } from '../reading/profile.js';

export const CENTRE = 'pathology' as const;

export const SYSTEMS = {
  item: 'urn:yiwang:pathology-item',
  specimenType: 'urn:yiwang:specimen-type',
  fixative: 'urn:yiwang:fixative',
  stain: 'urn:yiwang:stain',
  rejection: 'urn:yiwang:specimen-rejection',
  picture: 'urn:yiwang:pathology-picture',
  containerLabel: 'urn:yiwang:specimen-label',
  snomed: 'http://snomed.info/sct',
  v2Section: 'http://terminology.hl7.org/CodeSystem/v2-0074',
} as const;

export const EXT = {
  /** The specimen (or slide) a picture shows: R4 Media has no specimen element. */
  mediaSpecimen: 'https://yiwang.cn/fhir/StructureDefinition/media-specimen',
  /** Minutes from removal to fixation, on the Specimen (computed at request; flagged over the limit). */
  coldIschaemia: 'https://yiwang.cn/fhir/StructureDefinition/cold-ischaemia-minutes',
} as const;

export interface PathologyItem {
  code: string;
  name: string;
  nameEn: string;
  modality: 'SM';
  specimenTypes: string[];
  /** 'required': a fixation time and fixative for every specimen; 'none': sent fresh (frozen section). */
  fixation: 'required' | 'none';
}

export interface SpecimenType {
  code: string;
  system: string;
  systemCode: string;
  display: string;
  en: string;
  /** Made in the lab (block, slide): never requested. */
  derived?: boolean;
}

export interface Coded {
  code: string;
  display: string;
  en: string;
  /** A stain that needs a marker (IHC: Ki-67, CK, …). */
  marker?: boolean;
}

export interface PathologyCatalogue extends Dated {
  coldIschaemiaLimitMinutes: number;
  items: PathologyItem[];
  specimenTypes: SpecimenType[];
  fixatives: Coded[];
  stains: Coded[];
  rejectionReasons: Coded[];
  templates: ReportTemplate[];
  conclusions: ConclusionOption[];
}

function check(c: PathologyCatalogue, file: string): void {
  const fail = (what: string) => {
    throw new Error(`Invalid pathology data ${file}: ${what}`);
  };
  if (!(c.coldIschaemiaLimitMinutes > 0)) fail("'coldIschaemiaLimitMinutes' must be a positive number");
  for (const list of ['items', 'specimenTypes', 'fixatives', 'stains', 'rejectionReasons', 'templates', 'conclusions'] as const)
    if (!Array.isArray(c[list]) || !c[list].length) fail(`'${list}' must be a non-empty list`);
  const types = new Set(c.specimenTypes.map((t) => t.code));
  for (const t of c.specimenTypes) if (!t.code || !t.system || !t.systemCode || !t.display) fail(`specimen type '${t.code}' is incomplete`);
  for (const list of [c.fixatives, c.stains, c.rejectionReasons])
    for (const x of list) if (!x.code || !x.display || !x.en) fail(`code '${x.code}' needs display and en`);
  const items = new Set(c.items.map((i) => i.code));
  for (const i of c.items) {
    if (!i.code || !i.name || i.modality !== 'SM' || !['required', 'none'].includes(i.fixation))
      fail(`item '${i.code}' needs a code, a name, modality SM and fixation required|none`);
    for (const t of i.specimenTypes ?? []) if (!types.has(t)) fail(`item '${i.code}' names unknown specimen type '${t}'`);
  }
  checkTemplates(c.templates, items, new Set(c.conclusions.map((x) => x.code)), fail);
}

export const CATALOGUES: PathologyCatalogue[] = loadDatedFrom<PathologyCatalogue>(import.meta.url, 'catalogue', check);

export const catalogueOn = (at: Date): PathologyCatalogue => inForce(CATALOGUES, at);
