/**
 * Shared pieces of the HL7 v2 → FHIR R4 mapping: data types (CX, XPN, XAD, XTN, CE/CWE, XCN, PL,
 * EI, HD), code systems, and the transaction builder with deterministic urn:uuid fullUrls and
 * conditional create/update requests.
 *
 * | HL7 data type                 | FHIR                                                               |
 * |-------------------------------|--------------------------------------------------------------------|
 * | HD (ns & universal id & type) | Identifier.system: ISO → urn:oid:…, UUID → urn:uuid:…, URI as is,  |
 * |                               | otherwise `<base>id:<namespace>` (base default urn:yiwang:hl7v2:)  |
 * | CX                            | Identifier (value CX-1, type CX-5 in v2-0203, system from CX-4,    |
 * |                               | period CX-7/8); resident ID (type NNCHN, or a valid 18-character   |
 * |                               | ID number in any CX) → system urn:oid:2.16.156.10011.1.3           |
 * | XPN                           | HumanName; Chinese full names in one component are split into      |
 * |                               | family (incl. compound surnames) and given; text keeps the name    |
 * | XAD                           | Address (line, city, district = XAD-9, state, postalCode, country) |
 * | XTN                           | ContactPoint (phone/email/fax/pager, use from XTN-2/3)             |
 * | CE/CWE/CNE                    | CodeableConcept (both triplets; LN → http://loinc.org, …)          |
 * | XCN                           | Practitioner (identifier + name), conditional create               |
 * | PL                            | Location (identifier facility/ward/room/bed), conditional create   |
 * | EI                            | Identifier (system from EI-2/3/4)                                  |
 */
