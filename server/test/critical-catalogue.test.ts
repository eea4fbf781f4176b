/** The critical-value catalogue: every item on both sides, unit conversion (UCUM), unknown units, dated versions. */
import type { DiagnosticReport, Observation, Quantity } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { loadCatalogue, validateCatalogue, versionInForce, type CatalogueVersion } from '../src/modules/critical-values/catalogue.js';
import { evaluateResult } from '../src/modules/critical-values/evaluate.js';
import { checkReadBack } from '../src/modules/critical-values/read-back.js';
import { convert, parseUnit } from '../src/modules/critical-values/units.js';
import { acknowledgeWithin, loadWorkflows, validateWorkflow } from '../src/modules/critical-values/policy.js';

const versions = loadCatalogue();
const UCUM = 'http://unitsofmeasure.org';
const NOW = '2026-12-05T08:00:00+08:00';

function obs(loinc: string, value: number, unit: string | undefined, date = NOW, extra: Partial<Quantity> = {}): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
    effectiveDateTime: date,
    valueQuantity: { value, ...(unit !== undefined ? { unit, system: UCUM, code: unit } : {}), ...extra },
  };
}

const judge = (o: Observation | DiagnosticReport) => evaluateResult(o, versions, NOW);

describe('critical-value units (UCUM subset)', () => {
  it('parses and converts prefixes, counts, pressure, molar mass and valence', () => {
    expect(convert(126, 'mg/dL', 'mmol/L', { molarMass: 180.156 })).toBeCloseTo(6.994, 3);
    expect(convert(5, 'g/dL', 'g/L')).toBe(50);
    expect(convert(25, '10*3/uL', '10*9/L')).toBe(25);
    expect(convert(25, '×10^9/L', '10*9/L')).toBe(25);
    expect(convert(8, 'mg/dL', 'umol/L', { molarMass: 113.12 })).toBeCloseTo(707.2, 1);
    expect(convert(5.3, 'kPa', 'mm[Hg]')).toBeCloseTo(39.75, 1);
    expect(convert(7, 'meq/L', 'mmol/L', { valence: 1 })).toBe(7);
    expect(convert(4, 'mEq/L', 'mmol/L', { valence: 2 })).toBe(2);
    expect(convert(0.52, 's', 'ms')).toBe(520);
    expect(convert(5, 'mmol/L', 'g/L')).toBeUndefined();
    expect(parseUnit('furlongs/fortnight')).toBeUndefined();
    expect(parseUnit('mmol/l')).toEqual(parseUnit('mmol/L'));
    expect(parseUnit('μmol/L')).toEqual(parseUnit('umol/L'));
  });
});

