/**
 * Checks a new referral before anything is written: the shape of the request (400 naming the field, in Chinese and
 * English), then the references it makes — the resident must exist and be in the caller's scope, the receiving
 * institution must be an Organization of the right kind (inside the medical community for up/down, outside for an
 * external referral), a department must belong to it, attachments must be the resident's own records.
 */
import { badField, zonedInstant } from '../../platform/fhir/input.js';
import type { Organization, ServiceRequest } from '@medplum/fhirtypes';
import { readRef } from '../../platform/fhir/lookup.js';
import { badRequest, forbidden } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import { organizationChain, type Actor } from '../../platform/workflow/actor.js';
import { DIRECTIONS, directionOf, type Direction, type ReferralInput } from './model.js';

const REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const ICD10_CODE = /^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$/;
const ATTACHABLE = new Set([
  'Observation',
  'DiagnosticReport',
  'Condition',
  'DocumentReference',
  'Composition',
  'MedicationStatement',
  'MedicationRequest',
  'Procedure',
  'ImagingStudy',
  'AllergyIntolerance',
  'Encounter',
  'CarePlan',
]);

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const bad = badField;
const instant = zonedInstant;

/** The request body as a ReferralInput; throws 400 naming the first faulty field. */
export function parseReferral(body: unknown): ReferralInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object (请求体应为 JSON 对象)');
  const b = body as Record<string, unknown>;
  const direction = b.direction as Direction;
  if (!DIRECTIONS.includes(direction))
    throw bad('direction', '转诊类型应为 up、down 或 external', "'direction' must be 'up', 'down' or 'external'");
  const patient = text(b.patient);
  if (!patient || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) throw bad('patient', '请选择患者', "'patient' must be 'Patient/<id>'");
  const to = text(b.to);
  if (!to || !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(to))
    throw bad('to', '转入机构必须是机构 (Organization)', "'to' must be 'Organization/<id>'");
  const department = b.department === undefined || b.department === null ? undefined : text(b.department);
  if (b.department !== undefined && b.department !== null && (!department || !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(department))) {
    throw bad('department', '科室必须是机构 (Organization)', "'department' must be 'Organization/<id>'");
  }
  const reason = text(b.reason);
  if (!reason) throw bad('reason', '请填写转诊原因', "'reason' (why the patient is referred) is required");
  if (!Array.isArray(b.diagnosis) || !b.diagnosis.length)
    throw bad('diagnosis', '请填写至少一个诊断 (ICD-10)', "'diagnosis' must list at least one ICD-10 diagnosis");
  const diagnosis = b.diagnosis.map((d: unknown, i: number) => {
    const x = (d ?? {}) as Record<string, unknown>;
    const code = text(x.code)?.toUpperCase();
    if (!code || !ICD10_CODE.test(code))
      throw bad(
        `diagnosis[${i}].code`,
        '诊断编码应为 ICD-10 编码，如 I10',
        `'diagnosis[${i}].code' must be an ICD-10 code such as I10 or E11.9`,
      );
    const display = text(x.display);
    if (!display) throw bad(`diagnosis[${i}].display`, '请填写诊断名称', `'diagnosis[${i}].display' (the diagnosis name) is required`);
    return { code, display };
  });
  const summary = text(b.summary);
  if (!summary) throw bad('summary', '请填写病情摘要', "'summary' (clinical summary) is required");
  let attachments: string[] = [];
  if (b.attachments !== undefined && b.attachments !== null) {
    if (!Array.isArray(b.attachments))
      throw bad('attachments', '附件应为资源引用列表', "'attachments' must be a list of references such as 'Observation/<id>'");
    attachments = b.attachments.map((a: unknown, i: number) => {
      const m = typeof a === 'string' ? REF.exec(a) : null;
      if (!m || !ATTACHABLE.has(m[1])) {
        throw bad(
          `attachments[${i}]`,
          '附件应为检验、检查、诊断等记录的引用',
          `'attachments[${i}]' must reference one of ${[...ATTACHABLE].join(', ')}`,
        );
      }
      return a as string;
    });
  }
  const dischargeSummary = text(b.dischargeSummary);
  if (
    b.dischargeSummary !== undefined &&
    (!dischargeSummary || !/^(Composition|DocumentReference)\/[A-Za-z0-9\-.]{1,64}$/.test(dischargeSummary))
  ) {
    throw bad(
      'dischargeSummary',
      '出院小结应为 Composition 或 DocumentReference 的引用',
      "'dischargeSummary' must be 'Composition/<id>' or 'DocumentReference/<id>'",
    );
  }
  const urgency = b.urgency === undefined ? 'routine' : b.urgency;
  if (urgency !== 'routine' && urgency !== 'urgent')
    throw bad('urgency', '紧急程度应为 routine（普通）或 urgent（紧急）', "'urgency' must be 'routine' or 'urgent'");
  let slot: ReferralInput['slot'];
  if (b.slot !== undefined && b.slot !== null) {
    const s = b.slot as Record<string, unknown>;
    if (typeof s !== 'object') throw bad('slot', '预约信息格式错误', "'slot' must be { start, end?, kind }");
    const start = instant(s.start, 'slot.start');
    const end = s.end === undefined ? undefined : instant(s.end, 'slot.end');
    if (end && Date.parse(end) < Date.parse(start))
      throw bad('slot.end', '结束时间不能早于开始时间', "'slot.end' must not be before 'slot.start'");
    if (s.kind !== 'outpatient' && s.kind !== 'bed')
      throw bad('slot.kind', '预约类型应为 outpatient（门诊号）或 bed（床位）', "'slot.kind' must be 'outpatient' or 'bed'");
    slot = { start, ...(end ? { end } : {}), kind: s.kind };
  }
  const followUpPlan = text(b.followUpPlan);
  if (direction === 'down' && !followUpPlan)
    throw bad('followUpPlan', '下转须填写随访计划', "'followUpPlan' is required for a down-referral");
  if (direction !== 'down' && b.followUpPlan !== undefined)
    throw bad('followUpPlan', '只有下转需要随访计划', "'followUpPlan' belongs to down-referrals only");
  const basedOn = b.basedOn === undefined || b.basedOn === null ? undefined : text(b.basedOn);
  if (b.basedOn !== undefined && b.basedOn !== null && (!basedOn || !/^ServiceRequest\/[A-Za-z0-9\-.]{1,64}$/.test(basedOn)))
    throw bad('basedOn', '关联的转诊应为 ServiceRequest 引用', "'basedOn' must be 'ServiceRequest/<id>' (the referral this one answers)");
  if (direction !== 'down' && dischargeSummary)
    throw bad('dischargeSummary', '只有下转附出院小结', "'dischargeSummary' belongs to down-referrals only");
  return {
    direction,
    patient,
    to,
    ...(department ? { department } : {}),
    reason,
    diagnosis,
    summary,
    attachments,
    ...(dischargeSummary ? { dischargeSummary } : {}),
    urgency,
    ...(slot ? { slot } : {}),
    ...(followUpPlan ? { followUpPlan } : {}),
    ...(basedOn ? { basedOn } : {}),
  };
}