import { createHash } from 'node:crypto';
import type {
  Address,
  Bundle,
  BundleEntry,
  BundleEntryRequest,
  CodeableConcept,
  Coding,
  ContactPoint,
  HumanName,
  Identifier,
  Location,
  Practitioner,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { normaliseIdNumber, validateIdNumber } from '../../identity/id-number.js';
import { toFhirDate, toFhirDateTime, toFhirInstant } from './datetime.js';
import type { Hl7Message, Hl7Repetition } from './message.js';

export interface MapOptions {
  /** Offset for times sent without one (FHIR needs one); default '+08:00'. */
  defaultTimezone?: string;
  /** Prefix of identifier and code systems made up for local namespaces; default 'urn:yiwang:hl7v2:'. */
  localSystemBase?: string;
  /**
   * Identifier systems of known assigning authorities (CX-4 / HD-1 namespace → system URI), e.g.
   * `{ 'NCHIS': 'urn:oid:1.2.156.112604.1' }`: the county's master data, so two senders naming the
   * same authority produce the same identifier system. Universal ids (HD-2) still win.
   */
  identifierSystems?: Readonly<Record<string, string>>;
}

export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';
export const UCUM = 'http://unitsofmeasure.org';
export const LOINC = 'http://loinc.org';

/** Everything a mapper needs about the message being mapped. */
export class MapContext {
  readonly warnings: string[] = [];
  readonly builder: TransactionBuilder;
  readonly tz: string;
  readonly base: string;
  readonly identifierSystems: Readonly<Record<string, string>>;
  /** Namespace of the sender: MSH-4.1, else MSH-3.1. */
  readonly sender: string;

  constructor(
    readonly msg: Hl7Message,
    options: MapOptions = {},
  ) {
    this.tz = options.defaultTimezone ?? '+08:00';
    this.base = options.localSystemBase ?? 'urn:yiwang:hl7v2:';
    this.identifierSystems = options.identifierSystems ?? {};
    this.sender = (msg.header.get(4) || msg.header.get(3) || 'unknown').trim();
    this.builder = new TransactionBuilder(`${this.sender}|${msg.controlId}`);
  }

  /**
   * A system for a local namespace: `<base><kind>:<namespace>`. FHIR uris may hold any
   * non-whitespace Unicode, so Chinese namespaces stay readable; whitespace becomes '_'.
   */
  localSystem(kind: string, namespace = this.sender): string {
    return `${this.base}${kind}:${(namespace.trim() || this.sender).replace(/\s+/g, '_')}`;
  }

  dateTime(v: string): string | undefined {
    return toFhirDateTime(v, this.tz);
  }

  instant(v: string): string | undefined {
    return toFhirInstant(v, this.tz);
  }

  date(v: string): string | undefined {
    return toFhirDate(v);
  }

  warn(text: string): void {
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }
}

// ---------------------------------------------------------------------------------------------
// Transaction bundle
// ---------------------------------------------------------------------------------------------

/** A name-based (v5-style, SHA-1) UUID: the same key always gives the same UUID. */
export function stableUuid(key: string): string {
  const h = createHash('sha1').update('yiwang-hl7v2:').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Escapes a token part for a FHIR search value and percent-encodes it for a query string. */
function searchPart(s: string): string {
  const fhirEscaped = s.replace(/[\\|,$]/g, (c) => `\\${c}`);
  return encodeURIComponent(fhirEscaped).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
}

/** `identifier=system|value` for a conditional request. */
export function identifierQuery(id: Identifier): string {
  return `identifier=${id.system ? searchPart(id.system) : ''}|${searchPart(id.value ?? '')}`;
}

export class TransactionBuilder {
  private readonly entries: BundleEntry[] = [];
  private readonly byKey = new Map<string, string>();
  private counter = 0;

  constructor(private readonly seed: string) {}

  /**
   * Adds a resource once per key (default: the conditional URL) and returns its fullUrl.
   * `PUT` with `condition` → conditional update; `POST` with `condition` → ifNoneExist.
   */
  add(resource: Resource, method: 'PUT' | 'POST', condition?: string, key?: string): string {
    const type = resource.resourceType;
    const k = key ?? (condition ? `${type}?${condition}` : `${type}#${++this.counter}`);
    const existing = this.byKey.get(k);
    if (existing) return existing;
    const fullUrl = `urn:uuid:${stableUuid(`${this.seed}|${k}`)}`;
    const request: BundleEntryRequest =
      method === 'PUT'
        ? { method: 'PUT', url: condition ? `${type}?${condition}` : type }
        : { method: 'POST', url: type, ...(condition ? { ifNoneExist: condition } : {}) };
    this.entries.push({ fullUrl, resource, request });
    this.byKey.set(k, fullUrl);
    return fullUrl;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  get size(): number {
    return this.entries.length;
  }

  bundle(identifier?: Identifier): Bundle {
    return { resourceType: 'Bundle', type: 'transaction', ...(identifier ? { identifier } : {}), entry: this.entries };
  }
}

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
export const hasCjk = (s: string): boolean => CJK.test(s);

/** Removes undefined, empty strings, empty arrays and empty objects (shallowly, recursively). */
export function clean<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((v) => clean(v)).filter((v) => !isEmptyValue(v)) as T;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const c = clean(v);
      if (!isEmptyValue(c)) out[k] = c;
    }
    return out as T;
  }
  return value;
}

function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

const t = (s: string): string | undefined => {
  const v = s.trim();
  return v === '' ? undefined : v;
};

// ---------------------------------------------------------------------------------------------
// HD, CX, EI → Identifier
// ---------------------------------------------------------------------------------------------

/** System for a universal id (HD-2/HD-3), or undefined when there is none usable. */
export function universalIdSystem(uid: string, uidType: string): string | undefined {
  const id = uid.trim();
  if (!id) return undefined;
  const type = uidType.trim().toUpperCase();
  if (type === 'ISO' || (!type && /^[0-2](\.\d+)+$/.test(id))) return /^[0-2](\.\d+)+$/.test(id) ? `urn:oid:${id}` : undefined;
  if (type === 'UUID' || type === 'GUID') return /^[0-9a-f-]{36}$/i.test(id) ? `urn:uuid:${id.toLowerCase()}` : undefined;
  if (type === 'URI' || type === 'URL' || /^(https?|urn):/i.test(id)) return id;
  return undefined;
}

