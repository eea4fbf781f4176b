/**
 * The validation walk over a resource, driven by compiled TypeNodes.
 *
 * It reproduces @medplum/core's ResourceValidator (validation.ts + crawler.ts + getTypedPropertyValueWithSchema)
 * issue for issue — same checks, same messages, same `expression` paths — except for the deliberate, stricter
 * behaviours listed in index.ts ("Deliberate differences"), each marked below with its tag (D1 … D8).
 *
 * medplum walks a resource three times (null check over the raw JSON, root invariants, schema crawl). Here the
 * schema walk goes first and notes whether it met a null or left a subtree unvisited (anything invalid); only
 * then is the exact null check run, so valid resources are walked once.
 */
import { UCUM, evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { getResourceTypes, getTypeNode, resolveTypeRef } from './compile.js';
import type { ElementNode, KeyInfo, TypeNode, TypeRef } from './compile.js';
import { isEmptyJson } from './constraints.js';
import type { CompiledConstraint } from './constraints.js';
import { assignPrimitiveExtension, evalCompiled, type CompiledPath } from './fhirpath.js';
import { additionalPropertyIssue, issue, structureIssue } from './issues.js';
import type { PrimitiveType } from './primitives.js';
import { validateResourceReference } from './reference.js';

/** JSON nested deeper than this many objects and arrays is rejected instead of risking a stack overflow (D8). */
export const MAX_DEPTH = 128;

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

  /** The value medplum's FHIRPath sees (built from copies). */
  toMedplum(): unknown {
    return assignPrimitiveExtension(this.value, this.extension);
  }
}

interface Context {
  issues: OperationOutcomeIssue[];
  rootTyped: TypedValue;
  /** Enclosing resources, innermost last (FHIRPath %resource). */
  resources: unknown[];
  /** The schema walk met a null or skipped part of the JSON: run the full null check afterwards. */
  checkNulls: boolean;
  /** The schema walk went deeper than MAX_DEPTH (D8). */
  tooDeep: boolean;
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

function tooDeepIssue(path: string): OperationOutcomeIssue {
  return structureIssue(path, `Resource is nested deeper than ${MAX_DEPTH} JSON objects and arrays`);
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
    checkNulls: false,
    tooDeep: false,
  };
  const path = node.path;
  try {
    validateObject(ctx, obj, node, path, path.length, 1);
    if (ctx.tooDeep || (ctx.checkNulls && !checkNulls(ctx, obj, [path]))) {
      return [tooDeepIssue(path)]; // D8
    }
    checkConstraints(ctx, node.constraints, resourceType, obj, path);
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
  const result = validateResourceReference(resource);
  if (result.exception !== undefined) {
    throw result.exception;
  }
  return result.errors;
}

/**
 * medplum's checkObjectForNull: every null anywhere in the JSON is an error, except inside an array of
 * primitive values whose `_` partner array has an extension at the same index. Paths use the raw JSON keys.
 * The path is kept as a stack of keys and array indices, only joined when reporting. Returns false when the
 * object is nested too deeply (D8).
 */
function checkNulls(ctx: Context, obj: object, segments: (string | number)[]): boolean {
  if (segments.length > MAX_DEPTH) {
    return false;
  }
  const record = obj as JsonObject;
  for (const key in record) {
    const value = record[key];
    if (value === null) {
      ctx.issues.push(structureIssue(joinPath(segments, key), 'Invalid null value'));
    } else if (typeof value === 'object') {
      segments.push(key);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === null) {
            const partner = record[key.charCodeAt(0) === 95 ? key.slice(1) : '_' + key] as Record<number, unknown> | null;
            if (!partner?.[i]) {
              ctx.issues.push(structureIssue(joinPath(segments, i), 'Invalid null value'));
            }
          } else if (typeof item === 'object') {
            segments.push(i);
            const ok = checkNulls(ctx, item as object, segments);
            segments.pop();
            if (!ok) {
              return false;
            }
          } else if (item === undefined) {
            ctx.issues.push(structureIssue(joinPath(segments, i), 'Invalid undefined value'));
          }
        }
      } else if (!checkNulls(ctx, value, segments)) {
        return false;
      }
      segments.pop();
    }
  }
  return true;
}

/** segments[0] is the root path; then object keys (".key") and array indices ("[i]"). */
function joinPath(segments: (string | number)[], last: string | number): string {
  let path = '';
  for (const segment of [...segments, last]) {
    path += path === '' ? String(segment) : typeof segment === 'number' ? `[${segment}]` : `.${segment}`;
  }
  return path;
}