export interface CheckedReferral {
  toOrganization: Organization;
  requesterOrganization: string;
}

/**
 * Checks the references of a parsed referral. `repo` is the caller's (their access compiled in); `system` reads the
 * registries and tells "no such resident" (400) from "not yours to refer" (403).
 */
export async function checkReferral(repo: Repository, system: Repository, actor: Actor, input: ReferralInput): Promise<CheckedReferral> {
  if (!actor.organizationId) throw forbidden('Only staff of an institution can refer a patient (只有医疗机构人员可以发起转诊)');
  const requesterOrganization = `Organization/${actor.organizationId}`;
  if (!(await readRef(system, input.patient))) throw bad('patient', `患者 ${input.patient} 不存在`, `${input.patient} does not exist`);
  if (!(await readRef(repo, input.patient))) {
    throw forbidden(`${input.patient} is outside your service scope (该患者不在您的服务范围内)`);
  }
  const to = (await readRef(system, input.to)) as Organization | undefined;
  if (!to) throw bad('to', `转入机构 ${input.to} 不存在`, `${input.to} does not exist`);
  if (input.to === requesterOrganization) throw bad('to', '不能转诊到本机构', 'A referral must go to another institution');
  const mine = await organizationChain(system.db, system.tenant, actor.organizationId);
  const theirs = await organizationChain(system.db, system.tenant, input.to.slice('Organization/'.length));
  const sameCommunity = mine.length > 0 && theirs.length > 0 && mine[mine.length - 1] === theirs[theirs.length - 1];
  if (input.direction === 'external' && sameCommunity) {
    throw bad(
      'to',
      '县外转诊的转入机构不能是医共体内机构，请改用上转或下转',
      `${input.to} belongs to the medical community: use an up- or down-referral`,
    );
  }
  if (input.direction !== 'external') {
    if (!sameCommunity)
      throw bad(
        'to',
        '转入机构不在本医共体内，请改用县外转诊 (external)',
        `${input.to} is outside the medical community: use direction 'external'`,
      );
    if (input.direction === 'up' && theirs.includes(requesterOrganization)) {
      throw bad('to', '上转的转入机构不能是本机构的下级机构', `An up-referral cannot go to an institution below yours (${input.to})`);
    }
    if (input.direction === 'down' && mine.includes(input.to)) {
      throw bad('to', '下转的转入机构不能是本机构的上级机构', `A down-referral cannot go to an institution above yours (${input.to})`);
    }
  }
  if (input.department) {
    const dept = await readRef(system, input.department);
    const chain = dept ? await organizationChain(system.db, system.tenant, input.department.slice('Organization/'.length)) : [];
    if (!dept || !chain.slice(1).includes(input.to)) {
      throw bad('department', '科室必须属于转入机构', `${input.department} is not a department of ${input.to}`);
    }
  }
  if (input.basedOn) {
    // Only a referral of the same resident that the caller can see: the link is shown on both referrals' pages.
    const earlier = (await readRef(repo, input.basedOn)) as ServiceRequest | undefined;
    if (!earlier || directionOf(earlier) === undefined)
      throw bad('basedOn', `关联的转诊 ${input.basedOn} 不存在或不可见`, `${input.basedOn} is not a referral visible to you`);
    if (earlier.subject?.reference !== input.patient)
      throw bad('basedOn', `关联的转诊 ${input.basedOn} 不是该患者的`, `${input.basedOn} is a referral of another patient`);
  }
  const attached = [
    ...(input.dischargeSummary ? [{ ref: input.dischargeSummary, field: 'dischargeSummary' }] : []),
    ...input.attachments.map((ref, i) => ({ ref, field: `attachments[${i}]` })),
  ];
  for (const { ref, field } of attached) {
    const r = await readRef(repo, ref);
    if (!r) throw bad(field, `附件 ${ref} 不存在或不可见`, `${ref} does not exist or is not visible to you`);
    const subject =
      (r as { subject?: { reference?: string }; patient?: { reference?: string } }).subject?.reference ??
      (r as { patient?: { reference?: string } }).patient?.reference;
    if (subject !== input.patient) throw bad(field, `附件 ${ref} 不是该患者的记录`, `${ref} is not a record of ${input.patient}`);
  }
  return { toOrganization: to, requesterOrganization };
}
