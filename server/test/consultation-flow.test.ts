/**
 * Remote consultation through the HTTP API on both engines: a single-specialty instant consultation from request to
 * evaluation, rejection and cancellation with reasons, a multidisciplinary one with two county experts and a province
 * hospital's expert, the charges, the experts' access to the resident's record (only while the consultation is open,
 * never for an uninvited doctor of the same hospital), the parties' views, bad input writing nothing and the statistics.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import { clockedApp, ENGINES, type TestClient } from './helpers/db.js';
import type { communityUsers, Community } from './workflow-fixtures.js';
import { addResident, addSystolicPressure, workflowCommunity, organization } from './helpers/community.js';
import { postJson, resourceCounts } from './helpers/http.js';

const BASE = '/api/consultation/requests';

describe.each(ENGINES)('remote consultation on %s', (engine) => {
  const clock = new ManualClock(new Date());
  const startedAt = clock.now();
  let yiwang: YiwangApp;
  let admin: TestClient;
  let c: Community;
  let u: Awaited<ReturnType<typeof communityUsers>>;
  let centre: TestClient;
  let neuro: TestClient;
  let uninvited: TestClient;
  let ids: { HC: string; HN: string; expert1: string; expert2: string };
  let patient: string;
  let observation: string;
  let condition: string;

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
    ({ admin, c, u } = await workflowCommunity(yiwang));
    const repo = yiwang.systemRepository(c.tenant);
    const s = randomUUID().slice(0, 8);
    ids = { HC: `HC-${s}`, HN: `HN-${s}`, expert1: `Practitioner/${c.practitioners.dept}`, expert2: `Practitioner/pr-hn-${s}` };
    // The county hospital's consultation centre (会诊中心) and a second department (神经内科) with an invited and an uninvited doctor.
    await repo.update('Organization', ids.HC, organization(ids.HC, '南川区人民医院会诊中心', c.ids.H));
    await repo.update('Organization', ids.HN, organization(ids.HN, '南川区人民医院神经内科', c.ids.H));
    for (const [id, name] of [
      [`pr-hc-${s}`, '周主任'],
      [`pr-hn-${s}`, '吴医生'],
      [`pr-hx-${s}`, '郑医生'],
    ]) {
      await repo.update('Practitioner', id, { resourceType: 'Practitioner', id, name: [{ text: name }] });
    }
    await repo.create({
      resourceType: 'PractitionerRole',
      active: true,
      practitioner: { reference: ids.expert2 },
      organization: { reference: `Organization/${ids.HN}` },
    });
    centre = await admin.as({ roles: ['county-specialist'], organizationId: ids.HC, practitionerId: `pr-hc-${s}` });
    neuro = await admin.as({ roles: ['county-specialist'], organizationId: ids.HN, practitionerId: `pr-hn-${s}` });
    uninvited = await admin.as({ roles: ['county-specialist'], organizationId: ids.HN, practitionerId: `pr-hx-${s}` });
    patient = await addResident(admin, { id: `P-${s}`, name: '陈秀英', gender: 'female', birthDate: '1950-06-15', managedBy: c.ids.V1 });
    observation = await addSystolicPressure(admin, patient, 186);
    condition = `Condition/${
      (await repo.create({ resourceType: 'Condition', code: { text: '原发性高血压' }, subject: { reference: patient } })).resource.id
    }`;
  }, 300_000);
  afterAll(async () => {
    await yiwang?.close();
  });

  const post = postJson;
  const get = (client: TestClient, url: string) => client.request('GET', url);
  const request = (overrides: Record<string, unknown> = {}) => ({
    kind: 'single',
    mode: 'instant',
    patient,
    to: `Organization/${ids.HC}`,
    reason: '血压控制不佳，伴头痛，请心内科会诊调整用药',
    question: '是否需要加用第三种降压药？',
    attachments: [observation, condition],
    ...overrides,
  });
  const inAnHour = () => new Date(clock.now().getTime() + 3600_000).toISOString();
  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await post(u.township, BASE, request(overrides));
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const schedule = (id: string, experts: string[], lead = experts[0]) =>
    post(centre, `${BASE}/${id}/schedule`, { start: inAnHour(), experts, lead });
  const counts = () =>
    resourceCounts(admin, { t: 'Task', s: 'ServiceRequest', ct: 'CareTeam', ci: 'ClinicalImpression', ch: 'ChargeItem' });

  it('runs a single-specialty instant consultation: request → accept → schedule → session → opinion → conclusion → evaluation', async () => {
    // Before the consultation neither the centre's expert nor anyone of the hospital sees the resident.
    expect((await u.dept.get(patient)).statusCode).toBe(404);
    const created = await post(u.township, BASE, request());
    expect(created.statusCode, created.body).toBe(201);
    const { id, consultation } = created.json();
    expect(consultation).toMatchObject({
      kind: 'single',
      mode: 'instant',
      state: { code: 'requested' },
      to: { display: '南川区人民医院会诊中心' },
    });
    expect(Date.parse(consultation.due) - clock.now().getTime()).toBe(30 * 60_000);
    const sr = (await admin.get(`ServiceRequest/${id}`)).json();
    expect(sr.category[0].coding[0]).toEqual({ system: 'http://snomed.info/sct', code: '11429006', display: 'Consultation' });
    expect(sr.supportingInfo).toEqual([{ reference: observation }, { reference: condition }]);
    expect(sr.subject).toEqual({ reference: patient });

    // Another township neither sees it nor finds it in its list; the centre finds it incoming.
    expect((await get(u.other, `${BASE}/${id}`)).statusCode).toBe(404);
    expect((await get(u.other, BASE)).json().items).toEqual([]);
    expect((await get(centre, `${BASE}?view=incoming`)).json().items.map((i: { id: string }) => i.id)).toContain(id);
    expect((await get(u.township, `${BASE}?view=outgoing`)).json().items.map((i: { id: string }) => i.id)).toContain(id);

    clock.advance('PT1H');
    // The requester may not accept their own request; the centre may.
    expect((await post(u.township, `${BASE}/${id}/accept`)).statusCode).toBe(403);
    const accepted = await post(centre, `${BASE}/${id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().state.code).toBe('accepted');

    const scheduled = await schedule(id, [ids.expert1]);
    expect(scheduled.statusCode, scheduled.body).toBe(200);
    expect(scheduled.json().state.code).toBe('scheduled');
    expect(scheduled.json().participants).toEqual([expect.objectContaining({ reference: ids.expert1, role: 'lead' })]);
    // The invited expert now reads the resident's 360 view; an uninvited doctor of the same hospital does not.
    expect((await u.dept.get(patient)).statusCode).toBe(200);
    expect((await u.dept.get(`Observation?subject=${patient}`)).json().entry).toHaveLength(1);
    expect((await uninvited.get(patient)).statusCode).toBe(404);
    expect((await get(uninvited, `${BASE}/${id}`)).statusCode).toBe(404);
    const asExpert = await get(u.dept, `${BASE}/${id}`);
    expect(asExpert.statusCode).toBe(200);
    expect(asExpert.json().me.expert.role).toBe('lead');
    expect(asExpert.json().attachments.map((a: { resource: unknown }) => !!a.resource)).toEqual([true, true]);
    expect((await get(u.dept, `${BASE}?view=expert`)).json().items.map((i: { id: string }) => i.id)).toContain(id);
    const inbox = (await u.dept.request('GET', '/api/inbox')).json();
    expect(JSON.stringify(inbox)).toContain('远程会诊邀请');

    // Opinions only in session, and only from invited experts.
    expect((await post(u.dept, `${BASE}/${id}/opinions`, { opinion: '建议加用氢氯噻嗪' })).statusCode).toBe(409);
    expect((await post(u.dept, `${BASE}/${id}/begin`)).statusCode).toBe(403);
    expect((await post(centre, `${BASE}/${id}/begin`)).json().state.code).toBe('in-session');
    expect((await post(uninvited, `${BASE}/${id}/opinions`, { opinion: 'x' })).statusCode).toBe(404);
    expect((await post(u.township, `${BASE}/${id}/opinions`, { opinion: 'x' })).statusCode).toBe(403);
    const opinion = await post(u.dept, `${BASE}/${id}/opinions`, { opinion: '建议加用氢氯噻嗪 12.5 mg qd，两周后复查血压和电解质' });
    expect(opinion.statusCode, opinion.body).toBe(201);
    expect(opinion.json().consultation.opinions).toEqual([
      expect.objectContaining({ text: expect.stringContaining('氢氯噻嗪'), role: 'lead' }),
    ]);

    clock.advance('PT2H');
    const concluded = await post(u.dept, `${BASE}/${id}/conclusion`, {
      conclusion: '高血压 3 级，调整为三联降压方案',
      recommendation: '两周后乡镇复查',
    });
    expect(concluded.statusCode, concluded.body).toBe(200);
    expect(concluded.json().state).toBe('concluded');
    // Access ends with the consultation: the expert no longer reads the resident nor the consultation.
    expect((await u.dept.get(patient)).statusCode).toBe(404);
    expect((await get(u.dept, `${BASE}/${id}`)).statusCode).toBe(404);

    const seen = (await get(u.township, `${BASE}/${id}`)).json();
    expect(seen.state.code).toBe('concluded');
    expect(seen.conclusion).toMatchObject({
      text: '高血压 3 级，调整为三联降压方案',
      recommendation: '两周后乡镇复查',
      practitioner: { reference: ids.expert1 },
    });
    expect(seen.charges).toEqual([
      expect.objectContaining({ code: 'consult-single', quantity: 1, amount: 100, priceVersion: '2026-01-01' }),
    ]);
    expect(seen.access.open).toBe(false);
    expect((await admin.get(`ServiceRequest/${id}`)).json().status).toBe('completed');

    // Evaluation: by the requester only, once.
    expect((await post(centre, `${BASE}/${id}/evaluation`, { score: 5 })).statusCode).toBe(403);
    const rated = await post(u.township, `${BASE}/${id}/evaluation`, { score: 5, comment: '回复及时，建议明确' });
    expect(rated.statusCode, rated.body).toBe(200);
    expect(rated.json()).toMatchObject({ state: { code: 'evaluated' }, evaluation: { score: 5, comment: '回复及时，建议明确' } });
    expect((await post(u.township, `${BASE}/${id}/evaluation`, { score: 4 })).statusCode).toBe(409);
    expect(rated.json().history.map((h: { action: string }) => h.action)).toEqual([
      'start',
      'accept',
      'schedule',
      'begin',
      'conclude',
      'evaluate',
    ]);
  });

  it('rejects with a reason, and cancels with a reason, which ends the experts’ access', async () => {
    const id = await create();
    const noReason = await post(centre, `${BASE}/${id}/reject`);
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().issue[0].expression).toEqual(['reason']);
    const rejected = await post(centre, `${BASE}/${id}/reject`, { reason: '本中心暂无相关专科，请申请上级医院会诊' });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json().state.code).toBe('rejected');
    expect(rejected.json().task.statusReason.text).toBe('本中心暂无相关专科，请申请上级医院会诊');
    expect((await post(centre, `${BASE}/${id}/accept`)).statusCode).toBe(409);

    const later = await create({ mode: 'scheduled', requestedTime: inAnHour() });
    clock.advance('PT30M');
    expect((await post(centre, `${BASE}/${later}/accept`)).statusCode).toBe(200);
    expect((await schedule(later, [ids.expert2])).statusCode).toBe(200);
    expect((await neuro.get(patient)).statusCode).toBe(200);
    expect((await post(centre, `${BASE}/${later}/cancel`, { reason: '中心不能撤销' })).statusCode).toBe(403);
    const noReasonCancel = await post(u.township, `${BASE}/${later}/cancel`);
    expect(noReasonCancel.json().issue[0].expression).toEqual(['reason']);
    const cancelled = await post(u.township, `${BASE}/${later}/cancel`, { reason: '患者已转往市级医院' });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().state.code).toBe('cancelled');
    expect((await neuro.get(patient)).statusCode).toBe(404);
    expect((await admin.get(`ServiceRequest/${later}`)).json().status).toBe('revoked');
  });

  it('runs a multidisciplinary consultation with two county experts and a province hospital expert; charges per price item', async () => {
    const id = await create({ kind: 'mdt', specialties: ['心内科', '神经内科'], reason: '反复头晕伴血压波动，请心内科、神经内科联合会诊' });
    clock.advance('PT2H');
    expect((await post(centre, `${BASE}/${id}/accept`)).statusCode).toBe(200);
    expect(
      (await post(u.township, `${BASE}/${id}/participants`, { name: 'x', institution: 'y', level: 'city', contact: '1' })).statusCode,
    ).toBe(403);
    const scheduled = await schedule(id, [ids.expert1, ids.expert2], ids.expert2);
    expect(scheduled.statusCode, scheduled.body).toBe(200);
    expect(scheduled.json().participants).toEqual([
      expect.objectContaining({ reference: ids.expert1, role: 'member' }),
      expect.objectContaining({
        reference: ids.expert2,
        role: 'lead',
        organization: { reference: `Organization/${ids.HN}`, display: '南川区人民医院神经内科' },
      }),
    ]);
    const external = await post(centre, `${BASE}/${id}/participants`, {
      name: '黄教授',
      institution: '重庆医科大学附属第一医院',
      level: 'province',
      contact: '023-68899999',
      specialty: '神经内科',
    });
    expect(external.statusCode, external.body).toBe(201);
    const guest = external.json().participant.practitioner as string;
    expect(external.json().consultation.participants.at(-1)).toMatchObject({
      reference: guest,
      role: 'external',
      display: '黄教授',
      organization: { display: '重庆医科大学附属第一医院' },
    });
    expect((await post(centre, `${BASE}/${id}/begin`)).statusCode).toBe(200);

    // The lead concludes only after the opinions of two experts; a member may not conclude.
    expect((await post(neuro, `${BASE}/${id}/conclusion`, { conclusion: '太早' })).statusCode).toBe(409);
    expect((await post(u.dept, `${BASE}/${id}/opinions`, { opinion: '心源性因素可能性小，动态血压监测' })).statusCode).toBe(201);
    expect((await post(neuro, `${BASE}/${id}/opinions`, { opinion: '建议头颅 MRI 排除后循环缺血' })).statusCode).toBe(201);
    expect((await post(u.dept, `${BASE}/${id}/conclusion`, { conclusion: '成员不能出结论' })).statusCode).toBe(403);
    // The centre enters the province expert's opinion on their behalf, attributed to them; not a county expert's.
    expect((await post(centre, `${BASE}/${id}/opinions`, { opinion: 'x', onBehalfOf: ids.expert1 })).json().issue[0].expression).toEqual([
      'onBehalfOf',
    ]);
    const entered = await post(centre, `${BASE}/${id}/opinions`, { opinion: '同意神经内科意见，必要时转上级医院', onBehalfOf: guest });
    expect(entered.statusCode, entered.body).toBe(201);
    const ext = entered
      .json()
      .consultation.opinions.find((o: { practitioner: { reference: string } }) => o.practitioner.reference === guest);
    expect(ext).toMatchObject({ role: 'external', enteredBy: { display: '周主任' } });
    // A second opinion of the same expert revises theirs.
    expect(
      (await post(neuro, `${BASE}/${id}/opinions`, { opinion: '建议头颅 MRI 及颈动脉超声' })).json().consultation.opinions,
    ).toHaveLength(3);

    clock.advance('PT3H');
    const concluded = await post(neuro, `${BASE}/${id}/conclusion`, { conclusion: '考虑后循环缺血，完善 MRI 后复诊' });
    expect(concluded.statusCode, concluded.body).toBe(200);
    const detail = (await get(centre, `${BASE}/${id}`)).json();
    expect(detail.charges.map((ch: { code: string; quantity: number; amount: number }) => [ch.code, ch.quantity, ch.amount])).toEqual(
      expect.arrayContaining([
        ['consult-mdt', 1, 300],
        ['consult-external', 1, 500],
      ]),
    );
    expect(detail.feesTotal).toBe(800);
    expect((await post(u.township, `${BASE}/${id}/evaluation`, { score: 3 })).statusCode).toBe(200);
  });

  it('refuses bad input with a 400 naming the field and writes nothing', async () => {
    const before = await counts();
    const cases: [Record<string, unknown>, string][] = [
      [{ reason: '' }, 'reason'],
      [{ reason: undefined }, 'reason'],
      [{ mode: 'scheduled' }, 'requestedTime'],
      [{ mode: 'scheduled', requestedTime: '2020-01-01T09:00:00+08:00' }, 'requestedTime'],
      [{ mode: 'scheduled', requestedTime: '明天上午' }, 'requestedTime'],
      [{ kind: 'mdt', specialties: ['心内科'] }, 'specialties'],
      [{ kind: 'group' }, 'kind'],
      [{ to: 'Organization/nowhere' }, 'to'],
      [{ attachments: ['Patient/x'] }, 'attachments[0]'],
    ];
    for (const [overrides, field] of cases) {
      const res = await post(u.township, BASE, request(overrides));
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json().issue[0].expression).toEqual([field]);
    }
    expect(await counts()).toEqual(before);

    const id = await create();
    expect((await post(centre, `${BASE}/${id}/accept`)).statusCode).toBe(200);
    const afterCreate = await counts();
    const bad: [Record<string, unknown>, string][] = [
      [{ start: inAnHour(), experts: ['Practitioner/nobody'] }, 'experts[0]'],
      [{ start: inAnHour(), experts: [] }, 'experts'],
      [{ experts: [ids.expert1] }, 'start'],
      [{ start: '2020-01-01T09:00:00Z', experts: [ids.expert1] }, 'start'],
      [{ start: inAnHour(), experts: [ids.expert1], lead: ids.expert2 }, 'lead'],
    ];
    for (const [body, field] of bad) {
      const res = await post(centre, `${BASE}/${id}/schedule`, body);
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json().issue[0].expression).toEqual([field]);
    }
    // The generic task route cannot skip naming the experts.
    const task = (await get(centre, `${BASE}/${id}`)).json().task.id as string;
    const generic = await post(centre, `/api/tasks/${task}/transition`, { action: 'schedule' });
    expect(generic.statusCode).toBe(400);
    expect(generic.json().issue[0].expression).toEqual(['experts']);
    expect((await post(centre, `${BASE}/${id}/frobnicate`)).json().issue[0].expression).toEqual(['action']);
    expect(await counts()).toEqual(afterCreate);
    expect((await get(centre, `${BASE}/${id}`)).json().state.code).toBe('accepted');
    const score = await post(u.township, `${BASE}/${id}/evaluation`, { score: 7 });
    expect(score.statusCode).toBe(400);
    expect(score.json().issue[0].expression).toEqual(['score']);
    expect(
      (await post(centre, `${BASE}/${id}/participants`, { name: '黄教授', institution: '市医院', level: 'county', contact: '1' })).json()
        .issue[0].expression,
    ).toEqual(['level']);
    expect(await counts()).toEqual(afterCreate);
  });

  it('counts consultations, times, scores, external experts and fees', async () => {
    const res = await get(
      centre,
      `/api/consultation/stats?from=${encodeURIComponent(startedAt.toISOString())}&to=${encodeURIComponent(new Date(clock.now().getTime() + 60_000).toISOString())}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    // single evaluated; rejected; cancelled; MDT evaluated; accepted (bad-input test).
    expect(s.total).toBe(5);
    expect(s.byKind).toEqual({ single: 4, mdt: 1 });
    expect(s.byMode).toEqual({ instant: 4, scheduled: 1 });
    expect(s.byState).toEqual({ accepted: 1, cancelled: 1, evaluated: 2, rejected: 1 });
    // Accepted after 1 h, 0.5 h, 2 h and 0 h; concluded 3 h (single) and 5 h (MDT) after the request.
    expect(s.hoursToAcceptance).toEqual({ median: 0.75, p90: 2 });
    expect(s.hoursToConclusion).toEqual({ median: 4, p90: 5 });
    expect(s.evaluation).toEqual({ count: 2, meanScore: 4 });
    expect(s.external).toEqual({ count: 1, share: 0.2 });
    expect(s.fees).toEqual({ currency: 'CNY', total: 900, items: 3 });
    expect((await get(centre, '/api/consultation/stats?from=2026-13-01')).json().issue[0].expression).toEqual(['from']);
  });
});
