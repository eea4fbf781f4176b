/** The web app's pure logic (run with the browser tests: `npm run test:e2e`). */
import { describe, expect, it } from 'vitest';
import { patientQuery } from './api/patient-query';
import { toItems, flagOf } from './pages/patient/model';
import type { Observation, Resource } from './api/types';

describe('resident search box', () => {
  it('sends the right parameter for ID numbers, phones, names, pinyin and e-health cards', () => {
    expect(patientQuery(' 50011919750101123x ', 'auto', false)).toEqual({ identifier: 'urn:oid:2.16.156.10011.1.3|50011919750101123X' });
    expect(patientQuery('13812345678', 'auto', false)).toEqual({ phone: '13812345678' });
    expect(patientQuery('张三', 'auto', true)).toEqual({ name: '张三' });
    expect(patientQuery('Zhang San', 'auto', true)).toEqual({ 'name-pinyin': 'zhangsan' });
    expect(patientQuery('zhang', 'auto', false)).toEqual({ name: 'zhang' });
    expect(patientQuery('EHC7F3A9B21', 'auto', false)).toEqual({ identifier: 'urn:yiwang:e-health-card|EHC7F3A9B21' });
    expect(patientQuery('13812345678', 'card', false)).toEqual({ identifier: 'urn:yiwang:e-health-card|13812345678' });
  });
});

describe('360° items', () => {
  const obs = (extra: Partial<Observation>): Observation => ({
    resourceType: 'Observation',
    status: 'final',
    code: { text: '空腹血糖' },
    ...extra,
  });

  it('flags values by interpretation or reference range', () => {
    expect(flagOf(obs({ interpretation: [{ coding: [{ code: 'H' }] }] }))).toBe('H');
    expect(flagOf(obs({ valueQuantity: { value: 3.1 }, referenceRange: [{ low: { value: 3.9 }, high: { value: 6.1 } }] }))).toBe('L');
    expect(flagOf(obs({ valueQuantity: { value: 5 }, referenceRange: [{ low: { value: 3.9 }, high: { value: 6.1 } }] }))).toBeUndefined();
    expect(flagOf(obs({ component: [{ code: { text: '收缩压' }, interpretation: [{ coding: [{ code: 'H' }] }] }] }))).toBe('H');
  });

  it('takes the source institution from the resource, else from its encounter; newest first', () => {
    const all: Resource[] = [
      {
        resourceType: 'Encounter',
        id: 'e1',
        status: 'finished',
        class: { code: 'AMB' },
        serviceProvider: { reference: 'Organization/town' },
        period: { start: '2026-01-02' },
        type: [{ text: '高血压患者随访' }],
      },
      obs({
        id: 'o1',
        encounter: { reference: 'Encounter/e1' },
        effectiveDateTime: '2026-01-02',
        category: [{ coding: [{ code: 'laboratory' }] }],
      }),
      {
        resourceType: 'Immunization',
        id: 'i1',
        status: 'completed',
        vaccineCode: { text: '流感疫苗' },
        patient: { reference: 'Patient/p' },
        occurrenceDateTime: '2026-03-01',
        performer: [{ actor: { reference: 'Organization/village' } }],
      },
      { resourceType: 'Patient', id: 'p' },
    ];
    const items = toItems(all);
    expect(items.map((i) => [i.key, i.kind, i.orgId])).toEqual([
      ['Immunization/i1', 'immunization', 'village'],
      ['Encounter/e1', 'followup', 'town'],
      ['Observation/o1', 'lab', 'town'],
    ]);
  });
});
