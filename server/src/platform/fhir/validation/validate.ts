/**
 * The validation walk over a resource, driven by compiled TypeNodes.
 *
 * It reproduces @medplum/core's ResourceValidator (validation.ts + crawler.ts + getTypedPropertyValueWithSchema)
 * issue for issue — same checks, same messages, same `expression` paths — except for the deliberate, stricter
 * behaviours listed in index.ts ("Deliberate differences"), each marked below with its tag (D1 … D8).
 */
import { OperationOutcomeError, UCUM, evalFhirPathTyped, toTypedValue, validateResource } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { getResourceTypes, getTypeNode, resolveTypeRef } from './compile.js';
import type { ElementNode, KeyInfo, TypeNode, TypeRef } from './compile.js';
import { isEmptyJson } from './constraints.js';
import type { CompiledConstraint } from './constraints.js';
import { additionalPropertyIssue, issue, structureIssue } from './issues.js';
import type { PrimitiveType } from './primitives.js';

/** Objects nested deeper than this are rejected instead of risking a stack overflow (D8). */
export const MAX_DEPTH = 200;

type JsonObject = Record<string, unknown>;

/**
 * A primitive value merged with its JSON primitive extension (`birthDate` + `_birthDate`). medplum represents
 * this as `Object.assign(Object(value), extension)`; we keep both parts apart and never mutate the input.
 */
class PrimitiveWithExtension {
  constructor(
    readonly value: unknown,
    readonly extension: JsonObject,
  ) {}

  /** The value medplum's FHIRPath sees. */
  toMedplum(): unknown {
    const v = this.value;
    return v === null || v === undefined ? Object.assign({}, this.extension) : Object.assign(Object(v), this.extension);
  }
}

interface Context {
  issues: OperationOutcomeIssue[];
  rootTyped: TypedValue;
  /** Enclosing resources, innermost last (FHIRPath %resource). */
  resources: unknown[];
}

class NeedsFallback extends Error {}

const UCUM_TYPED = toTypedValue(UCUM);

let elementNode: TypeNode | undefined;
function getElementNode(): TypeNode {
  if (!elementNode) {
    elementNode = getTypeNode('Element') as TypeNode;
  }
  return elementNode;
}

function kindOf(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'array' : typeof value;
}

export function validateRoot(resource: unknown): OperationOutcomeIssue[] {
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    return [structureIssue('Resource', `Invalid resource: expected a JSON object, but got ${kindOf(resource)}`)];
  }
  const obj = resource as JsonObject;
  const resourceType = obj.resourceType;
  if (!resourceType) {
    return [issue('required', 'Resource.resourceType', 'Missing resource type')];
  }
  if (typeof resourceType !== 'string' || !getResourceTypes().has(resourceType)) {
    // D5: medplum throws "Unknown data type" without a location, or validates a data type such as HumanName.
    return [issue('value', 'Resource.resourceType', `Unknown resource type "${String(resourceType)}"`)];
  }
  const node = getTypeNode(resourceType);
  if (!node) {
    return [issue('value', 'Resource.resourceType', `Unknown resource type "${resourceType}"`)];
  }

  const ctx: Context = {
    issues: [],
    rootTyped: { type: resourceType, value: obj },
    resources: [obj],
  };
  try {
    // Same order as medplum: root invariants, null check over the whole JSON, then the schema walk.
    checkConstraints(ctx, node.constraints, resourceType, obj, node.path);
    if (!checkNulls(ctx, obj, node.path, 0)) {
      // D8: too deep to walk safely.
      return [
        structureIssue(node.path, `Resource exceeds the maximum nesting depth of ${MAX_DEPTH} levels`),
      ];
    }
    validateObject(ctx, obj, node, node.path);
  } catch (err) {
    if (err instanceof NeedsFallback) {
      return validateWithMedplum(obj);
    }
    throw err;
  }
  return ctx.issues;
}

/** For schemas with profile features we do not compile (never the case for the base R4 definitions). */
function validateWithMedplum(resource: JsonObject): OperationOutcomeIssue[] {
  try {
    validateResource(structuredClone(resource) as Resource);
    return [];
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return (err.outcome.issue ?? []).filter((i) => i.severity === 'error');
    }
    throw err;
  }
}

/**
 * medplum's checkObjectForNull: every null anywhere in the JSON is an error, except inside an array of
 * primitive values whose `_` partner array has an extension at the same index. Paths use the raw JSON keys.
 * Returns false when the object is nested too deeply (D8).
 */
