/**
 * The CapabilityStatement at /metadata, generated from the same table models that drive storage and
 * search, so it lists exactly the parameters and interactions the server implements.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { getTableModels } from './schema.js';
import type { RouterContext } from './router.js';

let cached: CapabilityStatement | undefined;

export const SERVER_VERSION = '0.1.0';

export function capabilityStatement(ctx: RouterContext): CapabilityStatement {
  if (cached && cached.implementation?.url === ctx.baseUrl) return cached;
  const resources: CapabilityStatementRestResource[] = [];
  for (const model of getTableModels().values()) {
    resources.push({
      type: model.resourceType as CapabilityStatementRestResource['type'],
      profile: `http://hl7.org/fhir/StructureDefinition/${model.resourceType}`,
      interaction: ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'].map(
        (code) => ({
          code: code as 'read',
        }),
      ),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'not-supported',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      referencePolicy: ['literal', 'logical'],
      searchInclude: [...model.params.values()].filter((p) => p.kind === 'reference').map((p) => `${model.resourceType}:${p.code}`),
      searchParam: [
        { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
        { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
        ...[...model.params.values()].map((p) => ({ name: p.code, type: p.kind as 'token', definition: p.param.url })),
      ],
      ...(model.resourceType === 'Patient'
        ? { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] }
        : {}),
      ...(model.resourceType === 'Subscription'
        ? {
            documentation:
              'R4 Subscriptions (docs/events.md): criteria is a search on one resource type, evaluated on every create and update; channels rest-hook (payload application/fhir+json: PUT [endpoint]/[type]/[id]; no payload: empty POST) and websocket (bind/bound/ping at the websocket extension URL); email, sms and message are not supported. status requested becomes active when accepted, error after failed deliveries, active again after a successful one.',
          }
        : {}),
    });
  }
  const operations = [...(ctx.operations?.keys() ?? [])].map((name) => ({
    name: name.replace(/^\$/, ''),
    definition: `http://hl7.org/fhir/OperationDefinition/${name.replace(/^\$/, '')}`,
  }));
  cached = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'Yiwang',
    kind: 'instance',
    software: { name: 'Yiwang (一网)', version: SERVER_VERSION },
    implementation: { description: 'Yiwang county health information platform — FHIR R4 record store', url: ctx.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Search: string (:exact, :contains), token (:not, :text), reference (:Type, :identifier, chaining, _has), date/number/quantity with all prefixes, uri (:above, :below), :missing on all; _sort, _count, cursor paging, _total, _summary, _elements, _include, _revinclude (:iterate). Composite and special parameters are not supported.',
        security: {
          description:
            'Every interaction needs a bearer token: users sign in at /auth/login, systems use OAuth2 client credentials at /oauth2/token (SMART scopes). Access is limited per role and institution in the query itself; see /.well-known/smart-configuration.',
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${ctx.baseUrl.replace(/\/fhir\/R4\/?$/, '')}/oauth2/token` }],
            },
          ],
        },
        // Where the Subscription websocket channel listens (R4 extension).
        extension: [
          {
            url: 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-websocket',
            valueUrl: `${ctx.baseUrl.replace(/^http/, 'ws')}/subscriptions/ws`,
          },
        ],
        resource: resources,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        ...(operations.length ? { operation: operations } : {}),
      },
    ],
  };
  return cached;
}
