/**
 * The pathology centre end to end on both engines, through HTTP: a township requests with two specimens and sends
 * them; the county centre receives them (cold-ischaemia computed, one over the limit), claims, grosses, cuts slides,
 * photographs and reports (refused before grossing and slides); the report is returned, corrected, signed by a second
 * pathologist and reaches the township with its pictures and PDF; a revision keeps every version; a rejection with a
 * standard reason reaches the requester, who sends a new specimen; a critical finding raises the critical-value alert;
 * quality statistics with known figures; access; bad input refused naming the field with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { adminClient, closeApps, ENGINES, sharedApp, type TestClient } from './helpers/db.js';
import { medicalCommunity, readingCentreLayout } from './helpers/community.js';
import { postJson, readingCases, resourceCounts, versionStatuses, withDefaults } from './helpers/http.js';

afterAll(closeApps);

/** A valid 1×1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** Two specimens removed 3 h ago, fixed after `coldA` and `coldB` minutes. */
const specimens = (coldA = 30, coldB = 75, prefix = 'A') =>
  (
    [
      ['tissue', '胃窦', 1, coldA],
      ['biopsy', '胃角', 2, coldB],
    ] as const
  ).map(([type, site, count, cold], i) => ({
    type,
    site,
    label: `${prefix}${i + 1}`,
    count,
    collected: minutesAgo(180),
    fixed: minutesAgo(180 - cold),
    fixative: 'nbf-10',
  }));

