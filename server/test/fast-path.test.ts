/**
 * The compiled search-value extractor must give exactly what the general FHIRPath engine gives, on
 * data written by others: all official R4 examples and every resource of the Synthea bundles.
 */
import { describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from '../src/platform/fhir/definitions.js';
import { extractSearchValues, setFhirPathOnly } from '../src/platform/fhir/extract.js';
import { compilePath } from '../src/platform/fhir/fast-path.js';
import { getTableModel } from '../src/platform/fhir/schema.js';
import { hasSharedData, readJsonDir } from './helpers/shared-data.js';

loadDefinitions();

function normalized(resource: Resource): unknown {
  const row = extractSearchValues(resource, getTableModel(resource.resourceType)!);
  const columns = Object.fromEntries([...row.columns.entries()].map(([k, v]) => [k, Array.isArray(v) ? [...v].sort() : v]));
  return { columns, strings: [...row.strings].map((s) => `${s.code}=${s.exact}`).sort(), compartments: row.compartments?.sort() ?? null };
}

describe('compiled search paths', () => {
  it('parses the common shapes and refuses the rest', () => {
    expect(compilePath('Observation', 'Observation.code')).toBeTypeOf('function');
    expect(compilePath('Observation', '(Observation.value as Quantity) | (Observation.value as SampledData)')).toBeTypeOf('function');
    expect(compilePath('Observation', 'Observation.subject.where((resolve() is Patient))')).toBeTypeOf('function');
    expect(compilePath('Patient', "Patient.telecom.where((system = 'phone'))")).toBeTypeOf('function');
    expect(compilePath('Patient', '(Patient.deceased.exists() and (Patient.deceased != false))')).toBeNull();
    expect(compilePath('Bundle', 'Bundle.entry[0].resource')).toBeNull();
  });

  it('walks choice types, filters references by type and where-clauses', () => {
    const obs = {
      resourceType: 'Observation',
      valueQuantity: { value: 5 },
      subject: { reference: 'Patient/1' },
      performer: [{ reference: 'Practitioner/2' }],
    };
    expect(compilePath('Observation', '(Observation.value as Quantity)')!(obs)).toEqual([{ type: 'Quantity', value: { value: 5 } }]);
    expect(compilePath('Observation', 'Observation.subject.where((resolve() is Patient))')!(obs)).toHaveLength(1);
    expect(compilePath('Observation', 'Observation.performer.where((resolve() is Patient))')!(obs)).toHaveLength(0);
    const pat = {
      resourceType: 'Patient',
      telecom: [
        { system: 'phone', value: '1' },
        { system: 'email', value: 'a@b' },
      ],
    };
    expect(compilePath('Patient', "Patient.telecom.where((system = 'email'))")!(pat)).toEqual([
      { type: 'ContactPoint', value: { system: 'email', value: 'a@b' } },
    ]);
  });

  describe.skipIf(!hasSharedData)('equivalence with the FHIRPath engine', () => {
    const resources: { file: string; resource: Resource }[] = [];
    if (hasSharedData) {
      for (const { file, json } of readJsonDir<Resource>('fhir-r4-examples', 'resources')) resources.push({ file, resource: json });
      for (const { file, json } of readJsonDir('synthea', 'bundles')) {
        json.entry.forEach((e: any, i: number) => resources.push({ file: `${file}#${i}`, resource: e.resource }));
      }
    }

    it(`extracts identical search values for ${resources.length} resources`, () => {
      expect(resources.length).toBeGreaterThan(4000);
      setFhirPathOnly(true);
      const reference = resources.map((r) => normalized(r.resource));
      setFhirPathOnly(false);
      const differences: string[] = [];
      resources.forEach((r, i) => {
        const fast = normalized(r.resource);
        if (JSON.stringify(fast) !== JSON.stringify(reference[i])) {
          differences.push(`${r.file}: fast ${JSON.stringify(fast).slice(0, 300)} vs engine ${JSON.stringify(reference[i]).slice(0, 300)}`);
        }
      });
      expect(differences.slice(0, 5)).toEqual([]);
    });
  });
});
