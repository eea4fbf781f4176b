/**
 * Checks for FHIR primitive values, compiled once per primitive type code.
 *
 * Semantics are those of @medplum/core's ResourceValidator.validatePrimitiveType / validateString /
 * validateNumber: the JSON type must match (`fhirTypeToJsType`), strings must contain non-whitespace content,
 * be at most 1 MiB and match medplum's `validationRegexes` (the very same RegExp objects, except for
 * base64Binary and xhtml which have faster equivalents), numbers must be finite, integral for integer types,
 * positive for positiveInt and non-negative for unsignedInt.
 */
import { fhirTypeToJsType, validationRegexes } from '@medplum/core';

export type JsType = 'string' | 'number' | 'boolean';

/**
 * Checks a value that is neither null, undefined nor an object (those are handled by the caller).
 * Returns the issue message, or undefined when the value is valid (the caller builds the path only then).
 */
export type PrimitiveCheck = (value: unknown) => string | undefined;

export interface PrimitiveType {
  code: string;
  jsType: JsType;
  check: PrimitiveCheck;
}

const MAX_STRING_LENGTH = 1024 * 1024;

const cache = new Map<string, PrimitiveType | null>();

/** Returns the compiled primitive type for a type code, or undefined when the code is not primitive. */
export function getPrimitiveType(code: string): PrimitiveType | undefined {
  let result = cache.get(code);
  if (result === undefined) {
    result = compilePrimitive(code);
    cache.set(code, result);
  }
  return result ?? undefined;
}

function compilePrimitive(code: string): PrimitiveType | null {
  if (!Object.prototype.hasOwnProperty.call(fhirTypeToJsType, code)) {
    return null;
  }
  const jsType = (fhirTypeToJsType as Record<string, JsType>)[code];
  if (jsType === 'string') {
    return { code, jsType, check: stringCheck(code) };
  }
  if (jsType === 'number') {
    return { code, jsType, check: numberCheck(code) };
  }
  return { code, jsType, check: booleanCheck };
}

function wrongType(expected: JsType, value: unknown): string {
  return `Invalid JSON type: expected ${expected}, but got ${typeof value}`;
}

/** True when String.prototype.trim() would leave something (fast path for the usual printable first char). */
function hasNonWhitespace(s: string): boolean {
  const c = s.charCodeAt(0);
  if (c > 0x20 && c < 0x7f) {
    return true;
  }
  return s.trim().length > 0;
}

const BASE64_BODY = /^[A-Za-z\d+/]*={0,2}$/;

/**
 * Same result as medplum's base64Binary regex `^([A-Za-z\d+/]{4})*([A-Za-z\d+/]{2}==|[A-Za-z\d+/]{3}=)?$`,
 * which is slow on large attachments: alphabet characters, at most two "=" at the end, length a multiple of 4.
 */
export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64_BODY.test(s);
}

/** Faster equivalents of some of medplum's regexes (equivalence is unit-tested against the regexes). */
const FAST_FORMATS: Record<string, { test(s: string): boolean }> = {
  base64Binary: { test: isBase64 },
  xhtml: { test: () => true }, // medplum's /.*/ matches every string
};

function stringCheck(code: string): PrimitiveCheck {
  const regex: { test(s: string): boolean } | undefined =
    FAST_FORMATS[code] ?? (Object.prototype.hasOwnProperty.call(validationRegexes, code) ? validationRegexes[code] : undefined);
  const formatMessage = 'Invalid ' + code + ' format';
  return (value) => {
    if (typeof value !== 'string') {
      return wrongType('string', value);
    }
    if (!hasNonWhitespace(value)) {
      return 'String must contain non-whitespace content';
    }
    if (value.length > MAX_STRING_LENGTH) {
      return 'String cannot be larger than 1 MB';
    }
    if (regex !== undefined && !regex.test(value)) {
      return formatMessage;
    }
    return undefined;
  };
}

function numberCheck(code: string): PrimitiveCheck {
  const integer = code === 'integer' || code === 'positiveInt' || code === 'unsignedInt';
  const positive = code === 'positiveInt';
  const unsigned = code === 'unsignedInt';
  return (value) => {
    if (typeof value !== 'number') {
      return wrongType('number', value);
    }
    if (Number.isNaN(value) || !Number.isFinite(value)) {
      return 'Invalid numeric value';
    }
    if (integer && !Number.isInteger(value)) {
      return 'Expected number to be an integer';
    }
    if (positive && value <= 0) {
      return 'Expected number to be positive';
    }
    if (unsigned && value < 0) {
      return 'Expected number to be non-negative';
    }
    return undefined;
  };
}

const booleanCheck: PrimitiveCheck = (value) => (typeof value !== 'boolean' ? wrongType('boolean', value) : undefined);
