/**
 * Care coordination in a real browser against the real server with the demo county: two-way referral (a township
 * doctor refers a resident up through the form, the county specialist accepts it from the worklist and refers the
 * resident back down with a discharge summary and a follow-up plan, the township sees the follow-up task), a critical
 * potassium arriving by HL7 v2 that the ordering village doctor's open page shows without reloading (SSE) and that is
 * acknowledged with a read-back (a wrong one first), the inbox badge changing live, the referral form on a 360-px
 * phone, and the form refusing to send without a reason.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflow, shot, signIn, startSuite, type Suite } from './browser.js';
import { Api, DEMO_PASSWORD } from './server.js';

const ID_NUMBER_SYSTEM = 'urn:oid:2.16.156.10011.1.3';
/** The placer-order system of the village clinic's orders (an ISO OID, so HL7 OBR-2 can name it as EI-3/EI-4). */
const PLACER_OID = '1.2.156.112604.99.7';

let suite: Suite;
let admin: Api;
const startedAt = Date.now();

/** Waits until the page's live connection (SSE) is open: only then can a push reach it. */
async function live(page: Page): Promise<void> {
  await page.locator('[data-testid=inbox-bell][data-live=on]').waitFor();
}

const badge = async (page: Page): Promise<number> => Number(await page.getByTestId('inbox-bell').getAttribute('data-count'));

/** An HL7 v2 timestamp in China time. */
function hl7Time(d: Date): string {
  const c = new Date(d.getTime() + 8 * 3600_000).toISOString();
  return c.slice(0, 19).replace(/[-T:]/g, '');
}

/** One HL7 v2 segment from its fields by position. */
function seg(name: string, fields: Record<number, string>): string {
  const last = Math.max(...Object.keys(fields).map(Number));
  return [name, ...Array.from({ length: last }, (_, i) => fields[i + 1] ?? '')].join('|');
}

async function postHl7(message: string): Promise<string> {
  const res = await admin.send('/hl7/v2', message, 'application/hl7-v2');
  const ack = await res.text();
  expect(res.status, ack).toBe(200);
  return `${res.headers.get('x-hl7-ack-code')} ${ack.replace(/\r/g, '\n')}`;
}

