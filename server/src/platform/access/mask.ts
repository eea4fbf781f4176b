/**
 * Masking (脱敏) of identity fields in responses, per role, as the access policy says: ID numbers and other identity
 * documents `5001**********1234`, phones `138****5678`, address lines hidden and the village code cut to the town. A field is masked only when every
 * role of the caller masks it (roles add up: an insurance officer who is also a doctor sees the ID number).
 *
 * Masked values must never be written back: a client that reads a masked record and sends it back
 * unchanged would overwrite the real value, so writes carrying masked values are refused.
 */
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { RawJson } from '../fhir/raw.js';
import { isSensitiveIdentifier } from '../protect/fields.js';
import type { AccessPolicySet } from './policy.js';

export const MASK_FIELDS = ['id-number', 'phone', 'address'] as const;
export type MaskField = (typeof MASK_FIELDS)[number];

/** Resource types that carry a person's identity fields. */
const IDENTITY_TYPES = new Set(['Patient', 'Person', 'RelatedPerson']);
const IDENTITY_TYPE_RE = /"resourceType":"(?:Patient|Person|RelatedPerson)"/;

export function masksFor(policy: AccessPolicySet, roles: string[]): Set<MaskField> {
  let result: Set<MaskField> | undefined;
  for (const role of roles) {
    const own = new Set(policy.roles[role]?.mask ?? []);
    result = result ? new Set([...result].filter((f) => own.has(f))) : own;
  }
  return result ?? new Set();
}

/** Keeps `head` leading and `tail` trailing characters. */
function keepEnds(value: string, head: number, tail: number): string {
  const chars = [...value];
  if (chars.length <= head + tail) return '*'.repeat(chars.length);
  return chars.slice(0, head).join('') + '*'.repeat(chars.length - head - tail) + chars.slice(chars.length - tail).join('');
}

export const maskIdNumber = (v: string): string => keepEnds(v, 4, 4);
export const maskPhone = (v: string): string => keepEnds(v, 3, 4);

interface Telecom {
  system?: string;
  value?: string;
}
interface Address {
  line?: string[];
  text?: string;
  extension?: { url?: string; valueCode?: string }[];
}
interface IdentityFields {
  identifier?: { system?: string; value?: string }[];
  telecom?: Telecom[];
  address?: Address[];
  contact?: { telecom?: Telecom[]; address?: Address }[];
}

function maskTelecom(list: Telecom[] | undefined): void {
  for (const t of list ?? []) if (t.value && (t.system === 'phone' || t.system === 'sms')) t.value = maskPhone(t.value);
}

/** The village a home address lies in (12-digit division code): masked down to the town (9 digits). */
const ADDRESS_DIVISION_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/address-division';

function maskAddress(a: Address | undefined): void {
  if (!a) return;
  for (const e of a.extension ?? []) {
    if (e.url === ADDRESS_DIVISION_EXTENSION && typeof e.valueCode === 'string') e.valueCode = e.valueCode.slice(0, 9);
  }
  if (a.line) a.line = a.line.map(() => '****');
  // The first characters (province, city, district) stay; the length of the rest is not revealed.
  if (a.text) a.text = [...a.text].slice(0, 6).join('') + '****';
}

/** Masks one resource in place; returns true when it is of an identity type. */
export function maskResource(resource: Resource, masks: Set<MaskField>): boolean {
  if (!IDENTITY_TYPES.has(resource.resourceType)) return false;
  const r = resource as Resource & IdentityFields;
  if (masks.has('id-number')) {
    // Every identity document (ID number, e-health card, passport, insurance number), the same list as encryption at rest.
    for (const id of r.identifier ?? [])
      if (id.value && isSensitiveIdentifier(id as Record<string, unknown>)) id.value = maskIdNumber(id.value);
  }
  if (masks.has('phone')) {
    maskTelecom(r.telecom);
    for (const c of r.contact ?? []) maskTelecom(c.telecom);
  }
  if (masks.has('address')) {
    for (const a of r.address ?? []) maskAddress(a);
    for (const c of r.contact ?? []) maskAddress(c.address);
  }
  return true;
}

function maskTree(resource: Resource, masks: Set<MaskField>): void {
  maskResource(resource, masks);
  if (resource.resourceType === 'Bundle') {
    for (const e of resource.entry ?? []) if (e.resource) maskTree(e.resource, masks);
  }
  if (resource.resourceType === 'Parameters') {
    for (const p of resource.parameter ?? []) if (p.resource) maskTree(p.resource, masks);
  }
}

/**
 * Masks a response body. Stored text is only parsed when it holds an identity resource, so most
 * answers (observations, encounters, reference data) pass through untouched.
 */
export function maskBody(body: Resource | RawJson, masks: Set<MaskField>): Resource | RawJson {
  if (!masks.size) return body;
  if (body instanceof RawJson) {
    if (!IDENTITY_TYPE_RE.test(body.text)) return body;
    const parsed = body.parse<Resource>();
    maskTree(parsed, masks);
    return parsed;
  }
  maskTree(body, masks);
  return body;
}

const MASKED = /\*{3,}/;

/** Resource check: refuses identity fields that still carry a mask. */
export function rejectMaskedValues(resource: Resource): OperationOutcomeIssue[] {
  const r = resource as Resource & IdentityFields;
  const issues: OperationOutcomeIssue[] = [];
  const bad = (path: string): void => {
    issues.push({
      severity: 'error',
      code: 'invalid',
      details: {
        text: 'A masked value (脱敏值) cannot be stored; send the full value or leave the field out (JSON Patch edits single fields)',
      },
      expression: [path],
    });
  };
  r.identifier?.forEach((id, i) => id.value && MASKED.test(id.value) && bad(`${resource.resourceType}.identifier[${i}].value`));
  r.telecom?.forEach((t, i) => t.value && MASKED.test(t.value) && bad(`${resource.resourceType}.telecom[${i}].value`));
  r.address?.forEach((a, i) => a.line?.some((l) => MASKED.test(l)) && bad(`${resource.resourceType}.address[${i}].line`));
  return issues;
}
