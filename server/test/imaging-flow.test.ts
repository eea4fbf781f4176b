/**
 * The imaging centre end to end on both engines, with a real Orthanc behind /dicomweb: request and upload at a
 * township (STOW-RS), the study linked to the resident through the resident index, the reading task on the county
 * centre's worklist, QIDO and a rendered frame through Yiwang, every state transition (claim, release, QC rejection and
 * resubmission, report, return, sign by a second reader with SM2), the report back at the township, a revision keeping
 * every version, a critical finding raising the critical-value loop, access for a third institution, statistics, and
 * bad input (not DICOM, no pixel data, corrupt, an unmatched patient → reconciliation) that leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type YiwangApp } from '../src/app.js';
import { buildMultipart } from '../src/platform/exchange/dicomweb/multipart.js';
import { adminClient, ENGINES, sharedApp, testConfig, testClient, type TestClient } from './helpers/db.js';
import { medicalCommunity, readingCentreLayout } from './helpers/community.js';
import { postJson, readingCases, versionStatuses, withDefaults } from './helpers/http.js';
import { newUid, PYDICOM, startOrthanc, type TestOrthanc } from './helpers/orthanc.js';
import { ROSTERS } from '../src/modules/reading/rules.js';

const PATIENT = { PatientName: '王^小东', PatientBirthDate: '19500301', PatientSex: 'M', PatientID: 'T1-000123' };
/** Studies of today (the samples date from 2004, before any critical-value catalogue was in force). */
const TODAY = new Date().toISOString().slice(0, 10).replace(/-/g, '');

let orthanc: TestOrthanc;
beforeAll(async () => {
  orthanc = await startOrthanc();
}, 60_000);
afterAll(async () => {
  await orthanc?.stop();
});

async function archiveCount(): Promise<number> {
  return ((await (await orthanc.fetch('/instances')).json()) as string[]).length;
}

