/**
 * The resident's record as display items: every resource of $everything becomes one item with its kind, date,
 * title, source institution (its own organisation reference, else that of its encounter) and abnormal flag.
 */
import type { Encounter, Observation, Reference, Resource } from '../../api/types';
import { codeText, refId } from '../../api/format';

export const KINDS = [
  'encounter',
  'followup',
  'condition',
  'allergy',
  'lab',
  'vital',
  'report',
  'medication',
  'immunization',
  'pregnancy',
  'contract',
  'referral',
  'other',
] as const;
export type Kind = (typeof KINDS)[number];

export interface Item {
  key: string;
  kind: Kind;
  resource: Resource;
  date?: string;
  title: string;
  detail?: string;
  orgId?: string;
  /** 'H' high, 'L' low, 'A' abnormal. */
  flag?: 'H' | 'L' | 'A';
}

type Any = Record<string, unknown>;

const CATEGORY = (r: Any): string[] =>
  ((r.category as { coding?: { code?: string }[] }[] | undefined) ?? []).flatMap((c) => (c.coding ?? []).map((x) => x.code ?? ''));

function kindOf(r: Resource): Kind {
  const a = r as unknown as Any;
  switch (r.resourceType) {
    case 'Encounter': {
      const text = (r.type ?? []).map((t) => codeText(t)).join(' ');
      return /随访|follow/i.test(text) ? 'followup' : 'encounter';
    }
    case 'Condition':
      return /Z33|O\d\d/.test(codeText(r.code) + (r.code?.coding?.[0]?.code ?? '')) ? 'pregnancy' : 'condition';
    case 'AllergyIntolerance':
      return 'allergy';
    case 'Observation': {
      const cats = CATEGORY(a);
      if (cats.includes('laboratory')) return 'lab';
      if (r.code?.coding?.some((c) => c.code === '11884-4')) return 'pregnancy';
      return cats.includes('vital-signs') ? 'vital' : 'other';
    }
    case 'DiagnosticReport':
    case 'ImagingStudy':
      return 'report';
    case 'MedicationRequest':
    case 'MedicationStatement':
    case 'MedicationDispense':
      return 'medication';
    case 'Immunization':
      return 'immunization';
    case 'EpisodeOfCare':
      return 'pregnancy';
    case 'Contract':
    case 'CareTeam':
    case 'CarePlan':
      return 'contract';
    case 'ServiceRequest':
    case 'Task':
      return 'referral';
    default:
      return 'other';
  }
}

function dateOf(r: Resource): string | undefined {
  const a = r as unknown as Any;
  const period = a.period as { start?: string } | undefined;
  return (
    period?.start ??
    (a.effectiveDateTime as string | undefined) ??
    (a.issued as string | undefined) ??
    (a.occurrenceDateTime as string | undefined) ??
    (a.authoredOn as string | undefined) ??
    (a.onsetDateTime as string | undefined) ??
    (a.recordedDate as string | undefined) ??
    (a.date as string | undefined) ??
    (a.started as string | undefined) ??
    (a.issued as string | undefined) ??
    r.meta?.lastUpdated
  );
}

function orgRefs(a: Any): (Reference | undefined)[] {
  const list = (v: unknown) => (Array.isArray(v) ? v : v ? [v] : []) as Any[];
  return [
    a.serviceProvider as Reference,
    a.managingOrganization as Reference,
    a.organization as Reference,
    a.custodian as Reference,
    a.requester as Reference,
    ...list(a.performer).map((p) => (p.actor as Reference | undefined) ?? (p as Reference)),
    ...list(a.author),
  ];
}

export function flagOf(o: Observation): Item['flag'] {
  const codes = [...(o.interpretation ?? []), ...(o.component ?? []).flatMap((c) => c.interpretation ?? [])].flatMap((i) =>
    (i.coding ?? []).map((c) => c.code),
  );
  if (codes.some((c) => c === 'H' || c === 'HH' || c === 'HU')) return 'H';
  if (codes.some((c) => c === 'L' || c === 'LL' || c === 'LU')) return 'L';
  if (codes.some((c) => c === 'A' || c === 'AA')) return 'A';
  const v = o.valueQuantity?.value;
  const range = o.referenceRange?.[0];
  if (v !== undefined && range) {
    if (range.high?.value !== undefined && v > range.high.value) return 'H';
    if (range.low?.value !== undefined && v < range.low.value) return 'L';
  }
  return undefined;
}