beforeAll(async () => {
  suite = await startSuite(200);
  admin = await Api.login(suite.base, 'admin');
  console.log(`collaboration e2e setup: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
});

afterAll(async () => {
  await suite?.stop();
  console.log(`collaboration e2e total: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
});

describe('critical values in Chromium', () => {
  it('a critical potassium arriving by HL7 v2 shows on the ordering doctor’s open page; read-back acknowledges it', async () => {
    const doctor = await Api.login(suite.base, 'village.doctor');
    const me = await doctor.me();
    const practitionerId = me.practitionerId;
    expect(practitionerId, 'the village doctor has a Practitioner').toBeTruthy();
    // A resident of the village with an ID number; the doctor orders a potassium test (the placer order number
    // is what the lab's result message will name).
    const patients = await doctor.json(`/fhir/R4/Patient?organization=Organization/${me.organizationId}&_count=20`);
    const patient = patients.entry
      .map((e: any) => e.resource)
      .find((p: any) => p.identifier?.some((i: any) => i.system === ID_NUMBER_SYSTEM && /^\d{17}[\dX]$/.test(i.value)));
    const idNumber = patient.identifier.find((i: any) => i.system === ID_NUMBER_SYSTEM).value as string;
    const name = (patient.name[0].text ?? `${patient.name[0].family}${patient.name[0].given.join('')}`) as string;
    const placer = `E2E-K-${Date.now()}`;
    await doctor.json('/fhir/R4/ServiceRequest', {
      method: 'POST',
      body: {
        resourceType: 'ServiceRequest',
        identifier: [{ system: `urn:oid:${PLACER_OID}`, value: placer }],
        status: 'active',
        intent: 'order',
        code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: '血钾' }], text: '血钾' },
        subject: { reference: `Patient/${patient.id}` },
        requester: { reference: `Practitioner/${practitionerId}` },
        performer: [{ display: '南川区人民医院检验科' }],
        authoredOn: new Date(Date.now() - 3600_000).toISOString(),
      },
    });

    // The doctor is at work on another page when the result comes in.
    const page = await suite.pageAs('village.doctor');
    await page.goto(`${suite.base}/patients`);
    await live(page);
    expect(await page.getByTestId('cv-banner').count()).toBe(0);
    const before = await badge(page);

    const now = new Date();
    const order = `${placer}^^${PLACER_OID}^ISO`;
    const oru = [
      `MSH|^~\\&|LIS|NCRMYY|YIWANG|YW|${hl7Time(now)}||ORU^R01^ORU_R01|E2E-CV-${Date.now()}|P|2.5|||||CHN|UNICODE UTF-8`,
      seg('PID', { 1: '1', 3: `${idNumber}^^^^NNCHN`, 5: name }),
      seg('ORC', { 1: 'RE', 2: order, 3: `F-${placer}^LIS` }),
      seg('OBR', {
        1: '1',
        2: order,
        3: `F-${placer}^LIS`,
        4: 'K^血钾^L',
        7: hl7Time(new Date(now.getTime() - 1800_000)),
        22: hl7Time(now),
        25: 'F',
      }),
      seg('OBX', { 1: '1', 2: 'NM', 3: '2823-3^钾^LN', 5: '6.8', 6: 'mmol/L', 7: '3.5-5.3', 8: 'HH', 11: 'F', 14: hl7Time(now) }),
    ].join('\r');
    const t0 = Date.now();
    expect(await postHl7(oru)).toMatch(/^AA /);

    // Without reloading: the red banner, the dialog opening by itself, and the badge going up.
    await page.getByTestId('cv-banner').waitFor({ timeout: 15_000 });
    console.log(`critical value on the doctor's page ${Date.now() - t0} ms after the HL7 message was accepted`);
    expect(await page.getByTestId('cv-banner').textContent()).toContain('6.8');
    await expect.poll(() => badge(page)).toBeGreaterThan(before);
    const dialog = page.locator('.ant-modal', { has: page.getByTestId('cv-read-back') });
    await dialog.waitFor();
    expect(await dialog.getByTestId('cv-value').textContent()).toContain('6.8');
    await shot(page, 'critical-value-alert', { fullPage: false });

    // A wrong read-back is refused with a clear message; nothing is acknowledged.
    await page.getByTestId('cv-read-back').fill('5.8 mmol/L');
    await page.getByTestId('cv-ack-submit').click();
    await page.getByTestId('cv-ack-error').waitFor();
    expect(await page.getByTestId('cv-ack-error').textContent()).toContain('复述结果与危急值不一致');
    await shot(page, 'critical-value-read-back-error', { fullPage: false });
    expect(await page.getByTestId('cv-banner').count()).toBe(1);

    // The right one acknowledges: dialog and banner go away, the chain shows the acknowledgement.
    await page.getByTestId('cv-read-back').fill('6.8 mmol/L');
    await page.getByTestId('cv-action').fill('已电话通知患者立即到乡镇卫生院复查并处置');
    await page.getByTestId('cv-ack-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('cv-banner').waitFor({ state: 'detached' });
    const list = await doctor.json<{ items: { taskId: string; state: string }[] }>('/api/critical-values?view=all');
    const alert = list.items[0]!;
    expect(alert.state).toBe('acknowledged');
    await page.goto(`${suite.base}/critical-values/${alert.taskId}`);
    await page.getByTestId('cv-chain').locator('.cv-event-acknowledged').waitFor();
    expect(await page.getByTestId('cv-state').textContent()).toContain('已确认');
    await shot(page, 'critical-value-chain');
    await page.close();
  }, 180_000);
});

