/**
 * Turns a resource into the values of its search columns. Each parameter's per-type FHIRPath
 * expression is parsed once and cached (evaluating the shared multi-type expression is ~20× slower).
 */
import {
  convertToSearchableDates,
  convertToSearchableNumbers,
  convertToSearchableQuantities,
  convertToSearchableReferences,
  convertToSearchableUris,
  evalFhirPathTyped,
  getExpressionForResourceType,
  getParsedExpressionForResourceType,
  toTypedValue,
  type FhirPathAtom,
  type TypedValue,
} from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { compilePath, type CompiledPath } from './fast-path.js';
import type { ParamColumn, TableModel } from './schema.js';

interface CompiledParam {
  fast: CompiledPath | null;
  atom: FhirPathAtom | null;
}

/** Keyed by the parameter's column model, which is unique per (resource type, parameter). */
let compiled = new WeakMap<ParamColumn, CompiledParam>();

function compiledParam(resourceType: string, p: ParamColumn): CompiledParam {
  let c = compiled.get(p);
  if (!c) {
    const expression = p.param.expression ? getExpressionForResourceType(resourceType, p.param.expression) : undefined;
    let atom: FhirPathAtom | null;
    try {
      atom = p.param.expression ? getParsedExpressionForResourceType(resourceType, p.param.expression) : null;
    } catch {
      atom = null;
    }
    c = { fast: expression && !useFhirPathOnly ? compilePath(resourceType, expression) : null, atom };
    compiled.set(p, c);
  }
  return c;
}

let useFhirPathOnly = false;

/** Tests only: evaluate every parameter with the general FHIRPath engine (the reference for the fast path). */
export function setFhirPathOnly(value: boolean): void {
  useFhirPathOnly = value;
  compiled = new WeakMap();
}

export function evaluateParam(resource: Resource, p: ParamColumn, typedResource?: TypedValue[]): TypedValue[] {
  const c = compiledParam(resource.resourceType, p);
  if (c.fast) {
    const values = c.fast(resource);
    if (values) return values;
  }
  if (!c.atom) return [];
  try {
    return evalFhirPathTyped(c.atom, typedResource ?? [toTypedValue(resource)]);
  } catch {
    return [];
  }
}

/** Lower-case and strip accents: FHIR string search is case- and accent-insensitive. */
export function normalizeString(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();
}

interface Token {
  system?: string;
  code?: string;
}

function collectTokens(values: TypedValue[], tokens: Token[], texts: string[]): void {
  for (const { type, value } of values) {
    if (value === undefined || value === null) continue;
    switch (type) {
      case 'CodeableConcept':
        for (const c of value.coding ?? []) {
          tokens.push({ system: c.system, code: c.code });
          if (c.display) texts.push(c.display);
        }
        if (value.text) texts.push(value.text);
        break;
      case 'Coding':
        tokens.push({ system: value.system, code: value.code });
        if (value.display) texts.push(value.display);
        break;
      case 'Identifier':
        tokens.push({ system: value.system, code: value.value });
        if (value.type?.text) texts.push(value.type.text);
        for (const c of value.type?.coding ?? []) if (c.display) texts.push(c.display);
        break;
      case 'ContactPoint':
        tokens.push({ system: value.system, code: value.value });
        break;
      case 'Reference':
        if (value.identifier) tokens.push({ system: value.identifier.system, code: value.identifier.value });
        break;
      default:
        if (typeof value === 'object') continue;
        tokens.push({ code: String(value) });
    }
  }
}

/**
 * Token values are stored three ways so each FHIR form is one array-overlap lookup on a GIN index:
 * `code` (any system), `system|code` (or `|code` when there is no system) and `system|` (any code).
 */
export function tokenKeys(tokens: Token[]): string[] {
  const keys = new Set<string>();
  for (const t of tokens) {
    if (t.code !== undefined && t.code !== '') {
      keys.add(t.code);
      keys.add((t.system ?? '') + '|' + t.code);
    }
    if (t.system) keys.add(t.system + '|');
  }
  return [...keys];
}

function collectStrings(values: TypedValue[], out: string[]): void {
  for (const { type, value } of values) {
    if (value === undefined || value === null) continue;
    if (type === 'HumanName') {
      if (value.text) out.push(value.text);
      if (value.family) out.push(value.family);
      for (const g of value.given ?? []) out.push(g);
      for (const g of value.prefix ?? []) out.push(g);
      for (const g of value.suffix ?? []) out.push(g);
      // Chinese names are written family + given with no space: 张 + 三 → 张三.
      if (value.family && value.given?.length) out.push(value.family + value.given.join(''));
    } else if (type === 'Address') {
      for (const part of [value.text, ...(value.line ?? []), value.city, value.district, value.state, value.postalCode, value.country]) {
        if (part) out.push(part);
      }
    } else if (typeof value === 'string') {
      out.push(value);
    } else if (typeof value === 'object' && typeof value.text === 'string') {
      out.push(value.text);
    }
  }
}

