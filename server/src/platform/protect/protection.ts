/**
 * Encryption at rest of the fields listed in fields.ts. The Repository is the boundary: above it resources are
 * plaintext, in the database the protected values are SM4 ciphertext with an HMAC-SM3 tag (crypto/field.ts), and the
 * token search columns hold blind indexes (HMAC-SM3 under a separate index key) instead of the values.
 *
 * - seal(): on every write; encrypts a copy of the resource and rewrites its extracted search values.
 * - revealText(): on every read of stored content; costs a string prefix test for types without protected fields and
 *   a substring test for rows without ciphertext, and parses JSON only when there is something to decrypt.
 * - searchTokens(): the blind indexes a token search value may match.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import {
  blindIndex,
  decryptField,
  encryptField,
  FieldCryptoError,
  isEncryptedField,
  needsRotation,
  normaliseForIndex,
  rotate,
  type BlindIndexKind,
} from '../crypto/field.js';
import { generateKeyFile, Keyring } from '../crypto/keyring.js';
import { evaluateParam, normalizeString, tokenKeys, type ExtractedRow } from '../fhir/extract.js';
import { badRequest, FhirError } from '../fhir/outcomes.js';
import type { TableModel } from '../fhir/schema.js';
import { normaliseIdNumber } from '../identity/id-number.js';
import { forEachValue, isSensitiveIdentifier, PROTECTED_TYPES, telecomIndexKind, type ProtectedType } from './fields.js';

type Element = Record<string, unknown>;

/** Every stored field value starts with this (crypto/field.ts format `v1:<keyId>:…`), JSON-quoted. */
const CIPHERTEXT_MARK = '"v1:';
const TYPE_PREFIX = '{"resourceType":"';

export interface ProtectionOptions {
  /** Re-reads the keys (the key file) when a value names a key this process does not hold yet, e.g. after a rotation. */
  reload?: () => Keyring | undefined;
  /** Told about every failed integrity check before the read answers 500. */
  onIntegrityFailure?: (where: string, error: FieldCryptoError) => void;
}

export class FieldProtection {
  constructor(
    public keyring: Keyring,
    private readonly options: ProtectionOptions = {},
  ) {}

  static isProtectedType(resourceType: string): boolean {
    return PROTECTED_TYPES.has(resourceType);
  }

  /**
   * The stored JSON of `resource`: protected values encrypted (bound to type/id and field). `extracted` (the search
   * values of the plaintext resource) is rewritten in place: blind indexes in the token columns, protected strings out.
   */
  seal(resource: Resource, extracted: ExtractedRow | null, model: TableModel): string {
    const spec = PROTECTED_TYPES.get(resource.resourceType);
    if (!spec) return JSON.stringify(resource);
    if (extracted) this.protectSearchValues(resource, extracted, model, spec);
    const copy = structuredClone(resource) as unknown as Element;
    const where = `${resource.resourceType}/${resource.id}`;
    for (const field of spec.fields) {
      forEachValue(copy, field, (holder, key) => {
        const context = `${where}#${field.name}`;
        const v = holder[key];
        if (typeof v === 'string') holder[key] = encryptField(v, this.keyring, { context });
        else if (Array.isArray(v)) holder[key] = v.map((s) => (typeof s === 'string' ? encryptField(s, this.keyring, { context }) : s));
      });
    }
    return JSON.stringify(copy);
  }

  /** Stored text as plaintext text; the same string when it holds no ciphertext. */
  revealText(content: string): string {
    if (content.startsWith(TYPE_PREFIX)) {
      const end = content.indexOf('"', TYPE_PREFIX.length);
      if (!PROTECTED_TYPES.has(content.slice(TYPE_PREFIX.length, end))) return content;
    }
    if (!content.includes(CIPHERTEXT_MARK)) return content;
    const resource = JSON.parse(content) as Element;
    return this.revealResource(resource) ? JSON.stringify(resource) : content;
  }

  /** Decrypts the protected values of a parsed stored resource in place; true when something was decrypted. */
  revealResource(resource: Element): boolean {
    const spec = PROTECTED_TYPES.get(resource.resourceType as string);
    if (!spec) return false;
    const where = `${resource.resourceType as string}/${resource.id as string}`;
    let changed = false;
    for (const field of spec.fields) {
      forEachValue(resource, field, (holder, key) => {
        const context = `${where}#${field.name}`;
        const v = holder[key];
        if (isEncryptedField(v)) {
          holder[key] = this.decrypt(v, context);
          changed = true;
        } else if (Array.isArray(v) && v.some(isEncryptedField)) {
          holder[key] = v.map((s: unknown) => (isEncryptedField(s) ? this.decrypt(s, context) : s));
          changed = true;
        }
      });
    }
    return changed;
  }

