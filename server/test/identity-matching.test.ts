import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BLOCKING_KEYS,
  BlockingIndex,
  DEFAULT_RULES,
  blockingHashes,
  RuleFileError,
  addressForm,
  blockingKeys,
  compileRules,
  dedupe,
  editDistance,
  estimateParameters,
  findCandidates,
  foldSyllable,
  jaroWinkler,
  pairwiseMetrics,
  prepareRecord,
  readRuleFile,
  readings,
  scorePair,
  selectRules,
  soundex,
  splitName,
  withParameters,
  type MatchRuleFile,
  type PairScore,
  type PersonRecord,
} from '../src/platform/identity/matching/index.js';
import { hash32, withinOneEdit } from '../src/platform/identity/matching/strings.js';
import { computeCheckCharacter } from '../src/platform/identity/id-number.js';
import { POLYPHONE_SUBSTITUTES } from '../src/platform/identity/testpop/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'yiwang-mpi-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A valid 18-character ID number from its first 17 digits. */
const idNo = (first17: string) => first17 + computeCheckCharacter(first17);
let n = 0;
const rec = (r: Omit<PersonRecord, 'id'>): PersonRecord => ({ id: `t${++n}`, ...r });
const level = (s: PairScore, feature: string) => s.features.find((f) => f.feature === feature)!.level;

describe('strings and pinyin', () => {
  it('edit distance with transpositions, Jaro–Winkler and Soundex match textbook values', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('barnaby', 'barnayb')).toBe(1);
    expect(editDistance('abc', 'xyz', 1)).toBe(2);
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.9611, 4);
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.8133, 4);
    expect(['Robert', 'Rupert', 'Tymczak', 'Pfister', 'Ashcraft'].map(soundex)).toEqual(['R163', 'R163', 'T522', 'P236', 'A261']);
  });

  it('withinOneEdit agrees with editDistance ≤ 1', () => {
    const words = ['', 'a', 'ab', 'ba', 'abc', 'acb', 'abd', 'abcd', 'xbcd', '13812345678', '13812345687', '1381234567'];
    for (const a of words) for (const b of words) expect(withinOneEdit(a, b)).toBe(editDistance(a, b) <= 1);
  });

  it('gives every reading of a 多音字, surname readings first', () => {
    expect(readings('乐')).toEqual(expect.arrayContaining(['le', 'yue']));
    expect(readings('曾')).toEqual(expect.arrayContaining(['zeng', 'ceng']));
    expect(prepareRecord(rec({ name: '曾乐' })).surname!.syllables).toEqual(['zeng']);
    expect(prepareRecord(rec({ name: '单雄' })).surname!.key).toBe('shan');
  });

  it('every 多音字 substitution of the generator shares a reading with the original (so the matcher sees it)', () => {
    for (const [ch, subs] of Object.entries(POLYPHONE_SUBSTITUTES)) {
      for (const sub of subs)
        expect(
          readings(ch).some((r) => readings(sub).includes(r)),
          `${ch} → ${sub}`,
        ).toBe(true);
    }
  });

  it('folds south-western Mandarin confusions', () => {
    expect(foldSyllable('ling')).toBe(foldSyllable('lin'));
    expect(foldSyllable('nan')).toBe(foldSyllable('lan'));
    expect(foldSyllable('zhang')).toBe(foldSyllable('zan'));
    expect(foldSyllable('shi')).toBe('si');
    expect(foldSyllable('wei')).toBe('wei');
  });

  it('splits Chinese names with compound surnames and Latin names', () => {
    expect(splitName('欧阳娜娜')).toEqual({ family: '欧阳', given: '娜娜' });
    expect(splitName('张 三')).toEqual({ family: '张', given: '三' });
    expect(splitName('Smith, John')).toEqual({ family: 'Smith', given: 'John' });
    expect(splitName('John Smith')).toEqual({ family: 'Smith', given: 'John' });
  });

  it('parses Chinese addresses into town, village and detail', () => {
    const full = addressForm('重庆市南川区三泉镇马嘴村3组12号')!;
    expect(full).toMatchObject({ han: true, town: 'sanquan', village: 'mazui', detail: ['3zu', '12hao'] });
    expect(addressForm('三泉镇马嘴村三组12号')).toEqual(full);
    expect(addressForm('南川区三泉镇新市村')).toMatchObject({ town: 'sanquan', village: 'xinshi', detail: [] });
    expect(addressForm('重庆市南川区东城街道金佛大道12号3栋')).toMatchObject({ town: 'dongcheng', village: null });
    expect(addressForm('6 tullaroop street willaroo')).toMatchObject({ han: false, detail: ['6', 'tullaroop', 'street', 'willaroo'] });
  });
});

