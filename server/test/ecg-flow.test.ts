/**
 * The ECG centre end to end on both engines: a township requests an ECG and uploads the tracing in each accepted
 * format (the public DICOM waveform sample, HL7 aECG, JSON, CSV) → the tracing Observation with twelve lead components
 * and the original file kept; every transition on the shared reading workflow with standard statements, the
 * second-reader rule, a revision keeping every version and the HR mark; a STEMI statement → the chest-pain record
 * (at the preliminary report) with its milestones and D2B, and the critical-value alert to the requester at signing;
 * a reader's QTc > 500 ms → a critical value; access for another township and the county centre; bad input (11 leads,
 * a CT image, garbage, a sample rate out of range, another patient's file) → 400 naming what is wrong, nothing written.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, ENGINES, sharedApp, type TestClient } from './helpers/db.js';
import { aecgTracing, csvTracing, jsonTracing } from './ecg-fixtures.js';
import { medicalCommunity, readingCentreLayout } from './helpers/community.js';
import { postJson, readingCases, resourceCounts, versionStatuses, withDefaults } from './helpers/http.js';
import { PYDICOM } from './helpers/orthanc.js';

const SAMPLES = `${PYDICOM}single`;
const DICOM_ECG = readFileSync(`${SAMPLES}/waveform_ecg.dcm`);
const CT = readFileSync(`${SAMPLES}/CT_small.dcm`);

describe.each(ENGINES)('ECG centre on %s', (engine) => {
  let admin: TestClient;
  const town = medicalCommunity({
    ...readingCentreLayout({
      role: 'ecg',
      department: '南川区人民医院心电诊断中心',
      clinic: { name: '南川区人民医院胸痛中心', role: 'chest-pain' },
    }),
    residents: {
      patient: { id: 'P', name: '王小东', gender: 'male', birthDate: '1950-03-01', managedBy: 'V1' },
      /** The DICOM sample's patient: a woman born 1971-01-23 (the file is anonymised: no name). */
      patient2: { id: 'Q', name: '李秀英', gender: 'female', birthDate: '1971-01-23', managedBy: 'V1' },
    },
  });
  const { ids } = town;
  const { patient, patient2 } = town.residents;
  let u: Awaited<ReturnType<typeof town.build>>;

  beforeAll(async () => {
    admin = await adminClient(await sharedApp(engine));
    u = await town.build(admin);
  }, 180_000);
  afterAll(async () => undefined);

  const post = postJson;
  const { state, act } = readingCases('ecg');
  const request = async (who = patient, priority = 'routine') => {
    const res = await post(u.township, '/api/ecg/requests', { patient: who, item: 'ECG-12', priority, reason: '胸痛2小时，伴大汗' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { serviceRequest: { id: string; performer: { reference: string }[] }; task: string };
  };
  const upload = (c: TestClient, sr: string, file: Buffer, contentType: string, query = '') =>
    c.yiwang.app.inject({
      method: 'POST',
      url: `/api/ecg/requests/${sr}/tracing${query}`,
      headers: { 'x-test-tenant': c.tenant, authorization: `Bearer ${c.token}`, 'content-type': contentType },
      payload: file,
    });
  const report = withDefaults({
    template: 'ecg-normal',
    findings: '窦性心律，心率 72 次/分，各间期正常，ST-T无异常。',
    impression: '1. 窦性心律\n2. 正常心电图',
    positive: false,
    conclusions: ['sinus-rhythm', 'normal-ecg'],
  });
  /** A case with a JSON tracing, claimed by reader1. */
  const claimed = async (who = patient, priority = 'routine') => {
    const { serviceRequest, task } = await request(who, priority);
    expect((await upload(u.township, serviceRequest.id, jsonTracing(), 'application/json')).statusCode).toBe(201);
    expect((await act(u.reader1, task, 'claim')).statusCode).toBe(200);
    return { serviceRequest, task };
  };

  it('accepts DICOM waveform, aECG, JSON and CSV: twelve lead components, the original kept, the case on the worklist', async () => {
    const cases: [string, Buffer, string, string, string][] = [
      ['dicom', DICOM_ECG, 'application/dicom', '?filename=waveform_ecg.dcm', patient2],
      ['aecg', aecgTracing(), 'application/xml', '', patient],
      ['json', jsonTracing({ measurements: { hr: 75, qtc: 420 } }), 'application/json', '', patient],
      ['csv', csvTracing(), 'text/csv', '', patient],
    ];
    for (const [format, file, type, query, who] of cases) {
      const { serviceRequest, task } = await request(who);
      expect(serviceRequest.performer[0]!.reference).toBe(`Organization/${ids.centre}`);
      expect(await state(u.township, task)).toBe('awaiting-images');
      const res = await upload(u.township, serviceRequest.id, file, type, query);
      expect(res.statusCode, `${format}: ${res.body}`).toBe(201);
      const r = res.json();
      expect(r).toMatchObject({ task, format, leads: 12 });
      const obs = (await admin.get(r.observation)).json();
      expect(obs.code.coding[0]).toMatchObject({ system: 'http://loinc.org', code: '11524-6' });
      expect(obs.subject.reference).toBe(who);
      expect(obs.component).toHaveLength(12);
      expect(obs.component.map((c: { code: { text: string } }) => c.code.text)).toEqual([
        'I',
        'II',
        'III',
        'aVR',
        'aVL',
        'aVF',
        'V1',
        'V2',
        'V3',
        'V4',
        'V5',
        'V6',
      ]);
      expect(obs.component[0].code.coding[0]).toMatchObject({ system: 'urn:oid:2.16.840.1.113883.6.24', code: '131329' });
      const sd = obs.component[1].valueSampledData;
      expect(sd.dimensions).toBe(1);
      // The original comes back byte for byte, with its content type.
      const doc = (await admin.get(r.documentReference)).json();
      expect(doc.content[0].attachment.contentType).toBe(type);
      expect(Buffer.from(doc.content[0].attachment.data, 'base64').equals(file)).toBe(true);
      expect(await state(u.reader1, task)).toBe('requested');
      if (format === 'dicom') {
        // The public sample: 12 channels, 10 000 samples at 1000 Hz (10 s), 1.25 µV per unit.
        expect(r).toMatchObject({ sampleRate: 1000, seconds: 10 });
        expect(sd).toMatchObject({ period: 1, factor: 1.25 });
        expect(obs.effectiveDateTime).toBe('2013-01-25T10:59:19+08:00');
      }
      if (format === 'aecg') expect(Object.keys(r.measurements).sort()).toEqual(['hr', 'qtc']);
      if (format === 'csv') expect(r).toMatchObject({ sampleRate: 250, seconds: 10 });
    }
    const list = (await u.reader1.get('/api/ecg/cases?view=centre&open=1')).json();
    expect(list.items.length).toBeGreaterThanOrEqual(4);
  });

  it('every transition with standard statements: claim, release, QC reject and resubmit, report, return, sign by a second reader, revision', async () => {
    const { serviceRequest, task } = await request(patient, 'urgent');
    expect((await upload(u.township, serviceRequest.id, jsonTracing(), 'application/json')).statusCode).toBe(201);
    expect((await act(u.township, task, 'claim')).statusCode).toBe(403);
    expect((await act(u.reader1, task, 'claim')).statusCode).toBe(200);
    expect((await act(u.reader1, task, 'release')).json().state.code).toBe('requested');
    expect((await act(u.reader1, task, 'qc-reject')).statusCode).toBe(400); // reason required
    expect((await act(u.reader1, task, 'qc-reject', { reason: '基线漂移严重，请重新描记' })).json().state.code).toBe('qc-rejected');
    expect(JSON.stringify((await u.township.get('/api/inbox')).json().items)).toContain('基线漂移严重');
    expect((await upload(u.township, serviceRequest.id, csvTracing(), 'text/csv')).statusCode).toBe(201);
    expect(await state(u.reader1, task)).toBe('requested');
    expect((await act(u.reader1, task, 'claim')).statusCode).toBe(200);
    // The case page carries the latest tracing for drawing.
    const page = (await u.reader1.get(`/api/ecg/cases/${task}`)).json();
    expect(page.tracing.format).toBe('csv');
    expect(page.tracing.leads).toHaveLength(12);
    expect(page.conclusions.some((c: { code: string }) => c.code === 'stemi')).toBe(true);
    // Measurements by the reader; bad ones refused.
    expect((await act(u.reader1, task, 'measurements', { qtc: 5000 })).statusCode).toBe(400);
    expect((await act(u.reader1, task, 'measurements', { hr: 72, pr: 160, qrs: 90, qt: 380, qtc: 410 })).statusCode).toBe(200);
    expect((await act(u.reader2, task, 'report', report())).statusCode).toBe(403);
    expect((await act(u.reader1, task, 'report', report({ conclusions: ['no-such-statement'] }))).statusCode).toBe(400);
    const prelim = await act(u.reader1, task, 'report', report());
    expect(prelim.statusCode, prelim.body).toBe(200);
    expect(prelim.json().state.code).toBe('preliminary');
    expect((await act(u.reader2, task, 'return', { reason: '请补充心率' })).json().state.code).toBe('claimed');
    expect(
      (await act(u.reader1, task, 'report', report({ findings: '窦性心律，心率 72 次/分，PR 160 ms，QRS 90 ms，QTc 410 ms。' })))
        .statusCode,
    ).toBe(200);
    expect((await act(u.reader1, task, 'sign')).statusCode).toBe(403); // the reporter may not sign
    const signed = await act(u.reader2, task, 'sign');
    expect(signed.statusCode, signed.body).toBe(200);
    const final = signed.json();
    expect(final.state.code).toBe('final');
    expect(final.report).toMatchObject({ status: 'final', category: [{ coding: [{ code: 'EC' }] }] });
    expect(final.report.result).toHaveLength(6); // the tracing and five measurements
    expect(final.report.effectiveDateTime).toBeTruthy();
    const codings = final.report.conclusionCode.flatMap((c: { coding: { system: string; code: string }[] }) => c.coding);
    expect(codings).toContainEqual(expect.objectContaining({ system: 'urn:yiwang:ecg-statement', code: 'sinus-rhythm' }));
    expect(codings).toContainEqual(expect.objectContaining({ system: 'http://snomed.info/sct', code: '426783006' }));
    expect(final.report.meta.tag).toContainEqual(expect.objectContaining({ system: 'urn:yiwang:recognition', code: 'HR' }));
    const qtc = (await admin.get(final.report.result[5].reference)).json();
    expect(qtc).toMatchObject({ status: 'final', valueQuantity: { value: 410, unit: 'ms' } });
    expect((await admin.get(`ServiceRequest/${serviceRequest.id}`)).json().status).toBe('completed');
    const atTownship = (await u.township.get(`/api/ecg/cases/${task}`)).json();
    expect(atTownship).toMatchObject({ side: 'requester', report: { status: 'final' } });
    expect((await act(u.reader1, task, 'claim')).statusCode).toBe(409);
    expect((await act(u.reader1, task, 'amend', report())).statusCode).toBe(400); // reason required
    const amended = await act(
      u.reader1,
      task,
      'amend',
      report({ impression: '1. 窦性心律\n2. 正常心电图（复核）', reason: '补充复核说明' }),
    );
    expect(amended.statusCode, amended.body).toBe(200);
    expect(versionStatuses(amended)).toEqual(['amended', 'final', 'preliminary', 'preliminary']);
  });

  it('a STEMI statement opens the chest-pain record at the preliminary report; signing raises the critical value; milestones give D2B', async () => {
    const { task } = await claimed(patient, 'stat');
    const r = await act(
      u.reader1,
      task,
      'report',
      report({
        template: 'ecg-inferior-stemi',
        positive: true,
        conclusions: ['sinus-rhythm', 'st-elevation-inferior', 'stemi'],
        impression: '急性下壁ST段抬高型心肌梗死',
      }),
    );
    expect(r.statusCode, r.body).toBe(200);
    const record = r.json().chestPain;
    expect(record).toMatchObject({ status: 'active', patient, task });
    expect(record.milestones.find((m: { code: string }) => m.code === 'ecg-diagnosed').at).toBeTruthy();
    expect(record.milestones.find((m: { code: string }) => m.code === 'ecg-transmitted').at).toBeTruthy();
    // The chest-pain team is told at once; the critical-value loop waits for the signature.
    expect(JSON.stringify((await u.cardio.get('/api/inbox')).json().items)).toContain('胸痛中心');
    await admin.yiwang.events.drain();
    expect((await u.township.get('/api/inbox?category=critical-value')).json().items).toHaveLength(0);
    expect((await act(u.reader2, task, 'sign')).statusCode).toBe(200);
    await admin.yiwang.events.drain();
    const alerts = (await u.township.get('/api/inbox?category=critical-value')).json().items;
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(alerts)).toContain('ST段抬高');
    // The open list, for the team and the requester; another township sees nothing.
    expect((await u.cardio.get('/api/chest-pain?open=1')).json().items.map((i: { id: string }) => i.id)).toContain(record.id);
    expect((await u.other.get(`/api/chest-pain/${record.id}`)).statusCode).toBe(404);
    expect((await u.other.get('/api/chest-pain')).json().items.map((i: { id: string }) => i.id)).not.toContain(record.id);
    // Milestones: validated, then intervals computed.
    const base = Date.now() - 3 * 3600_000;
    const at = (min: number) => new Date(base + min * 60_000).toISOString();
    const event = (c: TestClient, milestone: string, when: string) =>
      post(c, `/api/chest-pain/${record.id}/events`, { milestone, at: when });
    expect((await event(u.township, 'teleportation', at(0))).statusCode).toBe(400);
    expect((await event(u.township, 'door', new Date(Date.now() + 3600_000).toISOString())).statusCode).toBe(400);
    expect((await event(u.township, 'first-medical-contact', at(0))).statusCode).toBe(200);
    expect((await event(u.township, 'transfer-departed', at(-5))).statusCode).toBe(400); // before the first contact
    // Entered afterwards, as often: the ECG's own times corrected to when they happened (still in order).
    expect((await event(u.township, 'first-ecg', at(6))).statusCode).toBe(200);
    expect((await event(u.township, 'ecg-transmitted', at(8))).statusCode).toBe(200);
    expect((await event(u.reader1, 'ecg-diagnosed', at(14))).statusCode).toBe(200);
    expect((await event(u.township, 'transfer-departed', at(20))).statusCode).toBe(200);
    expect((await event(u.cardio, 'door', at(60))).statusCode).toBe(200);
    const done = await event(u.cardio, 'wire-crossing', at(135));
    expect(done.statusCode, done.body).toBe(200);
    const intervals = Object.fromEntries(done.json().intervals.map((i: { id: string }) => [i.id, i]));
    expect(intervals['fmc-to-ecg']).toMatchObject({ minutes: 6, target: 10, met: true });
    expect(intervals['door-to-balloon']).toMatchObject({ minutes: 75, target: 90, met: true });
    expect(intervals['fmc-to-balloon']).toMatchObject({ minutes: 135, target: 120, met: false });
    // A second STEMI for the same resident joins the open record (one per resident and event).
    const second = await claimed(patient, 'stat');
    const again = await act(u.reader1, second.task, 'report', report({ positive: true, conclusions: ['stemi'] }));
    expect(again.statusCode).toBe(200);
    expect(
      (await u.cardio.get('/api/chest-pain?open=1')).json().items.filter((i: { patient: string }) => i.patient === patient),
    ).toHaveLength(1);
  });

  it("a reader's QTc above 500 ms becomes a critical value when the report is signed", async () => {
    const { task } = await claimed(patient2);
    expect((await act(u.reader1, task, 'measurements', { qtc: 540 })).statusCode).toBe(200);
    expect(
      (
        await act(
          u.reader1,
          task,
          'report',
          report({ conclusions: ['sinus-rhythm', 'prolonged-qt'], positive: true, impression: 'QT间期延长' }),
        )
      ).statusCode,
    ).toBe(200);
    await admin.yiwang.events.drain();
    const before = (await u.township.get('/api/inbox?category=critical-value')).json().items.length;
    expect((await act(u.reader2, task, 'sign')).statusCode).toBe(200);
    await admin.yiwang.events.drain();
    const alerts = (await u.township.get('/api/inbox?category=critical-value')).json().items;
    expect(alerts.length).toBe(before + 1);
    expect(JSON.stringify(alerts)).toContain('QTc');
  });

  it('access: another township does not see the case; the county centre does; the requester sees its own', async () => {
    const { task } = await claimed();
    expect((await u.other.get(`/api/ecg/cases/${task}`)).statusCode).toBe(404);
    expect((await u.cardio.get(`/api/ecg/cases/${task}`)).statusCode).toBe(404);
    expect((await u.reader2.get(`/api/ecg/cases/${task}`)).json().side).toBe('centre');
    expect((await u.township.get(`/api/ecg/cases/${task}`)).json().side).toBe('requester');
    expect(
      (await u.other.get('/api/ecg/cases?view=requested')).json().items.map((i: { case: { task: string } }) => i.case.task),
    ).not.toContain(task);
    // The last transition: the requester cancels a request still waiting, with a reason; nothing can be added after.
    const waiting = await request();
    expect((await act(u.township, waiting.task, 'cancel')).statusCode).toBe(400);
    expect((await act(u.township, waiting.task, 'cancel', { reason: '患者已转上级医院' })).json().state.code).toBe('cancelled');
    expect((await upload(u.township, waiting.serviceRequest.id, jsonTracing(), 'application/json')).statusCode).toBe(409);
  });

  it('bad input: wrong lead count, a CT image, garbage, sample rate, another patient, not the requester — 400/403 naming it, nothing written', async () => {
    const { serviceRequest, task } = await request();
    const types = { Observation: 'Observation', DocumentReference: 'DocumentReference', EpisodeOfCare: 'EpisodeOfCare' };
    const before = await resourceCounts(admin, types);
    const eleven = await upload(u.township, serviceRequest.id, jsonTracing({ omit: ['V6'] }), 'application/json');
    expect(eleven.statusCode).toBe(400);
    expect(eleven.json().resourceType).toBe('OperationOutcome');
    expect(eleven.body).toContain('missing: V6');
    const ct = await upload(u.township, serviceRequest.id, CT, 'application/dicom');
    expect(ct.statusCode).toBe(400);
    expect(ct.body).toContain('not an ECG waveform');
    const garbage = await upload(u.township, serviceRequest.id, Buffer.from([0, 1, 2, 3, 255, 254, 0, 7]), 'application/octet-stream');
    expect(garbage.statusCode).toBe(400);
    expect(garbage.body).toContain('not an ECG');
    expect((await upload(u.township, serviceRequest.id, Buffer.from('<html><body>hi</body></html>'), 'text/xml')).statusCode).toBe(400);
    const slow = await upload(u.township, serviceRequest.id, jsonTracing({ rate: 50, seconds: 10 }), 'application/json');
    expect(slow.statusCode).toBe(400);
    expect(slow.body).toContain('Sample rate');
    const csvNoRate = await upload(
      u.township,
      serviceRequest.id,
      Buffer.from(csvTracing().toString().split('\n').slice(1).join('\n')),
      'text/csv',
    );
    expect(csvNoRate.statusCode).toBe(400);
    expect(csvNoRate.body).toContain('sampleRate');
    // The DICOM sample is of a woman born 1971: not this resident (a man born 1950).
    const wrong = await upload(u.township, serviceRequest.id, DICOM_ECG, 'application/dicom');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('does not match the requested resident');
    // Only the requesting institution uploads.
    expect((await upload(u.other, serviceRequest.id, jsonTracing(), 'application/json')).statusCode).toBe(404);
    expect(await resourceCounts(admin, types)).toEqual(before);
    expect(await state(u.township, task)).toBe('awaiting-images');
  });
});