describe('two-way referral in Chromium', () => {
  it('township refers up through the form; the county accepts from its worklist and refers down with a discharge summary and follow-up plan; the township sees the follow-up task', async () => {
    const township = await (await Api.login(suite.base, 'township.doctor')).me();
    const resident = await firstResident(township.organizationId!);

    // The county specialist is at work with the app open: the referral arrives live (inbox badge).
    const county = await suite.pageAs('county.specialist');
    await live(county);
    const countyBefore = await badge(county);

    // Township doctor: the up-referral through the form.
    const page = await suite.pageAs('township.doctor');
    await page.getByTestId('bench-referrals').waitFor();
    await page.goto(`${suite.base}/referrals/new`);
    await choosePatient(page, resident.name);
    await chooseInstitution(page, '南川区人民医院');
    await page.getByTestId('department-input').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '心血管内科' }).first().click();
    await page.getByText('紧急', { exact: true }).click();
    await page.getByTestId('referral-reason').fill('血压控制不佳，伴胸闷，需上级医院明确诊断');
    await chooseDiagnosis(page, '高血压');
    await page.getByTestId('referral-summary').fill('近两周血压160-180/100mmHg，联用两种降压药效果不佳，偶有胸闷。');
    await shot(page, 'referral-form');
    const created = page.waitForResponse((r) => r.url().endsWith('/api/referrals') && r.request().method() === 'POST');
    await page.getByTestId('referral-submit').click();
    expect((await created).status()).toBe(201);
    await page.getByTestId('referral-detail').waitFor();
    const referralUrl = page.url();
    expect(await page.getByTestId('referral-detail').locator('.referral-state').textContent()).toContain('待接收');
    expect(await page.getByTestId('referral-reason-text').textContent()).toContain('血压控制不佳');
    await shot(page, 'referral-detail-requested');

    // County specialist: the badge went up without reloading; the referral is on the worklist; accept it there.
    await expect.poll(() => badge(county), { timeout: 15_000 }).toBeGreaterThan(countyBefore);
    await county.goto(`${suite.base}/tasks?view=mine`);
    const row = county.getByTestId('worklist-table').locator('tr.work-item', { hasText: resident.name });
    await row.first().waitFor();
    expect(await row.first().locator('.work-state').textContent()).toContain('待接收');
    await shot(county, 'worklist-county');
    await row.first().getByTestId('action-accept').click();
    await row.first().locator('.work-state', { hasText: '已接收' }).waitFor();

    // … and refers the resident back down with a discharge summary and a follow-up plan.
    await row.first().locator('a.work-focus').click();
    await county.getByTestId('referral-detail').waitFor();
    await county.getByTestId('refer-down').click();
    await county.getByTestId('referral-form').waitFor();
    await county.getByTestId('follow-up-plan').waitFor();
    // The resident, the township centre and the diagnoses come from the up-referral.
    await expect.poll(() => county.getByTestId('patient-picker').textContent()).toContain(resident.name);
    await county.getByTestId('referral-reason').fill('病情稳定，转回基层继续管理');
    await county
      .getByTestId('referral-summary')
      .fill('入院诊断高血压3级（很高危），经调整用药血压降至135/85mmHg，冠脉CTA未见明显狭窄，予出院。');
    await county
      .getByTestId('follow-up-plan')
      .fill('出院后2周内随访：测血压、心率，复查肾功能和血钾；氨氯地平5mg每日1次、厄贝沙坦150mg每日1次。');
    await shot(county, 'referral-form-down');
    await county.getByTestId('referral-submit').click();
    await county.getByTestId('referral-detail').waitFor();
    expect(await county.getByTestId('follow-up-plan-text').textContent()).toContain('出院后2周内随访');
    await county.close();

    // Township: the down-referral is on the worklist; accepting it puts the follow-up task there.
    await page.goto(`${suite.base}/tasks?view=mine`);
    const down = page
      .getByTestId('worklist-table')
      .locator('tr.work-item', { hasText: resident.name })
      .filter({
        has: page.locator('.work-state[data-state=requested]'),
      });
    await down.first().waitFor();
    await down.first().getByTestId('action-accept').click();
    const followUp = page
      .getByTestId('worklist-table')
      .locator('tr.work-item', { hasText: '出院后2周内随访' })
      .filter({ has: page.locator('.work-state', { hasText: '待随访' }) });
    await followUp.first().waitFor();
    await shot(page, 'worklist-township-follow-up');
    // On the workbench too.
    await page.goto(`${suite.base}/`);
    await page.getByTestId('bench-tasks').locator('tr.work-item', { hasText: '出院后2周内随访' }).first().waitFor();
    // The first referral shows its way: accepted by the county.
    await page.goto(referralUrl);
    expect(await page.getByTestId('referral-detail').locator('.referral-state').textContent()).toContain('已接收');
    await page.close();
  }, 300_000);
});