describe('critical-value catalogue', () => {
  // [loinc, unit, a value just inside, critical low value, critical high value] in the current version.
  const cases: [string, string, string | undefined, number, number | undefined, number | undefined][] = [
    ['potassium', '2823-3', 'mmol/L', 4.0, 2.7, 6.3],
    ['potassium (blood)', '6298-4', 'mmol/L', 4.0, 2.7, 6.3],
    ['sodium', '2951-2', 'mmol/L', 140, 119, 161],
    ['glucose', '2345-7', 'mmol/L', 5.5, 2.7, 22.3],
    ['glucose (blood)', '2339-0', 'mmol/L', 5.5, 2.7, 22.3],
    ['glucose (blood, moles)', '15074-8', 'mmol/L', 5.5, 2.7, 22.3],
    ['calcium', '2000-8', 'mmol/L', 2.3, 1.7, 3.6],
    ['creatinine', '14682-9', 'umol/L', 80, undefined, 708],
    ['haemoglobin', '718-7', 'g/L', 130, 49, undefined],
    ['platelets', '777-3', '10*9/L', 200, 29, 1001],
    ['wbc', '6690-2', '10*9/L', 6, 1.4, 30.1],
    ['inr', '6301-6', '{INR}', 2.5, undefined, 5.1],
    ['troponin I', '10839-9', 'ng/mL', 0.02, undefined, 1.1],
    ['troponin T', '6598-7', 'ng/mL', 0.01, undefined, 0.11],
    ['pH', '2744-1', '[pH]', 7.4, 7.19, 7.61],
    ['pO2', '2703-7', 'mm[Hg]', 90, 39, undefined],
    ['pCO2', '2019-8', 'mm[Hg]', 40, 19, 71],
    ['QTc', '8636-3', 'ms', 440, undefined, 501],
  ];
  it.each(cases)('%s: normal inside, critical on each side with a limit', (_name, loinc, unit, normal, low, high) => {
    expect(judge(obs(loinc, normal, unit)).findings).toEqual([]);
    if (low !== undefined) {
      const [f] = judge(obs(loinc, low, unit)).findings;
      expect(f).toMatchObject({ kind: 'measurement', direction: 'low' });
      expect(f!.limitText.startsWith('<')).toBe(true);
    }
    if (high !== undefined) {
      const [f] = judge(obs(loinc, high, unit)).findings;
      expect(f).toMatchObject({ kind: 'measurement', direction: 'high' });
      expect(f!.limitText.startsWith('>')).toBe(true);
    }
  });

  it('limits are strict: exactly on the limit is not critical', () => {
    expect(judge(obs('2823-3', 2.8, 'mmol/L')).findings).toEqual([]);
    expect(judge(obs('2823-3', 6.2, 'mmol/L')).findings).toEqual([]);
    expect(judge(obs('2823-3', 6.21, 'mmol/L')).findings[0]?.limitText).toBe('>6.2 mmol/L');
  });

  it('converts units before comparing: glucose in mg/dL, haemoglobin in g/dL, platelets in 10*3/uL, K in mEq/L', () => {
    expect(judge(obs('2345-7', 45, 'mg/dL')).findings[0]).toMatchObject({ direction: 'low' }); // 2.5 mmol/L
    expect(judge(obs('2345-7', 126, 'mg/dL')).findings).toEqual([]); // 7.0 mmol/L
    expect(judge(obs('2345-7', 420, 'mg/dL')).findings[0]).toMatchObject({ direction: 'high' }); // 23.3 mmol/L
    expect(judge(obs('718-7', 4.5, 'g/dL')).findings[0]).toMatchObject({ direction: 'low', valueInItemUnit: 45 });
    expect(judge(obs('718-7', 13, 'g/dL')).findings).toEqual([]);
    expect(judge(obs('777-3', 25, '10*3/uL')).findings[0]).toMatchObject({ direction: 'low' });
    expect(judge(obs('2823-3', 7, 'meq/L')).findings[0]).toMatchObject({ direction: 'high' });
    expect(judge(obs('2703-7', 5.0, 'kPa')).findings[0]).toMatchObject({ direction: 'low' }); // 37.5 mmHg
    expect(judge(obs('17861-6', 15, 'mg/dL')).findings[0]).toMatchObject({ direction: 'high' }); // 3.74 mmol/L
    // A lab's own spelling without a UCUM code.
    expect(judge(obs('6690-2', 0.9, undefined, NOW, { unit: '×10^9/L' })).findings[0]).toMatchObject({ direction: 'low' });
    // Dimensionless items may come without a unit.
    expect(judge(obs('2744-1', 7.05, undefined)).findings[0]).toMatchObject({ direction: 'low' });
  });

  it('a value in an unknown or wrong unit is not compared: reported as unit not recognised', () => {
    const wrong = judge(obs('2823-3', 9.9, 'g/L')); // mass without a molar mass for potassium
    expect(wrong.findings).toEqual([]);
    expect(wrong.problems).toMatchObject([{ kind: 'unit-not-recognised', unit: 'g/L' }]);
    expect(wrong.problems[0]!.message).toContain('Unit not recognised');
    const unknown = judge(obs('2345-7', 500, undefined, NOW, { unit: '毫克每分升' }));
    expect(unknown.findings).toEqual([]);
    expect(unknown.problems[0]).toMatchObject({ kind: 'unit-not-recognised', unit: '毫克每分升' });
    const missing = judge(obs('2823-3', 9.9, undefined));
    expect(missing.problems[0]).toMatchObject({ kind: 'unit-not-recognised' });
  });

  it('comparators: "<1.0" is critical low, ">20" with a low limit only is not judged high', () => {
    expect(judge(obs('2823-3', 1.0, 'mmol/L', NOW, { comparator: '<' })).findings[0]).toMatchObject({ direction: 'low' });
    expect(judge(obs('2823-3', 3.0, 'mmol/L', NOW, { comparator: '<' })).findings).toEqual([]);
    expect(judge(obs('718-7', 200, 'g/L', NOW, { comparator: '>' })).findings).toEqual([]);
    expect(judge(obs('6301-6', 8, '{INR}', NOW, { comparator: '>' })).findings[0]).toMatchObject({ direction: 'high' });
  });

  it('coded findings: ECG observation code / value, report conclusionCode, components; absent findings do not count', () => {
    const vf: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '18844-1', display: 'ECG interpretation' }] },
      effectiveDateTime: NOW,
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '71908006' }] },
    };
    expect(judge(vf).findings).toMatchObject([{ kind: 'finding', item: { id: 'ventricular-fibrillation' } }]);
    const absent: Observation = { ...vf, code: { coding: [{ system: 'http://snomed.info/sct', code: '27885002' }] }, valueBoolean: false };
    delete absent.valueCodeableConcept;
    expect(judge(absent).findings).toEqual([]);
    const present = { ...absent, valueBoolean: true };
    expect(judge(present).findings).toMatchObject([{ item: { id: 'complete-av-block' } }]);
    const ct: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { text: '头颅CT' },
      effectiveDateTime: NOW,
      conclusionCode: [{ coding: [{ system: 'urn:yiwang:critical-finding', code: 'intracranial-haemorrhage' }] }],
    };
    expect(judge(ct).findings).toMatchObject([{ item: { id: 'intracranial-haemorrhage' }, path: 'DiagnosticReport.conclusionCode[0]' }]);
    const pneumo: DiagnosticReport = {
      ...ct,
      conclusionCode: [{ coding: [{ system: 'urn:yiwang:critical-finding', code: 'tension-pneumothorax' }] }],
    };
    expect(judge(pneumo).findings[0]?.item.id).toBe('tension-pneumothorax');
    const gas: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: '血气分析' },
      effectiveDateTime: NOW,
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '2744-1' }] }, valueQuantity: { value: 7.1, system: UCUM, code: '[pH]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '2019-8' }] }, valueQuantity: { value: 45, system: UCUM, code: 'mm[Hg]' } },
      ],
    };
    expect(judge(gas).findings).toMatchObject([{ item: { id: 'ph' }, path: 'Observation.component[0].valueQuantity' }]);
  });

  it('dated versions: the version in force on the result date is used and named (county time, UTC+8)', () => {
    expect(versions.map((v) => v.version)).toEqual(['2020-01-01', '2026-12-01', '2026-12-05']);
    // Potassium 6.4: critical from 2026-12-01 (limit 6.2), not before (limit 6.5).
    const before = judge(obs('2823-3', 6.4, 'mmol/L', '2026-11-30T23:59:00+08:00'));
    expect(before).toMatchObject({ version: '2020-01-01', findings: [] });
    const from = judge(obs('2823-3', 6.4, 'mmol/L', '2026-12-01T00:00:00+08:00'));
    expect(from.version).toBe('2026-12-01');
    expect(from.findings[0]).toMatchObject({ direction: 'high', limit: 6.2 });
    // 2026-11-30T16:30Z is already 1 December in the county.
    expect(judge(obs('2823-3', 6.4, 'mmol/L', '2026-11-30T16:30:00Z')).version).toBe('2026-12-01');
    // QTc became a critical value in 2026-12-01 only.
    expect(judge(obs('8636-3', 520, 'ms', '2025-06-01')).findings).toEqual([]);
    expect(judge(obs('8636-3', 520, 'ms', '2026-12-02')).findings).toHaveLength(1);
    expect(versionInForce(versions, '2019-12-31')).toBeUndefined();
    expect(judge(obs('2823-3', 9, 'mmol/L', '2019-12-31')).version).toBeUndefined();
  });

  it('rejects a broken catalogue file', () => {
    const good = versions[1]!;
    const bad = (patch: Partial<CatalogueVersion>) => () => validateCatalogue({ ...good, ...patch }, 'test.json');
    expect(bad({ effective: '1 Dec' })).toThrow(/effective/);
    expect(bad({ measurements: [{ ...good.measurements[0]!, unit: 'parsecs' }] })).toThrow(/unit/);
    expect(bad({ measurements: [good.measurements[0]!, { ...good.measurements[1]!, id: 'potassium' }] })).toThrow(/repeated/);
    expect(bad({ measurements: [{ ...good.measurements[0]!, low: 7, high: 6 }] })).toThrow(/low ≥ high/);
  });
});

