/**
 * The synthetic demo county: deterministic, valid R4, valid ID numbers, no dangling references, realistic
 * prevalence, a connected institution tree, administrative divisions (county → town → village Locations) that
 * institutions and residents' addresses point to, an e-health card per resident and a demo user for every role.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, Condition, Location, Organization, Patient, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADDRESS_DIVISION_EXTENSION,
  ADMIN_DIVISION_SYSTEM,
  DEMO_ROLES,
  EHEALTH_CARD_SYSTEM,
  ICD10,
  ID_NUMBER_SYSTEM,
  LOCATION_PHYSICAL_TYPE_SYSTEM,
  NANCHUAN_TOWNS,
  ORGANIZATION_DIVISION_EXTENSION,
  ORG_TYPE_SYSTEM,
  generateCounty,
  streamCounty,
  summarize,
  type DemoCounty,
} from '../src/demo/index.js';
import { loadDefinitions } from '../src/platform/fhir/definitions.js';
import { validateIncoming } from '../src/platform/fhir/validate.js';
import { checkResidentIdNumbers } from '../src/platform/identity/empi/checks.js';
import { RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/person.js';
import { validateIdNumber } from '../src/platform/identity/id-number.js';
import { loadGeography } from '../src/platform/identity/testpop/geography.js';

const DATA = process.env['YIWANG_SHARED_DATA'] ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
const ICD_CSV = join(DATA, 'codes', 'icd10-national-clinical-v2', 'icd10_national_clinical_v2.csv');
const WEB_FHIR = fileURLToPath(new URL('../../web/src/api/fhir.ts', import.meta.url));

const resources = (bundles: Bundle[]): Resource[] => bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource!));
const ofType = <T extends Resource>(list: Resource[], type: T['resourceType']) => list.filter((r) => r.resourceType === type) as T[];

/** Every `reference` string anywhere in a resource. */
function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) references(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else references(v, out);
    }
  }
  return out;
}

function age(birth: string, today: string): number {
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
}

