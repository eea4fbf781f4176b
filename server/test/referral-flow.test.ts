/**
 * Two-way referral through the HTTP API on both engines, with users of the right institutions: up → accept → arrive →
 * complete, down-referral with a follow-up plan that lands on the township's worklist, external referral, refusals,
 * bad input writing nothing, the printable form and the statistics.
 */
import { inflateSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import { clockedApp, ENGINES, type TestClient } from './helpers/db.js';
import type { communityUsers, Community } from './workflow-fixtures.js';
import { addResident, addSystolicPressure, workflowCommunity } from './helpers/community.js';
import { postJson, resourceCounts } from './helpers/http.js';

/** Text drawn on the pages of a pdfkit PDF: content streams' hex glyph strings mapped through the ToUnicode CMaps. */
export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const streams: string[] = [];
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    const dict = raw.slice(raw.lastIndexOf('<<', m.index), m.index);
    const body = pdf.subarray(start, end);
    try {
      streams.push(dict.includes('FlateDecode') ? inflateSync(body).toString('latin1') : body.toString('latin1'));
    } catch {
      // Font programs and images need not inflate as text.
    }
  }
  const map = new Map<string, string>();
  const hexToText = (h: string) => String.fromCodePoint(...(h.match(/.{4}/g) ?? []).map((x) => parseInt(x, 16)));
  for (const s of streams.filter((x) => x.includes('begincmap'))) {
    for (const [, src, dst] of s.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g))
      map.set(src.toLowerCase().padStart(4, '0'), hexToText(dst));
    for (const [, lo, hi, list] of s.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[([^\]]*)\]/g)) {
      const dsts = [...list.matchAll(/<([0-9a-fA-F]+)>/g)].map((d) => hexToText(d[1]));
      for (let c = parseInt(lo, 16), i = 0; c <= parseInt(hi, 16); c++, i++) map.set(c.toString(16).padStart(4, '0'), dsts[i] ?? '');
    }
  }
  let out = '';
  for (const s of streams.filter((x) => /T[Jj]/.test(x) && !x.includes('begincmap'))) {
    for (const [, hex] of s.matchAll(/<([0-9a-fA-F]+)>/g)) {
      for (const code of hex.toLowerCase().match(/.{1,4}/g) ?? []) out += map.get(code.padStart(4, '0')) ?? '';
    }
  }
  return out;
}