describe('scorePair', () => {
  const base = { birthDate: '1990-03-05', sex: 'female', address: '重庆市南川区三泉镇马嘴村3组12号' };

  it('same characters, same pinyin (homophone) and 多音字 agree on names', () => {
    const exact = scorePair(rec({ name: '张婷', ...base }), rec({ name: '张婷', ...base }));
    expect([level(exact, 'surname'), level(exact, 'givenName')]).toEqual(['exact', 'exact']);
    const homophone = scorePair(rec({ name: '张婷', ...base }), rec({ name: '章亭', ...base }));
    expect([level(homophone, 'surname'), level(homophone, 'givenName')]).toEqual(['phonetic', 'phonetic']);
    expect(homophone.decision).toBe('match');
    // 覃 read tán written 谭, 乐 read yuè written 岳.
    const polyphone = scorePair(rec({ name: '覃小乐', ...base }), rec({ name: '谭小岳', ...base }));
    expect([level(polyphone, 'surname'), level(polyphone, 'givenName')]).toEqual(['phonetic', 'phonetic']);
    expect(polyphone.decision).toBe('match');
  });

  it('dialect confusions (n/l, in/ing) and pinyin edits are close; a changed character is partial', () => {
    expect(level(scorePair(rec({ name: '刘玲' }), rec({ name: '刘林' })), 'givenName')).toBe('close');
    expect(level(scorePair(rec({ name: '刘兰' }), rec({ name: '刘南' })), 'givenName')).toBe('close');
    expect(level(scorePair(rec({ name: '刘子涵' }), rec({ name: '刘子轩' })), 'givenName')).toBe('partial');
    expect(level(scorePair(rec({ name: '刘明' }), rec({ name: '刘小明' })), 'givenName')).toBe('partial');
    expect(level(scorePair(rec({ name: '刘伟' }), rec({ name: '刘强' })), 'givenName')).toBe('different');
  });

  it('pinyin-only names compare with Chinese characters, and Latin names degrade to string features', () => {
    const cross = scorePair(rec({ name: 'Zhang Wei', birthDate: '1990-03-05' }), rec({ name: '张伟', birthDate: '1990-03-05' }));
    expect([level(cross, 'surname'), level(cross, 'givenName')]).toEqual(['phonetic', 'phonetic']);
    const febrl = scorePair(
      rec({ familyName: 'hannagan', givenName: 'mikhayla', birthDate: '19770501' }),
      rec({ familyName: 'hannaan', givenName: 'mikhvyla', birthDate: '19770501' }),
    );
    expect([level(febrl, 'surname'), level(febrl, 'givenName')]).toEqual(['phonetic', 'phonetic']);
    // Family and given name swapped.
    const swapped = scorePair(rec({ familyName: 'siggins', givenName: 'barnaby' }), rec({ familyName: 'barnaby', givenName: 'siggins' }));
    expect([level(swapped, 'surname'), level(swapped, 'givenName')]).toEqual(['exact', 'exact']);
  });

  it('birth dates: exact, day/month swapped, one digit off or transposed, same year', () => {
    const b = (x: string, y: string) =>
      level(scorePair(rec({ name: '王芳', birthDate: x }), rec({ name: '王芳', birthDate: y })), 'birthDate');
    expect(b('1980-03-05', '19800305')).toBe('exact');
    expect(b('1980-03-05', '1980-05-03')).toBe('swapped');
    expect(b('1980-03-05', '1980-03-06')).toBe('close');
    expect(b('1980-03-05', '1908-03-05')).toBe('close');
    expect(b('1980-03-05', '1980-11-21')).toBe('year');
    expect(b('1980-03-05', '1962-11-21')).toBe('different');
  });

  it('an exact ID number is a deterministic match, also across legacy 15-digit and lower-case forms', () => {
    const s = scorePair(
      rec({ name: '王小明', idNumber: '110105491231002', birthDate: '1949-12-31' }),
      rec({ name: '王晓明', idNumber: '11010519491231002x' }),
    );
    expect(s).toMatchObject({ decision: 'match', reason: 'id-number' });
    // Birth date and sex come from the ID number when the record lacks them.
    expect(level(s, 'birthDate')).toBe('exact');
    expect(level(s, 'sex')).toBe('agree');
  });

  it("the same ID number on a record with another name and birth date goes to review (a relative's number)", () => {
    const s = scorePair(
      rec({ name: '李建国', idNumber: '11010519491231002X', birthDate: '1949-12-31' }),
      rec({ name: '周小红', idNumber: '11010519491231002X', birthDate: '2019-06-01' }),
    );
    expect(s).toMatchObject({ decision: 'review', reason: 'id-number-conflict' });
  });

  it('two different valid ID numbers are a strong non-match and never an automatic link', () => {
    const a = rec({ name: '陈静', birthDate: '1985-07-07', sex: 'female', idNumber: idNo('50011919850707122'), phone: '13800000001' });
    const b = rec({ name: '陈静', birthDate: '1985-07-07', sex: 'female', idNumber: idNo('50011919850707124'), phone: '13800000001' });
    const s = scorePair(a, b);
    expect(level(s, 'idNumber')).toBe('different-valid');
    expect(s.features.find((f) => f.feature === 'idNumber')!.weight).toBeLessThan(-8);
    expect(s.decision).not.toBe('match');
    // A mistyped digit makes the number invalid: 'typo', positive evidence.
    const typo = scorePair(a, { ...b, idNumber: a.idNumber!.slice(0, 10) + '8' + a.idNumber!.slice(11) });
    expect(level(typo, 'idNumber')).toBe('typo');
    expect(typo.decision).toBe('match');
  });

  it('twins (same birth date and household, another given name) are not linked', () => {
    const home = { birthDate: '2018-09-02', phone: '13987654321', address: '重庆市南川区大观镇龙岩村4组8号' };
    const s = scorePair(rec({ name: '罗子涵', sex: 'female', ...home }), rec({ name: '罗子萱', sex: 'female', ...home }));
    expect(s).toMatchObject({ decision: 'non-match', reason: 'possible-twin' });
    expect(s.weight).toBeGreaterThan(0); // the weight alone would have linked them
  });

  it('household members sharing phone and address are not linked (dependence and caps)', () => {
    const home = { phone: '13987654321', address: '重庆市南川区大观镇龙岩村4组8号', sex: 'male' };
    const fatherSon = scorePair(
      rec({ name: '罗建华', birthDate: '1975-02-03', ...home }),
      rec({ name: '罗建新', birthDate: '2001-10-12', ...home }),
    );
    expect(fatherSon.decision).toBe('non-match');
    expect(fatherSon.dependencyAdjustment).toBeLessThan(0);
    const siblings = scorePair(
      rec({ name: '罗明', birthDate: '2012-02-03', ...home }),
      rec({ name: '罗亮', birthDate: '2013-02-03', ...home }),
    );
    expect(siblings.decision).toBe('non-match');
    // Household evidence plus a day/month-swapped birth date would reach review; a different given name caps it.
    const capped = scorePair(
      rec({ name: '罗明', birthDate: '2012-02-03', ...home }),
      rec({ name: '罗亮', birthDate: '2012-03-02', ...home }),
    );
    expect(capped.weight).toBeGreaterThan(DEFAULT_RULES.reviewThreshold);
    expect(capped).toMatchObject({ decision: 'non-match', cappedBy: 'givenName:different' });
  });

  it("shared family phones add less weight than a person's own data", () => {
    const phone = DEFAULT_RULES.weights[5]![0]!;
    const birth = DEFAULT_RULES.weights[2]![0]!;
    expect(phone).toBeGreaterThan(0);
    expect(phone).toBeLessThan(birth);
  });

  it('explains every feature and sums to the weight', () => {
    const s = scorePair(rec({ name: '张婷', ...base, phone: '13800000000' }), rec({ name: '张亭', ...base, phone: '13800000000' }));
    const sum = s.features.reduce((t, f) => t + f.weight, 0) + s.dependencyAdjustment;
    expect(sum).toBeCloseTo(s.weight, 2);
    expect(s.features.map((f) => f.feature)).toEqual(['surname', 'givenName', 'birthDate', 'sex', 'idNumber', 'phone', 'address']);
    expect(level(s, 'idNumber')).toBeNull();
  });
});