/** Identifier system from an HD spread over subcomponents (ns&uid&type) of one component. */
function hdSystem(rep: Hl7Repetition, component: number, ctx: MapContext, kind: string): { system?: string; namespace?: string } {
  const ns = rep.component(component, 1).trim();
  const sys = universalIdSystem(rep.component(component, 2), rep.component(component, 3));
  if (sys) return { system: sys, namespace: ns || undefined };
  const known = ns ? ctx.identifierSystems[ns] : undefined;
  if (known) return { system: known, namespace: ns };
  if (ns) return { system: ctx.localSystem(kind, ns), namespace: ns };
  return {};
}

/**
 * Looks like a resident ID number (居民身份证号码, GB 11643): 18 characters with a valid check
 * character, province code and birth date (validated by platform/identity/id-number.ts).
 */
export function isChineseResidentId(value: string): boolean {
  const v = value.trim();
  return /^\d{17}[\dXx]$/.test(v) && validateIdNumber(v, { allowLegacy: false }).valid;
}

const KNOWN_0203 = new Set([
  'AN',
  'BA',
  'BR',
  'DL',
  'DN',
  'DR',
  'EI',
  'EN',
  'FILL',
  'GL',
  'HC',
  'JHN',
  'LN',
  'MA',
  'MC',
  'MD',
  'MR',
  'NH',
  'NI',
  'NPI',
  'PEN',
  'PGN',
  'PI',
  'PLAC',
  'PN',
  'PPN',
  'PRN',
  'PT',
  'RRI',
  'SB',
  'SN',
  'SR',
  'SS',
  'TAX',
  'U',
  'UPIN',
  'VN',
  'WC',
  'XX',
]);

export function v2IdentifierType(code: string, text?: string): CodeableConcept | undefined {
  const c = code.trim().toUpperCase();
  if (!c) return text ? { text } : undefined;
  return KNOWN_0203.has(c) ? clean({ coding: [{ system: V2_0203, code: c }], text }) : { text: text ?? code.trim() };
}

function residentIdentifier(value: string): Identifier {
  return {
    use: 'official',
    type: { coding: [{ system: V2_0203, code: 'NI', display: 'National unique individual identifier' }], text: '居民身份证号码' },
    system: RESIDENT_ID_SYSTEM,
    // 18-character normal form (upper-case X; legacy 15-digit numbers converted).
    value: normaliseIdNumber(value) ?? value.trim().toUpperCase(),
  };
}

/**
 * CX → Identifier(s). A resident ID number yields the resident identifier; when the sender typed
 * it as something else (e.g. MR), that local identifier is kept as well.
 */
export function cxIdentifiers(rep: Hl7Repetition, ctx: MapContext, kind = 'id'): Identifier[] {
  const value = t(rep.component(1));
  if (!value) return [];
  const typeCode = rep.component(5).trim().toUpperCase();
  const out: Identifier[] = [];
  const resident = typeCode === 'NNCHN' || isChineseResidentId(value);
  if (resident) out.push(residentIdentifier(value));
  if (resident && ['NNCHN', 'NI', 'NN', 'CZ', ''].includes(typeCode)) return out;
  const hd = hdSystem(rep, 4, ctx, kind);
  const facility = hdSystem(rep, 6, ctx, kind);
  const system = hd.system ?? ctx.localSystem(kind, typeCode ? `${ctx.sender}:${typeCode}` : ctx.sender);
  out.push(
    clean<Identifier>({
      type: v2IdentifierType(typeCode),
      system,
      value,
      period: { start: ctx.date(rep.component(7)), end: ctx.date(rep.component(8)) },
      assigner: hd.namespace ? { display: hd.namespace } : facility.namespace ? { display: facility.namespace } : undefined,
    }),
  );
  return out;
}

