/**
 * The ECG request (心电检查申请): a ServiceRequest to the county ECG centre for a resident the requester may see,
 * with the shared request fields (reading/request.ts); the reading task starts with it, waiting for the tracing.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import type { ReadingCase } from '../reading/cases.js';
import {
  commonServiceRequest,
  parseCommonRequest,
  requestParties,
  writeRequest,
  startCase,
  type CommonRequestInput,
} from '../reading/request.js';
import { catalogueOn, CENTRE, MODALITY, SYSTEMS, type EcgItem } from './model.js';
import { ecgIdentity } from './identity.js';

export interface EcgRequestInput extends CommonRequestInput {
  item: string;
}

export function parseEcgRequest(body: unknown, at: Date): EcgRequestInput {
  const { body: b, ...common } = parseCommonRequest(body);
  const items = catalogueOn(at).items;
  const item = typeof b.item === 'string' ? b.item.trim() : 'ECG-12';
  if (!items.some((i) => i.code === item))
    throw badRequest(`'item' must be one of ${items.map((i) => i.code).join(', ')} (请选择心电检查项目)`, 'item');
  return { ...common, item };
}

export function buildEcgRequest(
  input: EcgRequestInput,
  item: EcgItem,
  parties: Parameters<typeof commonServiceRequest>[1],
): ServiceRequest {
  return {
    ...commonServiceRequest(input, parties),
    identifier: [
      { system: SYSTEMS.accession, value: `${parties.at.slice(0, 10).replace(/-/g, '')}E${randomBytes(4).toString('hex').toUpperCase()}` },
    ],
    category: [{ coding: [{ system: SYSTEMS.v2Section, code: 'EC', display: 'Electrocardiac' }], text: '心电检查' }],
    code: {
      coding: [
        { system: SYSTEMS.item, code: item.code, display: item.name },
        { system: SYSTEMS.loinc, code: item.loinc, display: 'EKG study' },
        { system: SYSTEMS.dicomModality, code: MODALITY },
      ],
      text: item.name,
    },
  };
}

export const isEcgRequest = (sr: ServiceRequest): boolean =>
  sr.category?.some((c) => c.coding?.some((x) => x.system === SYSTEMS.v2Section && x.code === 'EC')) ?? false;
export const ecgItemOf = (sr: ServiceRequest): string | undefined => sr.code?.coding?.find((c) => c.system === SYSTEMS.item)?.code;

export function startEcgCase(engine: WorkflowEngine, tx: Repository, actor: Actor, sr: ServiceRequest, now: Date): Promise<ReadingCase> {
  return startCase(engine, tx, actor, sr, now, {
    centre: CENTRE,
    ...(ecgItemOf(sr) ? { itemCode: ecgItemOf(sr)! } : {}),
    modality: MODALITY,
    description: `${sr.code?.text ?? '心电图'}：${sr.reasonCode?.[0]?.text ?? ''}`,
  });
}

export async function createEcgRequest(
  engine: WorkflowEngine,
  repo: Repository,
  system: Repository,
  actor: Actor,
  input: EcgRequestInput,
  now: Date,
): Promise<{ serviceRequest: ServiceRequest; task: string }> {
  const parties = await requestParties(repo, system, actor, ecgIdentity, input, now);
  const item = catalogueOn(now).items.find((i) => i.code === input.item)!;
  const sr = buildEcgRequest(input, item, parties);
  return writeRequest(repo, sr, (tx, written) => startEcgCase(engine, tx, actor, written, now));
}