function checkNulls(ctx: Context, obj: object, path: string, depth: number): boolean {
  if (depth > MAX_DEPTH) {
    return false;
  }
  const record = obj as JsonObject;
  const keys = Object.keys(obj);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const value = record[key];
    if (value === null) {
      ctx.issues.push(structureIssue(`${path}.${key}`, 'Invalid null value'));
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined) {
          ctx.issues.push(structureIssue(`${path}.${key}[${i}]`, 'Invalid undefined value'));
        } else if (item === null) {
          const partner = record[key.startsWith('_') ? key.slice(1) : '_' + key] as Record<number, unknown> | null;
          if (!partner?.[i]) {
            ctx.issues.push(structureIssue(`${path}.${key}[${i}]`, 'Invalid null value'));
          }
        } else if (typeof item === 'object') {
          if (!checkNulls(ctx, item, `${path}.${key}[${i}]`, depth + 1)) {
            return false;
          }
        }
      }
    } else if (typeof value === 'object') {
      if (!checkNulls(ctx, value, `${path}.${key}`, depth + 1)) {
        return false;
      }
    }
  }
  return true;
}

function missing(ctx: Context, path: string, element: ElementNode): void {
  ctx.issues.push(structureIssue(`${path}.${element.key}`, 'Missing required property'));
}

/** medplum's crawlObject + visitProperty for every element + checkAdditionalProperties. */
function validateObject(ctx: Context, obj: JsonObject, node: TypeNode, path: string): void {
  if (node.unsupported) {
    throw new NeedsFallback();
  }
  const isResource = node.isResource;
  if (isResource) {
    ctx.resources.push(obj);
  }

  // Pass 1 over the JSON keys: unknown properties, choice-type keys and `_` keys.
  let choiceHits: KeyInfo[] | undefined;
  let choiceKeys: string[] | undefined;
  let underscore = false;
  const keys = Object.keys(obj);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const info = node.keys.get(key);
    if (info === undefined) {
      // D3: medplum also lets through `resourceType` on any object, Object.prototype names ("constructor"),
      // `_x` for complex elements, literal "value[x]" and bogus choice suffixes next to a valid one.
      if (!(isResource && key === 'resourceType')) {
        ctx.issues.push(additionalPropertyIssue(path, key));
      }
      continue;
    }
    if (info.underscore) {
      underscore = true;
    }
    if (info.element.choice) {
      (choiceHits ??= []).push(info);
      (choiceKeys ??= []).push(key);
    }
  }

  // Pass 2 over the schema elements, in schema order like medplum's crawler.
  const elements = node.elements;
  for (let e = 0; e < elements.length; e++) {
    const element = elements[e];
    let type: TypeRef;
    if (element.choice) {
      let best: TypeRef | undefined;
      if (choiceHits !== undefined) {
        for (const hit of choiceHits) {
          if (hit.element === element && (best === undefined || hit.type.index < best.index)) {
            best = hit.type;
          }
        }
      }
      if (best === undefined) {
        if (element.min > 0) {
          missing(ctx, path, element);
        }
        continue;
      }
      type = best;
      reportChoiceConflicts(ctx, element, best, choiceHits as KeyInfo[], choiceKeys as string[], path);
    } else {
      type = element.types[0];
    }
    const raw = obj[type.key];
    const ext = underscore && type.extKey !== undefined ? obj[type.extKey] : undefined;
    if (raw === undefined && ext === undefined) {
      if (element.min > 0) {
        missing(ctx, path, element);
      }
      continue;
    }
    const present = visitProperty(ctx, element, type, raw, ext, path);
    if (!present && element.choice) {
      // medplum's isChoiceOfType only recognises a choice key when the choice resolves to a non-empty value.
      const hits = choiceHits as KeyInfo[];
      for (let h = 0; h < hits.length; h++) {
        if (hits[h].element === element) {
          ctx.issues.push(additionalPropertyIssue(path, (choiceKeys as string[])[h]));
        }
      }
    }
  }

  if (isResource) {
    ctx.resources.pop();
  }
}

/** D4: medplum only warns about several types of one choice element, then validates the first in type order. */
function reportChoiceConflicts(
  ctx: Context,
  element: ElementNode,
  best: TypeRef,
  hits: KeyInfo[],
  keys: string[],
  path: string,
): void {
  for (let h = 0; h < hits.length; h++) {
    const hit = hits[h];
    if (hit.element !== element || hit.type === best) {
      continue;
    }
    const key = keys[h];
    ctx.issues.push(
      structureIssue(
        `${path}.${key}`,
        hit.underscore
          ? `Type of primitive extension "${key}" does not match the type of property "${best.key}"`
          : `Conflicting choice of type properties: "${key}", "${best.key}" (only one type of ${element.key} is allowed)`,
      ),
    );
  }
}

/**
 * medplum's getTypedPropertyValueWithSchema merge of `x` and `_x`, for well-formed primitive extensions.
 * D6: a malformed `_x` (not an object / array of objects and nulls, empty object, or array-ness different from
 * `x`) makes medplum throw, ignore it silently or treat it as a value; we report it and validate `x` alone.
 */
