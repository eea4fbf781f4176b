/**
 * Checks against the store before a consultation step writes anything: the references a request makes (resident in
 * the caller's scope, a consultation centre of the medical community, the resident's own record items), the experts
 * invited, and which party the caller is (requester, the centre, an invited expert) — someone who is none of them is
 * told the consultation does not exist (404), as the platform does for records outside one's scope.
 */
import type { Organization, Practitioner, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { readRef } from '../../platform/fhir/lookup.js';
import { conflict, forbidden, notFound } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import { organizationChain, type Actor } from '../../platform/workflow/actor.js';
import { requesterOrganizationOf, stateOf } from '../../platform/workflow/fhir.js';
import { EXTERNAL_EXPERT_SYSTEM, participantsOf, type ConsultationInput, type Participant } from './model.js';
import { bad } from './validate.js';

/** The top of the institution tree: two institutions share it when they belong to the same medical community. */
async function communityOf(system: Repository, org: string): Promise<string | undefined> {
  const chain = await organizationChain(system.db, system.tenant, org.slice('Organization/'.length));
  return chain[chain.length - 1];
}

export async function checkRequest(repo: Repository, system: Repository, actor: Actor, input: ConsultationInput): Promise<string> {
  if (!actor.organizationId) throw forbidden('Only staff of an institution can request a consultation (只有医疗机构人员可以申请会诊)');
  const requesterOrganization = `Organization/${actor.organizationId}`;
  if (!(await readRef(system, input.patient, 'Patient')))
    throw bad('patient', `患者 ${input.patient} 不存在`, `${input.patient} does not exist`);
  if (!(await readRef(repo, input.patient, 'Patient')))
    throw forbidden(`${input.patient} is outside your service scope (该患者不在您的服务范围内)`);
  const centre = await readRef<Organization>(system, input.to, 'Organization');
  if (!centre) throw bad('to', `会诊中心 ${input.to} 不存在`, `${input.to} does not exist`);
  if (input.to === requesterOrganization) throw bad('to', '不能向本机构申请会诊', 'A consultation is asked of another institution');
  const [mine, theirs] = [await communityOf(system, requesterOrganization), await communityOf(system, input.to)];
  if (!mine || mine !== theirs)
    throw bad(
      'to',
      '会诊中心须在本医共体内；院外专家由会诊中心邀请',
      `${input.to} is outside the medical community: the centre invites external experts`,
    );
  for (const [i, ref] of input.attachments.entries()) {
    const field = `attachments[${i}]`;
    const r = await readRef<Resource>(repo, ref);
    if (!r) throw bad(field, `共享资料 ${ref} 不存在或不可见`, `${ref} does not exist or is not visible to you`);
    const x = r as { subject?: { reference?: string }; patient?: { reference?: string } };
    if ((x.subject?.reference ?? x.patient?.reference) !== input.patient)
      throw bad(field, `共享资料 ${ref} 不是该患者的记录`, `${ref} is not a record of ${input.patient}`);
  }
  return requesterOrganization;
}

/** Invited county experts: each must be a registered Practitioner, not an external guest (they are added apart). */
export async function checkExperts(system: Repository, experts: string[]): Promise<Map<string, Practitioner>> {
  const found = new Map<string, Practitioner>();
  for (const [i, ref] of experts.entries()) {
    const p = await readRef<Practitioner>(system, ref, 'Practitioner');
    if (!p) throw bad(`experts[${i}]`, `专家 ${ref} 不存在`, `${ref} is not a registered practitioner`);
    if (p.identifier?.some((id) => id.system === EXTERNAL_EXPERT_SYSTEM))
      throw bad(
        `experts[${i}]`,
        `${ref} 是院外专家，请通过“添加院外专家”邀请`,
        `${ref} is an external expert: add them as an external participant`,
      );
    found.set(ref, p);
  }
  return found;
}

export interface Party {
  /** Works at the consultation centre (Task.owner) or an institution below it. */
  centre: boolean;
  /** The requesting doctor or their institution (or one below it). */
  requester: boolean;
  /** The caller's participation, if invited. */
  expert?: Participant;
}

export async function partyOf(repo: Repository, actor: Actor, sr: ServiceRequest, task: Task): Promise<Party> {
  const chain = await organizationChain(repo.db, repo.tenant, actor.organizationId);
  const me = actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined;
  const requesterOrg = requesterOrganizationOf(task);
  const expert = me ? participantsOf(sr).find((p) => p.practitioner === me) : undefined;
  return {
    centre: !!task.owner?.reference && chain.includes(task.owner.reference),
    requester: (!!me && task.requester?.reference === me) || (!!requesterOrg && chain.includes(requesterOrg)),
    ...(expert ? { expert } : {}),
  };
}

/** The caller's party; 404 for anyone who is neither the requester, the centre nor an invited expert. */
export async function requireParty(repo: Repository, actor: Actor, sr: ServiceRequest, task: Task): Promise<Party> {
  const party = await partyOf(repo, actor, sr, task);
  const admin = actor.roles.includes('admin');
  if (!party.centre && !party.requester && !party.expert && !admin)
    throw notFound(`ServiceRequest/${sr.id} is not a consultation of yours (会诊申请不存在或无权查看)`);
  return party;
}

/** 409 unless the consultation is in one of these states. */
export function requireState(task: Task, states: string[], what: { zh: string; en: string }): string {
  const state = stateOf(task) ?? '';
  if (!states.includes(state)) throw conflict(`${what.en} is not possible in state '${state}' (当前状态不能${what.zh})`);
  return state;
}
