/**
 * The printed ECG report (心电图报告单): the drawing of the tracing (modules/ecg/print.ts) against a recording mock of
 * pdfkit — the 3×4 layout and rhythm strip, grid line counts, the calibration pulses, the 12 lead labels, the
 * speed/gain note, thinning to at most one point per 0.2 mm with the R peak kept — and, over HTTP on both engines, the
 * signed report of the public DICOM sample carrying a two-page PDF (text, then the tracing on a landscape page).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, cells, drawTracing, gridPositions, MM, PAPER, tracePoints, type LeadData, type Pen } from '../src/modules/ecg/print.js';
import { adminClient, ENGINES, sharedApp, type TestClient } from './helpers/db.js';

const LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

/** A lead at `rate` Hz for `seconds`: flat at 0 with a one-sample spike of 800 units (1 mV at 1.25 µV/unit) every second. */
function lead(name: string, rate = 1000, seconds = 10): LeadData {
  const data = Array.from({ length: rate * seconds }, (_, i) => (i % rate === Math.round(rate * 0.503) ? 800 : 0));
  return { lead: name, origin: 0, factor: 1.25, periodMs: 1000 / rate, data };
}

/** A pdfkit stand-in recording every call. */
function recorder() {
  const calls: { name: string; args: unknown[] }[] = [];
  const pen = new Proxy(
    {},
    {
      get:
        (_t, name: string) =>
        (...args: unknown[]) => {
          calls.push({ name, args });
          return pen;
        },
    },
  ) as Pen;
  const of = (name: string) => calls.filter((c) => c.name === name);
  return { pen, calls, of };
}

describe('the printed tracing (print.ts)', () => {
  it('lays out 3×4 cells of 2.5 s (62.5 mm) and a 10 s lead II rhythm strip; a short recording fills less', () => {
    const c = cells(10);
    expect(c).toHaveLength(13);
    expect(c.slice(0, 12).map((x) => x.lead)).toEqual(['I', 'aVR', 'V1', 'V4', 'II', 'aVL', 'V2', 'V5', 'III', 'aVF', 'V3', 'V6']);
    expect(c[1]).toMatchObject({ from: 2.5, to: 5, x: 72.5, width: 62.5, baseline: 18 });
    expect(c[12]).toMatchObject({ lead: 'II', from: 0, to: 10, x: 10, width: 250, baseline: 108 });
    expect(cells(30)[12]!.to).toBe(10);
    expect(cells(4)[3]).toMatchObject({ from: 3, to: 4, width: 25 });
    expect(MM).toBeCloseTo(2.8346, 4);
  });

  it('grid lines every millimetre (minor) and every 5 mm (major) over 265 × 125 mm', () => {
    expect(gridPositions(PAPER.width, true)).toHaveLength(54);
    expect(gridPositions(PAPER.width, false)).toHaveLength(212);
    expect(gridPositions(PAPER.height, true)).toHaveLength(26);
    expect(gridPositions(PAPER.height, false)).toHaveLength(100);
  });

  it('10 mm per mV, 25 mm per second; at most one point per 0.2 mm and the R peak kept; sparse samples all drawn', () => {
    const [I] = cells(10);
    const pts = tracePoints(lead('I'), I!);
    // 62.5 mm of paper: 156 buckets of 0.4 mm, two points each at most.
    expect(pts.length).toBeLessThanOrEqual(Math.ceil(62.5 / BUCKET) * 2);
    expect(pts.length).toBeGreaterThan(62.5 / BUCKET);
    // The one-sample spikes at 0.503 s, 1.503 s: 1 mV = 10 mm above the 18 mm baseline, at 10 + 0.503 × 25 mm.
    const peaks = pts.filter(([, y]) => y < 18);
    expect(peaks).toHaveLength(2);
    expect(peaks[0]![1]).toBeCloseTo(8, 6);
    expect(peaks[0]![0]).toBeCloseTo(10 + 0.503 * 25, 6);
    // x grows monotonically within the cell and stays in it.
    for (let i = 1; i < pts.length; i++) expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
    expect(pts.at(-1)![0]).toBeLessThanOrEqual(I!.x + I!.width + 1e-9);
    // 100 Hz: fewer than two samples per 0.4 mm, every sample drawn.
    expect(tracePoints(lead('I', 100), I!)).toHaveLength(251);
  });

  it('draws grid, calibration, 13 traces, 12 lead labels + the rhythm label and the speed/gain note inside the area', () => {
    const { pen, of, calls } = recorder();
    const area = { x: 30, y: 70, width: 781.89, height: 495 };
    drawTracing(
      pen,
      area,
      LEADS.map((l) => lead(l)),
    );
    const grid = 54 + 212 + 26 + 100;
    expect(of('moveTo')).toHaveLength(grid + 4 + 13); // grid lines, 4 calibration pulses, 13 trace polylines
    expect(of('stroke')).toHaveLength(4); // minor grid, major grid, calibration, traces
    expect(of('strokeColor').map((c) => c.args[0])).toEqual(['#f7c9c9', '#e58a8a', '#000', '#000']);
    // Trace points: 12 cells of 62.5 mm and the 250 mm strip, ≤ one point per 0.2 mm.
    const traceLines = of('lineTo').length - grid - 4 * 5;
    expect(traceLines).toBeLessThanOrEqual((12 * 62.5 + 250) / 0.2);
    expect(traceLines).toBeGreaterThan(2000);
    const texts = of('text').map((c) => c.args[0]);
    expect(texts.slice(0, 12).sort()).toEqual([...LEADS].sort());
    expect(texts).toEqual(expect.arrayContaining(['II', '25 mm/s  10 mm/mV']));
    expect(texts).toHaveLength(14);
    // Every point lies in the area; the traces are clipped to the paper; save/restore balance.
    for (const c of [...of('moveTo'), ...of('lineTo')]) {
      const [x, y] = c.args as [number, number];
      expect(x).toBeGreaterThanOrEqual(area.x);
      expect(x).toBeLessThanOrEqual(area.x + area.width);
      expect(y).toBeGreaterThanOrEqual(area.y - 15 * MM);
      expect(y).toBeLessThanOrEqual(area.y + area.height);
    }
    expect(of('clip')).toHaveLength(1);
    expect(of('save')).toHaveLength(of('restore').length);
    expect(calls.length).toBeLessThan(10_000);
  });
});