  /**
   * Stored text with every value under an older key re-encrypted under the current key (each verified first), or
   * undefined when nothing needed it. Throws FieldCryptoError when a value fails its check.
   */
  rotateText(content: string): string | undefined {
    if (!content.includes(CIPHERTEXT_MARK)) return undefined;
    const resource = JSON.parse(content) as Element;
    const spec = PROTECTED_TYPES.get(resource.resourceType as string);
    if (!spec) return undefined;
    const where = `${resource.resourceType as string}/${resource.id as string}`;
    let changed = false;
    const again = (v: unknown, context: string): unknown => {
      if (!isEncryptedField(v) || !needsRotation(v, this.keyring)) return v;
      changed = true;
      return rotate(v, this.keyring, { context });
    };
    for (const field of spec.fields) {
      forEachValue(resource, field, (holder, key) => {
        const context = `${where}#${field.name}`;
        const v = holder[key];
        holder[key] = Array.isArray(v) ? v.map((s: unknown) => again(s, context)) : again(v, context);
      });
    }
    return changed ? JSON.stringify(resource) : undefined;
  }

  /** True when a stored resource of a protected type still holds a protected value in plaintext (written before encryption). */
  hasPlaintext(resource: Resource): boolean {
    const spec = PROTECTED_TYPES.get(resource.resourceType);
    if (!spec) return false;
    let found = false;
    for (const field of spec.fields) {
      forEachValue(resource as unknown as Element, field, (holder, key) => {
        const v = holder[key];
        for (const s of Array.isArray(v) ? v : [v]) if (typeof s === 'string' && !isEncryptedField(s)) found = true;
      });
    }
    return found;
  }

  /** The search columns a protected type rewrites (token columns of its protected parameters, string sort columns). */
  protectedColumns(model: TableModel): string[] {
    const spec = PROTECTED_TYPES.get(model.resourceType);
    if (!spec) return [];
    const cols: string[] = [];
    for (const code of spec.tokenParams) if (model.params.get(code)?.kind === 'token') cols.push(model.params.get(code)!.column);
    for (const code of spec.stringParams)
      if (model.params.get(code)?.kind === 'string') cols.push(model.params.get(code)!.column + '_sort');
    return cols;
  }

  /** Decrypts the `content` of each row in place (rows of any query that selects stored content). */
  revealRows<T>(rows: T[]): T[] {
    if (!rows.length || typeof (rows[0] as { content?: unknown }).content !== 'string') return rows;
    for (const row of rows as { content: unknown }[]) {
      if (typeof row.content === 'string') row.content = this.revealText(row.content);
    }
    return rows;
  }

  private decrypt(value: string, context: string): string {
    try {
      return decryptField(value, this.keyring, { context });
    } catch (e) {
      if (!(e instanceof FieldCryptoError)) throw e;
      if (e.code === 'unknown-key') {
        const fresh = this.options.reload?.();
        if (fresh) {
          this.keyring = fresh;
          if (fresh.hasKey(value.split(':')[1] ?? '')) return this.decrypt(value, context);
        }
      }
      const where = context.split('#')[0];
      this.options.onIntegrityFailure?.(context, e);
      throw new FhirError(500, [
        {
          severity: 'error',
          code: 'exception',
          details: {
            text:
              e.code === 'unknown-key'
                ? `Stored data of ${where} is encrypted with a key this server does not hold; the incident was logged`
                : `Stored data of ${where} failed its integrity check (HMAC-SM3); it is not shown and the incident was logged`,
          },
        },
      ]);
    }
  }

  /** Blind index of one value in a field's domain; undefined when the value normalises to nothing. */
  indexOf(value: string, field: string, kind: BlindIndexKind, keyId?: string): string | undefined {
    const normalised = kind === 'id-number' ? (normaliseIdNumber(value) ?? normaliseForIndex(value)) : normaliseForIndex(value, kind);
    return normalised ? blindIndex(normalised, this.keyring, { field, keyId }) : undefined;
  }

