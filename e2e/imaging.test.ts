/**
 * The imaging centre in a real browser against the real server (demo county) and a real Orthanc behind /dicomweb: a
 * township doctor requests a head CT for a resident and uploads the DICOM file through the page; a radiologist of the
 * county imaging department (created through the admin API) claims it from the worklist, sees the image in the web
 * viewer (a rendered frame through Yiwang), writes the report from a template; a second radiologist signs it; the
 * township doctor sees the signed report with its HR mark.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUid, startOrthanc, type TestOrthanc } from '../server/test/helpers/orthanc.js';
import { launch, shot, signIn, type Browser } from './browser.js';
import { Api, buildWebApp, DEMO_PASSWORD, startServer, type RunningServer } from './server.js';

let orthanc: TestOrthanc;
let server: RunningServer;
let browser: Browser;
let admin: Api;
let dir: string;
const readers = [`radiologist.a.${Date.now() % 100000}`, `radiologist.b.${Date.now() % 100000}`];
let dicomPath: string;
let patientName: string;

async function newPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('[browser error]', e.message));
  return page;
}

beforeAll(async () => {
  orthanc = await startOrthanc();
  process.env['YIWANG_ORTHANC_URL'] = orthanc.url;
  process.env['YIWANG_ORTHANC_USERNAME'] = orthanc.username;
  process.env['YIWANG_ORTHANC_PASSWORD'] = orthanc.password;
  buildWebApp();
  server = await startServer(200);
  admin = await Api.login(server.base, 'admin');
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'yiwang-e2e-imaging-'));
  // The county imaging department (a centre under the hospital that also carries the role): two radiologists.
  const centres = await admin.json('/fhir/R4/Organization?type=urn:yiwang:centre-role|imaging&_count=50');
  const orgs = (centres.entry ?? []).map((e: { resource: { id: string; partOf?: { reference?: string } } }) => e.resource);
  const ids = new Set(orgs.map((o: { id: string }) => `Organization/${o.id}`));
  const dept = orgs.find((o: { partOf?: { reference?: string } }) => ids.has(o.partOf?.reference ?? '')) ?? orgs[0];
  for (const [i, username] of readers.entries()) {
    const practitioner = await admin.json('/fhir/R4/Practitioner', {
      method: 'POST',
      body: {
        resourceType: 'Practitioner',
        name: [{ text: i === 0 ? '影像医生甲' : '影像医生乙', family: '影', given: [i === 0 ? '甲' : '乙'] }],
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
  // A resident of the township doctor's catchment, and a CT image made with their name, birth date and sex.
  const township = await Api.login(server.base, 'township.doctor');
  const found = await township.json('/fhir/R4/Patient?_count=20');
  const patient = (found.entry ?? [])
    .map((e: { resource: unknown }) => e.resource)
    .find(
      (p: { name?: { family?: string; given?: string[] }[]; birthDate?: string; gender?: string }) =>
        p.name?.[0]?.family && p.name[0].given?.length && p.birthDate && p.gender,
    );
  patientName = `${patient.name[0].family}${patient.name[0].given.join('')}`;
  const file = await orthanc.modify('single/CT_small.dcm', {
    PatientName: `${patient.name[0].family}^${patient.name[0].given.join('')}`,
    PatientBirthDate: patient.birthDate.replace(/-/g, ''),
    PatientSex: patient.gender === 'female' ? 'F' : 'M',
    PatientID: `E2E-${patient.id.slice(0, 8)}`,
    StudyDate: new Date().toISOString().slice(0, 10).replace(/-/g, ''),
    StudyInstanceUID: newUid(),
    SeriesInstanceUID: newUid(),
    SOPInstanceUID: newUid(),
  });
  dicomPath = join(dir, 'head-ct.dcm');
  writeFileSync(dicomPath, file);
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await orthanc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('imaging centre in the browser', () => {
  let caseUrl = '';

  it('a township doctor requests a head CT and uploads the study', async () => {
    const page = await newPage();
    await signIn(page, server.base, 'township.doctor', DEMO_PASSWORD);
    await page.goto(`${server.base}/imaging/new`);
    await page.locator('#imaging-patient').fill(patientName);
    await page.locator('.ant-select-item-option').first().click();
    await page.locator('#imaging-item').click();
    await page.locator('.ant-select-item-option', { hasText: '头颅CT' }).click();
    await page.getByTestId('imaging-reason').fill('头痛三天，排除颅内出血');
    await page.getByTestId('imaging-submit').click();
    await page.waitForURL(/\/imaging\/cases\//);
    caseUrl = page.url();
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('待上传影像');
    await page.locator('input[type=file]').setInputFiles(dicomPath);
    await page.getByTestId('upload-notice').waitFor();
    expect(await page.getByTestId('upload-notice').textContent()).toContain('已进入县影像中心阅片列表');
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('待阅片');
    await shot(page, 'imaging-upload');
    await page.close();
  });

  it('a county radiologist claims it, sees the image and reports from a template; a second radiologist signs', async () => {
    const page = await newPage();
    await signIn(page, server.base, readers[0]!, DEMO_PASSWORD);
    await page.goto(`${server.base}/imaging`);
    const taskId = caseUrl.split('/').pop()!;
    await page.getByTestId(`open-case-${taskId}`).click();
    await page.getByTestId('action-claim').click();
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('阅片中');
    // The viewer shows the rendered frame (a real image decoded by the browser).
    await page.getByTestId('imaging-frame').waitFor();
    await expect
      .poll(() => page.getByTestId('imaging-frame').evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await page.locator('[data-testid=report-template]').click();
    await page.locator('.ant-select-item-option', { hasText: '头颅CT未见异常' }).click();
    expect(await page.getByTestId('report-impression-input').inputValue()).toContain('未见明显异常');
    await page.getByTestId('report-submit').click();
    await expect.poll(() => page.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('待审核签发');
    await shot(page, 'imaging-report');
    await page.close();

    const second = await newPage();
    await signIn(second, server.base, readers[1]!, DEMO_PASSWORD);
    await second.goto(caseUrl);
    await second.getByTestId('report-sign').click();
    await expect.poll(() => second.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('报告已签发');
    expect(await second.getByTestId('report-status').textContent()).toContain('已签发');
    await second.close();
  });

  it('the township doctor sees the signed report with its HR mark', async () => {
    const page = await newPage();
    await signIn(page, server.base, 'township.doctor', DEMO_PASSWORD);
    await page.goto(`${server.base}/imaging?view=requested&all=1`);
    const taskId = caseUrl.split('/').pop()!;
    await page.getByTestId(`open-case-${taskId}`).click();
    await page.getByTestId('imaging-report').waitFor();
    expect(await page.getByTestId('report-status').textContent()).toContain('已签发');
    expect(await page.getByTestId('report-impression').textContent()).toContain('颅脑CT平扫未见明显异常');
    expect(await page.getByTestId('report-hr').textContent()).toContain('HR');
    await page.getByTestId('imaging-frame').waitFor();
    await shot(page, 'imaging-township-report');
    await page.close();
  });
});