const DICOM_ECG = readFileSync('/work/shared/data/dicom/pydicom/single/waveform_ecg.dcm');
const JSON_HEADERS = { 'content-type': 'application/json' };

describe.each(ENGINES)('the signed ECG report prints the tracing on %s', (engine) => {
  const s = randomUUID().slice(0, 8);
  const ids = { C: `C-${s}`, H: `H-${s}`, EH: `EH-${s}`, T1: `T1-${s}`, V1: `V1-${s}` };
  const pr = { township: `pr-t1-${s}`, reader1: `pr-r1-${s}`, reader2: `pr-r2-${s}` };
  /** The DICOM sample's patient: a woman born 1971-01-23. */
  const patient = `Patient/Q-${s}`;
  let u: Record<keyof typeof pr, TestClient>;

  beforeAll(async () => {
    const admin = await adminClient(await sharedApp(engine));
    const repo = admin.yiwang.systemRepository(admin.tenant);
    const org = (id: string, name: string, partOf?: string, centre?: string) => ({
      resourceType: 'Organization',
      id,
      name,
      ...(centre ? { type: [{ coding: [{ system: 'urn:yiwang:centre-role', code: centre }] }] } : {}),
      ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
    });
    for (const o of [
      org(ids.C, '南川区医共体'),
      org(ids.H, '南川区人民医院', ids.C),
      org(ids.EH, '南川区人民医院心电诊断中心', ids.H, 'ecg'),
      org(ids.T1, '大观镇卫生院', ids.C),
      org(ids.V1, '大观镇金龙村卫生室', ids.T1),
    ])
      await repo.update('Organization', o.id, o);
    for (const id of Object.values(pr)) await repo.update('Practitioner', id, { resourceType: 'Practitioner', id, name: [{ text: id }] });
    await repo.update('Patient', patient.slice(8), {
      resourceType: 'Patient',
      id: patient.slice(8),
      name: [{ text: '李秀英', family: '李', given: ['秀英'] }],
      gender: 'female',
      birthDate: '1971-01-23',
      managingOrganization: { reference: `Organization/${ids.V1}` },
    });
    const as = (roles: string[], o: string, practitionerId: string) => admin.as({ roles, organizationId: o, practitionerId });
    u = {
      township: await as(['township-doctor'], ids.T1, pr.township),
      reader1: await as(['county-specialist'], ids.EH, pr.reader1),
      reader2: await as(['county-specialist'], ids.EH, pr.reader2),
    };
  }, 180_000);

  it('the DICOM sample: text on page 1, the 12-lead tracing on a landscape page 2, a PDF of tens of kilobytes', async () => {
    const post = (c: TestClient, url: string, body: unknown = {}) => c.request('POST', url, body, JSON_HEADERS);
    const req = await post(u.township, '/api/ecg/requests', { patient, item: 'ECG-12', priority: 'routine', reason: '心悸' });
    expect(req.statusCode, req.body).toBe(201);
    const { serviceRequest, task } = req.json() as { serviceRequest: { id: string }; task: string };
    const uploaded = await u.township.yiwang.app.inject({
      method: 'POST',
      url: `/api/ecg/requests/${serviceRequest.id}/tracing?filename=waveform_ecg.dcm`,
      headers: { 'x-test-tenant': u.township.tenant, authorization: `Bearer ${u.township.token}`, 'content-type': 'application/dicom' },
      payload: DICOM_ECG,
    });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect((await post(u.reader1, `/api/ecg/cases/${task}/claim`)).statusCode).toBe(200);
    const reported = await post(u.reader1, `/api/ecg/cases/${task}/report`, {
      template: 'ecg-normal',
      findings: '窦性心律，各间期正常，ST-T无异常。',
      impression: '1. 窦性心律\n2. 正常心电图',
      positive: false,
      conclusions: ['sinus-rhythm', 'normal-ecg'],
    });
    expect(reported.statusCode, reported.body).toBe(200);
    const signed = await post(u.reader2, `/api/ecg/cases/${task}/sign`);
    expect(signed.statusCode, signed.body).toBe(200);
    const form = signed.json().report.presentedForm.find((a: { contentType: string }) => a.contentType === 'application/pdf');
    expect(form.title).toContain('心电检查报告单');
    const pdf = Buffer.from(form.data, 'base64');
    expect(form.size).toBe(pdf.length);
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-')).toBe(true);
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(2);
    // A4 portrait, then A4 landscape.
    expect(text).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/);
    expect(text).toMatch(/\/MediaBox \[0 0 841\.89 595\.28\]/);
    // 10 s × 12 leads at 1000 Hz thinned to ≤ 5 points per mm of paper: about 50 kB in all (the text page alone ~20 kB).
    expect(pdf.length).toBeGreaterThan(30_000);
    expect(pdf.length).toBeLessThan(150_000);
  });
});