export function valueText(o: Observation): string {
  if (o.valueQuantity) return `${o.valueQuantity.value ?? ''} ${o.valueQuantity.unit ?? ''}`.trim();
  if (o.component?.length)
    return (
      o.component.map((c) => (c.valueQuantity ? String(c.valueQuantity.value) : '')).join('/') +
      ` ${o.component[0]?.valueQuantity?.unit ?? ''}`
    );
  if (o.valueCodeableConcept) return codeText(o.valueCodeableConcept);
  if (o.valueString) return o.valueString;
  return '';
}

/** FHIR status codes in words, like the rest of the record's content (Chinese first); unknown codes stay as they are. */
const STATUS_WORDS: Record<string, string> = {
  draft: '草稿',
  requested: '已申请',
  received: '已接收',
  accepted: '已接受',
  rejected: '已拒绝',
  ready: '待执行',
  'in-progress': '进行中',
  'on-hold': '暂停',
  active: '进行中',
  planned: '计划中',
  waitlist: '等候中',
  finished: '已结束',
  completed: '已完成',
  cancelled: '已取消',
  revoked: '已撤销',
  stopped: '已停止',
  failed: '未完成',
  inactive: '已结束',
  'entered-in-error': '录入错误',
};
const statusWords = (status: unknown): string | undefined => (typeof status === 'string' ? (STATUS_WORDS[status] ?? status) : undefined);

function titleOf(r: Resource): [string, string | undefined] {
  const a = r as unknown as Any;
  switch (r.resourceType) {
    case 'Encounter':
      return [(r.type ?? []).map((t) => codeText(t)).join('、') || r.class?.display || '就诊', undefined];
    case 'Observation':
      return [codeText(r.code), valueText(r)];
    case 'MedicationRequest':
      return [codeText(r.medicationCodeableConcept), r.dosageInstruction?.[0]?.text];
    case 'Immunization':
      return [
        codeText(r.vaccineCode),
        r.protocolApplied?.[0]?.doseNumberPositiveInt ? `第${r.protocolApplied[0].doseNumberPositiveInt}剂` : undefined,
      ];
    case 'EpisodeOfCare':
      return [(r.type ?? []).map((t) => codeText(t)).join('、') || 'EpisodeOfCare', statusWords(r.status)];
    case 'DiagnosticReport':
      return [codeText(r.code), r.conclusion];
    default: {
      const code = (a.code ?? a.type ?? a.vaccineCode) as Parameters<typeof codeText>[0] | Parameters<typeof codeText>[0][];
      return [Array.isArray(code) ? codeText(code[0]) : code ? codeText(code) : r.resourceType, statusWords(a.status)];
    }
  }
}

export function toItems(all: Resource[]): Item[] {
  const encounterOrg = new Map<string, string>();
  for (const r of all) {
    if (r.resourceType === 'Encounter' && r.id) {
      const org = refId((r as Encounter).serviceProvider, 'Organization');
      if (org) encounterOrg.set(r.id, org);
    }
  }
  const items: Item[] = [];
  for (const r of all) {
    if (
      r.resourceType === 'Patient' ||
      r.resourceType === 'Person' ||
      r.resourceType === 'Organization' ||
      r.resourceType === 'Practitioner'
    )
      continue;
    const a = r as unknown as Any;
    const own = orgRefs(a)
      .map((ref) => refId(ref, 'Organization'))
      .find((x) => x !== undefined);
    const viaEncounter = encounterOrg.get(refId(a.encounter as Reference | undefined, 'Encounter') ?? '');
    const [title, detail] = titleOf(r);
    items.push({
      key: `${r.resourceType}/${r.id}`,
      kind: kindOf(r),
      resource: r,
      date: dateOf(r),
      title,
      detail,
      orgId: own ?? viaEncounter,
      flag: r.resourceType === 'Observation' ? flagOf(r) : undefined,
    });
  }
  return items.sort((x, y) => (y.date ?? '').localeCompare(x.date ?? ''));
}
