/**
 * Fast FHIR R4 resource validation, equivalent to @medplum/core's `validateResource`.
 *
 * Each type's definition (medplum's InternalTypeSchema, built from the R4 StructureDefinitions by
 * loadDefinitions) is compiled once, lazily, into a TypeNode (compile.ts): a JSON key → element map for
 * unknown-property detection and choice types, cardinalities, primitive checkers closed over their regexes
 * (primitives.ts), and invariants parsed once and compiled to closures (fhirpath.ts; ext-1 and dom-2/4/5 are
 * native, constraints.ts). Validation is then one walk over the JSON (validate.ts).
 *
 * Usage: `const issues = validateResourceFast(json); if (issues.length) reject(issues)`. The first call loads
 * the R4 definitions (about a second); each type compiles on first use.
 *
 * What is checked (medplum semantics, same messages and `expression` paths):
 * - unknown properties (`Invalid additional property "x"`); choice types `value[x]` (JSON key = name + type);
 * - required elements, array vs single value, min/max counts;
 * - primitive JSON types and formats (id, date, dateTime, instant, time, uri, code, oid, uuid, base64Binary,
 *   string/markdown characters, non-whitespace content, 1 MiB limit, integer/positiveInt/unsignedInt);
 * - primitive extensions `_x` (merged with `x`, crawled as Element), nulls anywhere except where a `_x`
 *   partner carries an extension at the same index;
 * - empty values: `""`, `[]`, `{}` and null for a property count as absent (so only required ones are reported),
 *   an empty value inside an array is an error;
 * - invariants of severity error except ele-1, dom-3, org-1, sdf-19; type-level invariants only for the
 *   validated root resource, element-level ones everywhere (first failing one per value);
 * - nested resources (contained, Bundle.entry.resource, Parameters.parameter.resource, …) validated as their
 *   resourceType.
 * Not checked, as in medplum: terminology bindings; reference target types (only warnings in medplum); the
 * format of Resource.id (typed System.String in the R4 definitions, so the id regex does not apply — the store
 * checks ids itself); profiles (meta.profile is not followed).
 *
 * Deliberate differences — we are stricter where medplum is clearly wrong (all covered by tests):
 * - D1 a number, boolean, non-empty string or array where an object is expected is an error
 *   (medplum accepts `"name": [5]`, and reports a string as having properties "0", "1", …);
 * - D2 an object or array where a primitive is expected is an error (medplum reads it as the primitive's
 *   extension, e.g. accepts `"birthDate": {"extension": […]}`);
 * - D3 unknown properties medplum lets through: `resourceType` on a non-resource object, Object.prototype
 *   names (`constructor`, `__proto__`, …), `_x` on a complex element, a literal `value[x]` key, and an invalid
 *   choice suffix (`valueFoo`) next to a valid one;
 * - D4 two types of one choice element (`valueString` + `valueBoolean`, or `valueString` + `_valueBoolean`)
 *   are errors (medplum: warnings, then validates only the first in type order);
 * - D5 a missing, unknown or non-resource `resourceType` is an error with a location (medplum: throws
 *   "Unknown data type" without location for nested resources, or validates `{"resourceType": "HumanName"}`
 *   as a HumanName and a contained object without resourceType as the abstract Resource);
 * - D6 a malformed primitive extension `_x` (not an object, empty object, array-ness different from `x`,
 *   array entries other than objects and nulls) is an error (medplum throws "Primitive extension must be an
 *   object" or a TypeError "Cannot assign to read only property '0' of object '[object String]'", ignores it,
 *   or merges it into the value);
 * - D7 medplum validates a resource whose top-level `value` is a number as a Quantity; we never do;
 * - D8 JSON nested deeper than MAX_DEPTH (128 objects and arrays; real resources stay under 25) is rejected
 *   with one issue (medplum overflows the stack on very deep input);
 * - we never mutate the input (medplum's primitive-extension merge deletes `__proto__`/`constructor` keys and
 *   assigns `_x` onto complex values), and we never throw: non-object input yields an issue.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';
import { issue } from './issues.js';
import { MAX_DEPTH, validateRoot } from './validate.js';

export { MAX_DEPTH };
export { setConstraintCrossCheck, type ConstraintMismatch } from './validate.js';
export { validateResourceReference, type ReferenceResult } from './reference.js';

let ready = false;

/**
 * Validates a FHIR R4 resource (any JSON value is accepted) and returns its error issues, empty when valid.
 * Never throws.
 */
export function validateResourceFast(resource: unknown): OperationOutcomeIssue[] {
  try {
    if (!ready) {
      loadDefinitions();
      ready = true;
    }
    return validateRoot(resource);
  } catch (err) {
    const path =
      resource !== null && typeof resource === 'object' && typeof (resource as { resourceType?: unknown }).resourceType === 'string'
        ? (resource as { resourceType: string }).resourceType
        : 'Resource';
    return [issue('exception', path, `Validation failed: ${err instanceof Error ? err.message : String(err)}`)];
  }
}
