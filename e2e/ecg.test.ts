/**
 * The ECG centre in a real browser against the real server (demo county): a township doctor requests a 12-lead ECG
 * and uploads a JSON tracing through the page; a reader of the county ECG room (created through the admin API) claims
 * it, sees the twelve leads drawn on ECG paper and reports from a template with standard statements; a second reader
 * signs; the township doctor sees the signed report.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonTracing } from '../server/test/ecg-fixtures.js';
import { launch, shot, signIn, type Browser } from './browser.js';
import { Api, buildWebApp, DEMO_PASSWORD, startServer, type RunningServer } from './server.js';

let server: RunningServer;
let browser: Browser;
let dir: string;
let tracingPath: string;
let patientName: string;
const readers = [`ecg.reader.a.${Date.now() % 100000}`, `ecg.reader.b.${Date.now() % 100000}`];

async function newPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('[browser error]', e.message));
  return page;
}

beforeAll(async () => {
  buildWebApp();
  server = await startServer(200);
  const admin = await Api.login(server.base, 'admin');
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'yiwang-e2e-ecg-'));
  // The county ECG room (a department under the hospital that carries the role 'ecg'): two readers.
  const centres = await admin.json('/fhir/R4/Organization?type=urn:yiwang:centre-role|ecg&_count=50');
  const orgs = (centres.entry ?? []).map((e: { resource: { id: string; partOf?: { reference?: string } } }) => e.resource);
  const ids = new Set(orgs.map((o: { id: string }) => `Organization/${o.id}`));
  const dept = orgs.find((o: { partOf?: { reference?: string } }) => ids.has(o.partOf?.reference ?? '')) ?? orgs[0];
  for (const [i, username] of readers.entries()) {
    const practitioner = await admin.json('/fhir/R4/Practitioner', {
      method: 'POST',
      body: {
        resourceType: 'Practitioner',
        name: [{ text: i === 0 ? '心电医生甲' : '心电医生乙', family: '心', given: [i === 0 ? '甲' : '乙'] }],
      },
    });
    await admin.json('/admin/users', {
      method: 'POST',
      body: {
        username,
        password: DEMO_PASSWORD,
        roles: ['county-specialist'],
        organizationId: dept.id,
        practitionerId: practitioner.id,
        displayName: username,
      },
    });
  }
  const township = await Api.login(server.base, 'township.doctor');
  const found = await township.json('/fhir/R4/Patient?_count=20');
  const patient = (found.entry ?? [])
    .map((e: { resource: unknown }) => e.resource)
    .find((p: { name?: { family?: string; given?: string[] }[] }) => p.name?.[0]?.family && p.name[0].given?.length);
  patientName = `${patient.name[0].family}${patient.name[0].given.join('')}`;
  tracingPath = join(dir, 'ecg-12-lead.json');
  writeFileSync(tracingPath, jsonTracing({ rate: 500, seconds: 10 }));
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ECG centre in the browser', () => {
  let caseUrl = '';

  it('a township doctor requests a 12-lead ECG and uploads the tracing', async () => {
    const page = await newPage();
    await signIn(page, server.base, 'township.doctor', DEMO_PASSWORD);
    await page.goto(`${server.base}/ecg/new`);
    await page.locator('#ecg-patient').fill(patientName);
    await page.locator('.ant-select-item-option').first().click();
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
    const page = await newPage();
    await signIn(page, server.base, readers[0]!, DEMO_PASSWORD);
    await page.goto(`${server.base}/ecg`);
    const taskId = caseUrl.split('/').pop()!;
    await page.getByTestId(`open-case-${taskId}`).click();
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

    const second = await newPage();
    await signIn(second, server.base, readers[1]!, DEMO_PASSWORD);
    await second.goto(caseUrl);
    await second.getByTestId('report-sign').click();
    await expect.poll(() => second.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('报告已签发');
    await second.close();
  });

  it('the township doctor sees the signed report', async () => {
    const page = await newPage();
    await signIn(page, server.base, 'township.doctor', DEMO_PASSWORD);
    await page.goto(`${server.base}/ecg?view=requested&all=1`);
    await page.getByTestId(`open-case-${caseUrl.split('/').pop()!}`).click();
    await page.getByTestId('ecg-report').waitFor();
    expect(await page.getByTestId('report-status').textContent()).toContain('已签发');
    expect(await page.getByTestId('report-impression').textContent()).toContain('窦性心律');
    await page.getByTestId('ecg-grid').waitFor();
    await shot(page, 'ecg-township-report');
    await page.close();
  });
});
