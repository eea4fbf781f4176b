/**
 * The shape of the consultation requests' bodies: a 400 OperationOutcome naming the first faulty field (in Chinese and
 * English) before anything is read or written. References are checked against the store in checks.ts.
 */
import { badField, zonedInstant } from '../../platform/fhir/input.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import { KINDS, MODES, type ConsultationInput, type Kind, type Mode } from './model.js';

const ID = '[A-Za-z0-9\\-.]{1,64}';
const REF = new RegExp(`^([A-Z][A-Za-z]+)/${ID}$`);
const refOf = (type: string) => new RegExp(`^${type}/${ID}$`);
/** Record items a requester may share with the experts (the resident's own, checked later). */
export const SHAREABLE = new Set([
  'Condition',
  'DiagnosticReport',
  'Observation',
  'DocumentReference',
  'Composition',
  'ImagingStudy',
  'MedicationStatement',
  'MedicationRequest',
  'Procedure',
  'AllergyIntolerance',
  'Encounter',
  'CarePlan',
]);
const MAX_TEXT = 4000;

export const bad = badField;

function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object (请求体应为 JSON 对象)');
  return body as Record<string, unknown>;
}

/** Trimmed text, or undefined when absent; 400 when present but not text or too long. */
function optionalText(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(field, `${field} 应为文本`, `'${field}' must be text`);
  if (v.length > MAX_TEXT) throw bad(field, `${field} 不能超过 ${MAX_TEXT} 字`, `'${field}' must be at most ${MAX_TEXT} characters`);
  return v.trim() || undefined;
}

function requiredText(v: unknown, field: string, zh: string): string {
  const t = optionalText(v, field);
  if (!t) throw bad(field, zh, `'${field}' is required`);
  return t;
}

function reference(v: unknown, field: string, type: string, zh: string): string {
  if (typeof v !== 'string' || !refOf(type).test(v.trim())) throw bad(field, zh, `'${field}' must be '${type}/<id>'`);
  return v.trim();
}

/** A date-time with a zone, not in the past (a minute of grace for the clocks of the browser and the server). */
export function futureInstant(v: unknown, field: string, now: Date): string {
  const at = zonedInstant(v, field);
  if (Date.parse(at) < now.getTime() - 60_000) throw bad(field, '会诊时间不能早于现在', `'${field}' must not be in the past`);
  return at;
}

export function parseRequest(body: unknown, now: Date): ConsultationInput {
  const b = objectBody(body);
  const kind = (b.kind ?? 'single') as Kind;
  if (!KINDS.includes(kind)) throw bad('kind', '会诊类型应为 single（单科）或 mdt（多学科）', "'kind' must be 'single' or 'mdt'");
  const mode = (b.mode ?? 'instant') as Mode;
  if (!MODES.includes(mode))
    throw bad('mode', '会诊方式应为 instant（即时）或 scheduled（预约）', "'mode' must be 'instant' or 'scheduled'");
  const patient = reference(b.patient, 'patient', 'Patient', '请选择患者');
  const to = reference(b.to, 'to', 'Organization', '请选择会诊中心 (Organization)');
  const reason = requiredText(b.reason, 'reason', '请填写会诊原因（病情摘要）');
  const question = optionalText(b.question, 'question');
  let specialties: string[] = [];
  if (b.specialties !== undefined && b.specialties !== null) {
    if (!Array.isArray(b.specialties) || b.specialties.some((s) => typeof s !== 'string' || !s.trim() || s.length > 100))
      throw bad('specialties', '会诊科室应为科室名称列表', "'specialties' must be a list of specialty names");
    specialties = [...new Set((b.specialties as string[]).map((s) => s.trim()))];
  }
  if (kind === 'mdt' && specialties.length < 2)
    throw bad('specialties', '多学科会诊至少需要两个科室', "A multidisciplinary consultation ('mdt') needs at least two 'specialties'");
  let requestedTime: string | undefined;
  if (mode === 'scheduled') {
    if (b.requestedTime === undefined || b.requestedTime === null || b.requestedTime === '')
      throw bad('requestedTime', '预约会诊须填写期望时间', "'requestedTime' is required for a scheduled consultation");
    requestedTime = futureInstant(b.requestedTime, 'requestedTime', now);
  } else if (b.requestedTime !== undefined && b.requestedTime !== null) {
    throw bad('requestedTime', '即时会诊不填期望时间', "'requestedTime' belongs to scheduled consultations only");
  }
  let attachments: string[] = [];
  if (b.attachments !== undefined && b.attachments !== null) {
    if (!Array.isArray(b.attachments)) throw bad('attachments', '共享资料应为记录引用列表', "'attachments' must be a list of references");
    attachments = b.attachments.map((a: unknown, i: number) => {
      const m = typeof a === 'string' ? REF.exec(a) : null;
      if (!m || !SHAREABLE.has(m[1]))
        throw bad(
          `attachments[${i}]`,
          '共享资料应为诊断、检验、检查等记录的引用',
          `'attachments[${i}]' must reference one of ${[...SHAREABLE].join(', ')}`,
        );
      return a as string;
    });
  }
  return {
    kind,
    mode,
    patient,
    to,
    reason,
    ...(question ? { question } : {}),
    specialties,
    ...(requestedTime ? { requestedTime } : {}),
    attachments,
  };
}

