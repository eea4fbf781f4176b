/**
 * What a FHIR R4 Subscription may say, checked on every write of one (400 OperationOutcome naming the element):
 * criteria is a search this server can run ('Observation?code=…&patient=…'), the channel is rest-hook (an http(s)
 * endpoint) or websocket, the payload is empty or FHIR JSON, headers are 'Name: value'.
 */
import type { OperationOutcomeIssue, Resource, Subscription } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/outcomes.js';
import type { Repository } from '../fhir/repository.js';
import { parseQueryString, parseSearchQuery } from '../fhir/search/parse.js';
import { buildWhere } from '../fhir/search/search.js';
import { isResourceType } from '../fhir/validate.js';
import { endpointProblem } from './endpoint.js';

export interface Criteria {
  resourceType: string;
  /** The search part after '?', possibly empty (every resource of the type). */
  query: string;
}

export const CHANNEL_TYPES = ['rest-hook', 'websocket'] as const;
export const PAYLOAD_TYPES = ['application/fhir+json', 'application/json'];

const issue = (text: string, expression: string, code: OperationOutcomeIssue['code'] = 'invalid'): OperationOutcomeIssue => ({
  severity: 'error',
  code,
  details: { text },
  expression: [expression],
});

/** Splits and checks a criteria string; throws the issue when the search is not one this server runs. */
export function parseCriteria(text: string): Criteria {
  const at = text.indexOf('?');
  const resourceType = at < 0 ? text : text.slice(0, at);
  const query = at < 0 ? '' : text.slice(at + 1);
  if (!isResourceType(resourceType)) {
    throw new FhirError(400, [
      issue(`criteria must start with an R4 resource type ('Observation?code=…'), got '${resourceType}'`, 'Subscription.criteria'),
    ]);
  }
  try {
    parseSearchQuery(resourceType, parseQueryString(query), false);
  } catch (err) {
    const why = err instanceof FhirError ? err.issues.map((i) => i.details?.text ?? i.diagnostics).join('; ') : String(err);
    throw new FhirError(400, [issue(`criteria is not a search this server supports: ${why}`, 'Subscription.criteria')]);
  }
  return { resourceType, query };
}

/**
 * Compiles the criteria to SQL as a search would (values such as dates are checked there, not by the parser).
 * Runs as a write hook, in the write's transaction: a criteria that cannot run refuses the write with a 400.
 */
export function compileCriteria(repo: Repository, text: string, baseUrl: string): void {
  const { resourceType, query } = parseCriteria(text);
  try {
    buildWhere(repo, parseSearchQuery(resourceType, parseQueryString(query), false), { baseUrl });
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    const why = err.issues.map((i) => i.details?.text ?? i.diagnostics).join('; ');
    throw new FhirError(400, [issue(`criteria is not a search this server supports: ${why}`, 'Subscription.criteria')]);
  }
}

/** The content type of a payload code ('application/fhir+json;charset=utf-8' → 'application/fhir+json'). */
export const payloadType = (payload: string | undefined): string | undefined => payload?.split(';')[0]?.trim().toLowerCase() || undefined;

/** Domain check of a Subscription, registered with the validator (runs after the structural R4 check). */
export function checkSubscription(resource: Resource): OperationOutcomeIssue[] {
  const sub = resource as Subscription;
  const issues: OperationOutcomeIssue[] = [];
  try {
    parseCriteria(sub.criteria ?? '');
  } catch (err) {
    if (err instanceof FhirError) issues.push(...err.issues);
    else throw err;
  }
  const channel = sub.channel ?? ({} as Subscription['channel']);
  if (!(CHANNEL_TYPES as readonly string[]).includes(channel.type)) {
    issues.push(
      issue(
        `channel.type '${channel.type}' is not supported here: use ${CHANNEL_TYPES.join(' or ')}`,
        'Subscription.channel.type',
        'not-supported',
      ),
    );
  }
  if (channel.type === 'rest-hook') {
    if (!channel.endpoint)
      issues.push(issue('a rest-hook channel needs an endpoint (http or https URL)', 'Subscription.channel.endpoint', 'required'));
    else {
      const problem = endpointProblem(channel.endpoint);
      if (problem) issues.push(issue(problem, 'Subscription.channel.endpoint'));
    }
  }
  const payload = payloadType(channel.payload);
  if (payload && !PAYLOAD_TYPES.includes(payload)) {
    issues.push(
      issue(
        `channel.payload '${channel.payload}' is not supported: use ${PAYLOAD_TYPES.join(' or ')}, or none`,
        'Subscription.channel.payload',
        'not-supported',
      ),
    );
  }
  (channel.header ?? []).forEach((h, i) => {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\r\n]*$/.test(h)) {
      issues.push(issue(`channel.header must be 'Name: value' on one line, got '${h}'`, `Subscription.channel.header[${i}]`));
    }
  });
  return issues;
}
