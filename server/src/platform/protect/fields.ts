/**
 * Which fields are encrypted at rest (SM4 + HMAC-SM3, see crypto/field.ts), as data: adding a field or a resource
 * type here is the whole change. Everything else (encrypting on write, decrypting on read, blind indexes for the token
 * search parameters, keeping the values out of search_string) follows from this list.
 */
import type { BlindIndexKind } from '../crypto/field.js';

/** Identifier systems of national identity documents (values are encrypted; other identifiers stay clear). */
export const SENSITIVE_IDENTIFIER_SYSTEMS: ReadonlySet<string> = new Set([
  'urn:oid:2.16.156.10011.1.3', // resident ID number 居民身份证号 (WS/T 500; RESIDENT_ID_SYSTEM)
  'urn:yiwang:passport', // passport 护照
  'urn:yiwang:e-health-card', // e-health card id 电子健康卡
  'urn:yiwang:insurance-number', // medical insurance number / e-voucher 医保
  'urn:yiwang:social-security-card', // social-security card 社保卡
]);

/** Identifier type codes (v2-0203) that mark an identity document whatever its system: passport, national id. */
export const SENSITIVE_IDENTIFIER_TYPES: ReadonlySet<string> = new Set(['PPN', 'NI', 'NNCHN']);

type Element = Record<string, unknown>;

export interface ProtectedField {
  /** Bound into each value's MAC (with the resource's type and id) and names the blind-index domain. */
  name: string;
  /** Element names from the resource root; arrays are walked on the way. The last name holds a string or string[]. */
  path: readonly string[];
  /** Only elements (the object holding the last name) for which this is true; default every element. */
  where?: (element: Element) => boolean;
  /** Normalisation of the blind index (exact search); see crypto/field.ts normaliseForIndex. */
  indexKind?: (element: Element) => BlindIndexKind;
}

export interface ProtectedType {
  fields: readonly ProtectedField[];
  /** Token search parameters fed by protected fields: they store and are searched by blind indexes. */
  tokenParams: readonly string[];
  /** String search parameters whose search_string rows must not hold protected values (the other parts stay). */
  stringParams: readonly string[];
}

export function isSensitiveIdentifier(identifier: Element): boolean {
  if (typeof identifier.system === 'string' && SENSITIVE_IDENTIFIER_SYSTEMS.has(identifier.system)) return true;
  const coding = (identifier.type as { coding?: { code?: string }[] } | undefined)?.coding;
  return !!coding?.some((c) => typeof c.code === 'string' && SENSITIVE_IDENTIFIER_TYPES.has(c.code));
}

const PHONE_SYSTEMS = new Set(['phone', 'sms', 'fax', 'pager']);

/** Phone-like values are indexed as digits (so +86 138-0013-8000 finds 13800138000); e-mail etc. as text. */
export function telecomIndexKind(contactPoint: Element): BlindIndexKind {
  return PHONE_SYSTEMS.has(contactPoint.system as string) ? 'phone' : 'text';
}

const PERSON_LIKE: ProtectedType = {
  fields: [
    { name: 'identifier', path: ['identifier', 'value'], where: isSensitiveIdentifier, indexKind: () => 'id-number' },
    { name: 'telecom', path: ['telecom', 'value'], indexKind: telecomIndexKind },
    { name: 'contact.telecom', path: ['contact', 'telecom', 'value'] },
    { name: 'address.line', path: ['address', 'line'] },
    { name: 'address.text', path: ['address', 'text'] },
    { name: 'contact.address.line', path: ['contact', 'address', 'line'] },
    { name: 'contact.address.text', path: ['contact', 'address', 'text'] },
  ],
  tokenParams: ['identifier', 'telecom', 'phone', 'email'],
  stringParams: ['address'],
};

export const PROTECTED_TYPES: ReadonlyMap<string, ProtectedType> = new Map([
  ['Patient', PERSON_LIKE],
  ['RelatedPerson', PERSON_LIKE],
  ['Practitioner', PERSON_LIKE],
  ['Person', PERSON_LIKE],
]);

/**
 * Calls `fn(holder, key)` for every protected value of `field` in `resource`: `holder[key]` is the string, or the
 * string[] (address.line) whose items are the values.
 */
export function forEachValue(resource: Element, field: ProtectedField, fn: (holder: Element, key: string) => void): void {
  const walk = (node: unknown, depth: number): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const element = node as Element;
    const name = field.path[depth];
    if (depth === field.path.length - 1) {
      if (element[name] !== undefined && (!field.where || field.where(element))) fn(element, name);
      return;
    }
    walk(element[name], depth + 1);
  };
  walk(resource, 0);
}
