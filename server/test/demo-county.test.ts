/**
 * The synthetic demo county: deterministic, valid R4, valid ID numbers, no dangling references, realistic
 * prevalence, a connected institution tree, administrative divisions (county → town → village Locations) that
 * institutions and residents' addresses point to, an e-health card per resident and a demo user for every role.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Bundle,
  ChargeItem,
  Condition,
  Encounter,
  Immunization,
  Location,
  Organization,
  Patient,
  PractitionerRole,
  Resource,
} from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADDRESS_DIVISION_EXTENSION,
  ADMIN_DIVISION_SYSTEM,
  CENTRE_SYSTEM,
  CHARGE_ITEMS,
  CHARGE_ITEM_SYSTEM,
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
  type ChargeCatalogueItem,
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

  it('has two readers in each reading centre and one in the consultation centre, working in the department itself', () => {
    const orgs = new Map(ofType<Organization>(all, 'Organization').map((o) => [o.id!, o]));
    const hospital = [...orgs.values()].find((o) => o.name === '南川区人民医院')!;
    const centresOf = (o: Organization) =>
      (o.type ?? []).flatMap((t) => t.coding ?? []).flatMap((c) => (c.system === CENTRE_SYSTEM ? [c.code] : []));
    const roles = ofType<PractitionerRole>(all, 'PractitionerRole');
    const centres: [string, string, string[]][] = [
      ['医学影像科', 'imaging', ['radiologist', 'radiologist2']],
      ['心电图室', 'ecg', ['ecg.reader', 'ecg.reader2']],
      ['病理科', 'pathology', ['pathologist', 'pathologist2']],
      ['全科医学科', 'consultation', ['consultation.centre']],
    ];
    for (const [dept, centre, usernames] of centres) {
      const practitioners = new Set<string>();
      for (const username of usernames) {
        const u = county.users.find((x) => x.username === username)!;
        expect(u, username).toBeDefined();
        expect(u.roles).toEqual(['county-specialist']);
        const org = orgs.get(u.organizationId)!;
        // The department that holds the centre role, not the hospital above it.
        expect(org.name, username).toBe(`南川区人民医院${dept}`);
        expect(org.partOf?.reference).toBe(`Organization/${hospital.id}`);
        expect(centresOf(org), username).toEqual([centre]);
        const role = roles.find((r) => r.practitioner?.reference === `Practitioner/${u.practitionerId}`)!;
        expect(role.organization?.reference, username).toBe(`Organization/${org.id}`);
        expect(role.code?.[0]?.coding?.[0]?.code).toBe('county-specialist');
        expect(role.specialty?.[0]?.text).toBe(dept);
        expect(u.displayName).toBe(role.practitioner?.display);
        practitioners.add(u.practitionerId!);
      }
      // Two people, so the second can sign what the first reported.
      expect(practitioners.size, dept).toBe(usernames.length);
    }
    // 心血管内科 is the chest-pain team, the only institution with that role; county.specialist still works at the hospital.
    const chestPain = [...orgs.values()].filter((o) => centresOf(o).includes('chest-pain'));
    expect(chestPain.map((o) => o.name)).toEqual(['南川区人民医院心血管内科']);
    expect(chestPain[0]!.type!.find((t) => t.coding?.[0]?.system === CENTRE_SYSTEM)!.coding![0]!.display).toBe('胸痛中心');
    expect(county.users.find((u) => u.username === 'county.specialist')!.organizationId).toBe(hospital.id);
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

  /** Bundles of `size` entries cut as the generator cuts them: the registries apart, then the rest. */
  const rebundle = (list: Resource[], size = 500): Bundle[] => {
    const registry = new Set(['Location', 'Organization', 'Practitioner', 'PractitionerRole']);
    const cut = (rs: Resource[]) =>
      Array.from({ length: Math.ceil(rs.length / size) }, (_, i): Bundle => ({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: rs.slice(i * size, (i + 1) * size).map((resource) => ({
          fullUrl: `urn:uuid:${resource.id}`,
          resource,
          request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
        })),
      }));
    return [...cut(list.filter((r) => registry.has(r.resourceType))), ...cut(list.filter((r) => !registry.has(r.resourceType)))];
  };

  /** The county without the charge items (added with `--years`), in bundles cut as before them. */
  const withoutChargeItems = (bundles: Bundle[]): Bundle[] => rebundle(resources(bundles).filter((r) => r.resourceType !== 'ChargeItem'));

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

  /** Readers added to the centres later (with their own stream): their users and resources, and the chest-pain role. */
  const ADDED_USERS = ['radiologist', 'radiologist2', 'ecg.reader', 'ecg.reader2', 'pathologist', 'pathologist2', 'consultation.centre'];
  const withoutCentreReaders = (c: DemoCounty): DemoCounty => {
    // The first reader of each centre is the department's own specialist, there before; the second is new.
    const second = ['radiologist2', 'ecg.reader2', 'pathologist2'];
    const added = new Set(c.users.filter((u) => second.includes(u.username)).map((u) => `Practitioner/${u.practitionerId}`));
    const list = resources(c.bundles).flatMap((r): Resource[] => {
      if (r.resourceType === 'Practitioner' && added.has(`Practitioner/${r.id}`)) return [];
      if (r.resourceType === 'PractitionerRole' && added.has(r.practitioner?.reference ?? '')) return [];
      if (r.resourceType !== 'Organization') return [r];
      const type = r.type?.filter((t) => !t.coding?.some((x) => x.system === CENTRE_SYSTEM && x.code === 'chest-pain'));
      return [{ ...r, type }];
    });
    return { bundles: rebundle(list), users: c.users.filter((u) => !ADDED_USERS.includes(u.username)) };
  };

  it('gives the same county for seed 42 as pinned', () => {
    const c = generateCounty({ seed: 42, residents: 300 });
    expect(summarize(c.bundles)).toEqual({
      ChargeItem: 656,
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
      Practitioner: 56,
      PractitionerRole: 56,
    });
    // Pinned deliberately again when the centres' readers (three more Practitioners with their PractitionerRoles, seven
    // more users) and the chest-pain role of 心血管内科 were added: a change here changes every demo county.
    expect(sha256(c.bundles)).toBe('7617d1ca4bfe4c6481889d8a47b140d1b8e15a0c3a167fb642094ea5956ee7e3');
    expect(sha256(c.users)).toBe('2fd2e5496482bd7ca90c27e8c08c3c60936fb6be6626ea403d0f6aa9bf3c4bf9');
    // The added readers draw from a stream of their own, so without them the county and its users are byte for byte
    // those pinned when charge items (656 ChargeItems, one per billable part of each encounter) were added ...
    const before = withoutCentreReaders(c);
    expect(sha256(before.bundles)).toBe('4ce9b2bac6a4470df7d699f83e2fdeee3242da7e75089d4b4505289f79a7d290');
    expect(sha256(before.users)).toBe('98a8d594f91840478b7bb07dbb09fe3d7c8b55aaa18cbd55d4ead8721f02e22a');
    // ... charge items draw nothing from the seeded streams (their ids are digests of seed and encounter), so without
    // them too the county is byte for byte the one pinned when divisions and e-health cards were added ...
    expect(sha256(withoutChargeItems(before.bundles))).toBe('f65f8d9580af7be8bf3fb4bd449a1c8027f2feadda33ff7bb3dda35a299ae6b4');
    // ... and, as those additions draw nothing either (ids and card numbers are digests of seed and code or resident
    // id), without all of them it is that of the single-file generator (commit 5e75ec5).
    expect(sha256(withoutDivisionsAndCards(withoutChargeItems(before.bundles)))).toBe(
      'c63e66b39b53819c0fa82b691c55341257cb5a97c3d58f13ca57679e12996bb2',
    );
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
    expect(new Set(stream.users.map((u) => u.roles[0]))).toEqual(new Set(DEMO_ROLES));
    expect(
      stream.users
        .filter((u) => u.roles[0] !== 'county-specialist')
        .map((u) => u.roles[0])
        .sort(),
    ).toEqual(DEMO_ROLES.filter((r) => r !== 'county-specialist').sort());
    // county.specialist and the seven readers of the centres.
    expect(stream.users.filter((u) => u.roles[0] === 'county-specialist')).toHaveLength(8);
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

describe('demo county: years of care and charge items', () => {
  const today = '2026-11-23';
  const todayMs = Date.parse(today + 'T00:00:00Z');
  const DAY = 86_400_000;
  const daysAgo = (dateTime: string) => Math.floor((todayMs - Date.parse(dateTime.slice(0, 10) + 'T00:00:00Z')) / DAY);
  let one: Resource[];
  let three: Resource[];
  let threeCounty: DemoCounty;

  beforeAll(() => {
    loadDefinitions();
    one = resources(generateCounty({ seed: 11, residents: 400, today }).bundles);
    threeCounty = generateCounty({ seed: 11, residents: 400, today, years: 3 });
    three = resources(threeCounty.bundles);
  });

  it('only adds to the county of one year: same residents, ID numbers, users, institutions and past year', () => {
    const byKey = new Map(three.map((r) => [`${r.resourceType}/${r.id}`, JSON.stringify(r)]));
    for (const r of one) expect(byKey.get(`${r.resourceType}/${r.id}`), `${r.resourceType}/${r.id}`).toBe(JSON.stringify(r));
    expect(threeCounty.users).toEqual(generateCounty({ seed: 11, residents: 400, today }).users);
    expect(three.length).toBeGreaterThan(one.length * 2);
  });

  it('every resource of three years is valid R4 and no reference dangles', () => {
    for (const r of three) expect(() => validateIncoming(r), `${r.resourceType}/${r.id}`).not.toThrow();
    const known = new Set(three.map((r) => `${r.resourceType}/${r.id}`));
    expect(three.flatMap((r) => references(r).filter((ref) => !known.has(ref)))).toEqual([]);
    const ids = three.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads the care over the three years before today, never before birth', () => {
    const births = new Map(ofType<Patient>(three, 'Patient').map((p) => [`Patient/${p.id}`, p.birthDate!]));
    const encounters = ofType<Encounter>(three, 'Encounter');
    const ago = encounters.map((e) => daysAgo(e.period!.start!));
    expect(Math.min(...ago)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ago)).toBeLessThan(3 * 365);
    for (const year of [0, 1, 2]) expect(ago.filter((d) => Math.floor(d / 365) === year).length, `year ${year}`).toBeGreaterThan(300);
    for (const e of encounters) expect(e.period!.start!.slice(0, 10) >= births.get(e.subject!.reference!)!).toBe(true);
    for (const i of ofType<Immunization>(three, 'Immunization')) {
      expect(i.occurrenceDateTime!.slice(0, 10) >= births.get(i.patient.reference!)!).toBe(true);
      expect(daysAgo(i.occurrenceDateTime!)).toBeGreaterThanOrEqual(0);
    }
    const coverage = three.filter((r) => r.resourceType === 'Coverage').length;
    expect(coverage).toBeGreaterThan(400 * 2.9);
    expect(coverage).toBeLessThanOrEqual(400 * 3);
  });

  it('follows a chronic patient up every quarter of each of the three years', () => {
    const followUps = ['高血压患者随访', '糖尿病患者随访'];
    const longStanding = ofType<Condition>(three, 'Condition').filter(
      (c) =>
        ([ICD10.hypertension.code, ICD10.diabetes.code] as string[]).includes(c.code!.coding![0]!.code!) &&
        daysAgo(c.onsetDateTime!) > 3 * 365 + 90,
    );
    const patients = [...new Set(longStanding.map((c) => c.subject.reference!))];
    expect(patients.length).toBeGreaterThan(20);
    for (const patient of patients) {
      const visits = ofType<Encounter>(three, 'Encounter')
        .filter((e) => e.subject!.reference === patient && followUps.includes(e.type![0]!.text!))
        .map((e) => daysAgo(e.period!.start!))
        .sort((a, b) => a - b);
      for (const year of [0, 1, 2])
        expect(
          visits.filter((d) => Math.floor(d / 365) === year),
          patient,
        ).toHaveLength(4);
      for (let i = 1; i < visits.length; i++) {
        expect(visits[i]! - visits[i - 1]!, patient).toBeGreaterThanOrEqual(14);
        expect(visits[i]! - visits[i - 1]!, patient).toBeLessThanOrEqual(170);
      }
    }
  });

  it("charges every encounter's billable parts to it, with codes and prices of the catalogue", () => {
    const catalogue = new Map<string, ChargeCatalogueItem>(Object.values(CHARGE_ITEMS).map((c) => [c.code, c]));
    const encounters = new Map(ofType<Encounter>(three, 'Encounter').map((e) => [`Encounter/${e.id}`, e]));
    const charged = new Map<string, number>();
    for (const ci of ofType<ChargeItem>(three, 'ChargeItem')) {
      expect(ci.status).toBe('billed');
      const enc = encounters.get(ci.context!.reference!)!;
      expect(enc, ci.context!.reference).toBeDefined();
      charged.set(ci.context!.reference!, (charged.get(ci.context!.reference!) ?? 0) + 1);
      expect(ci.subject).toEqual(enc.subject);
      expect(ci.occurrenceDateTime).toBe(enc.period!.start);
      expect(ci.requestingOrganization).toEqual(enc.serviceProvider);
      const coding = ci.code.coding![0]!;
      expect(coding.system).toBe(CHARGE_ITEM_SYSTEM);
      const item = catalogue.get(coding.code!)!;
      expect(item, coding.code).toBeDefined();
      expect(coding.display).toBe(item.display);
      expect(ci.quantity).toEqual({ value: 1 });
      expect(ci.priceOverride!.currency).toBe('CNY');
      if (ci.overrideReason) expect(ci.priceOverride!.value).toBe(0);
      else expect(ci.priceOverride!.value).toBe(item.price);
    }
    for (const ref of encounters.keys()) expect(charged.get(ref), ref).toBeGreaterThanOrEqual(1);
    // Public health services are free; the rest is paid.
    const prices = ofType<ChargeItem>(three, 'ChargeItem').map((ci) => ci.priceOverride!.value!);
    expect(prices.filter((p) => p === 0).length).toBeGreaterThan(100);
    expect(prices.filter((p) => p > 0).length).toBeGreaterThan(100);
  });

  it('grows with the years: about 10, 25 and 39 resources per resident for 1, 3 and 5 years', () => {
    const perResident = (years: number) => {
      const s = streamCounty({ seed: 5, residents: 1000, today, years });
      for (const b of s.bundles()) expect(b.entry!.length).toBeLessThanOrEqual(500);
      return s.facts.resources / 1000;
    };
    const [y1, y3, y5] = [perResident(1), perResident(3), perResident(5)];
    expect(y1).toBeGreaterThan(8);
    expect(y1).toBeLessThan(12);
    expect(y3).toBeGreaterThan(y1 + 10);
    expect(y5).toBeGreaterThan(y3 + 10);
    expect(y5).toBeGreaterThan(30);
    expect(y5).toBeLessThan(45);
  });

  it('rejects a bad number of years', () => {
    expect(() => generateCounty({ seed: 1, residents: 10, years: 0 })).toThrow(/years/);
    expect(() => generateCounty({ seed: 1, residents: 10, years: 1.5 })).toThrow(/years/);
  });
});