export interface StringValue {
  code: string;
  value: string;
  exact: string;
}

export interface ExtractedRow {
  /** column name → value for the resource table */
  columns: Map<string, unknown>;
  strings: StringValue[];
  compartments: string[] | null;
}

export function extractSearchValues(resource: Resource, model: TableModel): ExtractedRow {
  const typed = [toTypedValue(resource)];
  const columns = new Map<string, unknown>();
  const strings: StringValue[] = [];
  for (const p of model.params.values()) {
    const values = evaluateParam(resource, p, typed);
    if (values.length === 0) continue;
    switch (p.kind) {
      case 'token': {
        const tokens: Token[] = [];
        const texts: string[] = [];
        collectTokens(values, tokens, texts);
        const keys = tokenKeys(tokens);
        if (keys.length) columns.set(p.column, keys);
        if (texts.length) columns.set(p.column + '_text', [...new Set(texts.map(normalizeString))]);
        break;
      }
      case 'reference': {
        const refs = convertToSearchableReferences(values).filter((r) => !!r);
        // Canonical references are searchable with and without their |version, and version-specific literal
        // references ('DiagnosticReport/1/_history/3') by the resource they point to, as FHIR search expects.
        const all = new Set<string>();
        for (const r of refs) {
          all.add(r);
          const bar = r.indexOf('|');
          if (bar > 0 && !r.startsWith('identifier:')) all.add(r.slice(0, bar));
          const history = r.indexOf('/_history/');
          if (history > 0) all.add(r.slice(0, history));
        }
        if (all.size) columns.set(p.column, [...all]);
        break;
      }
      case 'uri': {
        const uris = convertToSearchableUris(values).filter((u) => !!u);
        if (uris.length) columns.set(p.column, [...new Set(uris)]);
        break;
      }
      case 'string': {
        let raw: string[] = [];
        collectStrings(values, raw);
        if (p.derive) raw = p.derive(raw);
        const seen = new Set<string>();
        for (const exact of raw) {
          if (seen.has(exact)) continue;
          seen.add(exact);
          strings.push({ code: p.code, value: normalizeString(exact), exact });
        }
        if (raw.length) columns.set(p.column + '_sort', normalizeString(raw[0]));
        break;
      }
      case 'date': {
        const periods = convertToSearchableDates(values);
        let lo: string | undefined;
        let hi: string | undefined;
        for (const period of periods) {
          const start = period.start || '0001-01-01T00:00:00.000Z';
          const end = period.end || '9999-12-31T23:59:59.999Z';
          if (!lo || start < lo) lo = start;
          if (!hi || end > hi) hi = end;
        }
        if (lo && hi) {
          columns.set(p.column + '_lo', lo);
          columns.set(p.column + '_hi', hi);
        }
        break;
      }
      case 'number': {
        const ranges = convertToSearchableNumbers(values);
        const nums = ranges.flatMap(([a, b]) => [a, b]).filter((n): n is number => typeof n === 'number' && Number.isFinite(n));
        if (nums.length) {
          columns.set(p.column + '_lo', Math.min(...nums));
          columns.set(p.column + '_hi', Math.max(...nums));
        }
        break;
      }
      case 'quantity': {
        const qs = convertToSearchableQuantities(values).filter((q) => typeof q.value === 'number');
        if (qs.length) {
          const nums = qs.map((q) => q.value as number);
          columns.set(p.column + '_lo', Math.min(...nums));
          columns.set(p.column + '_hi', Math.max(...nums));
          const units = new Set<string>();
          for (const q of qs) {
            if (q.code) {
              units.add(q.code);
              units.add((q.system ?? '') + '|' + q.code);
            }
            if (q.unit) units.add(q.unit);
          }
          if (units.size) columns.set(p.column + '_unit', [...units]);
        }
        break;
      }
    }
  }
  return { columns, strings, compartments: compartmentsOf(resource, model, columns) };
}

/** The ids of the patients whose compartment holds this resource. */
function compartmentsOf(resource: Resource, model: TableModel, columns: Map<string, unknown>): string[] | null {
  const ids = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) ids.add(resource.id);
  for (const code of model.compartmentParams) {
    const p = model.params.get(code);
    if (!p || p.kind !== 'reference') continue;
    const refs = columns.get(p.column) as string[] | undefined;
    for (const r of refs ?? []) {
      if (r.startsWith('Patient/')) ids.add(r.slice('Patient/'.length).split('/')[0]);
    }
  }
  return ids.size ? [...ids] : null;
}