/** EI (entity id ^ namespace ^ universal id ^ type) → Identifier; `typeCode` e.g. PLAC, FILL. */
export function eiIdentifier(rep: Hl7Repetition, ctx: MapContext, kind: string, typeCode?: string): Identifier | undefined {
  const value = t(rep.component(1));
  if (!value) return undefined;
  const ns = rep.component(2).trim();
  const system = universalIdSystem(rep.component(3), rep.component(4)) ?? ctx.localSystem(kind, ns || ctx.sender);
  return clean<Identifier>({ type: typeCode ? v2IdentifierType(typeCode) : undefined, system, value });
}

// ---------------------------------------------------------------------------------------------
// XPN → HumanName
// ---------------------------------------------------------------------------------------------

/** Two-character Chinese surnames (复姓) recognised when splitting a full name. */
const COMPOUND_SURNAMES = new Set(
  (
    '欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 公冶 太叔 申屠 公孙 慕容 仲孙 钟离 ' +
    '长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 ' +
    '南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 ' +
    '即墨 达奚 褚师 吴铭'
  ).split(/\s+/),
);

/** Splits a Chinese full name into surname and given name; undefined when it should not be split. */
export function splitChineseName(full: string): { family: string; given?: string } | undefined {
  const name = full.replace(/\s+/g, '');
  if (!/^[\u3400-\u9fff\uf900-\ufaff]+$/.test(name)) return undefined; // e.g. names with '·'
  if (name.length >= 3 && COMPOUND_SURNAMES.has(name.slice(0, 2))) return { family: name.slice(0, 2), given: name.slice(2) };
  if (name.length === 1) return { family: name };
  return { family: name[0]!, given: name.slice(1) };
}

const NAME_USE: Record<string, HumanName['use']> = {
  L: 'official',
  D: 'usual',
  A: 'usual',
  B: 'official',
  C: 'official',
  I: 'official',
  M: 'maiden',
  N: 'nickname',
  NB: 'temp',
  P: 'usual',
  R: 'official',
  S: 'anonymous',
  T: 'usual',
  TEMP: 'temp',
  BAD: 'old',
  U: undefined,
};

/**
 * XPN (and the name part of XCN, with `offset` 1) → HumanName.
 * XPN: 1 family (FN.1), 2 given, 3 middle, 4 suffix, 5 prefix, 6 degree, 7 name type.
 */
export function personName(rep: Hl7Repetition, offset = 0): HumanName | undefined {
  let family = t(rep.component(1 + offset, 1)) ?? '';
  let given = [
    t(rep.component(2 + offset)),
    ...(rep.component(3 + offset).trim()
      ? rep
          .component(3 + offset)
          .trim()
          .split(/\s+/)
      : []),
  ].filter((g): g is string => !!g);
  const suffix = [t(rep.component(4 + offset)), t(rep.component(6 + offset))].filter((s): s is string => !!s);
  const prefix = [t(rep.component(5 + offset))].filter((s): s is string => !!s);
  const typeCode = rep
    .component(7 + offset)
    .trim()
    .toUpperCase();
  if (!family && given.length === 0) return undefined;
  let text: string | undefined;
  if (hasCjk(family + given.join(''))) {
    text = family + given.join('');
    if (given.length === 0) {
      const split = splitChineseName(family);
      if (split) {
        family = split.family;
        given = split.given ? [split.given] : [];
      } else {
        // Names such as 买买提·艾力 have no surname to split off.
        return clean<HumanName>({ text, use: NAME_USE[typeCode] });
      }
    }
  }
  return clean<HumanName>({ use: NAME_USE[typeCode], text, family: family || undefined, given, prefix, suffix });
}

// ---------------------------------------------------------------------------------------------
// XAD → Address, XTN → ContactPoint
// ---------------------------------------------------------------------------------------------

const ADDRESS_USE: Record<string, Pick<Address, 'use' | 'type'>> = {
  H: { use: 'home' },
  P: { use: 'home' },
  B: { use: 'work' },
  O: { use: 'work' },
  C: { use: 'temp' },
  BA: { use: 'old' },
  M: { type: 'postal' },
  SH: { type: 'postal' },
  RH: { use: 'home' },
};

