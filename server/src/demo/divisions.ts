/**
 * The administrative divisions of the demo county as FHIR `Location` resources (physicalType `jdn`, jurisdiction):
 * the county, all its towns (NBS 2023 codes) and the villages and communities that have a clinic, each `partOf` the
 * level above and identified by its division code (ADMIN_DIVISION_SYSTEM).
 *
 * Village codes are derived, not real: the shared admin-division data stops at the township level, and the village
 * names are synthetic. They follow the NBS scheme (统计用区划代码编制规则): the town's 9 digits, then 3 digits, 001–199
 * for communities (居民委员会) and 200–399 for villages (村民委员会), numbered in the order the generator makes them.
 *
 * Ids are derived from the seed and the code (`CountyContext.nameUuid`), not drawn from the seeded streams, so the
 * divisions add to the county without changing anything else in it.
 */
import type { Location } from '@medplum/fhirtypes';
import type { Town } from '../platform/identity/testpop/geography.js';
import { ADMIN_DIVISION_SYSTEM, LOCATION_PHYSICAL_TYPE_SYSTEM } from './catalogues.js';
import type { CountyContext } from './context.js';

export interface Division {
  id: string;
  code: string;
  name: string;
}

/** First and last 3-digit suffix of communities (居委会) and villages (村委会) in the NBS scheme. */
const COMMUNITY_CODES = [1, 199] as const;
const VILLAGE_CODES = [200, 399] as const;

export class Divisions {
  /** County, towns and villages in generation order (parents first). */
  readonly resources: Location[] = [];
  readonly county: Division;
  private readonly towns = new Map<string, Division>();
  /** Next 3-digit suffix per town and kind. */
  private readonly next = new Map<string, number>();

  constructor(private readonly ctx: CountyContext) {
    const geo = ctx.geo;
    this.county = this.add(geo.countyCode, geo.countyName, null);
    for (const town of geo.towns) {
      if (!/^\d{9}$/.test(town.code) || !town.code.startsWith(geo.countyCode))
        throw new Error(`town code must be the county code and 3 digits: ${town.code}`);
      this.towns.set(town.code, this.add(town.code, town.name, this.county));
    }
  }

  private add(code: string, name: string, parent: Division | null): Division {
    const id = this.ctx.nameUuid(`Location/${code}`);
    this.resources.push({
      resourceType: 'Location',
      id,
      identifier: [{ system: ADMIN_DIVISION_SYSTEM, value: code }],
      status: 'active',
      name,
      mode: 'instance',
      physicalType: { coding: [{ system: LOCATION_PHYSICAL_TYPE_SYSTEM, code: 'jdn', display: 'Jurisdiction' }] },
      ...(parent ? { partOf: { reference: `Location/${parent.id}`, display: parent.name } } : {}),
    });
    return { id, code, name };
  }

  /** The division of a town of the county. */
  town(town: Town): Division {
    const d = this.towns.get(town.code);
    if (!d) throw new Error(`not a town of the county: ${town.code}`);
    return d;
  }

  /** A new village (村) or, in a sub-district, community (社区) of a town, with the town's next free code. */
  village(town: Town, name: string, community: boolean): Division {
    const parent = this.town(town);
    const [first, last] = community ? COMMUNITY_CODES : VILLAGE_CODES;
    const key = `${town.code}/${community ? 'c' : 'v'}`;
    const n = this.next.get(key) ?? first;
    if (n > last) throw new Error(`too many ${community ? 'communities' : 'villages'} in ${town.name}`);
    this.next.set(key, n + 1);
    return this.add(town.code + String(n).padStart(3, '0'), name, parent);
  }
}
