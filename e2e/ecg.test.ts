/**
 * The ECG centre in a real browser against the real server (demo county): a township doctor requests a 12-lead ECG
 * and uploads a JSON tracing through the page; a reader of the county ECG room (created through the admin API) claims
 * it, sees the twelve leads drawn on ECG paper and reports from a template with standard statements; a second reader
 * signs; the township doctor sees the signed report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonTracing } from '../server/test/ecg-fixtures.js';
import { openCase, searchAndPick, shot, startSuite, type Suite } from './browser.js';
import { Api } from './server.js';
import { createCentreStaff, namedResident } from './staff.js';

let suite: Suite;
let tracingPath: string;
let patientName: string;
const readers = [`ecg.reader.a.${Date.now() % 100000}`, `ecg.reader.b.${Date.now() % 100000}`];

beforeAll(async () => {
  suite = await startSuite(200);
  const admin = await Api.login(suite.base, 'admin');
  // The county ECG room (a department under the hospital that carries the role 'ecg'): two readers.
  await createCentreStaff(admin, 'ecg', [
    { username: readers[0]!, name: '心电医生甲' },
    { username: readers[1]!, name: '心电医生乙' },
  ]);
  patientName = (await namedResident(await Api.login(suite.base, 'township.doctor'))).name;
  tracingPath = suite.file('ecg-12-lead.json', jsonTracing({ rate: 500, seconds: 10 }));
}, 400_000);

afterAll(async () => {
  await suite?.stop();
});

describe('ECG centre in the browser', () => {
  let caseUrl = '';

  it('a township doctor requests a 12-lead ECG and uploads the tracing', async () => {
    const page = await suite.pageAs('township.doctor');
    await page.goto(`${suite.base}/ecg/new`);
    await searchAndPick(page, '#ecg-patient', patientName);
    await page.getByTestId('ecg-reason').fill('胸闷1天，心电图检查');
    await page.getByTestId('ecg-submit').click();
    await page.waitForURL(/\/ecg\/cases\//);
    caseUrl = page.url();
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('待上传心电图');
    await page.locator('input[type=file]').setInputFiles(tracingPath);
    await page.getByTestId('upload-notice').waitFor();
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('待诊断');
    await page.close();
  });

  it('a county reader sees the 12 leads on ECG paper and reports with standard statements; a second reader signs', async () => {
    const page = await suite.pageAs(readers[0]!);
    await openCase(page, suite.base, '/ecg', caseUrl);
    await page.getByTestId('ecg-grid').waitFor();
    const labels = await page.getByTestId('lead-label').allTextContents();
    expect(labels.sort()).toEqual(['I', 'II', 'III', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'aVF', 'aVL', 'aVR'].sort());
    expect(await page.getByTestId('ecg-scale').textContent()).toContain('25 mm/s');
    await page.getByTestId('action-claim').click();
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('诊断中');
    await page.locator('[data-testid=report-template]').click();
    await page.locator('.ant-select-item-option', { hasText: '正常心电图' }).first().click();
    expect(await page.getByTestId('report-impression-input').inputValue()).toContain('窦性心律');
    expect(await page.getByTestId('report-statements').textContent()).toContain('窦性心律');
    await page.getByTestId('report-submit').click();
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('待审核签发');
    await shot(page, 'ecg-report');
    await page.close();

    const second = await suite.pageAs(readers[1]!);
    await second.goto(caseUrl);
    await second.getByTestId('report-sign').click();
    await expect.poll(() => second.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('报告已签发');
    await second.close();
  });

  it('the township doctor sees the signed report', async () => {
    const page = await suite.pageAs('township.doctor');
    await openCase(page, suite.base, '/ecg?view=requested&all=1', caseUrl);
    await page.getByTestId('ecg-report').waitFor();
    expect(await page.getByTestId('report-status').textContent()).toContain('已签发');
    expect(await page.getByTestId('report-impression').textContent()).toContain('窦性心律');
    await page.getByTestId('ecg-grid').waitFor();
    await shot(page, 'ecg-township-report');
    await page.close();
  });
});
