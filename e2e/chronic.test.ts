/**
 * Chronic disease management in a real browser against the real server with the demo county: the village doctor
 * opens the due list, opens a hypertensive resident's follow-up form (pre-filled, with the guidance points and what
 * else is due), records BP 185/112 and sees the classification and the urgent referral created through the referral
 * module; the referral exists on the server. Also: the form on a 360-px phone without horizontal scrolling, and an
 * impossible reading refused with the server's message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflow, shot, startSuite, type Suite } from './browser.js';
import { Api } from './server.js';

let suite: Suite;
let doctor: Api;
const startedAt = Date.now();

/** A resident of the village doctor's clinic aged 40–80, under hypertension management (enrolled here if not yet). */
async function hypertensive(): Promise<{ id: string; name: string; episode: string }> {
  const me = await doctor.me();
  const bundle = await doctor.json(`/fhir/R4/Patient?organization=Organization/${me.organizationId}&_count=200`);
  const year = new Date().getFullYear();
  const adults = (bundle.entry ?? [])
    .map((e: any) => e.resource)
    .filter((p: any) => p.birthDate && year - Number(p.birthDate.slice(0, 4)) >= 40 && year - Number(p.birthDate.slice(0, 4)) <= 80);
  expect(adults.length, 'adults at the village clinic').toBeGreaterThan(0);
  for (const p of adults) {
    const list = (await doctor.json(`/api/chronic/enrolments?patient=Patient/${p.id}`)).items as any[];
    const found = list.find((e) => e.programme === 'hypertension' && e.status === 'active');
    const name = (p.name[0].text ?? `${p.name[0].family}${(p.name[0].given ?? []).join('')}`) as string;
    if (found) return { id: p.id, name, episode: found.id };
  }
  const p = adults[0];
  const start = new Date(Date.now() - 40 * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
  const e = await doctor.json('/api/chronic/enrolments', {
    method: 'POST',
    body: { patient: `Patient/${p.id}`, programme: 'hypertension', start },
  });
  return { id: p.id, name: (p.name[0].text ?? `${p.name[0].family}${(p.name[0].given ?? []).join('')}`) as string, episode: e.id };
}

beforeAll(async () => {
  suite = await startSuite(200);
  doctor = await Api.login(suite.base, 'village.doctor');
  console.log(`chronic e2e setup: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
});

afterAll(async () => {
  await suite?.stop();
  console.log(`chronic e2e total: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
});

describe('chronic follow-ups in Chromium', () => {
  it('the village doctor opens the due list, records BP 185/112 and sees the urgent referral created', async () => {
    const resident = await hypertensive();
    const page = await suite.pageAs('village.doctor');
    await page.goto(`${suite.base}/chronic?programme=hypertension&view=all`);
    const table = page.getByTestId('chronic-due-table');
    const row = table.locator('tr', { has: page.locator(`a[href="/patients/${resident.id}"]`) }).first();
    await row.waitFor({ timeout: 30_000 });
    await shot(page, 'chronic-due');
    await row.getByTestId('chronic-record').click();
    await page.getByTestId('chronic-form-title').waitFor();
    expect(await page.getByTestId('chronic-form-title').textContent()).toContain(resident.name);
    // Guidance points and prompts are shown at the point of care.
    expect(await page.getByTestId('chronic-guidance').textContent()).toMatch(/食盐不超过5克/);
    await page.getByTestId('chronic-prompts').waitFor();

    await page.getByTestId('chronic-sbp').fill('185');
    await page.getByTestId('chronic-dbp').fill('112');
    await page.getByTestId('chronic-save').click();
    await page.getByTestId('chronic-result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('chronic-classification').textContent()).toBe('控制不满意');
    const referral = page.getByTestId('chronic-referral');
    await referral.waitFor();
    expect(await referral.textContent()).toContain('已创建紧急转诊');
    await shot(page, 'chronic-urgent-referral');

    // The referral is the referral module's: urgent, up, for this resident.
    const link = await referral.locator('a').getAttribute('href');
    const srId = link?.split('/').pop();
    const sr = await doctor.json(`/fhir/R4/ServiceRequest/${srId}`);
    expect(sr.priority).toBe('urgent');
    expect(sr.subject.reference).toBe(`Patient/${resident.id}`);
    await referral.locator('a').click();
    await page.waitForURL(`**/referrals/${srId}`);
    await page.getByText('185/112').first().waitFor({ timeout: 15_000 });
    await page.close();
  });

  it('on a 360-px phone the form fits the screen; an impossible reading is refused with the server’s words', async () => {
    const resident = await hypertensive();
    const page = await suite.pageAs('village.doctor', 360);
    await page.goto(`${suite.base}/chronic/follow-up/${resident.id}?episode=${resident.episode}`);
    await page.getByTestId('chronic-form-title').waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(1);
    await shot(page, 'chronic-form-phone', { fullPage: true });
    await page.getByTestId('chronic-sbp').fill('400');
    await page.getByTestId('chronic-dbp').fill('20');
    await page.getByTestId('chronic-save').click();
    await page.getByText('收缩压 400 mmHg 不可能').first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('chronic-result').count()).toBe(0);
    await page.close();
  });
});
