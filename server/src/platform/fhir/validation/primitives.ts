/**
 * Checks for FHIR primitive values, compiled once per primitive type code.
 *
 * Semantics are those of @medplum/core's ResourceValidator.validatePrimitiveType / validateString /
 * validateNumber: the JSON type must match (`fhirTypeToJsType`), strings must contain non-whitespace content,
 * be at most 1 MiB and match medplum's `validationRegexes` (the very same RegExp objects are used), numbers
 * must be finite, integral for integer types, positive for positiveInt and non-negative for unsignedInt.
 */
import { fhirTypeToJsType, isPrimitiveType, validationRegexes } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { structureIssue } from './issues.js';

export type JsType = 'string' | 'number' | 'boolean';

/** Checks a value that is neither null, undefined nor an object (those are handled by the caller). */
export type PrimitiveCheck = (value: unknown, path: string, issues: OperationOutcomeIssue[]) => void;

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

/** Same test as medplum's isPrimitiveType (which also treats the pseudo type 'undefined' as primitive). */
export function isPrimitiveCode(code: string): boolean {
  return isPrimitiveType(code);
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

function wrongType(expected: JsType, value: unknown, path: string, issues: OperationOutcomeIssue[]): void {
  issues.push(structureIssue(path, `Invalid JSON type: expected ${expected}, but got ${typeof value}`));
}

/** True when String.prototype.trim() would leave something (fast path for the usual printable first char). */
function hasNonWhitespace(s: string): boolean {
  const c = s.charCodeAt(0);
  if (c > 0x20 && c < 0x7f) {
    return true;
  }
  return s.trim().length > 0;
}

function stringCheck(code: string): PrimitiveCheck {
  const regex: RegExp | undefined = Object.prototype.hasOwnProperty.call(validationRegexes, code)
    ? validationRegexes[code]
    : undefined;
  const formatMessage = 'Invalid ' + code + ' format';
  return (value, path, issues) => {
    if (typeof value !== 'string') {
      wrongType('string', value, path, issues);
      return;
    }
    if (!hasNonWhitespace(value)) {
      issues.push(structureIssue(path, 'String must contain non-whitespace content'));
      return;
    }
    if (value.length > MAX_STRING_LENGTH) {
      issues.push(structureIssue(path, 'String cannot be larger than 1 MB'));
      return;
    }
    if (regex !== undefined && !regex.test(value)) {
      issues.push(structureIssue(path, formatMessage));
    }
  };
}

function numberCheck(code: string): PrimitiveCheck {
  const integer = code === 'integer' || code === 'positiveInt' || code === 'unsignedInt';
  const positive = code === 'positiveInt';
  const unsigned = code === 'unsignedInt';
  return (value, path, issues) => {
    if (typeof value !== 'number') {
      wrongType('number', value, path, issues);
      return;
    }
    if (Number.isNaN(value) || !Number.isFinite(value)) {
      issues.push(structureIssue(path, 'Invalid numeric value'));
    } else if (integer && !Number.isInteger(value)) {
      issues.push(structureIssue(path, 'Expected number to be an integer'));
    } else if (positive && value <= 0) {
      issues.push(structureIssue(path, 'Expected number to be positive'));
    } else if (unsigned && value < 0) {
      issues.push(structureIssue(path, 'Expected number to be non-negative'));
    }
  };
}

const booleanCheck: PrimitiveCheck = (value, path, issues) => {
  if (typeof value !== 'boolean') {
    wrongType('boolean', value, path, issues);
  }
};
