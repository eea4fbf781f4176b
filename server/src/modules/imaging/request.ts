/**
 * The electronic imaging request (检查申请): a ServiceRequest addressed to the county imaging centre, for a resident the
 * requester may see. The reading task starts with it, waiting for the images (intake.ts).
 */
import { randomBytes } from 'node:crypto';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import { commonServiceRequest, parseCommonRequest, requestParties, writeRequest, type CommonRequestInput } from '../reading/request.js';
import { startImagingCase } from './intake.js';
import { catalogueOn, itemOn, SYSTEMS, type ImagingItem } from './model.js';
import { imagingProfile } from './profile.js';

export interface RequestInput extends CommonRequestInput {
  item: string;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function parseRequest(body: unknown, at: Date): RequestInput {
  const { body: b, ...common } = parseCommonRequest(body);
  const item = str(b.item);
  const items = catalogueOn(at).items;
  if (!item || !items.some((i) => i.code === item))
    throw badRequest(`'item' must be one of ${items.map((i) => i.code).join(', ')} (请选择检查项目)`, 'item');
  return { ...common, item };
}

export function buildRequest(
  input: RequestInput,
  item: ImagingItem,
  ctx: { requester?: string; requesterOrganization?: string; centre: string; at: string },
): ServiceRequest {
  const accession = `${ctx.at.slice(0, 10).replace(/-/g, '')}${randomBytes(4).toString('hex').toUpperCase()}`;
  const common = commonServiceRequest(input, ctx);
  return {
    ...common,
    identifier: [{ system: SYSTEMS.accession, value: accession }],
    category: [{ coding: [{ system: SYSTEMS.snomed, code: '363679005', display: 'Imaging' }], text: '影像检查' }],
    code: {
      coding: [
        { system: SYSTEMS.item, code: item.code, display: item.name },
        { system: SYSTEMS.dicomModality, code: item.modality },
      ],
      text: item.name,
    },
    bodySite: [{ coding: [{ system: SYSTEMS.snomed, code: item.bodySite.code, display: item.bodySite.display }] }],
  };
}

export async function createRequest(
  engine: WorkflowEngine,
  repo: Repository,
  system: Repository,
  actor: Actor,
  input: RequestInput,
  now: Date,
): Promise<{ serviceRequest: ServiceRequest; task: string }> {
  const item = itemOn(input.item, now)!;
  const sr = buildRequest(input, item, await requestParties(repo, system, actor, imagingProfile, input, now));
  return writeRequest(repo, sr, (tx, written) => startImagingCase(engine, tx, actor, written, now));
}

export const itemCodeOf = (sr: ServiceRequest): string | undefined => sr.code?.coding?.find((c) => c.system === SYSTEMS.item)?.code;
export const isImagingRequest = (sr: ServiceRequest): boolean =>
  sr.category?.some((c) => c.coding?.some((x) => x.code === '363679005')) ?? false;
