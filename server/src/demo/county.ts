/**
 * Synthetic demo county (南川区, Chongqing) as FHIR R4 transaction bundles: its administrative divisions (county →
 * town → village `Location`s), the institution tree of the medical community, staff, residents in households with
 * valid ID numbers, e-health cards and their village's division code, chronic disease care, acute visits, labs, reports,
 * prescriptions, charge items, childhood immunisations, pregnancies, poverty households and insurance, over one or
 * more years (`years`). Pure and deterministic:
 * the same options give byte-identical output (ids come from the seeded generator, never from the clock).
 *
 * `streamCounty` yields the bundles one at a time and keeps only the registries and the current household in
 * memory, so a county of 570 000 residents loads in constant memory; `generateCounty` collects them (tests, small
 * counties).
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { ICD10 } from './catalogues.js';
import { Care } from './care.js';
import { Charges } from './charges.js';
import { CountyContext } from './context.js';
import { Registries } from './registries.js';
import { Residents } from './residents.js';
import type { CountyOptions, DemoCounty, DemoUser } from './types.js';
import { residentUser, staffUsers } from './users.js';

export * from './types.js';

/** What the generator has produced so far (complete once the bundles are exhausted). */
export interface CountyFacts {
  institutions: number;
  staff: number;
  residents: number;
  households: number;
  povertyHouseholds: number;
  /** Residents with a chronic condition on their problem list (hypertension, diabetes, COPD, lipids, coronary). */
  chronicPatients: number;
  hypertension: number;
  diabetes: number;
  resources: number;
  byType: Record<string, number>;
}

export interface CountyStream {
  /** The demo users; complete once `bundles()` is exhausted (the resident user comes with the first adult). */
  readonly users: DemoUser[];
  readonly facts: CountyFacts;
  /** The transaction bundles in order, registries first; can be iterated once. */
  bundles(): Generator<Bundle, void, undefined>;
}

/** Most years of past care `years` accepts. */
export const MAX_YEARS = 20;

const CHRONIC = new Set<string>((['hypertension', 'diabetes', 'copd', 'hyperlipidaemia', 'coronary'] as const).map((k) => ICD10[k].code));

function toBundle(resources: Resource[]): Bundle {
  const entry: BundleEntry[] = resources.map((resource) => ({
    fullUrl: `urn:uuid:${resource.id}`,
    resource,
    request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
  }));
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

/** Chronic conditions among freshly generated care resources (for the summary). */
function chronicCodes(resources: Resource[], start: number): Set<string> {
  const codes = new Set<string>();
  for (let i = start; i < resources.length; i++) {
    const r = resources[i]!;
    if (r.resourceType !== 'Condition' || r.category?.[0]?.coding?.[0]?.code !== 'problem-list-item') continue;
    const code = r.code?.coding?.[0]?.code;
    if (code && CHRONIC.has(code)) codes.add(code);
  }
  return codes;
}

/** The demo county as a stream of bundles (same options → identical bundles and users). */
export function streamCounty(options: CountyOptions): CountyStream {
  if (!Number.isInteger(options.residents) || options.residents < 1) throw new Error('residents must be a positive integer');
  const years = options.years ?? 1;
  if (!Number.isInteger(years) || years < 1 || years > MAX_YEARS) throw new Error(`years must be an integer from 1 to ${MAX_YEARS}`);
  const size = options.bundleSize ?? 500;
  const users: DemoUser[] = [];
  const facts: CountyFacts = {
    institutions: 0,
    staff: 0,
    residents: 0,
    households: 0,
    povertyHouseholds: 0,
    chronicPatients: 0,
    hypertension: 0,
    diabetes: 0,
    resources: 0,
    byType: {},
  };
  const emit = (resources: Resource[]): Bundle => {
    for (const r of resources) facts.byType[r.resourceType] = (facts.byType[r.resourceType] ?? 0) + 1;
    facts.resources += resources.length;
    return toBundle(resources);
  };

  function* bundles(): Generator<Bundle, void, undefined> {
    const ctx = new CountyContext(options);
    const reg = new Registries(ctx);
    reg.build(options.residents);
    users.push(...staffUsers(ctx, reg));
    facts.institutions = reg.resources.filter((r) => r.resourceType === 'Organization').length;
    facts.staff = reg.resources.filter((r) => r.resourceType === 'Practitioner').length;
    for (let i = 0; i < reg.resources.length; i += size) yield emit(reg.resources.slice(i, i + size));

    const residents = new Residents(ctx, reg.villages);
    const care = new Care(ctx, reg);
    // The years before the last draw from streams of their own and write to the same list.
    const past = new Care(new CountyContext(options, 'past-years'), reg);
    past.out = care.out;
    const charges = new Charges(ctx, reg);
    let residentUserDone = false;
    while (facts.residents < options.residents) {
      const h = residents.household();
      const members = residents.members().slice(0, options.residents - facts.residents);
      h.phone = members.find((m) => m.phone)?.phone ?? null;
      for (const m of members) {
        const start = care.out.length;
        care.out.push(residents.patient(m, h));
        care.coverage(m, h);
        if (h.poverty) care.povertyFlag(m);
        const profile = care.careFor(m, h);
        if (years > 1) past.pastYears(m, h, profile, years);
        charges.addFor(care.out, start);
        const chronic = chronicCodes(care.out, start);
        if (chronic.size) facts.chronicPatients++;
        if (chronic.has(ICD10.hypertension.code)) facts.hypertension++;
        if (chronic.has(ICD10.diabetes.code)) facts.diabetes++;
        if (!residentUserDone && m.age >= 18) {
          residentUserDone = true;
          users.push(residentUser(m, h.village));
        }
      }
      facts.residents += members.length;
      facts.households++;
      if (h.poverty) facts.povertyHouseholds++;
      // Full bundles only, and only between households: a household's resources are complete (and may be
      // amended while it is generated), and the cut points are those of slicing the whole list.
      while (care.out.length >= size) yield emit(care.out.splice(0, size));
    }
    if (care.out.length) yield emit(care.out.splice(0));
  }

  return { users, facts, bundles };
}

/** Generates the whole demo county in memory (same options → identical bundles and users). */
export function generateCounty(options: CountyOptions): DemoCounty {
  const stream = streamCounty(options);
  const bundles = [...stream.bundles()];
  return { bundles, users: stream.users };
}

/** Number of resources per type in the bundles. */
export function summarize(bundles: Bundle[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of bundles)
    for (const e of b.entry ?? []) {
      const t = e.resource?.resourceType;
      if (t) counts[t] = (counts[t] ?? 0) + 1;
    }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
