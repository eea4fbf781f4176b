/**
 * The ECG parsers and their checks without a server: each format to the same twelve leads, the public DICOM sample's
 * real content, lead names as devices write them, the chest-pain time-line's order and intervals, the catalogue's
 * validation, and the refusals (wrong lead count naming the missing leads, sample rate, lengths, not an ECG).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leadOf, checkCatalogue, CATALOGUES, type EcgCatalogue } from '../src/modules/ecg/model.js';
import { parseTracing } from '../src/modules/ecg/parse.js';
import { demographicConflict } from '../src/modules/ecg/intake.js';
import { chestPainRulesOn, intervalsOf, orderConflict } from '../src/modules/ecg/chest-pain/targets.js';
import { parseEvent } from '../src/modules/ecg/chest-pain/record.js';
import { aecgTracing, csvTracing, jsonTracing } from './ecg-fixtures.js';
import { PYDICOM } from './helpers/orthanc.js';

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message + JSON.stringify((e as { issues?: unknown }).issues ?? '');
  }
  return 'no error';
};

describe('ECG tracing parsers', () => {
  it('reads the public DICOM 12-lead sample: 12 channels, 1000 Hz, 10 s, 1.25 µV per unit, leads by their SCP-ECG codes', () => {
    const t = parseTracing(readFileSync(`${PYDICOM}single/waveform_ecg.dcm`));
    expect(t.format).toBe('dicom');
    expect(Object.keys(t.leads)).toEqual(['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    expect(t.leads.II).toHaveLength(10_000);
    expect(t).toMatchObject({ sampleRate: 1000, factor: 1.25, origin: 0, acquiredAt: '2013-01-25T10:59:19+08:00' });
    expect(t.patient).toMatchObject({ birthDate: '1971-01-23', gender: 'female' });
  });

  it('reads aECG, JSON and CSV to the same samples', () => {
    const a = parseTracing(aecgTracing(500, 4));
    const j = parseTracing(jsonTracing({ rate: 500, seconds: 4 }));
    const c = parseTracing(csvTracing(500, 4));
    expect(a.leads.V3).toEqual(j.leads.V3);
    expect(c.leads.aVF).toEqual(j.leads.aVF);
    expect(a.sampleRate).toBe(500);
    expect(a.measurements).toEqual({ hr: 75, qtc: 430 });
    expect(a.acquiredAt).toBe('2026-12-05T08:30:00+08:00');
  });

  it('knows lead names as devices write them', () => {
    expect(['Lead I (Einthoven)', 'MDC_ECG_LEAD_AVR', 'avl', ' V6 ', 'lead III'].map(leadOf)).toEqual(['I', 'aVR', 'aVL', 'V6', 'III']);
    expect(leadOf('V7')).toBeUndefined();
  });

  it('refuses what is not a 12-lead ECG, naming what is wrong', () => {
    expect(message(() => parseTracing(jsonTracing({ omit: ['V6', 'aVL'] })))).toContain('missing: aVL, V6');
    expect(message(() => parseTracing(jsonTracing({ rate: 20_000, seconds: 3 })))).toContain('Sample rate');
    expect(message(() => parseTracing(jsonTracing({ seconds: 1 })))).toContain('lasts 1.00 s');
    expect(message(() => parseTracing(readFileSync(`${PYDICOM}single/CT_small.dcm`)))).toContain('not an ECG waveform');
    expect(message(() => parseTracing(Buffer.from('just some words')))).toContain('not an ECG');
    expect(message(() => parseTracing(Buffer.from('{"leads": [1,2]}')))).toContain('leads');
    expect(message(() => parseTracing(Buffer.alloc(0)))).toContain('empty');
  });

  it('does not attach a file whose patient contradicts the requested resident', () => {
    const resident = { resourceType: 'Patient' as const, name: [{ text: '王小东' }], gender: 'male' as const, birthDate: '1950-03-01' };
    expect(demographicConflict(resident, { birthDate: '1971-01-23' })).toContain('birth date');
    expect(demographicConflict(resident, { gender: 'female' })).toContain('sex');
    expect(demographicConflict(resident, { name: '李秀英' })).toContain('name');
    expect(demographicConflict(resident, { name: 'Anonymous', birthDate: '1950-03-01' })).toBeUndefined();
  });
});

describe('ECG catalogue and chest-pain rules', () => {
  it('validates the catalogue: critical statements use the critical-value codes, templates name known statements', () => {
    const c = structuredClone(CATALOGUES[0]!) as EcgCatalogue;
    expect(() => checkCatalogue(c, 'ok.json')).not.toThrow();
    expect(c.statements.find((s) => s.code === 'stemi')).toMatchObject({
      system: 'urn:yiwang:critical-finding',
      critical: true,
      snomed: '401303003',
    });
    c.statements.find((s) => s.code === 'stemi')!.system = 'urn:yiwang:ecg-statement';
    expect(() => checkCatalogue(c, 'bad.json')).toThrow(/bad\.json.*stemi/);
    const t = structuredClone(CATALOGUES[0]!) as EcgCatalogue;
    t.templates[0]!.conclusionCodes = ['no-such-statement'];
    expect(() => checkCatalogue(t, 'template.json')).toThrow(/template\.json.*no-such-statement/);
  });

  it('keeps the time-line in order and computes intervals against the targets', () => {
    const rules = chestPainRulesOn(new Date('2026-12-05T00:00:00Z'));
    const times = { 'first-medical-contact': '2026-12-05T08:00:00Z', door: '2026-12-05T09:00:00Z' };
    expect(orderConflict(times, 'transfer-departed', '2026-12-05T07:59:00Z', rules)?.code).toBe('first-medical-contact');
    expect(orderConflict(times, 'transfer-departed', '2026-12-05T09:01:00Z', rules)?.code).toBe('door');
    expect(orderConflict(times, 'transfer-departed', '2026-12-05T08:20:00Z', rules)).toBeUndefined();
    const intervals = intervalsOf({ ...times, 'wire-crossing': '2026-12-05T10:45:00Z' }, rules);
    expect(intervals.find((i) => i.id === 'door-to-balloon')).toMatchObject({ minutes: 105, target: 90, met: false });
    expect(intervals.find((i) => i.id === 'fmc-to-ecg')).toMatchObject({ minutes: null, met: null });
  });
});

describe('a chest-pain milestone as sent', () => {
  const now = new Date('2026-12-05T10:00:00Z');
  it('takes a known milestone at a zoned time, as an instant', () => {
    expect(parseEvent({ milestone: 'door', at: '2026-12-05T16:30:00+08:00' }, now)).toEqual({
      milestone: 'door',
      at: '2026-12-05T08:30:00.000Z',
    });
  });
  it('refuses a time without a zone, one in the future and an unknown milestone, naming the field', () => {
    expect(message(() => parseEvent({ milestone: 'door', at: '2026-12-05T08:30' }, now))).toContain("'at'");
    expect(message(() => parseEvent({ milestone: 'door', at: '2026-12-05T12:00:00Z' }, now))).toContain('future');
    expect(message(() => parseEvent({ milestone: 'teleportation', at: '2026-12-05T08:30:00Z' }, now))).toContain("'milestone'");
  });
});
