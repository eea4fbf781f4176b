/**
 * How a referral is written in FHIR (docs/referral.md) — other modules, the web app and external systems rely on it:
 * a ServiceRequest (category SNOMED 3457005 "Patient referral" + the Yiwang direction code) with a Task whose
 * status/businessStatus carry the workflow state (platform/workflow).
 */
import type { Annotation, CodeableConcept, ServiceRequest } from '@medplum/fhirtypes';

export type Direction = 'up' | 'down' | 'external';
export const DIRECTIONS: readonly Direction[] = ['up', 'down', 'external'];

export const WORKFLOW_OF: Record<Direction, string> = { up: 'up-referral', down: 'down-referral', external: 'external-referral' };
export const FOLLOW_UP_WORKFLOW = 'referral-follow-up';
export const REFERRAL_WORKFLOWS = Object.values(WORKFLOW_OF);

export const SNOMED = 'http://snomed.info/sct';
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const DIRECTION_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/referral-direction';
export const EXT = {
  requesterOrganization: 'https://yiwang.cn/fhir/StructureDefinition/referral-requester-organization',
  reason: 'https://yiwang.cn/fhir/StructureDefinition/referral-reason',
  slotKind: 'https://yiwang.cn/fhir/StructureDefinition/referral-slot-kind',
  followUpPlan: 'https://yiwang.cn/fhir/StructureDefinition/referral-follow-up-plan',
} as const;

export const DIRECTION_TEXT: Record<Direction, { zh: string; en: string }> = {
  up: { zh: '上转', en: 'Up-referral' },
  down: { zh: '下转', en: 'Down-referral' },
  external: { zh: '外转', en: 'Referral outside the county' },
};

export interface ReferralInput {
  direction: Direction;
  patient: string;
  to: string;
  department?: string;
  reason: string;
  diagnosis: { code: string; display: string }[];
  summary: string;
  attachments: string[];
  /** A discharge summary (Composition or DocumentReference) for a down-referral. */
  dischargeSummary?: string;
  urgency: 'routine' | 'urgent';
  slot?: { start: string; end?: string; kind: 'outpatient' | 'bed' };
  followUpPlan?: string;
  /** The referral this one answers (a down-referral after an up-referral): ServiceRequest.basedOn. */
  basedOn?: string;
}

export interface ReferralParties {
  requester?: string;
  requesterDisplay?: string;
  requesterOrganization: string;
}

export function directionOf(sr: ServiceRequest): Direction | undefined {
  const code = sr.category?.flatMap((c) => c.coding ?? []).find((c) => c.system === DIRECTION_SYSTEM)?.code;
  return DIRECTIONS.includes(code as Direction) ? (code as Direction) : undefined;
}

export const extensionValue = (sr: ServiceRequest, url: string) => sr.extension?.find((e) => e.url === url);

export function buildServiceRequest(input: ReferralInput, parties: ReferralParties, at: string): ServiceRequest {
  const text = DIRECTION_TEXT[input.direction];
  const category: CodeableConcept = {
    coding: [
      { system: SNOMED, code: '3457005', display: 'Patient referral' },
      { system: DIRECTION_SYSTEM, code: input.direction, display: text.zh },
    ],
    text: `${text.zh} (${text.en})`,
  };
  const performer: NonNullable<ServiceRequest['performer']> = [
    { reference: input.to },
    ...(input.department ? [{ reference: input.department }] : []),
  ];
  const notes: Annotation[] = [
    { text: input.summary, time: at, ...(parties.requester ? { authorReference: { reference: parties.requester } } : {}) },
  ];
  const supporting = [...(input.dischargeSummary ? [input.dischargeSummary] : []), ...input.attachments];
  return {
    resourceType: 'ServiceRequest',
    extension: [
      { url: EXT.requesterOrganization, valueReference: { reference: parties.requesterOrganization } },
      { url: EXT.reason, valueString: input.reason },
      ...(input.slot ? [{ url: EXT.slotKind, valueCode: input.slot.kind }] : []),
      ...(input.followUpPlan ? [{ url: EXT.followUpPlan, valueString: input.followUpPlan }] : []),
    ],
    status: 'active',
    intent: 'order',
    category: [category],
    priority: input.urgency,
    code: { coding: [{ system: SNOMED, code: '3457005', display: 'Patient referral' }], text: `${text.zh}转诊 (${text.en})` },
    subject: { reference: input.patient },
    ...(input.basedOn ? { basedOn: [{ reference: input.basedOn }] } : {}),
    ...(input.slot ? { occurrencePeriod: { start: input.slot.start, ...(input.slot.end ? { end: input.slot.end } : {}) } } : {}),
    authoredOn: at,
    ...(parties.requester
      ? { requester: { reference: parties.requester, ...(parties.requesterDisplay ? { display: parties.requesterDisplay } : {}) } }
      : {}),
    performer,
    reasonCode: input.diagnosis.map((d) => ({ coding: [{ system: ICD10, code: d.code, display: d.display }], text: d.display })),
    ...(supporting.length ? { supportingInfo: supporting.map((reference) => ({ reference })) } : {}),
    note: notes,
  };
}
