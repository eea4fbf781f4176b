/**
 * Compiles medplum FHIRPath ASTs (from parseFhirPath) into closures with the same semantics.
 *
 * Only the atoms that dominate invariant evaluation are re-implemented, as straight ports of medplum's code:
 * - FhirPathAtom (per-item `$this` scoping), DotAtom, LiteralAtom;
 * - SymbolAtom: property navigation, i.e. medplum's getTypedPropertyValue, with the schema lookup
 *   (getElementDefinition) cached per (type, name) and the choice-type candidate keys precomputed, primitive
 *   extensions (`_x`) merged like medplum but without modifying the input; when no schema element is known,
 *   medplum's getTypedPropertyValueWithoutSchema is called;
 * - and, or, xor, implies, =, != (with medplum's own singleton / fhirPathArrayEquals helpers);
 * - the functions exists, empty, count, hasValue, first, where, all.
 *
 * Every other atom (other operators and functions) is medplum's own atom, cloned with its children replaced by
 * adapters that run the compiled children — so e.g. `select(...)` runs medplum's implementation of `select` with
 * a compiled projection. Results are therefore identical to evalFhirPathTyped; the tests check this directly and
 * cross-check every invariant evaluation of the corpus and the fuzzer.
 */
import {
  AndAtom,
  AsAtom,
  DotAtom,
  EqualsAtom,
  FhirPathAtom,
  FunctionAtom,
  ImpliesAtom,
  IsAtom,
  LiteralAtom,
  NotEqualsAtom,
  OrAtom,
  SymbolAtom,
  XorAtom,
  booleanToTypedValue,
  fhirPathArrayEquals,
  fhirPathArrayNotEquals,
  getElementDefinition,
  getTypedPropertyValueWithoutSchema,
  isEmpty,
  singleton,
  toJsBoolean,
} from '@medplum/core';
import type { AtomContext, InternalSchemaElement, TypedValue } from '@medplum/core';

export type CompiledPath = (context: AtomContext, input: TypedValue[]) => TypedValue[];

interface AtomLike {
  eval(context: AtomContext, input: TypedValue[]): TypedValue[];
  toString(): string;
}

/** Compiles a parsed FHIRPath expression: evalCompiled(compiled, …) equals evalFhirPathTyped(atom, …). */
export function compileFhirPath(atom: FhirPathAtom): CompiledPath {
  return compileAtom(atom as unknown as AtomLike);
}

/** Same result as medplum's evalFhirPathTyped for a compiled expression. */
export function evalCompiled(compiled: CompiledPath, input: TypedValue[], variables: Record<string, TypedValue>): TypedValue[] {
  return compiled({ variables }, input).map((v) => ({ type: v.type, value: v.value?.valueOf() }));
}

function compileAtom(atom: AtomLike): CompiledPath {
  if (atom instanceof FhirPathAtom) {
    const child = compileAtom(atom.child as AtomLike);
    return (context, input) => {
      if (input.length > 0) {
        const result: TypedValue[] = [];
        for (const e of input) {
          const r = child({ parent: context, variables: { $this: e } }, [e]);
          for (let i = 0; i < r.length; i++) {
            result.push(r[i]);
          }
        }
        return result;
      }
      return child(context, []);
    };
  }
  if (atom instanceof DotAtom) {
    const left = compileAtom(atom.left as AtomLike);
    const right = compileAtom(atom.right as AtomLike);
    return (context, input) => right(context, left(context, input));
  }
  if (atom instanceof SymbolAtom) {
    return compileSymbol(atom);
  }
  if (atom instanceof LiteralAtom) {
    const value = atom.value;
    return () => [value];
  }
  if (atom instanceof EqualsAtom || atom instanceof NotEqualsAtom) {
    const left = compileAtom(atom.left as AtomLike);
    const right = compileAtom(atom.right as AtomLike);
    const equals = atom instanceof EqualsAtom;
    return (context, input) => {
      const l = left(context, input);
      const r = right(context, input);
      return equals ? fhirPathArrayEquals(l, r) : fhirPathArrayNotEquals(l, r);
    };
  }
  if (atom instanceof AndAtom || atom instanceof OrAtom || atom instanceof XorAtom || atom instanceof ImpliesAtom) {
    return compileBoolean(atom);
  }
  if (atom instanceof FunctionAtom) {
    const compiled = compileFunction(atom);
    if (compiled) {
      return compiled;
    }
  }
  return adaptGeneric(atom);
}

type BooleanOperator = AndAtom | OrAtom | XorAtom | ImpliesAtom;