function missing(ctx: Context, path: string, element: ElementNode): void {
  ctx.issues.push(structureIssue(`${path}.${element.key}`, 'Missing required property'));
}

/**
 * medplum's crawlObject (visitProperty for every schema element) + checkAdditionalProperties, driven by the
 * object's own keys: each present key is resolved through the type's key map, required elements that were
 * not seen are reported afterwards. Issue order differs from medplum's (schema order); the set is the same.
 *
 * medplum's crawler has two paths: the value path with array indices (used for most issues) and its own
 * crawl path without the indices of the arrays it crawled into (medplum reports "Expected array/single value"
 * there, e.g. `Observation.category.coding.display`). The crawl path is derived from `path` when needed:
 * `crawlRoot` is the length of the prefix kept verbatim (the start of the crawl). `depth` counts the
 * enclosing JSON objects and arrays.
 */
function validateObject(ctx: Context, obj: JsonObject, node: TypeNode, path: string, crawlRoot: number, depth: number): void {
  if (depth > MAX_DEPTH) {
    ctx.tooDeep = true;
    return;
  }
  if (node.unsupported) {
    throw new NeedsFallback();
  }
  const isResource = node.isResource;
  if (isResource) {
    ctx.resources.push(obj);
  }
  let underscore = false;
  for (const key in obj) {
    if (key.charCodeAt(0) === 95 /* _ */) {
      underscore = true;
      break;
    }
  }

  let choiceHits: KeyInfo[] | undefined;
  let choiceKeys: string[] | undefined;
  let requiredSeen = 0;
  for (const key in obj) {
    const info = node.keys.get(key);
    if (info === undefined) {
      // D3: medplum also lets through `resourceType` on any object, Object.prototype names ("constructor"),
      // `_x` for complex elements, literal "value[x]" and bogus choice suffixes next to a valid one.
      if (!(isResource && key === 'resourceType')) {
        ctx.checkNulls = true;
        ctx.issues.push(
          key.charCodeAt(0) === 95 /* _ */ && node.keys.has(key.slice(1))
            ? structureIssue(
                `${path}.${key}`,
                `Invalid additional property "${key}": only primitive elements can have a primitive extension`,
              )
            : additionalPropertyIssue(path, key),
        );
      }
      continue;
    }
    const element = info.element;
    if (element.choice) {
      (choiceHits ??= []).push(info);
      (choiceKeys ??= []).push(key);
      continue;
    }
    const type = info.type;
    let raw: unknown;
    let ext: unknown;
    if (info.underscore) {
      raw = obj[type.key];
      if (raw !== undefined) {
        continue; // visited with its value
      }
      ext = obj[key];
    } else {
      raw = obj[key];
      ext = underscore && type.extKey !== undefined ? obj[type.extKey] : undefined;
    }
    if (element.min > 0) {
      requiredSeen++;
    }
    visitProperty(ctx, element, type, raw, ext, path, crawlRoot, depth);
  }

  if (choiceHits !== undefined) {
    requiredSeen += visitChoices(ctx, obj, choiceHits, choiceKeys as string[], underscore, path, crawlRoot, depth);
  }

  if (requiredSeen < node.required.length) {
    for (const element of node.required) {
      if (!isSeen(obj, element, choiceHits)) {
        missing(ctx, path, element);
      }
    }
  }

  if (isResource) {
    ctx.resources.pop();
  }
}

function isSeen(obj: JsonObject, element: ElementNode, choiceHits: KeyInfo[] | undefined): boolean {
  if (element.choice) {
    return choiceHits !== undefined && choiceHits.some((h) => h.element === element);
  }
  const type = element.types[0];
  return obj[type.key] !== undefined || (type.extKey !== undefined && obj[type.extKey] !== undefined);
}