describe('read-back', () => {
  const finding = judge(obs('2823-3', 7.1, 'mmol/L')).findings[0]!;
  it('accepts the value with its unit or item name, within rounding', () => {
    expect(checkReadBack(finding, '血钾 7.1 mmol/L')).toEqual({ ok: true });
    expect(checkReadBack(finding, '7.1mmol/l')).toEqual({ ok: true });
    expect(checkReadBack(finding, 'K 7.10')).toEqual({ ok: true });
    expect(checkReadBack(finding, '钾7')).toEqual({ ok: true });
  });
  it('refuses a wrong number, a missing number, or neither unit nor item', () => {
    expect(checkReadBack(finding, '血钾 1.7 mmol/L')).toMatchObject({ ok: false });
    expect(checkReadBack(finding, '血钾 7.4 mmol/L').ok).toBe(false);
    expect(checkReadBack(finding, '收到')).toMatchObject({ ok: false });
    expect(checkReadBack(finding, '7.1')).toMatchObject({ ok: false });
    expect(checkReadBack(finding, '7.1 mg/dL')).toMatchObject({ ok: false });
  });
  it('a coded finding is read back by its name', () => {
    const vf = judge({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '71908006' }] },
      effectiveDateTime: NOW,
    }).findings[0]!;
    expect(checkReadBack(vf, '心室颤动').ok).toBe(true);
    expect(checkReadBack(vf, '室颤，已处理').ok).toBe(true);
    expect(checkReadBack(vf, '收到').ok).toBe(false);
  });
});

describe('critical-value workflow data', () => {
  it('loads the dated versions with their limits and escalation chain, and rejects unsound files', () => {
    const [w] = loadWorkflows();
    expect(w).toMatchObject({ id: 'critical-value', initial: 'notified', notifyWithin: 'PT10M', alertWindow: 'P3D' });
    expect(acknowledgeWithin(w!)).toBe('PT15M');
    expect(w!.escalation.map((e) => [e.level, e.after, e.practitionerRoleCode])).toEqual([
      [1, 'PT15M', 'department-head'],
      [2, 'PT30M', 'medical-affairs'],
    ]);
    const bad = (patch: object) => () => validateWorkflow({ ...w!, ...patch } as never, 'test.json');
    expect(bad({ transitions: [] })).toThrow(/test.json/);
    expect(
      bad({
        escalation: [
          { ...w!.escalation[1], level: 1 },
          { ...w!.escalation[0], level: 2 },
        ],
      }),
    ).toThrow(/later/);
    expect(bad({ notifyWithin: 'ten minutes' })).toThrow();
    expect(bad({ states: { ...w!.states, notified: { ...w!.states.notified!, due: undefined } } })).toThrow(/due time/);
  });
});