describe.each(ENGINES)('pathology centre on %s', (engine) => {
  let yiwang: YiwangApp;
  let admin: TestClient;
  const layout = readingCentreLayout({
    role: 'pathology',
    department: '南川区人民医院病理科',
    clinic: { name: '南川区人民医院心血管内科' },
    hospitalIsCentre: true,
  });
  const town = medicalCommunity({
    organizations: { ...layout.organizations, T3: { name: '三泉镇卫生院', partOf: 'C' } },
    staff: { ...layout.staff, t3: { roles: ['township-doctor'], at: 'T3' } },
    residents: {
      patient: { id: 'P', name: '李秀英', gender: 'female', birthDate: '1962-04-11', managedBy: 'T1' },
      /** A resident of township 3, whose requests make the statistics' known figures. */
      patient3: { id: 'P3', name: '张建国', gender: 'male', birthDate: '1958-09-02', managedBy: 'T3' },
    },
  });
  const { ids } = town;
  const { patient, patient3 } = town.residents;
  let u: Awaited<ReturnType<typeof town.build>>;

  beforeAll(async () => {
    yiwang = await sharedApp(engine);
    admin = await adminClient(yiwang);
    u = await town.build(admin);
  }, 180_000);

  const post = postJson;
  const { url: api, detail, state } = readingCases('pathology');
  const request = async (c = u.township, item = 'PATH-surgical', list: unknown[] = specimens(), priority = 'routine') => {
    const res = await post(c, '/api/pathology/requests', {
      patient: c === u.t3 ? patient3 : patient,
      item,
      site: '胃',
      reason: '胃镜见胃窦溃疡，排除恶性',
      priority,
      specimens: list,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { serviceRequest: { id: string; specimen: { reference: string }[] }; task: string; specimens: { id: string }[] };
  };
  const report = withDefaults({
    template: 'biopsy-chronic-inflammation',
    findings: '镜下见胃黏膜慢性炎，固有层淋巴细胞、浆细胞浸润，未见异型增生。',
    impression: '（胃窦）黏膜慢性炎。',
    positive: false,
    conclusions: ['benign'],
  });
  /** Sent, received, claimed, grossed (one block each) and one HE slide: ready for the report. */
  const throughLab = async (task: string, ids_: string[]) => {
    expect((await post(u.township, api(task, '/images'))).statusCode).toBe(200);
    expect((await post(u.reader1, api(task, '/receive'), { specimens: ids_.map((id) => ({ id })) })).statusCode).toBe(200);
    expect((await post(u.reader1, api(task, '/claim'))).statusCode).toBe(200);
    const blocks: string[] = [];
    for (const [i, id] of ids_.entries()) {
      const g = await post(u.reader1, api(task, '/grossing'), { specimen: id, description: '灰白组织一块', blocks: [{ label: `X${i}` }] });
      expect(g.statusCode, g.body).toBe(200);
      blocks.push(g.json().specimens.find((x: { label: string }) => x.label === `X${i}`).id);
    }
    expect((await post(u.reader1, api(task, '/slides'), { block: blocks[0], stain: 'HE', label: 'X0-1' })).statusCode).toBe(200);
  };

  it('every step: request with two specimens, send, receive (cold ischaemia), claim, grossing, slides, pictures, report, return, sign, amend', async () => {
    const { serviceRequest, task, specimens: sent } = await request();
    expect(serviceRequest.specimen).toHaveLength(2);
    expect(serviceRequest).toMatchObject({ performer: [{ reference: `Organization/${ids.centre}` }], status: 'active' });
    const first = (await admin.get(`Specimen/${sent[0]!.id}`)).json();
    expect(first).toMatchObject({ subject: { reference: patient }, request: [{ reference: `ServiceRequest/${serviceRequest.id}` }] });
    expect(first.processing[0].timeDateTime).toBeTruthy();
    expect(await state(u.township, task)).toBe('awaiting-images');
    // The centre cannot receive what was not sent, nor claim before receipt.
    expect((await post(u.reader1, api(task, '/receive'), { specimens: [{ id: sent[0]!.id }] })).statusCode).toBe(409);
    const dispatched = await post(u.township, api(task, '/images'));
    expect(dispatched.statusCode, dispatched.body).toBe(200);
    expect(dispatched.json().state.code).toBe('requested');
    expect((await post(u.reader1, api(task, '/claim'))).statusCode).toBe(409);
    expect((await post(u.township, api(task, '/receive'), { specimens: [{ id: sent[0]!.id }] })).statusCode).toBe(403);
    const received = await post(u.reader1, api(task, '/receive'), {
      specimens: sent.map((x) => ({ id: x.id, condition: '容器完好' })),
    });
    expect(received.statusCode, received.body).toBe(200);
    const rows = received.json().specimens as { label: string; status: string; coldIschaemiaMinutes: number; overLimit: boolean }[];
    expect(rows.map((r) => [r.label, r.status, r.coldIschaemiaMinutes, r.overLimit])).toEqual([
      ['A1', 'received', 30, false],
      ['A2', 'received', 75, true],
    ]);
    expect((await admin.get(`Specimen/${sent[1]!.id}`)).json()).toMatchObject({ status: 'available', condition: [{ text: '容器完好' }] });
    expect((await post(u.reader1, api(task, '/claim'))).json().state.code).toBe('claimed');
    // The report waits for grossing and a slide; only the claimant records lab work.
    const early = await post(u.reader1, api(task, '/report'), report());
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('取材');
    expect(await state(u.reader1, task)).toBe('claimed');
    expect(
      (await post(u.reader2, api(task, '/grossing'), { specimen: sent[0]!.id, description: 'x', blocks: [{ label: 'B' }] })).statusCode,
    ).toBe(403);
    const g1 = await post(u.reader1, api(task, '/grossing'), {
      specimen: sent[0]!.id,
      description: '胃窦切除标本，大小5×3×1cm，见溃疡一处',
      blocks: [
        { label: 'A1-1', site: '溃疡中央' },
        { label: 'A1-2', site: '切缘' },
      ],
    });
    expect(g1.statusCode, g1.body).toBe(200);
    expect((await post(u.reader1, api(task, '/report'), report())).body).toContain('A2');
    const g2 = await post(u.reader1, api(task, '/grossing'), {
      specimen: sent[1]!.id,
      description: '灰白碎组织2粒',
      blocks: [{ label: 'A2-1' }],
    });
    expect(g2.statusCode).toBe(200);
    expect((await post(u.reader1, api(task, '/report'), report())).body).toContain('制片');
    const block = g2.json().specimens.find((x: { label: string }) => x.label === 'A1-1');
    expect(block).toMatchObject({ kind: 'block', parent: sent[0]!.id });
    const ihc = await post(u.reader1, api(task, '/slides'), { block: block.id, stain: 'IHC', label: 'A1-1-IHC' });
    expect(ihc.statusCode).toBe(400);
    expect(ihc.json().issue[0].expression).toEqual(['marker']);
    const slide = await post(u.reader1, api(task, '/slides'), { block: block.id, stain: 'HE', label: 'A1-1-HE' });
    expect(slide.statusCode, slide.body).toBe(200);
    const slideId = slide.json().specimens.find((x: { label: string }) => x.label === 'A1-1-HE').id;
    expect((await admin.get(`Specimen/${slideId}`)).json().parent).toEqual([{ reference: `Specimen/${block.id}` }]);
    // Pictures: one micro photo in the report, one gross photo left out.
    const pic = await post(u.reader1, api(task, '/pictures'), { data: PNG, kind: 'micro', title: '溃疡底部 HE ×100', specimen: slideId });
    expect(pic.statusCode, pic.body).toBe(200);
    const gross = await post(u.reader1, api(task, '/pictures'), { data: PNG, kind: 'gross', title: '大体', inReport: false });
    expect(gross.json().pictures).toHaveLength(2);
    // The claimant chooses which pictures go into the report: the gross photo in, then out again.
    const grossId = gross.json().pictures.find((p: { kind: string }) => p.kind === 'gross').id;
    const inReport = (res: { json: () => { pictures: { id: string; inReport: boolean }[] } }) =>
      res.json().pictures.find((p) => p.id === grossId)?.inReport;
    const chosen = await post(u.reader1, api(task, `/pictures/${grossId}`), { inReport: true });
    expect(chosen.statusCode, chosen.body).toBe(200);
    expect(inReport(chosen)).toBe(true);
    expect((await post(u.reader2, api(task, `/pictures/${grossId}`), { inReport: false })).statusCode).toBe(403);
    const notBoolean = await post(u.reader1, api(task, `/pictures/${grossId}`), { inReport: 'no' });
    expect(notBoolean.statusCode).toBe(400);
    expect(notBoolean.json().issue[0].expression).toEqual(['inReport']);
    expect((await post(u.reader1, api(task, '/pictures/not-a-picture'), { inReport: false })).statusCode).toBe(400);
    const left = await post(u.reader1, api(task, `/pictures/${grossId}`), { inReport: false });
    expect(inReport(left)).toBe(false);
    // Only the claimant reports; the report carries the specimens and the chosen picture.
    expect((await post(u.reader2, api(task, '/report'), report())).statusCode).toBe(403);
    const prelim = await post(u.reader1, api(task, '/report'), report());
    expect(prelim.statusCode, prelim.body).toBe(200);
    expect(prelim.json().report.status).toBe('preliminary');
    expect(prelim.json().report.specimen).toHaveLength(2);
    expect(prelim.json().report.media).toHaveLength(1);
    expect((await post(u.reader2, api(task, '/return'), { reason: '请补充切缘情况' })).json().state.code).toBe('claimed');
    expect((await post(u.reader1, api(task, '/report'), report({ findings: '胃黏膜慢性炎，切缘未见病变。' }))).statusCode).toBe(200);
    expect((await post(u.reader1, api(task, '/sign'))).statusCode).toBe(403);
    const signed = await post(u.reader2, api(task, '/sign'));
    expect(signed.statusCode, signed.body).toBe(200);
    const final = signed.json().report;
    expect(final).toMatchObject({ status: 'final', category: [{ coding: [{ code: 'SP' }] }] });
    expect(final.meta.tag).toContainEqual(expect.objectContaining({ system: 'urn:yiwang:recognition', code: 'HR' }));
    const pdf = final.presentedForm.find((f: { contentType: string }) => f.contentType === 'application/pdf');
    expect(Buffer.from(pdf.data, 'base64').subarray(0, 4).toString()).toBe('%PDF');
    // At the township: the final report with its picture, and the picture itself.
    const there = await detail(u.township, task);
    expect(there.side).toBe('requester');
    expect(there.report.media[0].link.reference).toMatch(/^Media\//);
    const media = there.report.media[0].link.reference.slice(6);
    const bytes = await u.township.get(api(task, `/pictures/${media}`));
    expect(bytes.statusCode).toBe(200);
    expect(bytes.headers['content-type']).toBe('image/png');
    expect(JSON.stringify((await u.township.get('/api/inbox')).json().items)).toContain('审核签发');
    // Revision keeps every version.
    const amended = await post(
      u.reader1,
      api(task, '/amend'),
      report({ impression: '（胃窦）黏膜慢性炎，伴轻度肠化。', reason: '补充肠化' }),
    );
    expect(amended.statusCode, amended.body).toBe(200);
    expect(versionStatuses(amended)).toEqual(['amended', 'final', 'preliminary', 'preliminary']);
  });

  it('rejection with a standard reason: the requester is told, sends a new specimen, the centre receives it', async () => {
    const { task, specimens: sent } = await request(u.township, 'PATH-biopsy', [specimens()[1]!]);
    await post(u.township, api(task, '/images'));
    const unknown = await post(u.reader1, api(task, '/qc-reject'), { reason: '看着不对' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().issue[0].expression).toEqual(['reason']);
    expect(await state(u.reader1, task)).toBe('requested');
    const rejected = await post(u.reader1, api(task, '/qc-reject'), { reason: 'fixative-wrong', note: '固定液仅淹没一半组织' });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json().specimens[0]).toMatchObject({ status: 'rejected', rejectReason: 'fixative-wrong' });
    expect(await state(u.township, task)).toBe('qc-rejected');
    expect((await admin.get(`Specimen/${sent[0]!.id}`)).json()).toMatchObject({
      status: 'unsatisfactory',
      condition: [{ coding: [{ code: 'fixative-wrong' }] }],
    });
    expect(JSON.stringify((await u.township.get('/api/inbox')).json().items)).toContain('固定液不足或错误');
    expect((await post(u.reader1, api(task, '/resubmit'), { specimens: specimens(20, 20, 'R') })).statusCode).toBe(403);
    const again = await post(u.township, api(task, '/resubmit'), { specimens: [specimens(20, 20, 'R')[1]] });
    expect(again.statusCode, again.body).toBe(200);
    expect(await state(u.township, task)).toBe('requested');
    const fresh = again.json().specimens.find((x: { label: string }) => x.label === 'R2');
    expect((await post(u.reader1, api(task, '/receive'), { specimens: [{ id: fresh.id }] })).statusCode).toBe(200);
    expect((await post(u.reader1, api(task, '/claim'))).statusCode).toBe(200);
  });

  it('a critical finding in a signed report raises the critical-value alert to the requesting doctor', async () => {
    const { task, specimens: sent } = await request(u.township, 'PATH-biopsy', [specimens()[1]!], 'urgent');
    await throughLab(
      task,
      sent.map((x) => x.id),
    );
    const r = await post(
      u.reader1,
      api(task, '/report'),
      report({
        impression: '（胃角）低分化腺癌',
        positive: true,
        conclusions: ['malignant', 'unexpected-malignancy'],
        template: 'biopsy-adenocarcinoma',
      }),
    );
    expect(r.statusCode, r.body).toBe(200);
    await yiwang.events.drain();
    expect((await u.township.get('/api/inbox?category=critical-value')).json().items).toHaveLength(0);
    expect((await post(u.reader2, api(task, '/sign'))).statusCode).toBe(200);
    await yiwang.events.drain();
    const alerts = (await u.township.get('/api/inbox?category=critical-value')).json().items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].title + alerts[0].body).toContain('意外发现的恶性肿瘤');
  });

  it('quality statistics: rejection rate by reason and requester, cold ischaemia median / p90 / within the limit', async () => {
    // Township 3: four specimens with cold-ischaemia 20, 90 (one case) and 40, 50 (another; the 50 rejected).
    const a = await request(u.t3, 'PATH-surgical', specimens(20, 90, 'Q'));
    const b = await request(u.t3, 'PATH-surgical', specimens(40, 50, 'S'));
    for (const x of [a, b]) expect((await post(u.t3, api(x.task, '/images'))).statusCode).toBe(200);
    expect((await post(u.reader1, api(a.task, '/receive'), { specimens: a.specimens.map((x) => ({ id: x.id })) })).statusCode).toBe(200);
    expect((await post(u.reader1, api(b.task, '/receive'), { specimens: [{ id: b.specimens[0]!.id }] })).statusCode).toBe(200);
    const rej = await post(u.reader1, api(b.task, '/qc-reject'), { reason: 'label-missing', specimens: [b.specimens[1]!.id] });
    expect(rej.statusCode, rej.body).toBe(200);
    const q = (await u.t3.get('/api/pathology/quality')).json();
    expect(q.coldIschaemiaLimitMinutes).toBe(60);
    expect(q.total).toMatchObject({
      arrived: 4,
      rejected: 1,
      rejectionRate: 0.25,
      coldIschaemiaMinutes: { measured: 4, median: 40, p90: 90, withinLimit: 3, withinLimitShare: 0.75 },
    });
    expect(q.rejectionsByReason).toEqual([{ reason: 'label-missing', display: '标签缺失或错误', rejected: 1, share: 0.25 }]);
    expect(q.byRequester).toEqual([{ organization: `Organization/${ids.T3}`, arrived: 4, rejected: 1, rejectionRate: 0.25 }]);
    // The centre sees every requester's specimens; turnaround of the signed reports of the other tests.
    const centre = (await u.reader1.get('/api/pathology/quality')).json();
    expect(centre.total.arrived).toBeGreaterThan(4);
    expect(centre.byRequester.length).toBeGreaterThanOrEqual(2);
    expect((await u.t3.get('/api/pathology/quality?from=nonsense')).statusCode).toBe(400);
  });

  it('access: another township sees nothing, a county department that is not the centre neither; the centre sees its cases', async () => {
    const { task, specimens: sent } = await request();
    await post(u.township, api(task, '/images'));
    expect((await u.other.get(api(task))).statusCode).toBe(404);
    expect((await post(u.other, api(task, '/receive'), { specimens: [{ id: sent[0]!.id }] })).statusCode).toBe(404);
    expect((await u.other.get('/api/pathology/cases?view=requested')).json().items).toHaveLength(0);
    expect((await u.cardio.get(api(task))).statusCode).toBe(404);
    const mine = (await u.township.get('/api/pathology/cases?view=requested')).json().items.map((i: { task: { id: string } }) => i.task.id);
    expect(mine).toContain(task);
    const centre = (await u.reader2.get('/api/pathology/cases?view=centre')).json().items.map((i: { task: { id: string } }) => i.task.id);
    expect(centre).toContain(task);
  });

  it('bad input: clear 400s naming the field, nothing written', async () => {
    const count = () => resourceCounts(admin, { sr: 'ServiceRequest', specimen: 'Specimen', media: 'Media' });
    const before = await count();
    const bad = async (list: unknown[], field: string) => {
      const res = await post(u.township, '/api/pathology/requests', {
        patient,
        item: 'PATH-surgical',
        site: '胃',
        reason: '溃疡',
        specimens: list,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().issue[0].expression).toEqual([field]);
    };
    const [one] = specimens();
    await bad([{ ...one, fixed: minutesAgo(200) }], 'specimens[0].fixed');
    await bad([{ ...one, collected: new Date(Date.now() + 3_600_000).toISOString() }], 'specimens[0].collected');
    await bad([{ ...one, collected: '2026-12-05T09:30' }], 'specimens[0].collected'); // a local time without its zone
    await bad([{ ...one, type: 'blood' }], 'specimens[0].type');
    await bad([], 'specimens');
    await bad([one, { ...one, type: 'fresh-tissue' }], 'specimens[1].type');
    // A text file as a photo; a report by someone who did not claim.
    const { task, specimens: sent } = await request(u.township, 'PATH-biopsy', [specimens()[1]!]);
    await throughLab(
      task,
      sent.map((x) => x.id),
    );
    const mid = await count();
    const text = await post(u.reader1, api(task, '/pictures'), { data: Buffer.from('这不是图片 not a picture').toString('base64') });
    expect(text.statusCode).toBe(400);
    expect(text.json().issue[0].expression).toEqual(['data']);
    expect((await post(u.reader2, api(task, '/pictures'), { data: PNG })).statusCode).toBe(403);
    expect((await post(u.reader2, api(task, '/report'), report())).statusCode).toBe(403);
    expect((await post(u.reader1, api(task, '/report'), report({ conclusions: ['nonsense'] }))).statusCode).toBe(400);
    expect(await count()).toEqual(mid);
    expect(mid.media).toBe(before.media);
    expect(await state(u.reader1, task)).toBe('claimed');
    expect(mid.sr).toBe(before.sr + 1);
  });
});