/** XAD: 1 street (SAD.1), 2 other designation, 3 city, 4 state/province, 5 zip, 6 country, 7 type, 9 county. */
export function address(rep: Hl7Repetition, countyFallback = ''): Address | undefined {
  const line = [t(rep.component(1, 1)), t(rep.component(2))].filter((l): l is string => !!l);
  const city = t(rep.component(3));
  const state = t(rep.component(4));
  const district = t(rep.component(9)) ?? t(countyFallback);
  const a = clean<Address>({
    ...ADDRESS_USE[rep.component(7).trim().toUpperCase()],
    line,
    city,
    district,
    state,
    postalCode: t(rep.component(5)),
    country: t(rep.component(6)),
  });
  if (!a.line && !a.city && !a.state && !a.postalCode && !a.district && !a.country) return undefined;
  const all = [state, city, district, ...line].filter((s): s is string => !!s);
  if (hasCjk(all.join(''))) a.text = [...new Set(all)].join('');
  return a;
}

/**
 * XTN → ContactPoint. 1 formatted number (old), 2 use code (PRN, WPN, ORN, VHN, NET, BPN …),
 * 3 equipment (PH, CP, FX, BP, Internet …), 4 email, 5–8 country/area/local/extension, 12 unformatted.
 */
export function contactPoint(rep: Hl7Repetition, defaultUse: ContactPoint['use']): ContactPoint | undefined {
  const useCode = rep.component(2).trim().toUpperCase();
  const equip = rep.component(3).trim().toUpperCase();
  const email = t(rep.component(4));
  if (email || equip === 'INTERNET' || equip === 'X.400' || useCode === 'NET') {
    const value = email ?? t(rep.component(1));
    return value ? { system: 'email', value, use: useCode === 'WPN' ? 'work' : defaultUse === 'work' ? 'work' : 'home' } : undefined;
  }
  const composed = [t(rep.component(5)) ? `+${rep.component(5).trim()}` : '', rep.component(6).trim(), rep.component(7).trim()]
    .filter(Boolean)
    .join(' ');
  const ext = t(rep.component(8));
  const value = t(rep.component(12)) ?? t(rep.component(1)) ?? (composed ? composed + (ext ? ` ext ${ext}` : '') : undefined);
  if (!value) return undefined;
  const system: ContactPoint['system'] = equip === 'FX' ? 'fax' : equip === 'BP' || useCode === 'BPN' ? 'pager' : 'phone';
  let use: ContactPoint['use'] = defaultUse;
  if (useCode === 'WPN') use = 'work';
  else if (useCode === 'PRN' || useCode === 'VHN') use = 'home';
  if (equip === 'CP' || useCode === 'ORN') use = 'mobile';
  return { system, value, use };
}

// ---------------------------------------------------------------------------------------------
// CE / CWE / CNE → CodeableConcept
// ---------------------------------------------------------------------------------------------

const CODE_SYSTEMS: Record<string, string> = {
  LN: LOINC,
  LOINC: LOINC,
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  SNOMED: 'http://snomed.info/sct',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  ICD10: 'http://hl7.org/fhir/sid/icd-10',
  'ICD-10': 'http://hl7.org/fhir/sid/icd-10',
  I10C: 'http://hl7.org/fhir/sid/icd-10-cm',
  ICD10CM: 'http://hl7.org/fhir/sid/icd-10-cm',
  I9: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  UCUM: UCUM,
  ANS: UCUM,
  C4: 'http://www.ama-assn.org/go/cpt',
  CPT: 'http://www.ama-assn.org/go/cpt',
  CPT4: 'http://www.ama-assn.org/go/cpt',
  NDC: 'http://hl7.org/fhir/sid/ndc',
  CVX: 'http://hl7.org/fhir/sid/cvx',
  RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  UML: 'http://www.nlm.nih.gov/research/umls',
};

