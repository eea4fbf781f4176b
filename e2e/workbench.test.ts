/**
 * The reading centres on the workbenches, in a real browser against the real server (demo county): a township doctor
 * requests a 12-lead ECG and uploads a JSON tracing (API); the demo reader `ecg.reader` finds the case in the ECG
 * centre's panel at the top of the home page and opens it by its link; after `ecg.reader` reports and `ecg.reader2`
 * signs (API), the township doctor's home page shows the signed report among the reports sent back. The consultation
 * centre gets its consultation panel; every panel fits a 360-px phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { jsonTracing } from '../server/test/ecg-fixtures.js';
import { horizontalOverflow, shot, signIn, startSuite, trackRequests, type Suite } from './browser.js';
import { Api, DEMO_PASSWORD } from './server.js';
import { namedResident } from './staff.js';

let suite: Suite;
let task = '';

beforeAll(async () => {
  suite = await startSuite(200);
  const township = await Api.login(suite.base, 'township.doctor');
  const resident = await namedResident(township);
  const created = await township.json<{ serviceRequest: { id: string }; task: string }>('/api/ecg/requests', {
    method: 'POST',
    body: { patient: `Patient/${resident.id}`, item: 'ECG-12', priority: 'urgent', reason: '胸闷1天，心电图检查' },
  });
  task = created.task;
  const upload = await township.send(
    `/api/ecg/requests/${created.serviceRequest.id}/tracing`,
    jsonTracing({ rate: 500, seconds: 10 }).toString('utf8'),
    'application/json',
  );
  if (upload.status !== 201) throw new Error(`tracing upload: ${upload.status} ${await upload.text()}`);
}, 400_000);

afterAll(async () => {
  await suite?.stop();
});

/**
 * A tab signed in as `username` that records failed requests to /fhir/ and /api/ (the live stream aside); `clean`
 * waits for the requests to settle and expects no error alert and no failed request.
 */
async function benchAs(
  username: string,
  width?: number,
): Promise<{ page: Page; failed: string[]; settled: () => Promise<void>; clean: () => Promise<void> }> {
  const page = await suite.page(width);
  const failed: string[] = [];
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.status() >= 400 && (path.startsWith('/fhir/') || path.startsWith('/api/'))) failed.push(`${r.status()} ${r.url()}`);
  });
  const requests = trackRequests(page);
  await signIn(page, suite.base, username, DEMO_PASSWORD);
  const clean = async () => {
    await requests.settled();
    expect(await page.locator('.ant-alert-error').count()).toBe(0);
    expect(failed).toEqual([]);
  };
  return { page, failed, settled: () => requests.settled(), clean };
}

describe('reading centres on the workbenches', () => {
  it('an ECG reader finds the new case in the centre panel on the home page and opens it', async () => {
    const { page, clean } = await benchAs('ecg.reader');
    const panel = page.getByTestId('bench-centre-ecg');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('心电诊断中心');
    const row = panel.getByTestId(`bench-case-${task}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('待诊断');
    expect(await row.textContent()).toContain('加急');
    const toRead = await panel.getByTestId('bench-count-to-read').textContent();
    expect(Number(/(\d+)/.exec(toRead ?? '')?.[1])).toBeGreaterThanOrEqual(1);
    // Only the centre the reader's department is: no imaging or pathology card.
    expect(await page.getByTestId('bench-centre-imaging').count()).toBe(0);
    expect(await page.getByTestId('bench-centre-pathology').count()).toBe(0);
    await clean();
    await shot(page, 'ecg-reader-workbench');
    await page.getByTestId(`bench-open-${task}`).click();
    await page.waitForURL(new RegExp(`/ecg/cases/${task}$`));
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('待诊断');
    await page.close();

    const phone = await suite.pageAs('ecg.reader', 360);
    await phone.getByTestId(`bench-case-${task}`).waitFor();
    expect(await horizontalOverflow(phone)).toBeLessThanOrEqual(0);
    await phone.close();
  });

  it('after the report is signed the township doctor sees it among the reports sent back', async () => {
    const reader = await Api.login(suite.base, 'ecg.reader');
    await reader.json(`/api/ecg/cases/${task}/claim`, { method: 'POST', body: {} });
    await reader.json(`/api/ecg/cases/${task}/report`, {
      method: 'POST',
      body: {
        template: 'ecg-normal',
        findings: '窦性心律，心率 72 次/分，各间期正常，ST-T无异常。',
        impression: '1. 窦性心律\n2. 正常心电图',
        positive: false,
        conclusions: ['sinus-rhythm', 'normal-ecg'],
      },
    });
    const signer = await Api.login(suite.base, 'ecg.reader2');
    await signer.json(`/api/ecg/cases/${task}/sign`, { method: 'POST', body: {} });

    const { page, clean } = await benchAs('township.doctor');
    const panel = page.getByTestId('bench-reports-back');
    const row = panel.getByTestId(`bench-case-${task}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('报告已签发');
    await clean();
    await shot(page, 'township-reports-back');
    await page.getByTestId(`bench-open-${task}`).click();
    await page.waitForURL(new RegExp(`/ecg/cases/${task}$`));
    await page.getByTestId('ecg-report').waitFor();
    expect(await page.getByTestId('report-impression').textContent()).toContain('窦性心律');
    await page.close();

    const phone = await suite.pageAs('township.doctor', 360);
    await phone.getByTestId('bench-reports-back').getByTestId(`bench-case-${task}`).waitFor();
    expect(await horizontalOverflow(phone)).toBeLessThanOrEqual(0);
    await phone.close();

    // The reader's panel no longer lists the signed case.
    const back = await benchAs('ecg.reader');
    await back.page.getByTestId('bench-centre-ecg').waitFor();
    await back.settled();
    expect(await back.page.getByTestId(`bench-case-${task}`).count()).toBe(0);
    await back.page.close();
  });

  it('the consultation centre gets its consultations panel; a village doctor gets a quiet reports panel', async () => {
    const centre = await benchAs('consultation.centre', 360);
    await centre.page.getByTestId('bench-consultations-incoming').waitFor();
    await centre.settled();
    expect(centre.failed).toEqual([]);
    expect(await horizontalOverflow(centre.page)).toBeLessThanOrEqual(0);
    await centre.page.close();

    const village = await benchAs('village.doctor');
    await village.page.getByTestId('bench-reports-back').waitFor();
    await village.clean();
    await village.page.close();
  });
});