describe('demo county (small)', () => {
  let county: DemoCounty;
  let all: Resource[];

  beforeAll(() => {
    loadDefinitions();
    county = generateCounty({ seed: 7, residents: 300 });
    all = resources(county.bundles);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const again = generateCounty({ seed: 7, residents: 300 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(county));
    const other = generateCounty({ seed: 8, residents: 300 });
    expect(JSON.stringify(other.bundles)).not.toBe(JSON.stringify(county.bundles));
  });

  it('builds transaction bundles of PUT entries, registries first, at most 500 entries each', () => {
    for (const b of county.bundles) {
      expect(b.type).toBe('transaction');
      expect(b.entry!.length).toBeLessThanOrEqual(500);
      for (const e of b.entry!) expect(e.request).toEqual({ method: 'PUT', url: `${e.resource!.resourceType}/${e.resource!.id}` });
    }
    const first = county.bundles[0]!.entry!.map((e) => e.resource!.resourceType);
    expect(new Set(first)).toEqual(new Set(['Location', 'Organization', 'Practitioner', 'PractitionerRole']));
    const ids = all.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    const counts = summarize(county.bundles);
    expect(counts['Patient']).toBe(300);
    expect(counts['Coverage']).toBe(300);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(all.length);
  });

  it('every resource is valid R4', () => {
    for (const r of all) expect(() => validateIncoming(r), `${r.resourceType}/${r.id}`).not.toThrow();
  });

  it('every ID number is valid and agrees with birth date and sex', () => {
    expect(ID_NUMBER_SYSTEM).toBe(RESIDENT_ID_SYSTEM);
    for (const p of ofType<Patient>(all, 'Patient')) {
      const id = p.identifier!.find((i) => i.system === ID_NUMBER_SYSTEM)!.value!;
      const res = validateIdNumber(id, { today: '2026-11-23' });
      expect(res.valid, id).toBe(true);
      expect(`${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`).toBe(p.birthDate);
      expect(Number(id[16]) % 2 === 1 ? 'male' : 'female').toBe(p.gender);
      expect(checkResidentIdNumbers(p)).toEqual([]);
    }
  });

  it('has no dangling references', () => {
    const known = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
    const dangling = all.flatMap((r) => references(r).filter((ref) => !known.has(ref)));
    expect(dangling).toEqual([]);
  });

  it('connects every health institution to the commission and manages residents from village clinics', () => {
    const orgs = new Map(ofType<Organization>(all, 'Organization').map((o) => [o.id!, o]));
    const code = (o: Organization) => o.type?.flatMap((t) => t.coding ?? []).find((c) => c.system === ORG_TYPE_SYSTEM)?.code;
    const commission = [...orgs.values()].filter((o) => code(o) === 'county-commission');
    expect(commission).toHaveLength(1);
    const outside = new Set(['insurance-bureau', 'rural-revitalisation-bureau', 'school']);
    for (const o of orgs.values()) {
      if (o === commission[0] || outside.has(code(o) ?? '')) continue;
      let cur: Organization | undefined = o;
      for (let hops = 0; cur && cur !== commission[0] && hops < 10; hops++) {
        cur = orgs.get(cur.partOf?.reference?.split('/')[1] ?? '');
      }
      expect(cur, o.name).toBe(commission[0]);
    }
    const towns = [...orgs.values()].filter((o) => code(o) === 'township-health-centre');
    expect(towns.length).toBeGreaterThanOrEqual(5);
    for (const p of ofType<Patient>(all, 'Patient')) {
      const clinic = orgs.get(p.managingOrganization!.reference!.split('/')[1]!)!;
      expect(code(clinic)).toBe('village-clinic');
    }
  });

  it('has the county, its 34 towns and the villages as division Locations with NBS codes and a partOf chain', () => {
    const locations = ofType<Location>(all, 'Location');
    const byId = new Map(locations.map((l) => [l.id!, l]));
    const code = (l: Location) => l.identifier!.find((i) => i.system === ADMIN_DIVISION_SYSTEM)!.value!;
    const parent = (l: Location) => byId.get(l.partOf?.reference?.split('/')[1] ?? '');
    for (const l of locations) {
      expect(l.mode).toBe('instance');
      expect(l.status).toBe('active');
      expect(l.physicalType?.coding).toEqual([{ system: LOCATION_PHYSICAL_TYPE_SYSTEM, code: 'jdn', display: 'Jurisdiction' }]);
      expect(l.identifier).toHaveLength(1);
      expect(l.name).toMatch(/^[\u4e00-\u9fff]+$/);
    }
    expect(new Set(locations.map(code)).size).toBe(locations.length);
    const county = locations.filter((l) => !l.partOf);
    expect(county.map((l) => [code(l), l.name])).toEqual([['500119', '南川区']]);
    const towns = locations.filter((l) => parent(l) === county[0]);
    expect(towns.map((l) => [code(l), l.name])).toEqual(NANCHUAN_TOWNS);
    const villages = locations.filter((l) => !county.includes(l) && !towns.includes(l));
    expect(villages.length).toBeGreaterThanOrEqual(10);
    for (const v of villages) {
      const town = parent(v)!;
      expect(towns, v.name).toContain(town);
      expect(v.partOf!.display).toBe(town.name);
      expect(code(v)).toMatch(/^\d{12}$/);
      expect(code(v).slice(0, 9)).toBe(code(town));
      // NBS scheme: 001–199 residents' committees (社区), 200–399 villagers' committees (村).
      const n = Number(code(v).slice(9));
      if (v.name!.endsWith('社区')) expect(n >= 1 && n <= 199, code(v)).toBe(true);
      else expect(v.name!.endsWith('村') && n >= 200 && n <= 399, code(v)).toBe(true);
    }
  });

  it('ties every institution to its division: county, town centre to town, village clinic to village', () => {
    const byId = new Map(ofType<Location>(all, 'Location').map((l) => [l.id!, l]));
    const code = (o: Organization) => o.type?.flatMap((t) => t.coding ?? []).find((c) => c.system === ORG_TYPE_SYSTEM)?.code;
    for (const o of ofType<Organization>(all, 'Organization')) {
      const ext = o.extension?.filter((e) => e.url === ORGANIZATION_DIVISION_EXTENSION) ?? [];
      expect(ext, o.name).toHaveLength(1);
      const division = byId.get(ext[0]!.valueReference!.reference!.split('/')[1]!)!;
      expect(division, o.name).toBeDefined();
      const level = division.identifier![0]!.value!.length;
      if (code(o) === 'village-clinic') {
        expect(level).toBe(12);
        expect(o.name).toContain(division.name!);
        expect(o.address![0]!.district).toBe(byId.get(division.partOf!.reference!.split('/')[1]!)!.name);
      } else if (code(o) === 'township-health-centre') {
        expect(level).toBe(9);
        expect(o.address![0]!.district).toBe(division.name);
      } else expect(level, o.name).toBe(6);
    }
  });

  it("names in every resident's address an existing village of their town, that of their clinic", () => {
    const locations = ofType<Location>(all, 'Location');
    const byCode = new Map(locations.map((l) => [l.identifier![0]!.value!, l]));
    const byId = new Map(locations.map((l) => [l.id!, l]));
    const orgs = new Map(ofType<Organization>(all, 'Organization').map((o) => [o.id!, o]));
    for (const p of ofType<Patient>(all, 'Patient')) {
      const address = p.address![0]!;
      const ext = address.extension?.filter((e) => e.url === ADDRESS_DIVISION_EXTENSION) ?? [];
      expect(ext).toHaveLength(1);
      const village = byCode.get(ext[0]!.valueCode!)!;
      expect(village, ext[0]!.valueCode).toBeDefined();
      expect(ext[0]!.valueCode).toMatch(/^\d{12}$/);
      const town = byId.get(village.partOf!.reference!.split('/')[1]!)!;
      expect(town.name).toBe(address.district);
      expect(address.city).toBe('南川区');
      expect(address.line![0]!.startsWith(village.name!)).toBe(true);
      expect(address.text).toBe(`重庆市南川区${town.name}${address.line![0]}`);
      const clinic = orgs.get(p.managingOrganization!.reference!.split('/')[1]!)!;
      const clinicDivision = clinic.extension!.find((e) => e.url === ORGANIZATION_DIVISION_EXTENSION)!.valueReference!.reference;
      expect(clinicDivision).toBe(`Location/${village.id}`);
    }
  });

  it('gives every resident one e-health card (电子健康卡), unique, in the form the web search recognises', () => {
    const cards = ofType<Patient>(all, 'Patient').map((p) => {
      const ids = p.identifier!.filter((i) => i.system === EHEALTH_CARD_SYSTEM);
      expect(ids).toHaveLength(1);
      expect(ids[0]!.type).toEqual({ text: '电子健康卡' });
      return ids[0]!.value!;
    });
    expect(new Set(cards).size).toBe(cards.length);
    for (const card of cards) {
      expect(card.length).toBeGreaterThanOrEqual(16);
      expect(card.length).toBeLessThanOrEqual(20);
      expect(card).toMatch(/^EHC[0-9A-F]{15}\d$/);
      const sum = [...card.slice(3, 18)].reduce((a, c) => a + parseInt(c, 16), 0);
      expect(Number(card[18])).toBe(sum % 10);
    }
  });

  it.skipIf(!existsSync(WEB_FHIR))('uses the e-health card system the web app searches', () => {
    expect(readFileSync(WEB_FHIR, 'utf8')).toContain(`EHEALTH_CARD_SYSTEM = '${EHEALTH_CARD_SYSTEM}'`);
  });

  it('has a demo user for every role, at an organisation in the bundles', () => {
    const known = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
    for (const role of DEMO_ROLES)
      expect(
        county.users.some((u) => u.roles.includes(role)),
        role,
      ).toBe(true);
    for (const u of county.users) {
      expect(known.has(`Organization/${u.organizationId}`), u.username).toBe(true);
      if (u.practitionerId) expect(known.has(`Practitioner/${u.practitionerId}`)).toBe(true);
      if (u.patientId) expect(known.has(`Patient/${u.patientId}`)).toBe(true);
    }
    expect(new Set(county.users.map((u) => u.username)).size).toBe(county.users.length);
  });

  it.skipIf(!existsSync(DATA))('accepts the geography from the shared admin-division data', () => {
    const geography = loadGeography(DATA);
    expect(geography.towns.map((t) => [t.code, t.name])).toEqual(NANCHUAN_TOWNS);
    const c = generateCounty({ seed: 1, residents: 50, geography });
    expect(summarize(c.bundles)['Patient']).toBe(50);
    // The same division Locations as with the built-in towns.
    const divisions = (bundles: Bundle[]) =>
      ofType<Location>(resources(bundles), 'Location').map((l) => [l.id, l.identifier![0]!.value, l.name, l.partOf?.reference]);
    expect(divisions(c.bundles)).toEqual(divisions(generateCounty({ seed: 1, residents: 50 }).bundles));
  });

  it.skipIf(!existsSync(ICD_CSV))('uses ICD-10 codes with their official names (国家临床版 2.0)', () => {
    const official = new Map(
      readFileSync(ICD_CSV, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.split(','))
        .map(([code, name]) => [code, name?.trim()]),
    );
    for (const c of Object.values(ICD10)) expect(official.get(c.code), c.code).toBe(c.display);
  });
});

describe('demo county: pinned output and streaming', () => {
  const sha256 = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

  /** The county without what was added after commit 5e75ec5: division Locations, their references, e-health cards. */
  const withoutDivisionsAndCards = (bundles: Bundle[]): Bundle[] =>
    bundles.map((b) => ({
      ...b,
      entry: b
        .entry!.filter((e) => e.resource!.resourceType !== 'Location')
        .map((e) => {
          const r = structuredClone(e.resource!);
          if (r.resourceType === 'Organization') delete r.extension;
          if (r.resourceType === 'Patient') {
            r.identifier = r.identifier!.filter((i) => i.system !== EHEALTH_CARD_SYSTEM);
            delete r.address![0]!.extension;
          }
          return { ...e, resource: r };
        }),
    }));

  it('gives the same county for seed 42 as pinned', () => {
    const c = generateCounty({ seed: 42, residents: 300 });
    expect(summarize(c.bundles)).toEqual({
      Condition: 229,
      Coverage: 300,
      DiagnosticReport: 25,
      Encounter: 413,
      EpisodeOfCare: 1,
      Flag: 11,
      Immunization: 284,
      Location: 58,
      MedicationRequest: 101,
      Observation: 573,
      Organization: 48,
      Patient: 300,
      Practitioner: 53,
      PractitionerRole: 53,
    });
    // Pinned deliberately when administrative divisions (58 Locations: county, 34 towns, 23 villages; an
    // organization-division extension on every Organization; an address-division extension on every resident's
    // address) and e-health cards (one Patient.identifier each) were added: a change here changes every demo county.
    expect(sha256(c.bundles)).toBe('f65f8d9580af7be8bf3fb4bd449a1c8027f2feadda33ff7bb3dda35a299ae6b4');
    expect(sha256(c.users)).toBe('98a8d594f91840478b7bb07dbb09fe3d7c8b55aaa18cbd55d4ead8721f02e22a');
    // The additions draw nothing from the seeded streams (ids and card numbers are digests of seed and code or
    // resident id), so without them the county is byte for byte that of the single-file generator (commit 5e75ec5).
    expect(sha256(withoutDivisionsAndCards(c.bundles))).toBe('c63e66b39b53819c0fa82b691c55341257cb5a97c3d58f13ca57679e12996bb2');
  });

  it('streams bundles one at a time, and its facts agree with the bundles', () => {
    const stream = streamCounty({ seed: 3, residents: 400, bundleSize: 100 });
    const bundles: Bundle[] = [];
    const it = stream.bundles();
    const first = it.next();
    // The registries come first, before any resident is generated.
    expect(stream.facts.residents).toBe(0);
    expect(stream.facts.institutions).toBeGreaterThan(10);
    bundles.push(first.value as Bundle);
    for (let n = it.next(); !n.done; n = it.next()) {
      bundles.push(n.value);
      expect(n.value.entry!.length).toBeLessThanOrEqual(100);
    }
    expect(JSON.stringify(bundles)).toBe(JSON.stringify(generateCounty({ seed: 3, residents: 400, bundleSize: 100 }).bundles));
    const counts = summarize(bundles);
    const f = stream.facts;
    expect(f.byType).toEqual(counts);
    expect(f.resources).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    expect(f.residents).toBe(400);
    expect(f.institutions).toBe(counts['Organization']);
    expect(f.staff).toBe(counts['Practitioner']);
    const all = resources(bundles);
    const poorHouseholds = new Set(
      ofType<Patient>(all, 'Patient')
        .filter((p) => p.meta?.tag?.some((t) => t.code === 'poverty-household'))
        .map((p) => p.address![0]!.text),
    );
    expect(f.povertyHouseholds).toBe(poorHouseholds.size);
    const htn = new Set(
      ofType<Condition>(all, 'Condition')
        .filter((c) => c.code?.coding?.[0]?.code === ICD10.hypertension.code)
        .map((c) => c.subject.reference),
    );
    expect(f.hypertension).toBe(htn.size);
    expect(f.chronicPatients).toBeGreaterThanOrEqual(htn.size);
    expect(stream.users.map((u) => u.roles[0]).sort()).toEqual([...DEMO_ROLES].sort());
  });
});

describe('demo county (2 000 residents): prevalence', () => {
  it('hypertension, diabetes and poverty at realistic rates', () => {
    const today = '2026-11-23';
    const all = resources(generateCounty({ seed: 2026, residents: 2000, today }).bundles);
    const patients = ofType<Patient>(all, 'Patient');
    const adults = new Set(patients.filter((p) => age(p.birthDate!, today) >= 35).map((p) => `Patient/${p.id}`));
    const withCode = (code: string) =>
      new Set(
        ofType<Condition>(all, 'Condition')
          .filter((c) => c.code?.coding?.[0]?.code === code && adults.has(c.subject.reference!))
          .map((c) => c.subject.reference!),
      ).size / adults.size;
    const htn = withCode(ICD10.hypertension.code);
    const dm = withCode(ICD10.diabetes.code);
    expect(htn).toBeGreaterThan(0.18);
    expect(htn).toBeLessThan(0.32);
    expect(dm).toBeGreaterThan(0.06);
    expect(dm).toBeLessThan(0.14);
    const poor = patients.filter((p) => p.meta?.tag?.some((t) => t.code === 'poverty-household')).length / patients.length;
    expect(poor).toBeGreaterThan(0.03);
    expect(poor).toBeLessThan(0.08);
    const elderly = patients.filter((p) => age(p.birthDate!, today) >= 65).length / patients.length;
    expect(elderly).toBeGreaterThan(0.15);
  });
});
