/**
 * Remote consultation in a real browser against the real server with the demo county: a township doctor requests a
 * consultation through the form, the county centre accepts it and names its specialist as lead expert, the expert
 * writes an opinion and the conclusion on the consultation page, and the township doctor sees the conclusion and rates it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchAndPick, shot, startSuite, type Suite } from './browser.js';
import { Api } from './server.js';
import { namedResident } from './staff.js';

let suite: Suite;

beforeAll(async () => {
  suite = await startSuite(200);
}, 400_000);

afterAll(async () => {
  await suite?.stop();
});

describe('remote consultation in Chromium', () => {
  it('township requests → county accepts with an expert → opinion and conclusion → township sees it and rates it', async () => {
    const township = await Api.login(suite.base, 'township.doctor');
    const county = await Api.login(suite.base, 'county.specialist');
    const expert = await county.me();
    const centre = await county.json<{ name: string }>(`/fhir/R4/Organization/${expert.organizationId}`);
    const patientName = (await namedResident(township)).name;

    const page = await suite.pageAs('township.doctor');
    await page.goto(`${suite.base}/consultation/new`);
    await searchAndPick(page, '#patient', patientName);
    await page.locator('#to').fill(centre.name);
    // Exactly the hospital, not one of its departments (their names start with the hospital's).
    await page.locator(`.ant-select-item-option[title="${centre.name}"]`).click();
    await page.getByTestId('consultation-reason').fill('反复胸闷一周，心电图 ST 段压低，请心内科会诊');
    await page.getByTestId('consultation-submit').click();
    await page.waitForURL(/\/consultation\/(?!new)[^/]+$/);
    const id = page.url().split('/').pop()!;
    await expect.poll(() => page.getByTestId('consultation-state').textContent(), { timeout: 20_000 }).toContain('待受理');

    // The centre accepts and arranges its specialist as the lead expert, then opens the session.
    await county.json(`/api/consultation/requests/${id}/accept`, { method: 'POST', body: {} });
    await county.json(`/api/consultation/requests/${id}/schedule`, {
      method: 'POST',
      body: { start: new Date(Date.now() + 3600_000).toISOString(), experts: [`Practitioner/${expert.practitionerId}`] },
    });
    await county.json(`/api/consultation/requests/${id}/begin`, { method: 'POST', body: {} });

    const expertPage = await suite.pageAs('county.specialist');
    await expertPage.goto(`${suite.base}/consultation/${id}`);
    await expertPage.getByTestId('open-360').waitFor();
    await expertPage.getByTestId('opinion-text').fill('考虑不稳定型心绞痛，建议完善肌钙蛋白、心脏超声');
    await expertPage.getByTestId('opinion-form-submit').click();
    await expect.poll(() => expertPage.getByTestId('consultation-opinions').textContent(), { timeout: 20_000 }).toContain('肌钙蛋白');
    await expertPage.getByTestId('conclusion-text').fill('不稳定型心绞痛可能，建议上转县医院心内科');
    await expertPage.getByTestId('conclusion-form-submit').click();
    await expect.poll(() => expertPage.getByTestId('consultation-state').textContent(), { timeout: 20_000 }).toContain('已出结论');
    await shot(expertPage, 'consultation-conclusion');
    await expertPage.close();

    await page.reload();
    await expect.poll(() => page.getByTestId('consultation-conclusion').textContent(), { timeout: 20_000 }).toContain('不稳定型心绞痛');
    await page.locator('[data-testid=evaluation-rate] li').nth(4).click();
    await page.getByTestId('evaluation-form-submit').click();
    await expect.poll(() => page.getByTestId('consultation-state').textContent(), { timeout: 20_000 }).toContain('已评价');
    await page.getByTestId('consultation-evaluation').waitFor();
    await shot(page, 'consultation-evaluated');
    await page.close();
  });
});