  private protectSearchValues(resource: Resource, extracted: ExtractedRow, model: TableModel, spec: ProtectedType): void {
    for (const code of spec.tokenParams) {
      const p = model.params.get(code);
      if (!p || p.kind !== 'token') continue;
      const tokens: { system?: string; code?: string }[] = [];
      for (const { value } of evaluateParam(resource, p)) {
        const element = value as Element | undefined;
        if (!element || typeof element !== 'object') continue;
        const system = element.system as string | undefined;
        // Without a value there is nothing secret: the system alone stays searchable (`identifier=sys|`).
        if (typeof element.value !== 'string') {
          if (system) tokens.push({ system });
          continue;
        }
        tokens.push({ system, code: this.tokenCode(code, element) });
      }
      const keys = tokenKeys(tokens);
      if (keys.length) extracted.columns.set(p.column, keys);
      else extracted.columns.delete(p.column);
    }
    const hidden = new Set<string>();
    for (const field of spec.fields) {
      if (!field.name.startsWith('address')) continue;
      forEachValue(resource as unknown as Element, field, (holder, key) => {
        const v = holder[key];
        for (const s of Array.isArray(v) ? v : [v]) if (typeof s === 'string') hidden.add(s);
      });
    }
    if (!hidden.size) return;
    const stringCodes = new Set(spec.stringParams);
    extracted.strings = extracted.strings.filter((s) => !(stringCodes.has(s.code) && hidden.has(s.exact)));
    for (const code of stringCodes) {
      const p = model.params.get(code);
      if (!p) continue;
      const first = extracted.strings.find((s) => s.code === code);
      if (first) extracted.columns.set(p.column + '_sort', normalizeString(first.exact));
      else extracted.columns.delete(p.column + '_sort');
    }
  }

  /** The stored token code of an Identifier or ContactPoint of a protected token parameter. */
  private tokenCode(param: string, element: Element): string | undefined {
    const value = element.value as string;
    if (param === 'identifier') return isSensitiveIdentifier(element) ? this.indexOf(value, 'identifier', 'id-number') : value;
    return this.indexOf(value, 'telecom', telecomIndexKind(element));
  }

  /**
   * Search values for a token parameter: unchanged for unprotected ones; for protected ones each value also as its
   * blind index (both normalisations for telecom, which does not know the system of the searched value).
   */
  searchTokens(resourceType: string, param: string, values: string[], key: string): string[] {
    const spec = PROTECTED_TYPES.get(resourceType);
    if (!spec?.tokenParams.includes(param)) return values;
    const out = new Set<string>();
    for (const v of values) {
      out.add(v);
      const bar = v.indexOf('|');
      const system = bar >= 0 ? v.slice(0, bar + 1) : '';
      const code = bar >= 0 ? v.slice(bar + 1) : v;
      if (!code) continue;
      if (/[*%]/.test(code)) throw encryptedSearch(resourceType, param, key);
      const kinds: BlindIndexKind[] = param === 'identifier' ? ['id-number'] : ['phone', 'text'];
      // Every index key: while a new index key is being rolled out, rows of both generations are found.
      for (const keyId of this.keyring.indexKeyIds) {
        for (const kind of kinds) {
          const bi = this.indexOf(code, param === 'identifier' ? 'identifier' : 'telecom', kind, keyId);
          if (bi) out.add(system + bi);
        }
      }
    }
    return [...out];
  }

  /** Throws the 400 for a search that would need the plaintext of a protected parameter (:contains, :text on telecom …). */
  assertSearchable(resourceType: string, param: string, modifier: string | undefined, key: string): void {
    const spec = PROTECTED_TYPES.get(resourceType);
    if (!spec || !modifier) return;
    if (spec.tokenParams.includes(param) && modifier !== 'not' && modifier !== 'text' && modifier !== 'missing') {
      throw encryptedSearch(resourceType, param, key);
    }
    if (spec.stringParams.includes(param) && modifier === 'contains') throw encryptedSearch(resourceType, param, key);
  }
}

function encryptedSearch(resourceType: string, param: string, key: string): FhirError {
  return badRequest(
    `${resourceType}.${param} is encrypted at rest: only exact search is possible (no :contains, prefix or wildcard search on ` +
      `ID numbers, phone numbers or address lines)`,
    key,
  );
}

const attached = new WeakMap<object, FieldProtection>();
let lastAttached: FieldProtection | undefined;
let ephemeral: FieldProtection | undefined;

/** Makes `protection` the one used by every Repository over this database (buildApp does this). */
export function attachProtection(db: Queryable, protection: FieldProtection): void {
  attached.set(db, protection);
  lastAttached = protection;
}

/**
 * The protection of a database. A Repository built over a transaction handle or another connection without naming
 * its protection gets the one last attached in this process (a server has exactly one), never a stray key that would
 * make its writes unreadable. Only when none was ever attached (unit tests over a bare database) a key is generated
 * for the process: what is written then is readable by this process only, as in-memory data is.
 */
export function protectionFor(db: Queryable | undefined): FieldProtection {
  const p = (db ? attached.get(db) : undefined) ?? lastAttached;
  if (p) return p;
  ephemeral ??= new FieldProtection(Keyring.fromJson(generateKeyFile()));
  return ephemeral;
}