/** medplum's AndAtom / OrAtom / XorAtom / ImpliesAtom (both operands always evaluated, singleton checks). */
function compileBoolean(atom: BooleanOperator): CompiledPath {
  const left = compileAtom(atom.left as AtomLike);
  const right = compileAtom(atom.right as AtomLike);
  const operands = (context: AtomContext, input: TypedValue[]): [TypedValue | undefined, TypedValue | undefined] => [
    singleton(left(context, input), 'boolean'),
    singleton(right(context, input), 'boolean'),
  ];
  if (atom instanceof AndAtom) {
    return (context, input) => {
      const [l, r] = operands(context, input);
      if (l?.value === true && r?.value === true) {
        return booleanToTypedValue(true);
      }
      if (l?.value === false || r?.value === false) {
        return booleanToTypedValue(false);
      }
      return [];
    };
  }
  if (atom instanceof OrAtom) {
    return (context, input) => {
      const [l, r] = operands(context, input);
      if (l?.value === false && r?.value === false) {
        return booleanToTypedValue(false);
      } else if (l?.value || r?.value) {
        return booleanToTypedValue(true);
      }
      return [];
    };
  }
  if (atom instanceof XorAtom) {
    return (context, input) => {
      const [l, r] = operands(context, input);
      if (!l || !r) {
        return [];
      }
      return booleanToTypedValue(l.value !== r.value);
    };
  }
  return (context, input) => {
    const [l, r] = operands(context, input);
    if (r?.value === true || l?.value === false) {
      return booleanToTypedValue(true);
    } else if (!l || !r) {
      return [];
    }
    return booleanToTypedValue(false);
  };
}

/** Ports of medplum's simplest functions; undefined for the others (then medplum's own code runs). */
function compileFunction(atom: FunctionAtom): CompiledPath | undefined {
  const args = atom.args.map((a) => compileAtom(a as AtomLike));
  switch (atom.name) {
    case 'empty':
      return (_context, input) => booleanToTypedValue(input.length === 0 || input.every((e) => isEmpty(e.value)));
    case 'hasValue':
      return (_context, input) => booleanToTypedValue(input.length !== 0);
    case 'count':
      return (_context, input) => [{ type: 'integer', value: input.length }];
    case 'first':
      return (_context, input) => (input.length === 0 ? [] : input.slice(0, 1));
    case 'exists': {
      const criteria = args[0];
      if (criteria) {
        return (context, input) => booleanToTypedValue(input.filter((e) => toJsBoolean(criteria(context, [e]))).length > 0);
      }
      return (_context, input) => booleanToTypedValue(input.length > 0 && input.every((e) => !isEmpty(e.value)));
    }
    case 'where': {
      const criteria = args[0];
      return criteria ? (context, input) => input.filter((e) => toJsBoolean(criteria(context, [e]))) : undefined;
    }
    case 'all': {
      const criteria = args[0];
      return criteria ? (context, input) => booleanToTypedValue(input.every((e) => toJsBoolean(criteria(context, [e])))) : undefined;
    }
    default:
      return undefined;
  }
}

/** Functions whose argument is a type specifier read structurally (`typeAtom instanceof SymbolAtom`, `.name`). */
const TYPE_SPECIFIER_FUNCTIONS = new Set(['is', 'as', 'ofType', 'getReferenceKey']);

/** medplum's own atom, with compiled children (type specifiers are left untouched). */
function adaptGeneric(atom: AtomLike): CompiledPath {
  const clone = Object.assign(Object.create(Object.getPrototypeOf(atom) as object) as AtomLike, atom) as AtomLike & Record<string, unknown>;
  const keepRight = atom instanceof IsAtom || atom instanceof AsAtom;
  for (const field of ['child', 'left', 'right', 'expr']) {
    const child = clone[field];
    if (field === 'right' && keepRight) {
      continue;
    }
    if (child && typeof child === 'object' && typeof (child as AtomLike).eval === 'function') {
      clone[field] = adapter(child as AtomLike);
    }
  }
  if (Array.isArray(clone.args) && !(atom instanceof FunctionAtom && TYPE_SPECIFIER_FUNCTIONS.has(atom.name))) {
    clone.args = (clone.args as AtomLike[]).map((a) => adapter(a));
  }
  return (context, input) => clone.eval(context, input);
}

function adapter(atom: AtomLike): AtomLike {
  const compiled = compileAtom(atom);
  return { eval: compiled, toString: () => atom.toString() };
}

function lookupVariable(context: AtomContext | undefined, name: string): TypedValue | undefined {
  while (context) {
    const value = context.variables[name];
    if (value !== undefined) {
      return value;
    }
    context = context.parent;
  }
  return undefined;
}

function compileSymbol(atom: SymbolAtom): CompiledPath {
  const name = atom.name;
  if (name === '$this') {
    return (_context, input) => input;
  }
  // medplum looks every symbol up as a variable first; only these names can be found there.
  const isVariableLike = name.startsWith('%') || name.startsWith('$') || name in Object.prototype;
  let cachedType: string | undefined;
  let cachedElement: InternalSchemaElement | undefined;
  return (context, input) => {
    if (isVariableLike) {
      const variable = lookupVariable(context, name);
      if (variable) {
        return [variable];
      }
      if (name.startsWith('%')) {
        throw new Error(`Undefined variable ${name}`);
      }
    }
    const result: TypedValue[] = [];
    for (let i = 0; i < input.length; i++) {
      const typed = input[i];
      const value = typed.value as Record<string, unknown> | undefined;
      if (!value || typeof value !== 'object') {
        continue;
      }
      if ('resourceType' in value && value.resourceType === name) {
        result.push(typed);
        continue;
      }
      // Inline cache of the schema lookup: a symbol mostly sees one type.
      let element: InternalSchemaElement | undefined;
      if (typed.type === cachedType) {
        element = cachedElement;
      } else {
        element = elementFor(typed.type, name);
        cachedType = typed.type;
        cachedElement = element;
      }
      const r = getTypedProperty(typed, name, element);
      if (r === undefined) {
        continue;
      }
      if (Array.isArray(r)) {
        for (const e of r) {
          if (e?.value !== undefined) {
            result.push(e);
          }
        }
      } else if (r.value !== undefined) {
        result.push(r);
      }
    }
    return result;
  };
}

