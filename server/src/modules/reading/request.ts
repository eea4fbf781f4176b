/**
 * What every reading centre's request (检查申请) shares: the receiving centre chosen by the roster, the requesting
 * institution recorded on the ServiceRequest, and the start of the reading task with its index row (state
 * awaiting-images: the images, tracing or specimen have not arrived yet).
 */
import type { Organization, ServiceRequest } from '@medplum/fhirtypes';
import { badRequest, conflict, forbidden } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import { organizationChain } from '../../platform/workflow/actor.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import { caseOfRequest, insertCase, type ReadingCase } from './cases.js';
import { findResources } from './fhir.js';
import type { CentreProfile } from './profile.js';
import { inForce, READING_WORKFLOW, ROSTERS, type Centre } from './rules.js';

export const CENTRE_ROLE_SYSTEM = 'urn:yiwang:centre-role';
export const REQUESTER_ORGANIZATION_EXT = 'https://yiwang.cn/fhir/StructureDefinition/requester-organization';
export const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;
/** Who may request a reading (the county's own doctors request too). */
export const REQUESTER_ROLES = ['township-doctor', 'village-doctor', 'county-specialist', 'admin'];

export interface CommonRequestInput {
  patient: string;
  priority: (typeof PRIORITIES)[number];
  reason: string;
  to?: string;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** The fields every centre's request shares: resident, priority, clinical information, receiving centre (400 names the field). */
export function parseCommonRequest(body: unknown): CommonRequestInput & { body: Record<string, unknown> } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('The body must be a JSON object (请求格式错误)');
  const patient = str(b.patient);
  if (!patient || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient))
    throw badRequest("'patient' must be 'Patient/<id>' (请选择居民)", 'patient');
  const priority = (str(b.priority) ?? 'routine') as CommonRequestInput['priority'];
  if (!PRIORITIES.includes(priority)) throw badRequest("'priority' must be routine, urgent, asap or stat", 'priority');
  const reason = str(b.reason);
  if (!reason || reason.length < 2) throw badRequest("'reason' (clinical information, 临床摘要与检查目的) is required", 'reason');
  if (reason.length > 2000) throw badRequest("'reason' is longer than 2000 characters", 'reason');
  const to = str(b.to);
  if (to && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(to)) throw badRequest("'to' must be 'Organization/<id>'", 'to');
  return { patient, priority, reason, ...(to ? { to } : {}), body: b };
}

/** The ServiceRequest fields every centre's request shares; the centre adds its category, code and identifiers. */
export function commonServiceRequest(
  input: CommonRequestInput,
  ctx: { requester?: string; requesterOrganization?: string; centre: string; at: string },
): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    ...(ctx.requesterOrganization
      ? { extension: [{ url: REQUESTER_ORGANIZATION_EXT, valueReference: { reference: ctx.requesterOrganization } }] }
      : {}),
    status: 'active',
    intent: 'order',
    priority: input.priority,
    subject: { reference: input.patient },
    authoredOn: ctx.at,
    ...(ctx.requester ? { requester: { reference: ctx.requester } } : {}),
    performer: [{ reference: ctx.centre }],
    reasonCode: [{ text: input.reason }],
  };
}

/**
 * Checks shared by every centre before a request is written — a requester's role, a resident the caller may see (404
 * otherwise, as everywhere) — and who asks and who receives.
 */
export async function requestParties(
  repo: Repository,
  system: Repository,
  actor: Actor,
  profile: Pick<CentreProfile, 'centre' | 'name'>,
  input: CommonRequestInput,
  now: Date,
): Promise<{ requester?: string; requesterOrganization?: string; centre: string; at: string }> {
  if (!actor.roles.some((r) => REQUESTER_ROLES.includes(r)))
    throw forbidden(`Your role cannot request a ${profile.name.en} reading (您的角色不能开具${profile.name.zh}检查申请)`);
  await repo.read('Patient', input.patient.slice(8));
  const requesterOrganization = actor.organizationId ? `Organization/${actor.organizationId}` : undefined;
  const centre = await receivingCentre(system, profile, requesterOrganization, now, input.to);
  return {
    requester: actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined,
    requesterOrganization,
    centre: `Organization/${centre.id}`,
    at: now.toISOString(),
  };
}

export const requesterOrgOf = (sr: ServiceRequest): string | undefined =>
  sr.extension?.find((e) => e.url === REQUESTER_ORGANIZATION_EXT)?.valueReference?.reference;

/**
 * The centre that receives a request: the institution given, if it holds the centre's role; otherwise, per the roster,
 * the institution with the centre role nearest the requester in the community (a department under a hospital that
 * also carries the role wins, being where the readers work).
 */
export async function receivingCentre(
  system: Repository,
  profile: Pick<CentreProfile, 'centre' | 'name'>,
  requesterOrg: string | undefined,
  at: Date,
  to?: string,
): Promise<Organization> {
  const role = inForce(ROSTERS, at).centres[profile.centre].centreRole;
  const centres = await findResources<Organization>(system, 'Organization', `type=${CENTRE_ROLE_SYSTEM}|${role}`, 200);
  if (to) {
    const chosen = centres.find((o) => `Organization/${o.id}` === to);
    if (!chosen) throw badRequest(`${to} is not a ${profile.name.en} centre (不是${profile.name.zh}诊断中心)`, 'to');
    return chosen;
  }
  if (!centres.length)
    throw badRequest(`No institution is registered as the ${profile.name.en} centre (未登记${profile.name.zh}诊断中心)`, 'to');
  const ids = new Set(centres.map((o) => `Organization/${o.id}`));
  // Departments first: a centre whose parent is also a centre.
  const ranked = [...centres].sort(
    (a, b) =>
      Number(ids.has(b.partOf?.reference ?? '')) - Number(ids.has(a.partOf?.reference ?? '')) || (a.id ?? '').localeCompare(b.id ?? ''),
  );
  if (!requesterOrg) return ranked[0]!;
  const chain = new Set(await organizationChain(system.db, system.tenant, requesterOrg.replace('Organization/', '')));
  for (const c of ranked) {
    const top = await organizationChain(system.db, system.tenant, c.id);
    if (top.some((o) => chain.has(o))) return c;
  }
  return ranked[0]!;
}