/** FHIR system for an HL7 coding system name (HL7nnnn → v2-nnnn; local names → `<base>cs:<name>`). */
export function codeSystemUri(name: string, ctx: MapContext): string | undefined {
  const n = name.trim();
  if (!n) return undefined;
  const known = CODE_SYSTEMS[n.toUpperCase()];
  if (known) return known;
  const v2 = /^HL7(\d{4})$/i.exec(n);
  if (v2) return `http://terminology.hl7.org/CodeSystem/v2-${v2[1]}`;
  if (/^(https?|urn):/i.test(n)) return n;
  if (/^[0-2](\.\d+)+$/.test(n)) return `urn:oid:${n}`;
  return ctx.localSystem('cs', n);
}

/** CE/CWE/CNE: 1 code, 2 text, 3 system, 4–6 alternate triplet, 7/8 versions, 9 original text. */
export function codeableConcept(rep: Hl7Repetition, ctx: MapContext): CodeableConcept | undefined {
  const coding: Coding[] = [];
  for (const [c, d, s, v] of [
    [1, 2, 3, 7],
    [4, 5, 6, 8],
  ] as const) {
    const code = t(rep.component(c));
    if (!code) continue;
    coding.push(
      clean<Coding>({ system: codeSystemUri(rep.component(s), ctx), version: t(rep.component(v)), code, display: t(rep.component(d)) }),
    );
  }
  const original = t(rep.component(9));
  const text = original ?? (coding.length === 0 ? t(rep.component(2)) : undefined);
  if (coding.length === 0 && !text) return undefined;
  return clean<CodeableConcept>({ coding, text });
}

// ---------------------------------------------------------------------------------------------
// XCN → Practitioner, PL → Location
// ---------------------------------------------------------------------------------------------

/**
 * XCN → a reference to a Practitioner created once (ifNoneExist on its identifier). Without an id
 * only a display reference is returned.
 */
export function practitionerRef(rep: Hl7Repetition, ctx: MapContext): Reference<Practitioner> | undefined {
  if (rep.isEmpty) return undefined;
  const id = t(rep.component(1));
  const name = personName(rep, 1);
  const display = name ? (name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ')) : id;
  if (!id) return display ? { display } : undefined;
  const sys =
    universalIdSystem(rep.component(9, 2), rep.component(9, 3)) ?? ctx.localSystem('practitioner', rep.component(9, 1) || ctx.sender);
  const identifier = clean<Identifier>({ type: v2IdentifierType(rep.component(13)), system: sys, value: id });
  const practitioner: Practitioner = clean({ resourceType: 'Practitioner', identifier: [identifier], name: name ? [name] : undefined });
  const fullUrl = ctx.builder.add(practitioner, 'POST', identifierQuery(identifier));
  return clean({ reference: fullUrl, display });
}

/** PL: 1 point of care (ward), 2 room, 3 bed, 4 facility (HD), 7 building, 8 floor, 9 description. */
export function locationRef(rep: Hl7Repetition, ctx: MapContext): Reference<Location> | undefined {
  const parts = [rep.component(1), rep.component(2), rep.component(3)].map((p) => p.trim());
  if (parts.every((p) => !p)) return undefined;
  const facility = rep.component(4, 1).trim() || ctx.sender;
  const value = parts.join('/').replace(/\/+$/, '');
  const identifier: Identifier = { system: ctx.localSystem('location', facility), value };
  const name = t(rep.component(9)) ?? parts.filter(Boolean).join(' ');
  const physical = parts[2] ? ['bd', 'Bed'] : parts[1] ? ['ro', 'Room'] : ['wa', 'Ward'];
  const location: Location = {
    resourceType: 'Location',
    identifier: [identifier],
    name,
    mode: 'instance',
    physicalType: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: physical[0]!, display: physical[1]! }],
    },
  };
  const fullUrl = ctx.builder.add(location, 'POST', identifierQuery(identifier));
  return { reference: fullUrl, display: name };
}
