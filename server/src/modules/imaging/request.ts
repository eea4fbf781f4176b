/**
 * The electronic imaging request (检查申请): a ServiceRequest addressed to the county imaging centre, for a resident the
 * requester may see. The reading task starts with it, waiting for the images (intake.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Patient, ServiceRequest } from '@medplum/fhirtypes';
import { badRequest, forbidden } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import { PRIORITIES, receivingCentre, REQUESTER_ROLES } from '../reading/request.js';
import { startImagingCase } from './intake.js';
import { catalogueOn, EXT, SYSTEMS, type ImagingItem } from './model.js';
import { imagingProfile } from './profile.js';

export interface RequestInput {
  patient: string;
  item: string;
  priority: (typeof PRIORITIES)[number];
  reason: string;
  to?: string;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function parseRequest(body: unknown, at: Date): RequestInput {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('The body must be a JSON object (请求格式错误)');
  const patient = str(b.patient);
  if (!patient || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient))
    throw badRequest("'patient' must be 'Patient/<id>' (请选择居民)", 'patient');
  const item = str(b.item);
  const items = catalogueOn(at).items;
  if (!item || !items.some((i) => i.code === item))
    throw badRequest(`'item' must be one of ${items.map((i) => i.code).join(', ')} (请选择检查项目)`, 'item');
  const priority = (str(b.priority) ?? 'routine') as RequestInput['priority'];
  if (!PRIORITIES.includes(priority)) throw badRequest("'priority' must be routine, urgent, asap or stat", 'priority');
  const reason = str(b.reason);
  if (!reason || reason.length < 2) throw badRequest("'reason' (clinical information, 临床摘要与检查目的) is required", 'reason');
  if (reason.length > 2000) throw badRequest("'reason' is longer than 2000 characters", 'reason');
  const to = str(b.to);
  if (to && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(to)) throw badRequest("'to' must be 'Organization/<id>'", 'to');
  return { patient, item, priority, reason, ...(to ? { to } : {}) };
}

export function buildRequest(
  input: RequestInput,
  item: ImagingItem,
  ctx: { requester?: string; requesterOrganization?: string; centre: string; at: string },
): ServiceRequest {
  const accession = `${ctx.at.slice(0, 10).replace(/-/g, '')}${randomBytes(4).toString('hex').toUpperCase()}`;
  return {
    resourceType: 'ServiceRequest',
    ...(ctx.requesterOrganization
      ? { extension: [{ url: EXT.requesterOrganization, valueReference: { reference: ctx.requesterOrganization } }] }
      : {}),
    identifier: [{ system: SYSTEMS.accession, value: accession }],
    status: 'active',
    intent: 'order',
    priority: input.priority,
    category: [{ coding: [{ system: SYSTEMS.snomed, code: '363679005', display: 'Imaging' }], text: '影像检查' }],
    code: {
      coding: [
        { system: SYSTEMS.item, code: item.code, display: item.name },
        { system: SYSTEMS.dicomModality, code: item.modality },
      ],
      text: item.name,
    },
    bodySite: [{ coding: [{ system: SYSTEMS.snomed, code: item.bodySite.code, display: item.bodySite.display }] }],
    subject: { reference: input.patient },
    authoredOn: ctx.at,
    ...(ctx.requester ? { requester: { reference: ctx.requester } } : {}),
    performer: [{ reference: ctx.centre }],
    reasonCode: [{ text: input.reason }],
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
  if (!actor.roles.some((r) => REQUESTER_ROLES.includes(r)))
    throw forbidden('Your role cannot request imaging (您的角色不能开具影像检查申请)');
  // The resident must be one the caller may see (404 otherwise, as everywhere).
  (await repo.read('Patient', input.patient.slice(8))) as Patient;
  const item = catalogueOn(now).items.find((i) => i.code === input.item)!;
  const requesterOrganization = actor.organizationId ? `Organization/${actor.organizationId}` : undefined;
  const centre = await receivingCentre(system, imagingProfile, requesterOrganization, now, input.to);
  const sr = buildRequest(input, item, {
    requester: actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined,
    requesterOrganization,
    centre: `Organization/${centre.id}`,
    at: now.toISOString(),
  });
  return repo.withTransaction(async (tx) => {
    const written = (await tx.create(sr)).resource as ServiceRequest;
    const c = await startImagingCase(engine, tx, actor, written, now);
    return { serviceRequest: written, task: c.task_id };
  });
}

export const itemCodeOf = (sr: ServiceRequest): string | undefined => sr.code?.coding?.find((c) => c.system === SYSTEMS.item)?.code;
export const isImagingRequest = (sr: ServiceRequest): boolean =>
  sr.category?.some((c) => c.coding?.some((x) => x.code === '363679005')) ?? false;