describe('referral form in Chromium', () => {
  it('bad input: without a reason the form shows the field error and sends nothing', async () => {
    const page = await suite.page();
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/referrals') sent.push(r.url());
    });
    await signIn(page, suite.base, 'township.doctor', DEMO_PASSWORD);
    await page.goto(`${suite.base}/referrals/new`);
    await page.getByTestId('referral-submit').click();
    const errors = page.locator('.ant-form-item-explain-error');
    await errors.first().waitFor();
    const text = (await errors.allTextContents()).join(' ');
    expect(text).toContain('请填写原因');
    expect(text).toContain('请选择居民');
    // Everything but the reason filled in: still only the reason's error, still nothing sent.
    const me = await (await Api.login(suite.base, 'township.doctor')).me();
    const resident = await firstResident(me.organizationId!);
    await choosePatient(page, resident.name);
    await chooseInstitution(page, '南川区人民医院');
    await chooseDiagnosis(page, '高血压');
    await page.getByTestId('referral-summary').fill('血压控制不佳，多次调整用药无效。');
    await page.getByTestId('referral-submit').click();
    await expect.poll(async () => (await errors.allTextContents()).join(' ')).toBe('请填写原因');
    await page.waitForTimeout(500);
    expect(sent).toEqual([]);
    await shot(page, 'referral-form-error');
    await page.close();
  }, 180_000);

  it('phone (360 px): the referral form fits without horizontal scrolling', async () => {
    const page = await suite.pageAs('township.doctor', 360);
    await page.goto(`${suite.base}/referrals/new`);
    await page.getByTestId('referral-reason').waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.getByTestId('referral-submit').click();
    await page.locator('.ant-form-item-explain-error').first().waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await shot(page, 'phone-referral-form');
    await page.close();
  }, 180_000);
});

/** A resident registered at (or below) an institution: id and name. */
async function firstResident(orgId: string): Promise<{ id: string; name: string }> {
  const village = await admin.json(`/fhir/R4/Organization?partof=Organization/${orgId}&_count=1`);
  const at = village.entry?.[0]?.resource.id ?? orgId;
  const bundle = await admin.json(`/fhir/R4/Patient?organization=Organization/${at}&_count=5`);
  const p = bundle.entry[0].resource;
  return { id: p.id, name: p.name[0].text ?? `${p.name[0].family}${p.name[0].given.join('')}` };
}

async function choosePatient(page: Page, name: string): Promise<void> {
  await page.getByTestId('patient-picker').click();
  await page.keyboard.type(name);
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: name }).first().click();
}

async function chooseInstitution(page: Page, name: string): Promise<void> {
  await page.getByTestId('institution-picker').click();
  await page.keyboard.type(name);
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: name }).first().click();
}

/** A common diagnosis from the list (the option with its ICD-10 code, not the typed text as a tag of its own). */
async function chooseDiagnosis(page: Page, text: string): Promise<void> {
  await page.getByTestId('diagnosis-input').click();
  await page.keyboard.type(text);
  await page
    .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: new RegExp(`${text}.* [A-Z]\\d{2}`) })
    .first()
    .click();
  await page.keyboard.press('Escape');
}