/** Choice elements present in an object: resolve each like medplum (lowest type index wins). */
function visitChoices(
  ctx: Context,
  obj: JsonObject,
  hits: KeyInfo[],
  keys: string[],
  underscore: boolean,
  path: string,
  crawlRoot: number,
  depth: number,
): number {
  let requiredSeen = 0;
  for (let h = 0; h < hits.length; h++) {
    const element = hits[h].element;
    let first = true;
    for (let p = 0; p < h; p++) {
      if (hits[p].element === element) {
        first = false;
        break;
      }
    }
    if (!first) {
      continue;
    }
    let best = hits[h].type;
    for (let o = h + 1; o < hits.length; o++) {
      if (hits[o].element === element && hits[o].type.index < best.index) {
        best = hits[o].type;
      }
    }
    reportChoiceConflicts(ctx, element, best, hits, keys, path);
    if (element.min > 0) {
      requiredSeen++;
    }
    const raw = obj[best.key];
    const ext = underscore && best.extKey !== undefined ? obj[best.extKey] : undefined;
    if (!visitProperty(ctx, element, best, raw, ext, path, crawlRoot, depth)) {
      // medplum's isChoiceOfType only recognises a choice key when the choice resolves to a non-empty value.
      for (let o = 0; o < hits.length; o++) {
        if (hits[o].element === element) {
          ctx.issues.push(additionalPropertyIssue(path, keys[o]));
        }
      }
    }
  }
  return requiredSeen;
}

/** D4: medplum only warns about several types of one choice element, then validates the first in type order. */
function reportChoiceConflicts(ctx: Context, element: ElementNode, best: TypeRef, hits: KeyInfo[], keys: string[], path: string): void {
  for (let h = 0; h < hits.length; h++) {
    const hit = hits[h];
    if (hit.element !== element || hit.type === best) {
      continue;
    }
    ctx.checkNulls = true; // the other value is not walked
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
      ctx.checkNulls = true;
      ctx.issues.push(structureIssue(`${path}.${extKey}`, `Invalid primitive extension: expected an object to match "${type.key}"`));
      return raw;
    }
    let ok = true;
    for (let i = 0; i < ext.length; i++) {
      const item: unknown = ext[i];
      if (item === null) {
        ctx.checkNulls = true;
      } else if (!isNonEmptyPlainObject(item)) {
        ctx.checkNulls = true;
        ctx.issues.push(structureIssue(`${path}.${extKey}[${i}]`, 'Invalid primitive extension: expected a non-empty object or null'));
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
      ctx.checkNulls = true;
      ctx.issues.push(structureIssue(`${path}.${extKey}`, `Invalid primitive extension: expected an array to match "${type.key}"`));
      return raw;
    }
    return new PrimitiveWithExtension(raw, ext as JsonObject);
  }
  ctx.checkNulls = true;
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
  crawlRoot: number,
  depth: number,
): boolean {
  let value = raw;
  if (ext !== undefined) {
    if (ext === null) {
      ctx.checkNulls = true;
    } else {
      value = mergeExtension(ctx, raw, ext, path, type);
    }
  }
  if (value === null) {
    ctx.checkNulls = true;
  }
  if (!(value instanceof PrimitiveWithExtension) && isEmptyJson(value)) {
    // medplum reads null, "", [] and {} as an absent property.
    if (element.min > 0) {
      missing(ctx, path, element);
    }
    return false;
  }
  const isArray = Array.isArray(value);
  if (element.isArray !== isArray) {
    ctx.issues.push(
      structureIssue(
        `${crawlPathOf(path, crawlRoot)}.${element.key}`,
        isArray ? 'Expected single value for property' : 'Expected array of values for property',
      ),
    );
    // medplum stops checking the property but still crawls complex values.
    if (type.primitive === undefined) {
      const base = `${path}.${element.key}`;
      if (isArray) {
        const items = value as unknown[];
        for (let i = 0; i < items.length; i++) {
          crawlComplex(ctx, type, items[i], `${base}[${i}]`, crawlRoot, depth + 2);
        }
      } else {
        crawlComplex(ctx, type, value, base, crawlRoot, depth + 1);
      }
    } else {
      ctx.checkNulls = true; // primitive values not walked
    }
    return true;
  }
  const count = isArray ? (value as unknown[]).length : 1;
  if (count < element.min || count > element.max) {
    ctx.issues.push(
      structureIssue(
        element.path,
        `Invalid number of values: expected ${element.min}..${Number.isFinite(element.max) ? element.max : '*'}, but found ${count}`,
      ),
    );
  }
  if (isArray) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      visitValue(ctx, element, type, items[i], path, i, crawlRoot, depth + 2);
    }
  } else {
    visitValue(ctx, element, type, value, path, -1, crawlRoot, depth + 1);
  }
  return true;
}

