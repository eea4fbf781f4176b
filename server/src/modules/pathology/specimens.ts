/**
 * Specimens as the requester describes them (送检标本: type, site, container label, count, removal and fixation times,
 * fixative), checked against the catalogue in force, and as FHIR Specimen resources. The cold-ischaemia time (离体至
 * 固定) is fixed − collected, known from the request; over the catalogue's limit it is flagged, not refused.
 */
import type { Specimen } from '@medplum/fhirtypes';
import { zonedInstant } from '../../platform/fhir/input.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import { EXT, SYSTEMS, type PathologyCatalogue, type PathologyItem, type SpecimenType } from './model.js';

export interface SpecimenInput {
  type: SpecimenType;
  site: string;
  label: string;
  count: number;
  collected: string;
  fixed?: string;
  fixative?: { code: string; display: string };
  coldMinutes?: number;
  overLimit: boolean;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
/** A removal or fixation time may be a few minutes ahead of the server's clock (the ward's clock), not more. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** A date-time with its zone (platform zonedInstant: a ward's local time without one is ambiguous), not in the future. */
function instant(v: unknown, field: string, now: Date): string {
  const t = Date.parse(zonedInstant(str(v), field));
  if (t > now.getTime() + CLOCK_SKEW_MS) throw badRequest(`'${field}' is in the future (时间不能晚于当前时间)`, field);
  return new Date(t).toISOString();
}

/** The specimens of a request or resubmission (400 names the field: specimens[1].fixed …). */
export function parseSpecimens(value: unknown, item: PathologyItem, catalogue: PathologyCatalogue, now: Date): SpecimenInput[] {
  if (!Array.isArray(value) || !value.length) throw badRequest("'specimens' must list at least one specimen (请填写送检标本)", 'specimens');
  if (value.length > 20) throw badRequest("'specimens' lists more than 20 specimens", 'specimens');
  const labels = new Set<string>();
  return value.map((raw, i) => {
    const f = (name: string) => `specimens[${i}].${name}`;
    const s = (raw ?? {}) as Record<string, unknown>;
    const code = str(s.type);
    const type = catalogue.specimenTypes.find((t) => t.code === code && !t.derived);
    if (!type || !item.specimenTypes.includes(type.code))
      throw badRequest(`'${f('type')}' must be one of ${item.specimenTypes.join(', ')} for ${item.code} (标本类型不符)`, f('type'));
    const site = str(s.site);
    if (!site || site.length > 200) throw badRequest(`'${f('site')}' (取材部位) is required`, f('site'));
    const label = str(s.label);
    if (!label || label.length > 40) throw badRequest(`'${f('label')}' (容器标签) is required, up to 40 characters`, f('label'));
    if (labels.has(label)) throw badRequest(`'${f('label')}' repeats the label '${label}' (容器标签重复)`, f('label'));
    labels.add(label);
    const count = s.count === undefined ? 1 : s.count;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 50)
      throw badRequest(`'${f('count')}' must be a whole number 1–50`, f('count'));
    const collected = instant(s.collected, f('collected'), now);
    let fixed: string | undefined;
    let fixative: SpecimenInput['fixative'];
    if (item.fixation === 'required' || s.fixed !== undefined || s.fixative !== undefined) {
      fixed = instant(s.fixed, f('fixed'), now);
      if (fixed < collected)
        throw badRequest(`'${f('fixed')}' is before the removal time '${f('collected')}' (固定时间早于离体时间)`, f('fixed'));
      const found = catalogue.fixatives.find((x) => x.code === str(s.fixative));
      if (!found)
        throw badRequest(
          `'${f('fixative')}' must be one of ${catalogue.fixatives.map((x) => x.code).join(', ')} (请选择固定液)`,
          f('fixative'),
        );
      fixative = { code: found.code, display: found.display };
    }
    const coldMinutes = fixed ? Math.round((Date.parse(fixed) - Date.parse(collected)) / 6_000) / 10 : undefined;
    return {
      type,
      site,
      label,
      count: count as number,
      collected,
      ...(fixed ? { fixed, fixative } : {}),
      ...(coldMinutes !== undefined ? { coldMinutes } : {}),
      overLimit: coldMinutes !== undefined && coldMinutes > catalogue.coldIschaemiaLimitMinutes,
    };
  });
}

const typeConcept = (t: SpecimenType) => ({ coding: [{ system: t.system, code: t.systemCode, display: t.display }], text: t.display });

/** The FHIR Specimen of a sent specimen (no status until the centre receives it). */
export function specimenResource(input: SpecimenInput, ctx: { patient: string; request: string }): Specimen {
  return {
    resourceType: 'Specimen',
    ...(input.coldMinutes !== undefined
      ? {
          extension: [
            {
              url: EXT.coldIschaemia,
              valueQuantity: { value: input.coldMinutes, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
            },
          ],
        }
      : {}),
    identifier: [{ system: SYSTEMS.containerLabel, value: input.label }],
    type: typeConcept(input.type),
    subject: { reference: ctx.patient },
    request: [{ reference: ctx.request }],
    collection: {
      collectedDateTime: input.collected,
      quantity: { value: input.count, unit: '件 (pieces)' },
      bodySite: { text: input.site },
    },
    ...(input.fixed
      ? {
          processing: [
            {
              description: `固定 (fixation): ${input.fixative?.display ?? ''}`,
              procedure: { coding: [{ system: SYSTEMS.fixative, code: input.fixative?.code, display: input.fixative?.display }] },
              timeDateTime: input.fixed,
            },
          ],
        }
      : {}),
    container: [{ identifier: [{ system: SYSTEMS.containerLabel, value: input.label }], description: `${input.count} 件` }],
  };
}

/** A block (取材, parent the specimen) or a slide (切片, parent the block), made in the lab. */
export function derivedResource(
  type: SpecimenType,
  ctx: { patient: string; request: string; parent: string; label: string; site?: string; step: string; at: string; code?: string },
): Specimen {
  return {
    resourceType: 'Specimen',
    status: 'available',
    identifier: [{ system: SYSTEMS.containerLabel, value: ctx.label }],
    type: typeConcept(type),
    subject: { reference: ctx.patient },
    request: [{ reference: ctx.request }],
    parent: [{ reference: ctx.parent }],
    receivedTime: ctx.at,
    ...(ctx.site ? { collection: { bodySite: { text: ctx.site } } } : {}),
    processing: [
      {
        description: ctx.step,
        ...(ctx.code ? { procedure: { coding: [{ system: SYSTEMS.stain, code: ctx.code }], text: ctx.step } } : {}),
        timeDateTime: ctx.at,
      },
    ],
    container: [{ identifier: [{ system: SYSTEMS.containerLabel, value: ctx.label }] }],
  };
}