function mergeExtension(ctx: Context, raw: unknown, ext: unknown, path: string, type: TypeRef): unknown {
  const extKey = type.extKey as string;
  if (Array.isArray(ext)) {
    if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
      ctx.issues.push(
        structureIssue(`${path}.${extKey}`, `Invalid primitive extension: expected an object to match "${type.key}"`),
      );
      return raw;
    }
    let ok = true;
    for (let i = 0; i < ext.length; i++) {
      const item: unknown = ext[i];
      if (item !== null && !isNonEmptyPlainObject(item)) {
        ctx.issues.push(
          structureIssue(`${path}.${extKey}[${i}]`, 'Invalid primitive extension: expected a non-empty object or null'),
        );
        ok = false;
      }
    }
    if (!ok) {
      return raw;
    }
    const values = raw as unknown[] | null | undefined;
    const n = Math.max(values ? values.length : 0, ext.length);
    const merged = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const value = values ? values[i] : undefined;
      const e = ext[i] as JsonObject | null | undefined;
      merged[i] = e ? new PrimitiveWithExtension(value, e) : value;
    }
    return merged;
  }
  if (isNonEmptyPlainObject(ext)) {
    if (Array.isArray(raw)) {
      ctx.issues.push(
        structureIssue(`${path}.${extKey}`, `Invalid primitive extension: expected an array to match "${type.key}"`),
      );
      return raw;
    }
    return new PrimitiveWithExtension(raw, ext as JsonObject);
  }
  ctx.issues.push(
    structureIssue(`${path}.${extKey}`, `Invalid primitive extension: expected a non-empty object, but got ${describe(ext)}`),
  );
  return raw;
}

function describe(value: unknown): string {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? 'an empty object' : kindOf(value);
}

function isNonEmptyPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isEmptyJson(value);
}

/** medplum's visitProperty (presence, array-ness, cardinality, per-value checks) followed by the crawl. */
function visitProperty(
  ctx: Context,
  element: ElementNode,
  type: TypeRef,
  raw: unknown,
  ext: unknown,
  path: string,
): boolean {
  let value = raw;
  if (ext !== undefined && ext !== null) {
    value = mergeExtension(ctx, raw, ext, path, type);
  }
  if (!(value instanceof PrimitiveWithExtension) && isEmptyJson(value)) {
    // medplum reads null, "", [] and {} as an absent property.
    if (element.min > 0) {
      missing(ctx, path, element);
    }
    return false;
  }
  const base = `${path}.${element.key}`;
  const isArray = Array.isArray(value);
  if (element.isArray !== isArray) {
    ctx.issues.push(
      structureIssue(base, isArray ? 'Expected single value for property' : 'Expected array of values for property'),
    );
    // medplum stops checking the property but still crawls complex values.
    if (type.primitive === undefined) {
      if (isArray) {
        const items = value as unknown[];
        for (let i = 0; i < items.length; i++) {
          crawlComplex(ctx, type, items[i], `${base}[${i}]`);
        }
      } else {
        crawlComplex(ctx, type, value, base);
      }
    }
    return true;
  }
  const count = isArray ? (value as unknown[]).length : 1;
  if (count < element.min || count > element.max) {
    ctx.issues.push(
      structureIssue(
        element.path,
        `Invalid number of values: expected ${element.min}..${
          Number.isFinite(element.max) ? element.max : '*'
        }, but found ${count}`,
      ),
    );
  }
  if (isArray) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      visitValue(ctx, element, type, items[i], `${base}[${i}]`);
    }
  } else {
    visitValue(ctx, element, type, value, base);
  }
  return true;
}

function complexTypeName(type: TypeRef, value: unknown): string {
  if (type.isResource && value !== null && typeof value === 'object' && 'resourceType' in value) {
    return (value as JsonObject).resourceType as string;
  }
  return type.code;
}

function visitValue(ctx: Context, element: ElementNode, type: TypeRef, value: unknown, path: string): void {
  const primitive = type.primitive;
  if (primitive !== undefined) {
    if (element.constraints.length > 0) {
      const medplumValue = value instanceof PrimitiveWithExtension ? value.toMedplum() : value;
      checkConstraints(ctx, element.constraints, type.code, medplumValue, path);
    }
    validatePrimitive(ctx, primitive, value, path);
    return;
  }
  if (isEmptyJson(value)) {
    if (element.constraints.length > 0) {
      checkConstraints(ctx, element.constraints, complexTypeName(type, value), value, path);
    }
    ctx.issues.push(structureIssue(path, 'Invalid empty non-primitive value'));
    crawlComplex(ctx, type, value, path);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    // D1: medplum crawls numbers and booleans as objects without properties (accepting them) and strings as
    // objects whose properties are the characters.
    ctx.issues.push(structureIssue(path, `Invalid JSON type: expected object, but got ${kindOf(value)}`));
    return;
  }
  if (element.constraints.length > 0) {
    checkConstraints(ctx, element.constraints, complexTypeName(type, value), value, path);
  }
  crawlComplex(ctx, type, value, path);
}

