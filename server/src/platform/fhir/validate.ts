/**
 * Checks a client's resource before it is written: JSON shape, resource type, id format, the
 * R4 StructureDefinitions, required value-set bindings, calendar dates and empty values. Every problem becomes an OperationOutcome issue with a precise location.
 */
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from './definitions.js';
import { validateResourceFast } from './validation/index.js';
import { validateValues } from './value-checks.js';
import { badRequest, invalidResource } from './outcomes.js';

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
/** Deeper nesting than any real resource has; guards the validator and FHIRPath against stack exhaustion. */
export const MAX_DEPTH = 64;

let resourceTypeSet: Set<string> | undefined;
export function isResourceType(type: string): boolean {
  resourceTypeSet ??= new Set(loadDefinitions().resourceTypes);
  return resourceTypeSet.has(type);
}

export function assertResourceType(type: string, expression?: string): void {
  if (!isResourceType(type)) throw badRequest(`Unknown resource type '${type}'`, expression);
}

export function assertValidId(id: string, expression = 'id'): void {
  if (!ID_PATTERN.test(id)) throw badRequest(`Invalid id '${id}': ids are 1–64 characters of A–Z, a–z, 0–9, '-' and '.'`, expression);
}

/** Iterative depth check so that hostile nesting cannot blow the stack before validation starts. */
export function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (d > max) max = d;
    if (max > limit) return max;
    if (v && typeof v === 'object') {
      for (const child of Object.values(v as object)) if (child && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
  return max;
}

/**
 * Domain checks per resource type, registered by the platform parts that own the rule (e.g. the resident
 * index checks resident ID numbers on Patient). Each returns issues located like the structural ones.
 */
export type ResourceCheck = (resource: Resource) => OperationOutcomeIssue[];
const resourceChecks = new Map<string, ResourceCheck[]>();

export function addResourceCheck(resourceType: string, check: ResourceCheck): void {
  const list = resourceChecks.get(resourceType) ?? [];
  if (!list.includes(check)) list.push(check);
  resourceChecks.set(resourceType, list);
}

/** Throws a 400 FhirError describing every problem; returns the resource typed when it is valid R4. */
export function validateIncoming(body: unknown, expectedType?: string, where = ''): Resource {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The body must be a JSON object holding one FHIR resource', where || undefined);
  }
  // Nesting depth is checked where JSON enters (the HTTP parser); the validator itself stops at 128 levels.
  const resource = body as Resource;
  const type = (resource as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') throw badRequest('Missing resourceType', (where ? where + '.' : '') + 'resourceType');
  assertResourceType(type, (where ? where + '.' : '') + 'resourceType');
  if (expectedType && type !== expectedType) {
    throw badRequest(`resourceType '${type}' does not match the URL's type '${expectedType}'`, (where ? where + '.' : '') + 'resourceType');
  }
  if (resource.id !== undefined) {
    if (typeof resource.id !== 'string') throw badRequest('id must be a string', `${type}.id`);
    assertValidId(resource.id, `${type}.id`);
  }
  // The compiled validator: medplum's R4 semantics, proven equal on the official examples (validation/).
  const structural = validateResourceFast(resource);
  let issues = structural.length ? structural : validateValues(resource);
  if (!issues.length) issues = (resourceChecks.get(type) ?? []).flatMap((check) => check(resource));
  if (issues.length) {
    throw invalidResource(
      where ? issues.map((i) => ({ ...i, expression: (i.expression ?? [type]).map((e) => `${where}.resource.${e}`) })) : issues,
    );
  }
  return resource;
}