export interface ScheduleInput {
  start: string;
  experts: string[];
  lead: string;
  note?: string;
}

export function parseSchedule(body: unknown, now: Date): ScheduleInput {
  const b = objectBody(body);
  const start = futureInstant(b.start, 'start', now);
  if (!Array.isArray(b.experts) || !b.experts.length)
    throw bad('experts', '请至少邀请一位会诊专家', "'experts' must list at least one 'Practitioner/<id>'");
  const experts = b.experts.map((e: unknown, i: number) => reference(e, `experts[${i}]`, 'Practitioner', '专家应为 Practitioner 引用'));
  if (new Set(experts).size !== experts.length) throw bad('experts', '专家不能重复', "'experts' lists someone twice");
  const lead = b.lead === undefined ? experts[0] : reference(b.lead, 'lead', 'Practitioner', '主持专家应为 Practitioner 引用');
  if (!experts.includes(lead)) throw bad('lead', '主持专家必须是受邀专家之一', "'lead' must be one of 'experts'");
  const note = optionalText(b.note, 'note');
  return { start, experts, lead, ...(note ? { note } : {}) };
}

export interface ExternalInput {
  name: string;
  institution: string;
  level: 'city' | 'province';
  contact: string;
  specialty?: string;
}

export function parseExternal(body: unknown): ExternalInput {
  const b = objectBody(body);
  const name = requiredText(b.name, 'name', '请填写院外专家姓名');
  const institution = requiredText(b.institution, 'institution', '请填写院外专家所在医院');
  if (b.level !== 'city' && b.level !== 'province')
    throw bad('level', '医院级别应为 city（市级）或 province（省级）', "'level' must be 'city' or 'province'");
  const contact = requiredText(b.contact, 'contact', '请填写院外专家联系方式');
  const specialty = optionalText(b.specialty, 'specialty');
  return { name, institution, level: b.level, contact, ...(specialty ? { specialty } : {}) };
}

export function parseOpinion(body: unknown): { opinion: string; onBehalfOf?: string } {
  const b = objectBody(body);
  const opinion = requiredText(b.opinion, 'opinion', '请填写会诊意见');
  const onBehalfOf =
    b.onBehalfOf === undefined || b.onBehalfOf === null
      ? undefined
      : reference(b.onBehalfOf, 'onBehalfOf', 'Practitioner', '代录意见的专家应为 Practitioner 引用');
  return { opinion, ...(onBehalfOf ? { onBehalfOf } : {}) };
}

export function parseConclusion(body: unknown): { conclusion: string; recommendation?: string } {
  const b = objectBody(body);
  const conclusion = requiredText(b.conclusion, 'conclusion', '请填写会诊结论');
  const recommendation = optionalText(b.recommendation, 'recommendation');
  return { conclusion, ...(recommendation ? { recommendation } : {}) };
}

export function parseEvaluation(body: unknown): { score: number; comment?: string } {
  const b = objectBody(body);
  if (typeof b.score !== 'number' || !Number.isInteger(b.score) || b.score < 1 || b.score > 5)
    throw bad('score', '满意度评分应为 1–5 的整数', "'score' must be a whole number from 1 to 5");
  const comment = optionalText(b.comment, 'comment');
  return { score: b.score, ...(comment ? { comment } : {}) };
}
