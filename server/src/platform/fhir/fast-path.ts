/**
 * Compiles the simple FHIRPath expressions that make up ~93 % of the R4 search parameters —
 * `Type.a.b`, `(Type.a as T)`, `Type.a.as(T)`, `.where(resolve() is T)`, `.where(field = 'x')` and
 * unions of them — into direct walks over the resource guided by the R4 type schema. Evaluating
 * these through the general FHIRPath engine is most of the cost of indexing a resource; anything
 * outside this grammar returns null and is left to the engine. Equivalence with the engine is proven
 * on the official examples and Synthea in test/fast-path.test.ts.
 */
import { tryGetDataType, type TypedValue } from '@medplum/core';

type Step =
  | { kind: 'prop'; name: string }
  | { kind: 'as'; type: string }
  | { kind: 'resolveIs'; type: string }
  | { kind: 'whereEq'; field: string; value: string };

export type CompiledPath = (resource: object) => TypedValue[] | null;

const STEP_RE =
  /^\.(?:([a-zA-Z][a-zA-Z0-9]*)(?![a-zA-Z0-9(])|as\(([A-Za-z]+)\)|where\(\(resolve\(\) is ([A-Z][A-Za-z]+)\)\)|where\(\(([a-zA-Z]+) = '([^']*)'\)\))/;

function parseChain(expression: string, resourceType: string): Step[] | null {
  let text = expression.trim();
  const steps: Step[] = [];
  let trailingAs: string | undefined;
  const asMatch = /^\((.+) as ([A-Za-z]+)\)$/.exec(text);
  if (asMatch) {
    text = asMatch[1];
    trailingAs = asMatch[2];
  }
  if (!text.startsWith(resourceType + '.')) return null;
  text = text.slice(resourceType.length);
  while (text.length) {
    const m = STEP_RE.exec(text);
    if (!m) return null;
    if (m[1]) steps.push({ kind: 'prop', name: m[1] });
    else if (m[2]) steps.push({ kind: 'as', type: m[2] });
    else if (m[3]) steps.push({ kind: 'resolveIs', type: m[3] });
    else steps.push({ kind: 'whereEq', field: m[4], value: m[5] });
    text = text.slice(m[0].length);
  }
  if (trailingAs) steps.push({ kind: 'as', type: trailingAs });
  return steps.length ? steps : null;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function pushItems(out: TypedValue[], type: string, value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && item !== undefined) out.push({ type, value: item });
  } else if (value !== null && value !== undefined) {
    out.push({ type, value });
  }
}

/** How a property name resolves on a type: one direct type, choice keys with their types, or "ask the engine". */
type Resolution = { kind: 'direct'; type: string } | { kind: 'choice'; keys: [string, string][] } | { kind: 'absent' } | { kind: 'engine' };

const resolutions = new Map<string, Map<string, Resolution>>();

function resolve(typeName: string, name: string): Resolution {
  let byName = resolutions.get(typeName);
  if (!byName) {
    byName = new Map();
    resolutions.set(typeName, byName);
  }
  let r = byName.get(name);
  if (r) return r;
  const schema = tryGetDataType(typeName);
  const element = schema?.elements[name];
  const choice = schema?.elements[name + '[x]'];
  if (!schema) r = { kind: 'engine' };
  else if (element) {
    const type = element.type.length === 1 ? element.type[0].code : undefined;
    r = !type || type === 'Resource' || type === 'Element' || type === 'BackboneElement' ? { kind: 'engine' } : { kind: 'direct', type };
  } else if (choice) r = { kind: 'choice', keys: choice.type.map((t) => [name + capitalize(t.code), t.code]) };
  else r = { kind: 'absent' };
  byName.set(name, r);
  return r;
}

/** null = the schema cannot answer (unknown or polymorphic type): let the FHIRPath engine decide. */
function stepProp(current: TypedValue[], name: string): TypedValue[] | null {
  const out: TypedValue[] = [];
  for (const tv of current) {
    if (!tv.value || typeof tv.value !== 'object') continue;
    const r = resolve(tv.type, name);
    const obj = tv.value as Record<string, unknown>;
    switch (r.kind) {
      case 'engine':
        return null;
      case 'direct':
        pushItems(out, r.type, obj[name]);
        break;
      case 'choice':
        for (const [key, type] of r.keys) {
          const v = obj[key];
          if (v !== undefined) pushItems(out, type, v);
        }
        break;
    }
  }
  return out;
}

function referenceIs(value: unknown, type: string): boolean {
  const ref = (value as { reference?: unknown })?.reference;
  if (typeof ref !== 'string') return false;
  const m = /^([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(ref);
  return !!m && m[1] === type;
}

export function compilePath(resourceType: string, expression: string): CompiledPath | null {
  const chains: Step[][] = [];
  for (const part of expression.split(' | ')) {
    const steps = parseChain(part, resourceType);
    if (!steps) return null;
    chains.push(steps);
  }
  return (resource: object): TypedValue[] | null => {
    const result: TypedValue[] = [];
    for (const steps of chains) {
      let current: TypedValue[] = [{ type: resourceType, value: resource }];
      for (const step of steps) {
        switch (step.kind) {
          case 'prop': {
            const next = stepProp(current, step.name);
            if (!next) return null;
            current = next;
            break;
          }
          case 'as':
            // Like the FHIRPath engine, as(string) keeps every string-valued primitive (dateTime, code …).
            current = current.filter((tv) => tv.type === step.type || (step.type === 'string' && typeof tv.value === 'string'));
            break;
          case 'resolveIs':
            current = current.filter((tv) => tv.type === 'Reference' && referenceIs(tv.value, step.type));
            break;
          case 'whereEq':
            current = current.filter((tv) => (tv.value as Record<string, unknown>)?.[step.field] === step.value);
            break;
        }
        if (!current.length) break;
      }
      result.push(...current);
    }
    return result;
  };
}