describe.each(ENGINES)('two-way referral on %s', (engine) => {
  const clock = new ManualClock(new Date());
  let yiwang: YiwangApp;
  let admin: TestClient;
  let c: Community;
  let u: Awaited<ReturnType<typeof communityUsers>>;
  let patient: string;
  let observation: string;
  let strangerPatient: string;

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
    ({ admin, c, u } = await workflowCommunity(yiwang));
    const repo = yiwang.systemRepository(c.tenant);
    // A resident of the village clinic with no tie to the county hospital yet: the referral itself must open the record to it.
    patient = await addResident(admin, {
      id: `P2-${randomUUID().slice(0, 8)}`,
      name: '陈秀英',
      gender: 'female',
      birthDate: '1950-06-15',
      managedBy: c.ids.V1,
    });
    observation = await addSystolicPressure(admin, patient, 186);
    strangerPatient = `Patient/P3-${randomUUID().slice(0, 8)}`;
    await repo.update('Patient', strangerPatient.slice(8), {
      resourceType: 'Patient',
      id: strangerPatient.slice(8),
      name: [{ text: '周建国' }],
      managingOrganization: { reference: `Organization/${c.ids.T2}` },
    });
  }, 300_000);
  afterAll(async () => {
    await yiwang?.close();
  });

  const post = postJson;
  const upReferral = (overrides: Record<string, unknown> = {}) => ({
    direction: 'up',
    patient,
    to: `Organization/${c.ids.H}`,
    department: `Organization/${c.ids.HD}`,
    reason: '血压控制不佳，需专科调整用药',
    diagnosis: [{ code: 'I10', display: '原发性高血压' }],
    summary: '连续两次随访血压 >180/110 mmHg，伴头痛。',
    attachments: [observation],
    urgency: 'urgent',
    slot: { start: '2026-12-08T09:00:00+08:00', kind: 'outpatient' },
    ...overrides,
  });
  const counts = () => resourceCounts(admin, { tasks: 'Task', requests: 'ServiceRequest' });

  it('runs up → accept → arrive → complete, then down-referral → township follow-up task', async () => {
    // The county cannot see the resident before the referral.
    expect((await u.county.get(patient)).statusCode).toBe(404);
    const created = await post(u.township, '/api/referrals', upReferral());
    expect(created.statusCode).toBe(201);
    const { id, referral } = created.json() as any;
    expect(referral.direction).toBe('up');
    expect(referral.state.code).toBe('requested');
    expect(referral.from).toEqual({ reference: `Organization/${c.ids.T1}`, display: '大观镇卫生院' });
    expect(referral.to.display).toBe('南川区人民医院');
    expect(Date.parse(referral.due) - clock.now().getTime()).toBe(2 * 3600_000);
    // The FHIR modelling others rely on.
    const sr = (await admin.get(`ServiceRequest/${id}`)).json() as any;
    expect(sr.category[0].coding).toEqual([
      { system: 'http://snomed.info/sct', code: '3457005', display: 'Patient referral' },
      { system: 'https://yiwang.cn/fhir/CodeSystem/referral-direction', code: 'up', display: '上转' },
    ]);
    expect(sr.performer.map((p: any) => p.reference)).toEqual([`Organization/${c.ids.H}`, `Organization/${c.ids.HD}`]);
    expect(sr.requester.reference).toBe(`Practitioner/${c.practitioners.township}`);
    expect(sr.reasonCode[0].coding[0]).toMatchObject({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I10' });
    expect(sr.supportingInfo).toEqual([{ reference: observation }]);
    expect(sr.priority).toBe('urgent');
    expect(sr.occurrencePeriod.start).toBe('2026-12-08T09:00:00+08:00');
    const tasks = (await admin.get(`Task?focus=ServiceRequest/${id}`)).json() as any;
    expect(tasks.entry[0].resource).toMatchObject({
      status: 'requested',
      owner: { reference: `Organization/${c.ids.H}` },
      for: { reference: patient },
    });
    // The receiving hospital got a notification and sees it incoming; its department can act on it.
    expect(
      (await yiwang.notifier.inbox(c.tenant, [`Organization/${c.ids.H}`], { category: 'referral' })).some(
        (n) => n.link === `/referrals/${id}`,
      ),
    ).toBe(true);
    const incoming = (await u.county.get('/api/referrals?view=incoming&direction=up')).json() as any;
    expect(incoming.items.map((i: any) => i.id)).toContain(id);
    expect((await u.township.get('/api/referrals?view=incoming')).json().items.map((i: any) => i.id)).not.toContain(id);
    expect((await u.township.get('/api/referrals?view=outgoing')).json().items.map((i: any) => i.id)).toContain(id);
    const detail = (await u.dept.get(`/api/referrals/${id}`)).json() as any;
    expect(detail.allowedActions.map((a: any) => a.action).sort()).toEqual(['accept', 'reject']);
    expect(detail.attachments[0].resource.valueQuantity.value).toBe(186);
    clock.advance('PT40M');
    const accepted = await post(u.dept, `/api/referrals/${id}/accept`, { note: '明早心内科门诊' });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().state.code).toBe('accepted');
    expect(
      (await yiwang.notifier.inbox(c.tenant, [`Practitioner/${c.practitioners.township}`])).some((n) => n.title.includes('接收')),
    ).toBe(true);
    // Arrival is confirmed by the receiving institution, not by the referring one.
    expect((await post(u.township, `/api/referrals/${id}/arrive`, {})).statusCode).toBe(403);
    expect((await post(u.county, `/api/referrals/${id}/arrive`, {})).statusCode).toBe(200);
    const done = await post(u.county, `/api/referrals/${id}/complete`, {});
    expect(done.statusCode).toBe(200);
    expect(done.json().task.status).toBe('completed');
    expect(done.json().history.map((h: any) => h.action)).toEqual(['start', 'accept', 'arrive', 'complete']);

    // Down-referral from the county back to the township, with a follow-up plan.
    const down = await post(u.county, '/api/referrals', {
      direction: 'down',
      patient,
      to: `Organization/${c.ids.T1}`,
      reason: '病情稳定，转回基层管理',
      diagnosis: [{ code: 'I10', display: '原发性高血压' }],
      summary: '住院 5 天，血压控制于 135/85 mmHg。出院带药：氨氯地平 5 mg qd。',
      urgency: 'routine',
      followUpPlan: '两周内随访血压，每月复查一次',
      basedOn: `ServiceRequest/${id}`,
    });
    expect(down.statusCode).toBe(201);
    const downId = down.json().id as string;
    // The down-referral answers the up-referral it follows.
    expect((await u.county.get(`ServiceRequest/${downId}`)).json().basedOn).toEqual([{ reference: `ServiceRequest/${id}` }]);
    expect((await u.county.get(`/api/referrals/${downId}`)).json().allowedActions.map((a: any) => a.action)).toEqual(['cancel']);
    const before = (await u.township.get('/api/tasks?view=mine&workflow=referral-follow-up')).json() as any;
    expect(before.items).toEqual([]);
    const acceptDown = await post(u.township, `/api/referrals/${downId}/accept`, {});
    expect(acceptDown.statusCode).toBe(200);
    expect(acceptDown.json().followUpTasks).toHaveLength(1);
    const worklist = (await u.township.get('/api/tasks?view=mine&workflow=referral-follow-up')).json() as any;
    expect(worklist.items).toHaveLength(1);
    const followUp = worklist.items[0];
    expect(followUp.task.description).toBe('两周内随访血压，每月复查一次');
    expect(followUp.task.owner.reference).toBe(`Organization/${c.ids.T1}`);
    expect(followUp.task.partOf[0].reference).toBe(`Task/${acceptDown.json().task.id}`);
    expect(Date.parse(followUp.due) - clock.now().getTime()).toBe(14 * 24 * 3600_000);
    expect(followUp.allowedActions.map((a: any) => a.action).sort()).toEqual(['cancel', 'complete']);
    expect(worklist.counts.mine).toBe(1);
    // The village doctor below the township can record the follow-up (a note is required).
    const fid = followUp.task.id as string;
    expect((await post(u.village, `/api/tasks/${fid}/transition`, { action: 'complete' })).statusCode).toBe(400);
    const recorded = await post(u.village, `/api/tasks/${fid}/transition`, { action: 'complete', note: '血压 132/84，继续原方案' });
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json().state.code).toBe('done');
    expect((await u.township.get('/api/tasks?view=mine&workflow=referral-follow-up')).json().counts.mine).toBe(0);
  });

  it('needs a reason to reject, and a third institution can neither see nor act', async () => {
    const { id } = (await post(u.township, '/api/referrals', upReferral({ urgency: 'routine' }))).json() as any;
    const noReason = await post(u.county, `/api/referrals/${id}/reject`, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().issue[0].expression).toEqual(['reason']);
    expect(JSON.stringify(noReason.json())).toContain('原因');
    for (const client of [u.other]) {
      expect((await client.get(`/api/referrals/${id}`)).statusCode).toBe(404);
      expect((await post(client, `/api/referrals/${id}/accept`, {})).statusCode).toBe(404);
      expect((await client.get(`/api/referrals/${id}/form.pdf`)).statusCode).toBe(404);
      const lists = [(await client.get('/api/referrals')).json(), (await client.get('/api/referrals?view=incoming')).json()] as any[];
      for (const l of lists) expect(l.items.map((i: any) => i.id)).not.toContain(id);
    }
    // The referring side may not accept its own referral.
    expect((await post(u.township, `/api/referrals/${id}/accept`, {})).statusCode).toBe(403);
    const rejected = await post(u.county, `/api/referrals/${id}/reject`, { reason: '床位已满' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json().task.status).toBe('rejected');
    expect(rejected.json().task.statusReason.text).toBe('床位已满');
    expect((await post(u.county, `/api/referrals/${id}/accept`, {})).statusCode).toBe(409);
  });

  it('refuses bad input with 400 naming the field and writes nothing', async () => {
    const before = await counts();
    const cases: [Record<string, unknown>, string, number][] = [
      [upReferral({ patient: 'Patient/nobody-here' }), 'patient', 400],
      [upReferral({ reason: '  ' }), 'reason', 400],
      [upReferral({ urgency: 'soon' }), 'urgency', 400],
      [upReferral({ to: `Practitioner/${c.practitioners.county}` }), 'to', 400],
      [upReferral({ to: 'Organization/no-such-org' }), 'to', 400],
      [upReferral({ direction: 'sideways' }), 'direction', 400],
      [upReferral({ diagnosis: [{ code: 'hypertension', display: '高血压' }] }), 'diagnosis[0].code', 400],
      [upReferral({ diagnosis: [] }), 'diagnosis', 400],
      [upReferral({ summary: undefined }), 'summary', 400],
      [upReferral({ department: `Organization/${c.ids.T2}` }), 'department', 400],
      [upReferral({ attachments: ['Patient/x'] }), 'attachments[0]', 400],
      [upReferral({ slot: { start: 'tomorrow', kind: 'bed' } }), 'slot.start', 400],
      [upReferral({ to: `Organization/${c.ids.OUT}` }), 'to', 400],
      [upReferral({ direction: 'external', to: `Organization/${c.ids.H}` }), 'to', 400],
      [upReferral({ direction: 'down', to: `Organization/${c.ids.V1}` }), 'followUpPlan', 400],
      [upReferral({ to: `Organization/${c.ids.V1}` }), 'to', 400],
      [upReferral({ basedOn: 'Observation/x' }), 'basedOn', 400],
      [upReferral({ basedOn: `ServiceRequest/${randomUUID()}` }), 'basedOn', 400],
    ];
    for (const [body, field, status] of cases) {
      const res = await post(u.township, '/api/referrals', body);
      expect({ field, status: res.statusCode }).toEqual({ field, status });
      expect(res.json().resourceType).toBe('OperationOutcome');
      expect(res.json().issue[0].expression).toEqual([field]);
    }
    // A resident outside the caller's scope: refused, not revealed.
    const stranger = await post(u.township, '/api/referrals', upReferral({ patient: strangerPatient, attachments: [] }));
    expect(stranger.statusCode).toBe(403);
    // An attachment of another resident.
    const other = await post(u.township, '/api/referrals', upReferral({ patient: `Patient/${c.patient}` }));
    expect(other.statusCode).toBe(400);
    expect(other.json().issue[0].expression).toEqual(['attachments[0]']);
    expect(await counts()).toEqual(before);
  });

  it('escalates an urgent referral nobody reviews: receiving institution at 2 h, community office at 4 h', async () => {
    const { id, referral } = (await post(u.township, '/api/referrals', upReferral())).json() as any;
    const taskId = referral.task.id as string;
    // Open referrals addressed to the hospital are a plain FHIR search.
    const open = (
      await admin.get(`Task?code=https://yiwang.cn/fhir/CodeSystem/workflow|up-referral&owner=Organization/${c.ids.H}&status=requested`)
    ).json() as any;
    expect(open.entry.map((e: any) => e.resource.id)).toContain(taskId);
    const escalations = async (org: string) =>
      (await yiwang.notifier.inbox(c.tenant, [`Organization/${org}`], { category: 'escalation' })).filter(
        (n) => n.focus === `Task/${taskId}`,
      );
    clock.advance('PT1H59M');
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    expect(await escalations(c.ids.H)).toHaveLength(0);
    clock.advance('PT1M');
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    expect(await escalations(c.ids.H)).toHaveLength(1);
    expect((await escalations(c.ids.H))[0]).toMatchObject({ priority: 'urgent', link: `/referrals/${id}` });
    expect(await escalations(c.ids.C)).toHaveLength(0);
    clock.advance('PT2H');
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    expect(await escalations(c.ids.C)).toHaveLength(1);
    const detail = (await u.county.get(`/api/referrals/${id}`)).json() as any;
    expect(detail.overdue).toBe(true);
    expect(detail.escalationLevel).toBe(2);
    // Handled late: the escalation stops and the referral leaves the overdue list.
    expect((await post(u.county, `/api/referrals/${id}/reject`, { reason: '已超时，请改约' })).statusCode).toBe(200);
    const overdue = (await u.county.get('/api/tasks?view=overdue&workflow=up-referral&count=200')).json() as any;
    expect(overdue.items.map((i: any) => i.task.id)).not.toContain(taskId);
    expect(await yiwang.scheduler.pending(c.tenant, `wf:${taskId}:`)).toEqual([]);
  });

  it('tracks a referral outside the county by hand: sent → confirmed → closed', async () => {
    const res = await post(u.township, '/api/referrals', {
      direction: 'external',
      patient,
      to: `Organization/${c.ids.OUT}`,
      reason: '疑似主动脉夹层，需上级医院手术',
      diagnosis: [{ code: 'I71.0', display: '主动脉夹层' }],
      summary: '突发胸背部撕裂样疼痛 2 小时。',
      urgency: 'urgent',
    });
    expect(res.statusCode).toBe(201);
    const { id, referral } = res.json() as any;
    expect(referral.state.code).toBe('sent');
    expect(referral.allowedActions.map((a: any) => a.action).sort()).toEqual(['cancel', 'confirm', 'return']);
    expect((await post(u.township, `/api/referrals/${id}/confirm`, {})).json().state.code).toBe('confirmed');
    expect((await post(u.township, `/api/referrals/${id}/complete`, {})).json().state.code).toBe('closed');
  });

  it('prints the referral form as a PDF with the patient’s name in Chinese', async () => {
    const { id } = (await post(u.township, '/api/referrals', upReferral())).json() as any;
    const res = await u.township.get(`/api/referrals/${id}/form.pdf`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(1);
    const text = pdfText(pdf);
    expect(text).toContain('陈秀英');
    expect(text).toContain('双向转诊单');
    expect(text).toContain('原发性高血压');
    expect(text).toContain('大观镇卫生院');
    // Without a CJK font the form is refused with a clear 503, not printed as empty boxes.
    const saved = process.env.YIWANG_CJK_FONT;
    process.env.YIWANG_CJK_FONT = '/nonexistent/no-such-font.ttc';
    try {
      const refused = await u.township.get(`/api/referrals/${id}/form.pdf`);
      expect(refused.statusCode).toBe(503);
      expect(JSON.stringify(refused.json())).toContain('中文字体');
    } finally {
      if (saved === undefined) delete process.env.YIWANG_CJK_FONT;
      else process.env.YIWANG_CJK_FONT = saved;
    }
  });

  it('counts, acceptance rate, median and p90 time to acceptance, rejection reasons, per institution', async () => {
    const { admin, c, u } = await workflowCommunity(yiwang);
    const t0 = clock.now();
    const refer = async (direction: string, to: string, from = u.township) => {
      const res = await post(from, '/api/referrals', {
        direction,
        patient: `Patient/${c.patient}`,
        to: `Organization/${to}`,
        reason: '需要上级诊治',
        diagnosis: [{ code: 'I10', display: '原发性高血压' }],
        summary: '摘要',
        urgency: 'routine',
        ...(direction === 'down' ? { followUpPlan: '两周随访' } : {}),
      });
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    };
    const up1 = await refer('up', c.ids.H);
    const up2 = await refer('up', c.ids.H);
    const up3 = await refer('up', c.ids.H);
    await refer('up', c.ids.H); // stays pending
    const down1 = await refer('down', c.ids.T1, u.county);
    const ext1 = await refer('external', c.ids.OUT);
    const act = async (client: TestClient, id: string, action: string, body: Record<string, unknown> = {}) =>
      expect((await post(client, `/api/referrals/${id}/${action}`, body)).statusCode).toBe(200);
    clock.advance('PT1H');
    await act(u.county, up1, 'accept');
    clock.advance('PT1H');
    await act(u.county, up3, 'reject', { reason: '床位已满' });
    await act(u.township, ext1, 'return', { reason: '对方无床位' });
    clock.advance('PT1H');
    await act(u.county, up2, 'accept');
    clock.advance('PT2H');
    await act(u.township, down1, 'accept');
    const from = new Date(t0.getTime() - 3600_000).toISOString();
    const to = new Date(clock.now().getTime() + 3600_000).toISOString();
    const res = await admin.get(`/api/referrals/stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(res.statusCode).toBe(200);
    const s = res.json() as any;
    expect(s.byDirection.up).toEqual({
      total: 4,
      accepted: 2,
      rejected: 1,
      cancelled: 0,
      pending: 1,
      acceptanceRate: 0.67,
      hoursToAcceptance: { median: 2, p90: 3 },
    });
    expect(s.byDirection.down).toMatchObject({ total: 1, accepted: 1, acceptanceRate: 1, hoursToAcceptance: { median: 5, p90: 5 } });
    expect(s.byDirection.external).toMatchObject({
      total: 1,
      accepted: 0,
      rejected: 1,
      acceptanceRate: 0,
      hoursToAcceptance: { median: null, p90: null },
    });
    expect(s.total).toMatchObject({
      total: 6,
      accepted: 3,
      rejected: 2,
      pending: 1,
      acceptanceRate: 0.6,
      hoursToAcceptance: { median: 3, p90: 5 },
    });
    expect(s.rejectionReasons).toEqual(
      [
        { reason: '对方无床位', count: 1 },
        { reason: '床位已满', count: 1 },
      ].sort((a, b) => a.reason.localeCompare(b.reason)),
    );
    const h = s.byReceivingInstitution.find((i: any) => i.institution === `Organization/${c.ids.H}`);
    expect(h).toMatchObject({ display: '南川区人民医院', total: 4, accepted: 2, rejected: 1 });
    const t1 = s.byReferringInstitution.find((i: any) => i.institution === `Organization/${c.ids.T1}`);
    expect(t1).toMatchObject({ total: 5 });
    // A period before everything: nothing.
    const empty = (await admin.get(`/api/referrals/stats?from=2020-01-01&to=2020-02-01`)).json() as any;
    expect(empty.total.total).toBe(0);
    expect(empty.total.acceptanceRate).toBeNull();
    expect((await admin.get('/api/referrals/stats?from=2026-02-01&to=2026-01-01')).statusCode).toBe(400);
    // A third institution sees none of these referrals in its statistics.
    expect(
      ((await u.other.get(`/api/referrals/stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).json() as any).total.total,
    ).toBe(0);
  });
});
