/**
 * Compiles medplum's internal type schemas (parsed from the R4 StructureDefinitions by loadDefinitions) into
 * validation nodes: one TypeNode per data type / backbone element / resource, compiled lazily on first use and
 * cached for the life of the process. Child types are linked lazily too, so validating a Patient only compiles
 * the types a Patient actually reaches.
 *
 * Working from medplum's own InternalTypeSchema (rather than re-reading StructureDefinitions) guarantees the
 * same elements, cardinalities, type lists, choice-type orders and constraints as medplum's validator.
 */
import { tryGetDataType } from '@medplum/core';
import type { InternalSchemaElement, InternalTypeSchema } from '@medplum/core';
import { loadDefinitions } from '../definitions.js';
import { compileConstraints, type CompiledConstraint } from './constraints.js';
import { getPrimitiveType, type PrimitiveType } from './primitives.js';

export interface TypeRef {
  /** Type code as medplum resolves it (BackboneElements are named after their path, e.g. PatientContact). */
  code: string;
  /** Position in the element's type list: for choice elements the lowest present index wins (medplum order). */
  index: number;
  /** JSON property name: the element name, or for choice elements name + capitalised type code. */
  key: string;
  /** `_key`, only for primitive types (the only ones that may carry a JSON primitive extension). */
  extKey: string | undefined;
  primitive: PrimitiveType | undefined;
  /** Element of type Resource: the concrete type comes from the value's resourceType. */
  isResource: boolean;
  /** Lazily resolved node of a complex type (null: type unknown to medplum). */
  node: TypeNode | null | undefined;
}

export interface ElementNode {
  /** Key in the schema (e.g. `value[x]`), used in issue paths as medplum does. */
  key: string;
  /** ElementDefinition.path, used by medplum for cardinality-count issues. */
  path: string;
  min: number;
  max: number;
  isArray: boolean;
  choice: boolean;
  types: TypeRef[];
  constraints: CompiledConstraint[];
}

export interface KeyInfo {
  element: ElementNode;
  type: TypeRef;
  /** The key is the `_x` primitive extension of property `x`. */
  underscore: boolean;
}

export interface TypeNode {
  name: string;
  /** Root path of the schema (e.g. Patient, Patient.contact, Quantity for SimpleQuantity). */
  path: string;
  elements: ElementNode[];
  required: ElementNode[];
  keys: Map<string, KeyInfo>;
  /** Type-level invariants: medplum evaluates them for the validated root resource only. */
  constraints: CompiledConstraint[];
  /** A concrete resource type (the `resourceType` property is expected and allowed). */
  isResource: boolean;
  /** Uses schema features this compiler does not implement (profiles: slicing, fixed, pattern). */
  unsupported: boolean;
}

let resourceTypes: Set<string> | undefined;

/** Concrete (non-abstract) R4 resource types. */
export function getResourceTypes(): Set<string> {
  if (!resourceTypes) {
    resourceTypes = new Set(loadDefinitions().resourceTypes);
  }
  return resourceTypes;
}

const nodes = new Map<string, TypeNode | null>();

export function getTypeNode(name: string): TypeNode | undefined {
  let node = nodes.get(name);
  if (node === undefined) {
    const schema = tryGetDataType(name);
    node = schema ? compileType(schema, name) : null;
    nodes.set(name, node);
  }
  return node ?? undefined;
}

export function resolveTypeRef(ref: TypeRef): TypeNode | undefined {
  if (ref.node === undefined) {
    ref.node = getTypeNode(ref.code) ?? null;
  }
  return ref.node ?? undefined;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function compileType(schema: InternalTypeSchema, name: string): TypeNode {
  const elements: ElementNode[] = [];
  const keys = new Map<string, KeyInfo>();
  let unsupported = false;
  for (const [key, el] of Object.entries(schema.elements)) {
    const element = compileElement(key, el);
    elements.push(element);
    if (el.slicing || el.fixed || el.pattern) {
      unsupported = true;
    }
    for (const type of element.types) {
      if (!keys.has(type.key)) {
        keys.set(type.key, { element, type, underscore: false });
      }
      if (type.extKey && !keys.has(type.extKey)) {
        keys.set(type.extKey, { element, type, underscore: true });
      }
    }
  }
  return {
    name,
    path: schema.path,
    elements,
    required: elements.filter((e) => e.min > 0),
    keys,
    constraints: compileConstraints(schema.constraints, undefined),
    isResource: getResourceTypes().has(name) && schema.kind === 'resource',
    unsupported,
  };
}

function compileElement(key: string, el: InternalSchemaElement): ElementNode {
  // Like medplum's getTypedPropertyValueWithSchema: JSON keys derive from the last segment of the element path.
  const lastSegment = el.path.substring(el.path.lastIndexOf('.') + 1);
  const choice = key.endsWith('[x]');
  const codes = el.type.map((t) => t.code);
  // A non-choice element with several types always resolves to its first type (they share one JSON key).
  const declared = choice ? el.type : el.type.slice(0, 1);
  const types: TypeRef[] = declared.map((t, index) => {
    const jsonKey = choice ? lastSegment.replace('[x]', capitalize(t.code)) : lastSegment;
    const primitive = getPrimitiveType(t.code);
    return {
      code: t.code,
      index,
      key: jsonKey,
      extKey: primitive ? '_' + jsonKey : undefined,
      primitive,
      isResource: t.code === 'Resource',
      node: undefined,
    };
  });
  return {
    key,
    path: el.path,
    min: el.min,
    max: el.max,
    isArray: !!el.isArray,
    choice,
    types,
    constraints: compileConstraints(el.constraints, codes),
  };
}
