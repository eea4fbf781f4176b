/**
 * The rule set for Latin-script registers (yiwang-mpi-latin): dated selection per data source, the twin guard's
 * identifier exception, the extra blocking keys, and that Chinese records keep the resident-index rules.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULES,
  LATIN_RULES,
  RuleFileError,
  SHIPPED_RULES,
  addressForm,
  blockingHashes,
  blockingKeys,
  compileRules,
  dedupe,
  prepareRecord,
  scorePair,
  selectRules,
  type MatchRuleFile,
  type PairScore,
  type PersonRecord,
} from '../src/platform/identity/matching/index.js';
import { hash32 } from '../src/platform/identity/matching/strings.js';

const level = (s: PairScore, feature: string) => s.features.find((f) => f.feature === feature)!.level;

describe('rule set per data source, dated', () => {
  it('ships the Chinese and the Latin rule set under their own names', () => {
    expect(SHIPPED_RULES.map((r) => r.name)).toEqual(['yiwang-mpi', 'yiwang-mpi-latin']);
    expect(DEFAULT_RULES.name).toBe('yiwang-mpi');
    expect(LATIN_RULES.name).toBe('yiwang-mpi-latin');
    expect(LATIN_RULES.effectiveFrom).toBe('2026-11-23');
  });

  it('a rule version applies from its effective date, per name', () => {
    // The Latin rules are not in force the day before their date, and do not replace the Chinese rules after it.
    expect(() => selectRules(SHIPPED_RULES, '2026-11-22', 'yiwang-mpi-latin')).toThrow(RuleFileError);
    expect(selectRules(SHIPPED_RULES, '2026-11-23', 'yiwang-mpi-latin')).toBe(LATIN_RULES);
    expect(selectRules(SHIPPED_RULES, '2027-01-01', 'yiwang-mpi')).toBe(DEFAULT_RULES);
    // A later version of the Latin rules takes over on its own date.
    const next = compileRules({ ...structuredClone(LATIN_RULES.file), version: '2027.03.1', effectiveFrom: '2027-03-01' });
    const sets = [...SHIPPED_RULES, next];
    expect(selectRules(sets, '2027-02-28', 'yiwang-mpi-latin').version).toBe('2026.11.1');
    expect(selectRules(sets, '2027-03-01', 'yiwang-mpi-latin').version).toBe('2027.03.1');
    expect(selectRules(sets, '2027-03-01', 'yiwang-mpi').version).toBe(DEFAULT_RULES.version);
    expect(() => selectRules(sets, '2027-03-01', 'no-such-rules')).toThrow(/'no-such-rules'/);
  });

  it('validates the twin-guard identifier exception levels', () => {
    const file = (): MatchRuleFile => structuredClone(LATIN_RULES.file);
    const bad = file();
    bad.guards.twins.exceptIdNumberLevels = ['close'];
    expect(() => compileRules(bad)).toThrow(/unknown idNumber level 'close'/);
    const def = structuredClone(DEFAULT_RULES.file);
    expect(def.guards.twins.exceptIdNumberLevels).toBeUndefined();
    expect([...DEFAULT_RULES.twinExceptIdLevels]).toEqual([0]);
    expect([...LATIN_RULES.twinExceptIdLevels].sort()).toEqual([0, 1]);
  });
});

describe('Latin rules: scoring', () => {
  const base: PersonRecord = {
    id: 'a',
    givenName: 'kieren',
    familyName: 'reid',
    birthDate: '19790121',
    idNumber: '2428295',
    address: '27 oakdale kirwan 3922 nsw',
  };

  it('a replaced given name with a one-keystroke identifier difference links (not a twin)', () => {
    const dup = { ...base, id: 'b', givenName: 'allegra', idNumber: '2438295' };
    const latin = scorePair(base, dup, { rules: LATIN_RULES });
    expect(level(latin, 'givenName')).toBe('different');
    expect(level(latin, 'idNumber')).toBe('typo');
    expect(latin.decision).toBe('match');
    // The resident-index rules treat it as a possible twin.
    expect(scorePair(base, dup).reason).toBe('possible-twin');
  });

  it('keeps the twin guard when the identifiers are unrelated', () => {
    const twin = { ...base, id: 'b', givenName: 'allegra', idNumber: '7125552' };
    const s = scorePair(base, twin, { rules: LATIN_RULES });
    expect(s.decision).toBe('non-match');
    expect(s.reason).toBe('possible-twin');
  });

  it('a replaced surname no longer caps the decision at review', () => {
    const dup = { ...base, id: 'b', familyName: 'tognolni', idNumber: '2428259' };
    expect(scorePair(base, dup).decision).toBe('review');
    expect(scorePair(base, dup, { rules: LATIN_RULES }).decision).toBe('match');
  });

  it('Chinese records keep the resident-index twin guard under the default rules', () => {
    const a: PersonRecord = { id: 'x', name: '罗子涵', birthDate: '2018-09-02', sex: 'female', address: '大观镇龙岩村4组8号' };
    const b: PersonRecord = { ...a, id: 'y', name: '罗子萱' };
    const s = scorePair(a, b);
    expect(s.reason).toBe('possible-twin');
    expect(s.decision).toBe('non-match');
  });
});

describe('Latin rules: blocking', () => {
  it('reads the postcode of a Latin address as its place; Chinese addresses have none', () => {
    expect(addressForm('6 tullaroop street willaroo st james 4011 wa')!.postcode).toBe('4011');
    expect(addressForm('tullaroop street')!.postcode).toBeNull();
    expect(addressForm('三泉镇马嘴村3组')!.postcode).toBeNull();
  });

  it('builds name, birthdate-place and id-halves keys whose bulk hashes equal the index keys', () => {
    const p = prepareRecord({
      id: 'a',
      givenName: 'john',
      familyName: 'smith',
      birthDate: '19800312',
      idNumber: '2428295',
      address: '6 tullaroop street 4011 wa',
    });
    expect(blockingKeys(p, 'name')).toEqual(['J500+S530']);
    expect(blockingKeys(p, 'birthdate-place')).toEqual(['19800312|4011']);
    expect(blockingKeys(p, 'name-place')).toEqual(['J500+S530|4011']);
    expect(blockingKeys(p, 'id-halves')).toEqual(['<242', '>8295']);
    for (const type of ['name', 'birthdate-place', 'id-halves', 'name-place'] as const) {
      const hashes: number[] = [];
      blockingHashes(p, type, hashes);
      expect(hashes, type).toEqual(blockingKeys(p, type).map(hash32));
    }
  });

  it('finds a duplicate whose birth date and identifier are both wrong only with the Latin keys', () => {
    const records: PersonRecord[] = [
      {
        id: 'o',
        givenName: 'lachlan',
        familyName: 'berry',
        birthDate: '19990219',
        idNumber: '7364009',
        address: '69 giblin street killarney bittern 4814 qld',
      },
      {
        id: 'd',
        givenName: 'lachlan',
        familyName: 'berry',
        birthDate: '19620811',
        idNumber: '7346009',
        address: '69 giblin street killarney bittern 4814 qld',
      },
    ];
    expect(dedupe(records, { rules: LATIN_RULES }).stats.comparisons).toBe(1);
    const def = dedupe(records, { rules: DEFAULT_RULES });
    // The default keys only meet through name-place (postcode); without an address the pair is never compared.
    expect(def.stats.comparisons).toBe(1);
    const noAddress = records.map(({ address: _drop, ...r }) => r);
    expect(dedupe(noAddress, { rules: DEFAULT_RULES }).stats.comparisons).toBe(0);
    expect(dedupe(noAddress, { rules: LATIN_RULES }).stats.comparisons).toBe(1);
  });
});