function complexTypeName(type: TypeRef, value: unknown): string {
  if (type.isResource && value !== null && typeof value === 'object' && 'resourceType' in value) {
    return (value as JsonObject).resourceType as string;
  }
  return type.code;
}

/** medplum's crawl path: the value path without the array indices after the start of the crawl. */
function crawlPathOf(path: string, crawlRoot: number): string {
  return path.slice(0, crawlRoot) + path.slice(crawlRoot).replace(/\[\d+\]/g, '');
}

/** The path of a property value: `parent.key` or `parent.key[index]`. */
function valuePath(parent: string, element: ElementNode, index: number): string {
  return index < 0 ? `${parent}.${element.key}` : `${parent}.${element.key}[${index}]`;
}

/**
 * medplum's per-value checks (invariants, primitive type / empty complex value) and crawl. `index` is the
 * position in the property's array, or -1 for a single value; paths are only built when needed.
 */
function visitValue(
  ctx: Context,
  element: ElementNode,
  type: TypeRef,
  value: unknown,
  parentPath: string,
  index: number,
  crawlRoot: number,
  depth: number,
): void {
  const primitive = type.primitive;
  if (primitive !== undefined) {
    if (element.constraints.length > 0) {
      const medplumValue = value instanceof PrimitiveWithExtension ? value.toMedplum() : value;
      checkConstraints(ctx, element.constraints, type.code, medplumValue, valuePath(parentPath, element, index));
    }
    validatePrimitive(ctx, primitive, value, parentPath, element, index, depth);
    return;
  }
  const path = valuePath(parentPath, element, index);
  if (isEmptyJson(value)) {
    if (element.constraints.length > 0) {
      checkConstraints(ctx, element.constraints, complexTypeName(type, value), value, path);
    }
    ctx.issues.push(structureIssue(path, 'Invalid empty non-primitive value'));
    crawlComplex(ctx, type, value, path, crawlRoot, depth);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    // D1: medplum crawls numbers and booleans as objects without properties (accepting them) and strings as
    // objects whose properties are the characters.
    ctx.checkNulls = true;
    ctx.issues.push(structureIssue(path, `Invalid JSON type: expected object, but got ${kindOf(value)}`));
    return;
  }
  if (element.constraints.length > 0) {
    checkConstraints(ctx, element.constraints, complexTypeName(type, value), value, path);
  }
  crawlComplex(ctx, type, value, path, crawlRoot, depth);
}