export interface CaseStart {
  centre: Centre;
  itemCode?: string;
  modality?: string;
  /** The worklist line, e.g. "头颅CT平扫：头痛3天". */
  description: string;
}

/** The reading task of a request and its index row (state awaiting-images), in the caller's transaction. */
export async function startCase(
  engine: WorkflowEngine,
  tx: Repository,
  actor: Actor,
  sr: ServiceRequest,
  now: Date,
  start: CaseStart,
): Promise<ReadingCase> {
  const centre = sr.performer?.[0]?.reference;
  if (!centre?.startsWith('Organization/')) throw badRequest('The request names no receiving centre (申请未指定诊断中心)', 'performer');
  const patient = sr.subject?.reference as string;
  const step = await engine.start(tx, actor, {
    workflow: READING_WORKFLOW,
    focus: `ServiceRequest/${sr.id}`,
    for: patient,
    owner: centre,
    ...(sr.requester?.reference ? { requester: sr.requester.reference } : {}),
    requesterOrganization: requesterOrgOf(sr),
    description: start.description,
    priority: (sr.priority ?? 'routine') as 'routine',
    basedOn: [`ServiceRequest/${sr.id}`],
    input: [{ type: { text: 'centre' }, valueCode: start.centre }],
  });
  await insertCase(tx, {
    task_id: step.task.id as string,
    centre: start.centre,
    service_request: `ServiceRequest/${sr.id}`,
    patient,
    requester_org: requesterOrgOf(sr) ?? null,
    owner_org: centre,
    item_code: start.itemCode ?? null,
    modality: start.modality ?? null,
    study_uid: null,
    imaging_study: null,
    requested_at: sr.authoredOn ?? now.toISOString(),
    images_at: null,
  });
  return (await caseOfRequest(tx, `ServiceRequest/${sr.id}`)) as ReadingCase;
}

/**
 * The request an upload answers (images, tracing, specimen): visible to the caller, of this centre, active, and the
 * caller's institution's (or one above it in the tree); administrators may upload for any.
 */
export async function ownActiveRequest(
  repo: Repository,
  actor: Actor,
  ref: string,
  profile: Pick<CentreProfile, 'name'>,
  isCentreRequest: (sr: ServiceRequest) => boolean,
): Promise<ServiceRequest> {
  const m = /^(?:ServiceRequest\/)?([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  if (!m) throw badRequest("'request' must be 'ServiceRequest/<id>'", 'request');
  const sr = (await repo.read('ServiceRequest', m[1]!)) as ServiceRequest;
  if (!isCentreRequest(sr))
    throw badRequest(`ServiceRequest/${sr.id} is not a ${profile.name.en} request (不是${profile.name.zh}检查申请)`, 'request');
  if (sr.status !== 'active')
    throw conflict(
      `ServiceRequest/${sr.id} is ${sr.status}; nothing can be added to it (申请已${sr.status === 'completed' ? '完成' : '关闭'})`,
    );
  if (!actor.roles.includes('admin')) {
    const org = requesterOrgOf(sr);
    const chain = await organizationChain(repo.db, repo.tenant, actor.organizationId);
    if (!org || !chain.includes(org))
      throw forbidden(`Only the requesting institution uploads for its request (只有申请机构可以上传${profile.name.zh}检查资料)`);
  }
  return sr;
}

/**
 * The case moves on when its material arrives (images, tracing, specimen), in the caller's transaction: the first
 * upload makes 'images' (to the worklist), a new upload after a QC rejection 'resubmit'; more material while the case
 * waits to be read or is being read is added without a transition; after the report, nothing can be added.
 */
export async function materialArrived(
  engine: WorkflowEngine,
  tx: Repository,
  actor: Actor,
  taskId: string,
  note: { zh: string; en: string },
): Promise<void> {
  const state = (
    await tx.query<{ state: string }>('SELECT state FROM workflow_task WHERE tenant = $1 AND task_id = $2', [tx.tenant, taskId])
  )[0]?.state;
  if (state === 'awaiting-images') await engine.transition(tx, actor, taskId, 'images', { note: `${note.zh} (${note.en})` });
  else if (state === 'qc-rejected')
    await engine.transition(tx, actor, taskId, 'resubmit', { note: `重新上传：${note.zh} (again: ${note.en})` });
  else if (state !== 'requested' && state !== 'claimed')
    throw conflict(`The case is '${state}'; nothing can be added any more (当前状态不能再上传)`);
}

/** Writes a centre's request and starts its reading task, in one transaction. */
export function writeRequest(
  repo: Repository,
  sr: ServiceRequest,
  start: (tx: Repository, written: ServiceRequest) => Promise<ReadingCase>,
): Promise<{ serviceRequest: ServiceRequest; task: string }> {
  return repo.withTransaction(async (tx) => {
    const written = (await tx.create(sr)).resource as ServiceRequest;
    const c = await start(tx, written);
    return { serviceRequest: written, task: c.task_id };
  });
}
