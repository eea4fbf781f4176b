/**
 * Invariants (ElementDefinition.constraint), compiled once.
 *
 * medplum evaluates every constraint of severity 'error' except ele-1, dom-3, org-1 and sdf-19, stopping at the
 * first failure per value. Each expression is parsed once here (parseFhirPath) and later evaluated with
 * evalFhirPathTyped, exactly like medplum does — except the hot ones, which have native implementations that
 * reproduce medplum's FHIRPath results (including its navigation quirks) and give up (return undefined, meaning
 * "evaluate with FHIRPath") on any input they do not model precisely:
 *
 * - ext-1 `extension.exists() != value.exists()` on every Extension (1 318 elements in R4);
 * - dom-2, dom-4, dom-5 on every DomainResource root, which are trivially true without `contained`.
 */
import { getDataType, parseFhirPath } from '@medplum/core';
import type { FhirPathAtom, InternalTypeSchema } from '@medplum/core';
import { compileFhirPath, type CompiledPath } from './fhirpath.js';

/** Mirrors `skippedConstraintKeys` in medplum's validation.ts. */
const SKIPPED_CONSTRAINT_KEYS = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);

export type NativeConstraint = (value: unknown) => boolean | undefined;

export interface CompiledConstraint {
  key: string;
  expression: string;
  description: string;
  atom: FhirPathAtom | undefined;
  /** The atom compiled to closures (same results as evalFhirPathTyped on the atom). */
  compiled: CompiledPath | undefined;
  parseError: unknown;
  native: NativeConstraint | undefined;
}

type Constraint = NonNullable<InternalTypeSchema['constraints']>[number];

const atoms = new Map<string, FhirPathAtom | Error>();

function parse(expression: string): FhirPathAtom | Error {
  let atom = atoms.get(expression);
  if (atom === undefined) {
    try {
      atom = parseFhirPath(expression);
    } catch (err) {
      atom = err instanceof Error ? err : new Error(String(err));
    }
    atoms.set(expression, atom);
  }
  return atom;
}

/**
 * @param constraints - the constraints of an element or of a type's root element
 * @param elementTypes - the element's type codes (for element constraints), undefined for type-level constraints
 */
export function compileConstraints(constraints: Constraint[] | undefined, elementTypes: string[] | undefined): CompiledConstraint[] {
  const result: CompiledConstraint[] = [];
  for (const c of constraints ?? []) {
    if (c.severity !== 'error' || SKIPPED_CONSTRAINT_KEYS.has(c.key)) {
      continue;
    }
    const atom = parse(c.expression);
    result.push({
      key: c.key,
      expression: c.expression,
      description: c.description,
      atom: atom instanceof Error ? undefined : atom,
      compiled: atom instanceof Error ? undefined : compileFhirPath(atom),
      parseError: atom instanceof Error ? atom : undefined,
      native: nativeFor(c, elementTypes),
    });
  }
  return result;
}

function nativeFor(c: Constraint, elementTypes: string[] | undefined): NativeConstraint | undefined {
  if (
    c.key === 'ext-1' &&
    c.expression === 'extension.exists() != value.exists()' &&
    elementTypes?.length === 1 &&
    elementTypes[0] === 'Extension'
  ) {
    return ext1;
  }
  if (
    elementTypes === undefined &&
    ((c.key === 'dom-2' && c.expression === 'contained.contained.empty()') ||
      (c.key === 'dom-4' && c.expression === 'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()') ||
      (c.key === 'dom-5' && c.expression === 'contained.meta.security.empty()'))
  ) {
    return noContained;
  }
  return undefined;
}

/** medplum's isEmpty() for JSON values. */
export function isEmptyJson(v: unknown): boolean {
  if (v === null || v === undefined) {
    return true;
  }
  const t = typeof v;
  if (t === 'string') {
    return v === '';
  }
  if (t === 'object') {
    if (Array.isArray(v)) {
      return v.length === 0;
    }
    for (const _ in v as object) {
      return false;
    }
    return true;
  }
  return false;
}

/** FHIRPath `exists()` on a property read by medplum's getTypedPropertyValue (no primitive extension present). */
function existsJson(v: unknown): boolean {
  if (isEmptyJson(v)) {
    return false;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (isEmptyJson(v[i])) {
        return false;
      }
    }
  }
  return true;
}

let extensionValueCandidates: Map<string, number> | undefined;

/** 'valueBase64Binary' → 0, 'valueBoolean' → 1, … in the declared type order of Extension.value[x]. */
function getExtensionValueCandidates(): Map<string, number> {
  if (!extensionValueCandidates) {
    const element = getDataType('Extension').elements['value[x]'];
    extensionValueCandidates = new Map();
    element.type.forEach((t, i) => {
      const key = 'value' + t.code.charAt(0).toUpperCase() + t.code.slice(1);
      if (!extensionValueCandidates?.has(key)) {
        extensionValueCandidates?.set(key, i);
      }
    });
  }
  return extensionValueCandidates;
}

/**
 * ext-1: `extension.exists() != value.exists()` evaluated on an Extension.
 * A non-object (or array) context navigates to nothing in medplum's FHIRPath, so both sides are false and the
 * invariant fails. Objects carrying `resourceType` (FHIRPath treats them as resources) or any `_`-prefixed key
 * (primitive extension merging) are left to FHIRPath.
 */
const ext1: NativeConstraint = (value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const obj = value as Record<string, unknown>;
  const candidates = getExtensionValueCandidates();
  let bestKey: string | undefined;
  let bestIndex = Number.POSITIVE_INFINITY;
  for (const key in obj) {
    if (key.charCodeAt(0) === 95 /* _ */ || key === 'resourceType') {
      return undefined;
    }
    const index = candidates.get(key);
    if (index !== undefined && index < bestIndex) {
      bestIndex = index;
      bestKey = key;
    }
  }
  const hasExtension = existsJson(obj.extension);
  const hasValue = bestKey !== undefined && existsJson(obj[bestKey]);
  return hasExtension !== hasValue;
};

/** dom-2, dom-4, dom-5: all navigate through `contained`; without it they are true. */
const noContained: NativeConstraint = (value) => {
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  return obj.contained === undefined && obj._contained === undefined ? true : undefined;
};