/** medplum's crawlPropertyValue for a complex value: validate it as its data type (or resource type). */
function crawlComplex(ctx: Context, type: TypeRef, value: unknown, path: string, crawlRoot: number, depth: number): void {
  if (isEmptyJson(value)) {
    if (value === null) {
      ctx.checkNulls = true;
    }
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
    ctx.checkNulls = true;
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
      ctx.checkNulls = true;
      ctx.issues.push(issue('required', `${path}.resourceType`, 'Missing resource type'));
      return;
    }
    if (typeof resourceType !== 'string' || !getResourceTypes().has(resourceType)) {
      ctx.checkNulls = true;
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
  validateObject(ctx, obj, node, path, crawlRoot, depth);
}

/** medplum's validatePrimitiveType, including the crawl of the primitive's extension as an Element. */
function validatePrimitive(
  ctx: Context,
  primitive: PrimitiveType,
  value: unknown,
  parentPath: string,
  element: ElementNode,
  index: number,
  depth: number,
): void {
  if (value instanceof PrimitiveWithExtension) {
    const v = value.value;
    if (v === null) {
      ctx.checkNulls = true;
    } else if (v !== undefined) {
      if (!checkPrimitiveValue(ctx, primitive, v, parentPath, element, index)) {
        return; // medplum stops at a wrong JSON type, before looking at the extension
      }
    }
    // medplum crawls the extension with the value's (indexed) path as its initial path.
    const path = valuePath(parentPath, element, index);
    validateObject(ctx, value.extension, getElementNode(), path, path.length, depth);
    return;
  }
  if (value === undefined) {
    // A `_x` array entry without a value at that index.
    ctx.issues.push(
      structureIssue(valuePath(parentPath, element, index), `Invalid JSON type: expected ${primitive.jsType}, but got undefined`),
    );
    return;
  }
  if (value === null) {
    ctx.checkNulls = true; // reported (or allowed) by checkNulls
    return;
  }
  checkPrimitiveValue(ctx, primitive, value, parentPath, element, index);
}

/** Returns false when the value does not even have the right JSON type. */
function checkPrimitiveValue(
  ctx: Context,
  primitive: PrimitiveType,
  value: unknown,
  parentPath: string,
  element: ElementNode,
  index: number,
): boolean {
  if (typeof value === 'object') {
    // D2: medplum validates an object given for a primitive as if it were only the primitive's extension.
    ctx.checkNulls = true;
    ctx.issues.push(
      structureIssue(valuePath(parentPath, element, index), `Invalid JSON type: expected ${primitive.jsType}, but got ${kindOf(value)}`),
    );
    return false;
  }
  const message = primitive.check(value);
  if (message !== undefined) {
    ctx.issues.push(structureIssue(valuePath(parentPath, element, index), message));
  }
  return typeof value === primitive.jsType;
}

/** medplum's constraintsCheck: stop at the first failing invariant of a value. */
function checkConstraints(ctx: Context, constraints: CompiledConstraint[], type: string, value: unknown, path: string): void {
  for (let i = 0; i < constraints.length; i++) {
    const constraint = constraints[i];
    const native = constraint.native !== undefined ? constraint.native(value) : undefined;
    const ok = native !== undefined ? native : evaluate(ctx, constraint, type, value, path);
    if (crossCheck !== undefined) {
      crossCheckConstraint(ctx, constraint, type, value, path, ok, native !== undefined);
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

function variablesFor(ctx: Context, typed: TypedValue): Record<string, TypedValue> {
  return {
    '%context': typed,
    '%ucum': UCUM_TYPED,
    '%resource': toTypedValue(ctx.resources[ctx.resources.length - 1]),
    '%rootResource': ctx.rootTyped,
  };
}

/** medplum's isExpressionTrue, on the compiled expression. */
function evaluate(ctx: Context, constraint: CompiledConstraint, type: string, value: unknown, path: string): boolean {
  const typed = { type, value, path };
  try {
    if (constraint.atom === undefined) {
      throw constraint.parseError;
    }
    const variables = variablesFor(ctx, typed);
    let result: TypedValue[];
    try {
      result = evalCompiled(constraint.compiled as CompiledPath, [typed], variables);
    } catch {
      // Let medplum's evaluator produce the very same error (or result) for the issue.
      result = evalFhirPathTyped(constraint.atom, [typed], variables);
    }
    return result.length === 1 && result[0].value === true;
  } catch (err) {
    ctx.issues.push(
      issue('processing', path, 'Error evaluating invariant expression', JSON.stringify({ fhirpath: constraint.expression, error: err })),
    );
    return false;
  }
}

/** A disagreement between our evaluation of an invariant and medplum's evalFhirPathTyped on the source text. */
export interface ConstraintMismatch {
  key: string;
  expression: string;
  path: string;
  native: boolean;
  ours: boolean;
  medplum: boolean | 'error';
}

let crossCheck: ((mismatch: ConstraintMismatch) => void) | undefined;
let crossChecked = 0;

/**
 * Testing hook: while set, every invariant evaluation (native or compiled) is repeated with medplum's own
 * evalFhirPathTyped on the expression text and disagreements are reported. Returns the number of evaluations
 * checked since the previous call.
 */
export function setConstraintCrossCheck(listener: ((mismatch: ConstraintMismatch) => void) | undefined): number {
  crossCheck = listener;
  const count = crossChecked;
  crossChecked = 0;
  return count;
}

function crossCheckConstraint(
  ctx: Context,
  constraint: CompiledConstraint,
  type: string,
  value: unknown,
  path: string,
  ours: boolean,
  native: boolean,
): void {
  crossChecked++;
  const typed = { type, value, path };
  let medplum: boolean | 'error';
  try {
    const result = evalFhirPathTyped(constraint.expression, [typed], variablesFor(ctx, typed));
    medplum = result.length === 1 && result[0].value === true;
  } catch {
    medplum = 'error';
  }
  let compiledThrew = false;
  if (!native && constraint.compiled !== undefined) {
    try {
      evalCompiled(constraint.compiled, [typed], variablesFor(ctx, typed));
    } catch {
      compiledThrew = true;
    }
  }
  // When the compiled expression throws we already re-evaluate with medplum, so only non-throwing results count.
  const same = compiledThrew || medplum === ours;
  if (!same) {
    crossCheck?.({ key: constraint.key, expression: constraint.expression, path, native, ours, medplum });
  }
}
