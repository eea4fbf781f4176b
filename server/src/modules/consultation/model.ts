/**
 * How a remote consultation (远程会诊) is written in FHIR (docs/consultation.md) — the web app, statistics and other
 * systems rely on it: a ServiceRequest (category SNOMED 11429006 "Consultation" + the Yiwang kind code) with a workflow
 * Task; the experts as extensions of the ServiceRequest (the lasting record) and as members of a CareTeam while the
 * consultation is open (what opens the resident's record to them); opinions and the conclusion as ClinicalImpressions
 * pointing at the ServiceRequest (supportingInfo); the evaluation and the charges in Task.output.
 */
import type { Extension, ServiceRequest, Task } from '@medplum/fhirtypes';

export const WORKFLOW = 'consultation';
export const SNOMED = 'http://snomed.info/sct';
export const CONSULTATION = { system: SNOMED, code: '11429006', display: 'Consultation' } as const;
export const KIND_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/consultation-kind';
export const ROLE_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/consultation-role';
export const DOC_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/consultation-document';
export const OUTPUT_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/consultation-output';
export const FEE_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/consultation-fee';
export const CARE_TEAM_ID_SYSTEM = 'https://yiwang.cn/fhir/sid/consultation-care-team';
export const EXTERNAL_EXPERT_SYSTEM = 'https://yiwang.cn/fhir/sid/external-consultation-expert';
export const EXT = {
  requesterOrganization: 'https://yiwang.cn/fhir/StructureDefinition/consultation-requester-organization',
  mode: 'https://yiwang.cn/fhir/StructureDefinition/consultation-mode',
  requestedTime: 'https://yiwang.cn/fhir/StructureDefinition/consultation-requested-time',
  participant: 'https://yiwang.cn/fhir/StructureDefinition/consultation-participant',
  request: 'https://yiwang.cn/fhir/StructureDefinition/consultation-request',
  enteredBy: 'https://yiwang.cn/fhir/StructureDefinition/consultation-entered-by',
  level: 'https://yiwang.cn/fhir/StructureDefinition/external-hospital-level',
} as const;

export type Kind = 'single' | 'mdt';
export const KINDS: readonly Kind[] = ['single', 'mdt'];
export type Mode = 'instant' | 'scheduled';
export const MODES: readonly Mode[] = ['instant', 'scheduled'];
export type ParticipantRole = 'lead' | 'member' | 'external';

export const KIND_TEXT: Record<Kind, { zh: string; en: string }> = {
  single: { zh: '单科会诊', en: 'Single-specialty consultation' },
  mdt: { zh: '多学科会诊 (MDT)', en: 'Multidisciplinary consultation (MDT)' },
};
export const ROLE_TEXT: Record<ParticipantRole, string> = { lead: '主持专家', member: '会诊专家', external: '院外专家' };

export interface ConsultationInput {
  kind: Kind;
  mode: Mode;
  patient: string;
  /** The consultation centre (会诊中心): an Organization of the medical community. */
  to: string;
  reason: string;
  question?: string;
  /** Specialties asked for (e.g. 心内科, 神经内科). */
  specialties: string[];
  /** Scheduled consultations: the time the requester would like. */
  requestedTime?: string;
  /** The shared record: the resident's conditions, reports, observations … chosen by the requester. */
  attachments: string[];
}

export interface Participant {
  practitioner: string;
  organization?: string;
  role: ParticipantRole;
  invitedAt: string;
}

export const kindOf = (sr: ServiceRequest): Kind | undefined => {
  const code = sr.category?.flatMap((c) => c.coding ?? []).find((c) => c.system === KIND_SYSTEM)?.code;
  return KINDS.includes(code as Kind) ? (code as Kind) : undefined;
};

export const extensionOf = (sr: { extension?: Extension[] }, url: string) => sr.extension?.find((e) => e.url === url);
export const modeOf = (sr: ServiceRequest): Mode => (extensionOf(sr, EXT.mode)?.valueCode === 'instant' ? 'instant' : 'scheduled');

export function participantsOf(sr: ServiceRequest): Participant[] {
  return (sr.extension ?? [])
    .filter((e) => e.url === EXT.participant)
    .map((e) => {
      const part = (url: string) => e.extension?.find((x) => x.url === url);
      return {
        practitioner: part('practitioner')?.valueReference?.reference ?? '',
        ...(part('organization')?.valueReference?.reference ? { organization: part('organization')?.valueReference?.reference } : {}),
        role: (part('role')?.valueCode ?? 'member') as ParticipantRole,
        invitedAt: part('invited')?.valueDateTime ?? '',
      };
    });
}

export function participantExtension(p: Participant): Extension {
  return {
    url: EXT.participant,
    extension: [
      { url: 'practitioner', valueReference: { reference: p.practitioner } },
      ...(p.organization ? [{ url: 'organization', valueReference: { reference: p.organization } }] : []),
      { url: 'role', valueCode: p.role },
      { url: 'invited', valueDateTime: p.invitedAt },
    ],
  };
}

export const roleCoding = (role: ParticipantRole) => ({ system: ROLE_SYSTEM, code: role, display: ROLE_TEXT[role] });

export function buildServiceRequest(
  input: ConsultationInput,
  parties: { requester?: string; requesterDisplay?: string; requesterOrganization: string },
  at: string,
): ServiceRequest {
  const kind = KIND_TEXT[input.kind];
  return {
    resourceType: 'ServiceRequest',
    extension: [
      { url: EXT.requesterOrganization, valueReference: { reference: parties.requesterOrganization } },
      { url: EXT.mode, valueCode: input.mode },
      ...(input.requestedTime ? [{ url: EXT.requestedTime, valueDateTime: input.requestedTime }] : []),
    ],
    status: 'active',
    intent: 'order',
    category: [
      { coding: [{ ...CONSULTATION }, { system: KIND_SYSTEM, code: input.kind, display: kind.zh }], text: `${kind.zh} (${kind.en})` },
    ],
    // Instant consultations are urgent: the centre has 30 minutes instead of a day (workflow/2026-01-01.json).
    priority: input.mode === 'instant' ? 'urgent' : 'routine',
    code: { coding: [{ ...CONSULTATION }], text: `远程会诊：${kind.zh} (Remote consultation)` },
    ...(input.specialties.length ? { orderDetail: input.specialties.map((text) => ({ text })) } : {}),
    subject: { reference: input.patient },
    ...(input.requestedTime ? { occurrenceDateTime: input.requestedTime } : {}),
    authoredOn: at,
    ...(parties.requester
      ? { requester: { reference: parties.requester, ...(parties.requesterDisplay ? { display: parties.requesterDisplay } : {}) } }
      : {}),
    performer: [{ reference: input.to }],
    reasonCode: [{ text: input.reason }],
    ...(input.attachments.length ? { supportingInfo: input.attachments.map((reference) => ({ reference })) } : {}),
    ...(input.question ? { note: [{ text: `需解决的问题 (question): ${input.question}`, time: at }] } : {}),
  };
}

/** A value the module put in Task.output (the evaluation score and comment, the conclusion, the charges). */
export function outputsOf(task: Task, code: string): NonNullable<Task['output']> {
  return (task.output ?? []).filter((o) => o.type.coding?.some((c) => c.system === OUTPUT_SYSTEM && c.code === code));
}

export const outputType = (code: string, display: string) => ({ coding: [{ system: OUTPUT_SYSTEM, code, display }] });