describe.each(ENGINES)('imaging centre on %s', (engine) => {
  let yiwang: YiwangApp;
  let admin: TestClient;
  const town = medicalCommunity({
    ...readingCentreLayout({
      role: 'imaging',
      department: '南川区人民医院医学影像科',
      clinic: { name: '南川区人民医院心血管内科' },
      hospitalIsCentre: true,
    }),
    residents: { patient: { id: 'P', name: '王小东', gender: 'male', birthDate: '1950-03-01', managedBy: 'V1' } },
  });
  const { ids, pr } = town;
  const patient = town.residents.patient;
  let u: Awaited<ReturnType<typeof town.build>>;

  beforeAll(async () => {
    yiwang = await buildApp(
      { ...testConfig(engine), orthanc: { url: orthanc.url, username: orthanc.username, password: orthanc.password } },
      { logger: false },
    );
    admin = await adminClient(yiwang);
    u = await town.build(admin);
  }, 120_000);
  afterAll(async () => {
    await yiwang?.close();
  });

  const post = postJson;
  const { state, act } = readingCases('imaging');
  const request = async (item = 'CT-head', priority = 'routine') => {
    const res = await post(u.township, '/api/imaging/requests', { patient, item, priority, reason: '头痛三天，排除颅内病变' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { serviceRequest: { id: string; performer: { reference: string }[] }; task: string };
  };
  const ctFile = (studyUid = newUid(), tags: Record<string, string> = PATIENT) =>
    orthanc.modify('single/CT_small.dcm', {
      ...tags,
      StudyDate: TODAY,
      StudyInstanceUID: studyUid,
      SeriesInstanceUID: newUid(),
      SOPInstanceUID: newUid(),
    });
  const stow = (c: TestClient, files: Buffer[], sr?: string) => {
    const { body, contentType } = buildMultipart(files);
    return c.yiwang.app.inject({
      method: 'POST',
      url: `/dicomweb/studies${sr ? `?request=ServiceRequest/${sr}` : ''}`,
      headers: {
        'x-test-tenant': c.tenant,
        authorization: `Bearer ${c.token}`,
        'content-type': contentType,
        accept: 'application/dicom+json',
      },
      payload: body,
    });
  };
  const report = withDefaults({
    template: 'ct-head-normal',
    findings: '脑实质内未见异常密度影，中线结构居中。',
    impression: '颅脑CT平扫未见明显异常。',
    positive: false,
  });

  it('round trip through Orthanc: STOW-RS at the township, ImagingStudy for the resident, worklist, QIDO and a rendered frame', async () => {
    const before = await archiveCount();
    const { serviceRequest, task } = await request();
    expect(serviceRequest.performer[0]!.reference).toBe(`Organization/${ids.centre}`);
    expect(await state(u.township, task)).toBe('awaiting-images');
    const studyUid = newUid();
    const res = await stow(u.township, [await ctFile(studyUid)], serviceRequest.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-yiwang-task']).toBe(task);
    expect(await archiveCount()).toBe(before + 1);
    const studyRef = res.headers['x-yiwang-imaging-study'] as string;
    const study = (await admin.get(studyRef)).json();
    expect(study).toMatchObject({
      status: 'available',
      subject: { reference: patient },
      basedOn: [{ reference: `ServiceRequest/${serviceRequest.id}` }],
      numberOfInstances: 1,
    });
    expect(study.identifier[0]).toEqual({ system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` });
    // The hospital's own Patient ID is kept for tracing, scoped by the uploading institution (no issuer in the file).
    expect(study.extension).toContainEqual({
      url: 'https://yiwang.cn/fhir/StructureDefinition/source-patient-id',
      valueIdentifier: {
        system: `urn:yiwang:dicom-patient-id:Organization/${ids.T1}`,
        value: PATIENT.PatientID,
        assigner: { reference: `Organization/${ids.T1}` },
      },
    });
    // On the centre's worklist, not yet claimed.
    const list = (await u.reader1.get('/api/imaging/cases?view=centre&open=1')).json();
    expect(list.items.map((i: { task: { id: string } }) => i.task.id)).toContain(task);
    expect(await state(u.reader1, task)).toBe('requested');
    // QIDO through Yiwang finds it; a rendered frame comes back as an image.
    const qido = await u.reader1.get(`/dicomweb/studies?StudyInstanceUID=${studyUid}`, { accept: 'application/dicom+json' });
    expect(qido.statusCode).toBe(200);
    expect(JSON.parse(qido.body)[0]['0020000D'].Value[0]).toBe(studyUid);
    const sop = study.series[0].instance[0].uid;
    const frame = await u.reader1.get(`/dicomweb/studies/${studyUid}/series/${study.series[0].uid}/instances/${sop}/frames/1/rendered`, {
      accept: 'image/png',
    });
    expect(frame.statusCode).toBe(200);
    expect(frame.headers['content-type']).toContain('image/png');
    expect(frame.rawPayload.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    // Orthanc itself answers no one without its password.
    expect((await fetch(`${orthanc.url}/instances`)).status).toBe(401);
  });

  it('every transition: claim, release, QC reject and resubmit, report, return, sign by a second reader (SM2), report back, revision', async () => {
    const { serviceRequest, task } = await request('CT-head', 'urgent');
    expect((await stow(u.township, [await ctFile()], serviceRequest.id)).statusCode).toBe(200);
    // The requester cannot claim (role); the cardiology department (not the centre) does not even see the case.
    expect((await act(u.township, task, 'claim')).statusCode).toBe(403);
    expect((await act(u.cardio, task, 'claim')).statusCode).toBe(404);
    expect((await act(u.reader1, task, 'claim')).statusCode).toBe(200);
    expect(await state(u.reader1, task)).toBe('claimed');
    expect((await act(u.reader1, task, 'release')).statusCode).toBe(200);
    expect((await act(u.reader1, task, 'qc-reject')).statusCode).toBe(400); // reason required
    const rejected = await act(u.reader1, task, 'qc-reject', { reason: '图像伪影严重，请重新扫描' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json().state.code).toBe('qc-rejected');
    const inbox = (await u.township.get('/api/inbox')).json();
    expect(JSON.stringify(inbox.items)).toContain('质控退回');
    expect(JSON.stringify(inbox.items)).toContain('图像伪影严重');
    // New images send it back to the worklist.
    expect((await stow(u.township, [await ctFile()], serviceRequest.id)).statusCode).toBe(200);
    expect(await state(u.reader1, task)).toBe('requested');
    expect((await act(u.reader1, task, 'claim')).statusCode).toBe(200);
    // Only the claimant reports; bad report input is refused.
    expect((await act(u.reader2, task, 'report', report())).statusCode).toBe(403);
    expect((await act(u.reader1, task, 'report', report({ impression: '' }))).statusCode).toBe(400);
    expect((await act(u.reader1, task, 'report', report({ conclusions: ['nonsense'] }))).statusCode).toBe(400);
    const prelim = await act(u.reader1, task, 'report', report());
    expect(prelim.statusCode, prelim.body).toBe(200);
    expect(prelim.json().report.status).toBe('preliminary');
    // The second reader returns it; the reader corrects and reports again.
    expect((await act(u.reader2, task, 'return', { reason: '请补充脑室描述' })).json().state.code).toBe('claimed');
    expect(
      (await act(u.reader1, task, 'report', report({ findings: '脑实质内未见异常密度影，脑室系统无扩大，中线结构居中。' }))).statusCode,
    ).toBe(200);
    // The reporter may not sign their own report.
    expect((await act(u.reader1, task, 'sign')).statusCode).toBe(403);
    const signed = await act(u.reader2, task, 'sign');
    expect(signed.statusCode, signed.body).toBe(200);
    const final = signed.json();
    expect(final.state.code).toBe('final');
    expect(final.report).toMatchObject({
      status: 'final',
      basedOn: [{ reference: `ServiceRequest/${serviceRequest.id}` }],
      conclusion: '颅脑CT平扫未见明显异常。',
    });
    expect(final.report.imagingStudy[0].reference).toMatch(/^ImagingStudy\//);
    // The printed report: the text and a PDF (CJK font installed by .ci/run).
    const pdf = final.report.presentedForm.find((a: { contentType: string }) => a.contentType === 'application/pdf');
    expect(pdf.title).toContain('影像检查报告单');
    expect(Buffer.from(pdf.data, 'base64').subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(final.report.presentedForm[0].contentType).toContain('text/plain');
    expect(final.report.resultsInterpreter.map((r: { reference: string }) => r.reference)).toEqual([
      `Practitioner/${pr.reader1}`,
      `Practitioner/${pr.reader2}`,
    ]);
    // HR mark: CT head is a recognised item.
    expect(final.report.meta.tag).toContainEqual(expect.objectContaining({ system: 'urn:yiwang:recognition', code: 'HR' }));
    const verify = (await admin.get(`DiagnosticReport/${final.report.id}/$verify-signature`)).json();
    const sig = verify.parameter.find((p: { name: string }) => p.name === 'signature');
    expect(sig.part.find((p: { name: string }) => p.name === 'valid').valueBoolean).toBe(true);
    expect(sig.part.find((p: { name: string }) => p.name === 'signer').valueReference.reference).toBe(`Practitioner/${pr.reader2}`);
    expect((await admin.get(`ServiceRequest/${serviceRequest.id}`)).json().status).toBe('completed');
    // Back at the township: a notice and the report.
    const notices = (await u.township.get('/api/inbox')).json();
    expect(JSON.stringify(notices.items)).toContain('审核签发');
    const atTownship = (await u.township.get(`/api/imaging/cases/${task}`)).json();
    expect(atTownship.side).toBe('requester');
    expect(atTownship.report.status).toBe('final');
    expect((await act(u.reader1, task, 'claim')).statusCode).toBe(409); // final: nothing moves
    // Revision: a new version, status amended, every version kept.
    expect((await act(u.reader1, task, 'amend', report())).statusCode).toBe(400); // reason required
    const amended = await act(
      u.reader1,
      task,
      'amend',
      report({ impression: '颅脑CT平扫未见明显异常，建议随访。', reason: '补充随访建议' }),
    );
    expect(amended.statusCode, amended.body).toBe(200);
    const a = amended.json();
    expect(a.report.status).toBe('amended');
    expect(versionStatuses(amended)).toEqual(['amended', 'final', 'preliminary', 'preliminary']);
    const history = (await admin.get(`DiagnosticReport/${a.report.id}/_history`)).json();
    expect(history.entry).toHaveLength(4);
    expect((await u.township.get('/api/inbox')).json().items.some((n: { title: string }) => n.title.includes('已修订'))).toBe(true);
    // Statistics count it.
    const stats = (await u.reader1.get('/api/imaging/stats')).json();
    expect(stats.total.reports).toBeGreaterThanOrEqual(1);
    expect(stats.qcRejections).toBeGreaterThanOrEqual(1);
    expect(stats.byModality.find((m: { modality: string }) => m.modality === 'CT').recognised).toBeGreaterThanOrEqual(1);
  });

  it('a critical finding in a signed report raises the critical-value alert to the requesting doctor', async () => {
    const { serviceRequest, task } = await request('CT-head', 'stat');
    expect((await stow(u.township, [await ctFile()], serviceRequest.id)).statusCode).toBe(200);
    await act(u.reader1, task, 'claim');
    const r = await act(
      u.reader1,
      task,
      'report',
      report({
        template: 'ct-head-haemorrhage',
        impression: '左侧基底节区脑出血',
        positive: true,
        conclusions: ['intracranial-haemorrhage'],
      }),
    );
    expect(r.statusCode, r.body).toBe(200);
    await yiwang.events.drain();
    expect((await u.township.get('/api/inbox?category=critical-value')).json().items).toHaveLength(0); // preliminary: not yet
    expect((await act(u.reader2, task, 'sign')).statusCode).toBe(200);
    await yiwang.events.drain();
    const alerts = (await u.township.get('/api/inbox?category=critical-value')).json().items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].title + alerts[0].body).toContain('颅内出血');
    const stats = (await u.reader2.get('/api/imaging/stats')).json();
    expect(stats.total.critical).toBeGreaterThanOrEqual(1);
    expect(stats.total.positive).toBeGreaterThanOrEqual(1);
  });

  it('the roster limits open cases per reader: with a dated rule of 1, a second claim answers 409 until the first is reported', async () => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const current = ROSTERS.at(-1)!;
    ROSTERS.push({
      ...current,
      version: 'test-limit-1',
      effective: today,
      centres: { ...current.centres, imaging: { ...current.centres.imaging, maxOpenClaimsPerReader: 1 } },
    });
    try {
      const first = await request('CT-head');
      const second = await request('CT-head');
      for (const r of [first, second]) expect((await stow(u.township, [await ctFile()], r.serviceRequest.id)).statusCode).toBe(200);
      // reader2 holds nothing else open from earlier tests (reader1 may); the limit counts that reader's open claims.
      expect((await act(u.reader2, first.task, 'claim')).statusCode).toBe(200);
      const refused = await act(u.reader2, second.task, 'claim');
      expect(refused.statusCode).toBe(409);
      expect(refused.body).toContain('上限1例');
      expect(await state(u.reader2, second.task)).toBe('requested'); // nothing written
      expect((await act(u.reader2, first.task, 'report', report())).statusCode).toBe(200);
      expect((await act(u.reader2, second.task, 'claim')).statusCode).toBe(200);
    } finally {
      ROSTERS.splice(
        ROSTERS.findIndex((r) => r.version === 'test-limit-1'),
        1,
      );
    }
  });

  it('access: another township sees neither the case nor the study; the centre sees what is addressed to it', async () => {
    const { serviceRequest, task } = await request('CT-chest');
    const studyUid = newUid();
    expect((await stow(u.township, [await ctFile(studyUid)], serviceRequest.id)).statusCode).toBe(200);
    expect((await u.other.get(`/api/imaging/cases/${task}`)).statusCode).toBe(404);
    expect((await u.other.get('/api/imaging/cases?view=requested')).json().items).toHaveLength(0);
    expect((await u.other.get('/api/imaging/cases?view=centre')).json().items).toHaveLength(0);
    expect(JSON.parse((await u.other.get(`/dicomweb/studies?StudyInstanceUID=${studyUid}`)).body)).toEqual([]);
    expect((await u.other.get(`/dicomweb/studies/${studyUid}/metadata`)).statusCode).toBe(404);
    expect((await u.cardio.get(`/dicomweb/studies/${studyUid}/metadata`)).statusCode).toBe(404);
    expect((await stow(u.other, [await ctFile()], serviceRequest.id)).statusCode).toBe(404);
    const mine = (await u.township.get('/api/imaging/cases?view=requested')).json().items.map((i: { task: { id: string } }) => i.task.id);
    expect(mine).toContain(task);
    const centre = (await u.reader2.get('/api/imaging/cases?view=centre')).json().items.map((i: { task: { id: string } }) => i.task.id);
    expect(centre).toContain(task);
    const meta = await u.reader2.get(`/dicomweb/studies/${studyUid}/metadata`, { accept: 'application/dicom+json' });
    expect(meta.statusCode).toBe(200);
    // Writes other than STOW are refused.
    expect((await u.reader2.request('DELETE', `/dicomweb/studies/${studyUid}`)).statusCode).toBe(403);
  });

  it('bad input: not DICOM, no pixel data, corrupt, wrong modality — clear errors, nothing stored', async () => {
    const { serviceRequest, task } = await request('CT-head');
    const before = await archiveCount();
    const good = await ctFile();
    const notDicom = await stow(u.township, [good, Buffer.from('这不是影像文件 not an image at all')], serviceRequest.id);
    expect(notDicom.statusCode).toBe(400);
    expect(notDicom.body).toContain('File 2 of 2 is not a DICOM file');
    const sr = await stow(u.township, [good, readFileSync(join(PYDICOM, 'single/test-SR.dcm'))], serviceRequest.id);
    expect(sr.statusCode).toBe(400);
    expect(sr.body).toMatch(/modality|pixel/);
    const noPixels = await orthanc.modify('single/CT_small.dcm', { ...PATIENT, StudyInstanceUID: newUid(), SOPInstanceUID: newUid() }, [
      'PixelData',
    ]);
    const np = await stow(u.township, [noPixels], serviceRequest.id);
    expect(np.statusCode).toBe(400);
    expect(np.body).toContain('no pixel data');
    const corrupt = await stow(u.township, [readFileSync(join(PYDICOM, 'single/MR_truncated.dcm'))], serviceRequest.id);
    expect(corrupt.statusCode).toBe(400);
    const mr = await stow(
      u.township,
      [await orthanc.modify('single/MR_small.dcm', { ...PATIENT, StudyInstanceUID: newUid(), SOPInstanceUID: newUid() })],
      serviceRequest.id,
    );
    expect(mr.statusCode).toBe(400);
    expect(mr.body).toContain('files are MR');
    expect(await archiveCount()).toBe(before);
    expect(await state(u.township, task)).toBe('awaiting-images');
    const studies = (await admin.get(`ImagingStudy?based-on=ServiceRequest/${serviceRequest.id}`)).json();
    expect(studies.total ?? studies.entry?.length ?? 0).toBe(0);
  });

  it('a study whose patient does not match goes to the reconciliation queue, not to the resident; a person resolves it', async () => {
    const { serviceRequest, task } = await request('CT-head');
    const studyUid = newUid();
    const stranger = await ctFile(studyUid, {
      PatientName: 'Doe^Peter',
      PatientBirthDate: '19700101',
      PatientSex: 'M',
      PatientID: 'T1-000123',
    });
    const res = await stow(u.township, [stranger], serviceRequest.id);
    expect(res.statusCode).toBe(202);
    const entry = res.headers['x-yiwang-reconciliation'] as string;
    expect(entry).toBeTruthy();
    expect(await state(u.township, task)).toBe('awaiting-images');
    const studies = (await admin.get(`ImagingStudy?identifier=urn:dicom:uid|urn:oid:${studyUid}`)).json();
    expect(studies.entry ?? []).toHaveLength(0);
    const queue = (await u.township.get('/api/imaging/reconciliation')).json().items;
    expect(queue.find((q: { id: string }) => q.id === entry)).toMatchObject({
      reason: 'no-match',
      studyUid,
      serviceRequest: `ServiceRequest/${serviceRequest.id}`,
    });
    expect((await u.other.get('/api/imaging/reconciliation')).json().items.find((q: { id: string }) => q.id === entry)).toBeUndefined();
    // No request at all: kept, queued.
    const orphan = await stow(u.township, [await ctFile()]);
    expect(orphan.statusCode).toBe(202);
    // The township confirms the study is the resident's.
    expect(
      (await post(u.township, `/api/imaging/reconciliation/${entry}/resolve`, { request: `ServiceRequest/${serviceRequest.id}` }))
        .statusCode,
    ).toBe(400);
    const resolved = await post(u.township, `/api/imaging/reconciliation/${entry}/resolve`, {
      request: `ServiceRequest/${serviceRequest.id}`,
      confirm: true,
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json().task).toBe(task);
    expect(await state(u.township, task)).toBe('requested');
    expect(
      (
        await post(u.township, `/api/imaging/reconciliation/${entry}/resolve`, {
          request: `ServiceRequest/${serviceRequest.id}`,
          confirm: true,
        })
      ).statusCode,
    ).toBe(409);
    const discarded = await post(u.township, `/api/imaging/reconciliation/${orphan.headers['x-yiwang-reconciliation']}/discard`, {
      reason: '测试影像',
    });
    expect(discarded.statusCode).toBe(200);
  });
});

describe.each(ENGINES)('imaging without an archive on %s', (engine) => {
  it('answers 503 with a clear message, and the rest of Yiwang works', async () => {
    await sharedApp(engine);
    const admin = await testClient(engine);
    const res = await admin.request('POST', '/dicomweb/studies', 'x', { 'content-type': 'application/dicom' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('YIWANG_ORTHANC_URL');
    expect((await admin.get('/dicomweb/studies')).statusCode).toBe(503);
    expect((await admin.get('/api/imaging/catalogue')).json().archive).toBe('not-configured');
    expect((await admin.get('Patient?_count=1')).statusCode).toBe(200);
  });
});