const elementCache = new Map<string, Map<string, InternalSchemaElement | null>>();

function elementFor(type: string, name: string): InternalSchemaElement | undefined {
  let byName = elementCache.get(type);
  if (!byName) {
    byName = new Map();
    elementCache.set(type, byName);
  }
  let element = byName.get(name);
  if (element === undefined) {
    element = getElementDefinition(type, name) ?? null;
    byName.set(name, element);
  }
  return element ?? undefined;
}

interface Candidate {
  code: string;
  key: string;
  extKey: string;
}

const candidateCache = new WeakMap<InternalSchemaElement, Candidate[]>();

function candidatesFor(element: InternalSchemaElement): Candidate[] {
  let candidates = candidateCache.get(element);
  if (!candidates) {
    const lastSegment = element.path.substring(element.path.lastIndexOf('.') + 1);
    candidates = element.type.map((t) => {
      const key = lastSegment.replace('[x]', t.code.charAt(0).toUpperCase() + t.code.slice(1));
      return { code: t.code, key, extKey: '_' + key };
    });
    candidateCache.set(element, candidates);
  }
  return candidates;
}

/** medplum's getTypedPropertyValue (input.value is known to be a non-null object; element from elementFor). */
function getTypedProperty(
  typed: TypedValue,
  name: string,
  element: InternalSchemaElement | undefined,
): TypedValue[] | TypedValue | undefined {
  if (!element) {
    return getTypedPropertyValueWithoutSchema(typed, name);
  }
  const types = element.type;
  if (!types || types.length === 0) {
    return undefined;
  }
  const value = typed.value as Record<string, unknown>;
  const candidates = candidatesFor(element);
  let resultValue: unknown = undefined;
  let resultType = 'undefined';
  let ext: unknown = undefined;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    resultValue = value[c.key];
    ext = value[c.extKey];
    if (resultValue !== undefined || ext !== undefined) {
      resultType = c.code;
      break;
    }
  }
  if (ext) {
    resultValue = mergePrimitiveExtension(resultValue, ext);
  }
  if (isEmpty(resultValue)) {
    return undefined;
  }
  if (resultType === 'Element' || resultType === 'BackboneElement') {
    resultType = types[0].code;
  }
  if (Array.isArray(resultValue)) {
    return resultValue.map((e) => withType(e, resultType));
  }
  return withType(resultValue, resultType);
}

/**
 * medplum's merge of a property with its `_` primitive extension (getTypedPropertyValueWithSchema), minus its
 * side effects: medplum assigns the extension onto the value object and deletes `__proto__` / `constructor`
 * from the extension; here both are copied first, so the resource is never modified.
 */
function mergePrimitiveExtension(resultValue: unknown, ext: unknown): unknown {
  const extItems = ext as Record<number, unknown> & { length?: number };
  if (Array.isArray(resultValue)) {
    const merged = resultValue.slice();
    for (let i = 0; i < Math.max(merged.length, extItems.length as number); i++) {
      merged[i] = assignPrimitiveExtension(merged[i], extItems[i]);
    }
    return merged;
  }
  if (!resultValue && Array.isArray(ext)) {
    const merged = ext.slice();
    for (let i = 0; i < ext.length; i++) {
      merged[i] = assignPrimitiveExtension(undefined, ext[i]);
    }
    return merged;
  }
  return assignPrimitiveExtension(resultValue, ext);
}

/** medplum's assignPrimitiveExtension (`Object.assign(target ?? {}, ext)`), on copies. */
export function assignPrimitiveExtension(target: unknown, ext: unknown): unknown {
  if (!ext) {
    return target;
  }
  if (typeof ext !== 'object') {
    throw new Error('Primitive extension must be an object');
  }
  const source: Record<string, unknown> = { ...(ext as Record<string, unknown>) };
  delete source['__proto__'];
  delete (source as { constructor?: unknown }).constructor;
  const base = target ?? {};
  const copy = typeof base === 'object' ? (Array.isArray(base) ? base.slice() : { ...(base as object) }) : base;
  return Object.assign(copy, source);
}

function withType(value: unknown, type: string): TypedValue {
  if (type === 'Resource' && value && typeof value === 'object' && 'resourceType' in value) {
    return { type: (value as { resourceType: string }).resourceType, value };
  }
  return { type, value };
}