describe('rule sets (versioned data)', () => {
  const file = (): MatchRuleFile => structuredClone(DEFAULT_RULES.file);

  it('ships a default rule set with an effective date and weights log2(m/u)', () => {
    expect(DEFAULT_RULES.effectiveFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const p = DEFAULT_RULES.file.features.birthDate.levels['exact']!;
    expect(DEFAULT_RULES.weights[2]![0]).toBeCloseTo(Math.log2(p.m / p.u), 10);
    expect(DEFAULT_RULES.linkThreshold).toBeGreaterThan(DEFAULT_RULES.reviewThreshold);
  });

  it('selects the version in force on a date', () => {
    const v1 = compileRules({ ...file(), version: 'v1', effectiveFrom: '2024-01-01' });
    const v2 = compileRules({ ...file(), version: 'v2', effectiveFrom: '2025-01-01' });
    expect(selectRules([v1, v2], '2024-12-31').version).toBe('v1');
    expect(selectRules([v2, v1], '2025-01-01').version).toBe('v2');
    expect(() => selectRules([v1, v2], '2023-06-30')).toThrow(RuleFileError);
  });

  it('reads rule files from disk and rejects invalid ones with clear messages', () => {
    const path = join(tmp, 'rules.json');
    writeFileSync(path, JSON.stringify({ ...file(), version: 'disk' }));
    expect(readRuleFile(path).version).toBe('disk');
    const broken = file();
    delete (broken.features.sex.levels as Record<string, unknown>)['disagree'];
    expect(() => compileRules(broken)).toThrow(/sex.disagree missing/);
    const badM = file();
    badM.features.phone.levels['exact']!.m = 1.5;
    expect(() => compileRules(badM)).toThrow(/0 < m, u/);
    const badLevel = file();
    (badLevel.features.phone.levels as Record<string, unknown>)['partial'] = { m: 0.1, u: 0.1 };
    expect(() => compileRules(badLevel)).toThrow(/unknown level phone.partial/);
    expect(() => compileRules({ ...file(), thresholds: { link: 1, review: 5 } })).toThrow(/link ≥ review/);
    expect(() => compileRules({ ...file(), blocking: { keys: ['soundex'], maxBlockSize: 10 } })).toThrow(/unknown blocking key/);
    expect(() => readRuleFile(join(tmp, 'none.json'))).toThrow(RuleFileError);
  });

  it('thresholds and parameters come from the rule set', () => {
    const a = rec({ name: '张婷', birthDate: '1990-03-05' });
    const b = rec({ name: '张婷', birthDate: '1990-03-05' });
    expect(scorePair(a, b).decision).toBe('match');
    const strict = compileRules({ ...file(), thresholds: { link: 100, review: 50 } });
    expect(scorePair(a, b, { rules: strict }).decision).toBe('non-match');
    const changed = withParameters(DEFAULT_RULES, { birthDate: { exact: { u: 0.5 } } });
    expect(scorePair(a, b, { rules: changed }).weight).toBeLessThan(scorePair(a, b).weight);
  });
});

describe('blocking index and findCandidates', () => {
  it('finds and scores candidates sharing a blocking key, best first', () => {
    const index = new BlockingIndex();
    index.addAll([
      rec({ id: 'p1', name: '张婷', birthDate: '1990-03-05', phone: '13800000001' } as PersonRecord),
      { id: 'p2', name: '张亭', birthDate: '1990-03-05' },
      { id: 'p3', name: '张伟', birthDate: '1990-03-05' },
      { id: 'p4', name: '张婷', birthDate: '1971-01-01' },
    ]);
    expect(index.size).toBe(4);
    const probe = { id: 'new', name: '章婷', birthDate: '1990-03-05', phone: '13800000001' };
    const found = findCandidates(probe, index);
    expect(found.map((c) => c.id)).toEqual(['p1', 'p2']);
    expect(found[0]!.decision).toBe('match');
    expect(found[0]!.weight).toBeGreaterThan(found[1]!.weight);
    expect(findCandidates(probe, index, { includeNonMatches: true }).map((c) => c.id)).toContain('p3');
    expect(index.remove('p1')).toBe(true);
    expect(index.remove('p1')).toBe(false);
    expect(findCandidates(probe, index).map((c) => c.id)).toEqual(['p2']);
  });

  it('bulk blocking hashes equal the hashes of the index keys', () => {
    const samples = [
      rec({ name: '覃小乐', birthDate: '1980-03-12', phone: '13812345678', idNumber: '11010519491231002x', address: '三泉镇马嘴村3组' }),
      rec({ familyName: 'smith', givenName: 'john', birthDate: '19800312', address: '6 tullaroop street' }),
      rec({ name: '欧阳娜娜', birthDate: '2001-12-01', address: '重庆市南川区东城街道南大街5号' }),
    ];
    for (const r of samples) {
      const p = prepareRecord(r);
      for (const type of BLOCKING_KEYS) {
        const hashes: number[] = [];
        blockingHashes(p, type, hashes);
        expect(hashes, type).toEqual(blockingKeys(p, type).map(hash32));
      }
    }
  });

  it('blocks polyphonic surnames under every reading and legacy IDs under their 18-digit form', () => {
    const keys = blockingKeys(prepareRecord(rec({ name: '覃小乐', birthDate: '1980-03-12' })), 'surname-birthdate');
    expect(keys).toEqual(['qin|19800312', 'tan|19800312']);
    // Names block on dialect-folded pinyin: 玲 ling and 林 lin share keys.
    const ling = blockingKeys(prepareRecord(rec({ name: '刘玲', birthDate: '1962-04-09' })), 'name-birthyear');
    expect(blockingKeys(prepareRecord(rec({ name: '刘林', birthDate: '1962-09-04' })), 'name-birthyear')).toEqual(ling);
    expect(blockingKeys(prepareRecord(rec({ idNumber: '110105491231002' })), 'id')).toEqual(['11010519491231002X']);
    expect(blockingKeys(prepareRecord(rec({ idNumber: '000000000000000000' })), 'id')).toEqual([]);
  });
});

describe('dedupe', () => {
  const people: PersonRecord[] = [
    {
      id: 'a1',
      name: '刘玲',
      birthDate: '1962-04-09',
      sex: 'female',
      idNumber: idNo('50011919620409122'),
      address: '南川区水江镇龙岩村2组7号',
    },
    // Dialect (ling/lin) and day/month swapped: only the folded-pinyin blocking keys bring a1 and a2 together.
    { id: 'a2', name: '刘林', birthDate: '1962-09-04', sex: 'female', address: '水江镇龙岩村二组7号' },
    // Legacy 15-digit number of a1.
    { id: 'a3', name: '刘玲', sex: 'female', idNumber: '500119620409122' },
    { id: 'b1', name: '罗子涵', birthDate: '2018-09-02', sex: 'female', phone: '13987654321', address: '大观镇龙岩村4组8号' },
    { id: 'b2', name: '罗子萱', birthDate: '2018-09-02', sex: 'female', phone: '13987654321', address: '大观镇龙岩村4组8号' },
    // No given name: would link to both twins; the cluster must still keep them apart.
    { id: 'b3', name: '罗', birthDate: '2018-09-02', sex: 'female', phone: '13987654321', address: '大观镇龙岩村4组8号' },
    { id: 'c1', name: '陈静', birthDate: '1985-07-07', sex: 'female', idNumber: idNo('50011919850707122') },
  ];

  it('clusters duplicates, keeps twins apart even through a third record, and reports pairs for review', () => {
    const res = dedupe(people);
    const clusterOf = (id: string) => res.assignment[people.findIndex((p) => p.id === id)];
    expect(clusterOf('a1')).toBe(clusterOf('a2'));
    expect(clusterOf('a1')).toBe(clusterOf('a3'));
    expect(clusterOf('b1')).not.toBe(clusterOf('b2'));
    expect(clusterOf('c1')).not.toBe(clusterOf('a1'));
    expect(res.clusters.find((c) => c.includes('a1'))!.sort()).toEqual(['a1', 'a2', 'a3']);
    expect(res.stats.records).toBe(7);
    expect(res.stats.comparisons).toBeGreaterThan(0);
    expect(res.stats.refusedLinks + res.reviewPairs.length).toBeGreaterThanOrEqual(0);
  });

  it('pairwise metrics count pairs within clusters against the truth', () => {
    // Truth {0,1,2},{3}; predicted {0,1},{2,3}: 1 true positive of 2 predicted pairs, of 3 true pairs.
    expect(pairwiseMetrics([0, 0, 1, 1], ['x', 'x', 'x', 'y'])).toMatchObject({
      truePairs: 3,
      predictedPairs: 2,
      truePositives: 1,
      precision: 0.5,
      recall: 1 / 3,
    });
  });
});

describe('EM estimation', () => {
  it('estimates m/u from unlabelled records into a new rule version', () => {
    const records: PersonRecord[] = [];
    for (let i = 0; i < 300; i++) {
      const y = 1940 + (i % 60);
      const base = {
        name: `${'王李张刘陈'[i % 5]}${'伟芳娜敏静丽强磊军洋'[i % 10]}${'一二三四五六七八九十'[Math.floor(i / 10) % 10]}`,
        birthDate: `${y}-0${1 + (i % 9)}-1${i % 10}`,
        sex: i % 2 ? 'male' : 'female',
      };
      records.push({ id: `e${i}`, ...base });
      if (i % 3 === 0) records.push({ id: `e${i}d`, ...base, birthDate: `${y}-1${i % 10}-0${1 + (i % 9)}` });
    }
    const em = estimateParameters(records, { randomPairs: 20_000 });
    expect(em.rules.version).toBe(`${DEFAULT_RULES.version}+em`);
    expect(em.blockedPairs).toBeGreaterThan(0);
    expect(em.iterations).toBeGreaterThan(0);
    const given = em.parameters.givenName;
    expect(given['exact']!.m).toBeGreaterThan(given['exact']!.u);
    expect(em.parameters.birthDate['exact']!.u).toBeLessThan(0.05);
    expect(() => compileRules(em.rules.file)).not.toThrow();
  });
});