/** medplum's crawlPropertyValue for a complex value: validate it as its data type (or resource type). */
function crawlComplex(ctx: Context, type: TypeRef, value: unknown, path: string): void {
  if (isEmptyJson(value)) {
    // Crawling an empty value only finds its missing required properties (the abstract Resource has none).
    if (!type.isResource) {
      const node = resolveTypeRef(type);
      for (const element of node?.required ?? []) {
        missing(ctx, path, element);
      }
    }
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.issues.push(structureIssue(path, `Invalid JSON type: expected object, but got ${kindOf(value)}`)); // D1
    return;
  }
  const obj = value as JsonObject;
  let node: TypeNode | undefined;
  if (type.isResource) {
    // D5: medplum validates an object without resourceType as the abstract Resource, one with a data type name
    // (e.g. HumanName) as that data type, and throws "Unknown data type" (no location) for anything else.
    const resourceType = obj.resourceType;
    if (resourceType === undefined) {
      ctx.issues.push(issue('required', `${path}.resourceType`, 'Missing resource type'));
      return;
    }
    if (typeof resourceType !== 'string' || !getResourceTypes().has(resourceType)) {
      ctx.issues.push(issue('value', `${path}.resourceType`, `Unknown resource type "${String(resourceType)}"`));
      return;
    }
    node = getTypeNode(resourceType);
  } else {
    node = resolveTypeRef(type);
  }
  if (!node) {
    throw new NeedsFallback();
  }
  validateObject(ctx, obj, node, path);
}

/** medplum's validatePrimitiveType, including the crawl of the primitive's extension as an Element. */
function validatePrimitive(ctx: Context, primitive: PrimitiveType, value: unknown, path: string): void {
  if (value instanceof PrimitiveWithExtension) {
    const v = value.value;
    if (v !== null && v !== undefined) {
      checkPrimitiveValue(ctx, primitive, v, path);
    }
    validateObject(ctx, value.extension, getElementNode(), path);
    return;
  }
  if (value === undefined) {
    // A `_x` array entry without a value at that index.
    ctx.issues.push(structureIssue(path, `Invalid JSON type: expected ${primitive.jsType}, but got undefined`));
    return;
  }
  if (value === null) {
    return; // reported by checkNulls
  }
  checkPrimitiveValue(ctx, primitive, value, path);
}

function checkPrimitiveValue(ctx: Context, primitive: PrimitiveType, value: unknown, path: string): void {
  if (typeof value === 'object') {
    // D2: medplum validates an object given for a primitive as if it were only the primitive's extension.
    ctx.issues.push(
      structureIssue(path, `Invalid JSON type: expected ${primitive.jsType}, but got ${kindOf(value)}`),
    );
    return;
  }
  primitive.check(value, path, ctx.issues);
}

/** medplum's constraintsCheck: stop at the first failing invariant of a value. */
function checkConstraints(
  ctx: Context,
  constraints: CompiledConstraint[],
  type: string,
  value: unknown,
  path: string,
): void {
  for (let i = 0; i < constraints.length; i++) {
    const constraint = constraints[i];
    let ok = constraint.native !== undefined ? constraint.native(value) : undefined;
    if (ok === undefined) {
      ok = evaluate(ctx, constraint, type, value, path);
    }
    if (!ok) {
      ctx.issues.push(
        issue(
          'invariant',
          path,
          `Constraint ${constraint.key} not met: ${constraint.description}`,
          JSON.stringify({ fhirpath: constraint.expression }),
        ),
      );
      return;
    }
  }
}

function evaluate(ctx: Context, constraint: CompiledConstraint, type: string, value: unknown, path: string): boolean {
  const typed = { type, value, path };
  try {
    if (constraint.atom === undefined) {
      throw constraint.parseError;
    }
    const variables: Record<string, TypedValue> = {
      '%context': typed,
      '%ucum': UCUM_TYPED,
      '%resource': toTypedValue(ctx.resources[ctx.resources.length - 1]),
      '%rootResource': ctx.rootTyped,
    };
    const result = evalFhirPathTyped(constraint.atom, [typed], variables);
    return result.length === 1 && result[0].value === true;
  } catch (err) {
    ctx.issues.push(
      issue(
        'processing',
        path,
        'Error evaluating invariant expression',
        JSON.stringify({ fhirpath: constraint.expression, error: err }),
      ),
    );
    return false;
  }
}
