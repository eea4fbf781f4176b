/**
 * The imaging centre in a real browser against the real server (demo county) and a real Orthanc behind /dicomweb: a
 * township doctor requests a head CT for a resident and uploads the DICOM file through the page; a radiologist of the
 * county imaging department (created through the admin API) claims it from the worklist, sees the image in the web
 * viewer (a rendered frame through Yiwang), writes the report from a template; a second radiologist signs it; the
 * township doctor sees the signed report with its HR mark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUid, startOrthanc, type TestOrthanc } from '../server/test/helpers/orthanc.js';
import { openCase, searchAndPick, shot, startSuite, type Suite } from './browser.js';
import { Api } from './server.js';
import { createCentreStaff, namedResident } from './staff.js';

let orthanc: TestOrthanc;
let suite: Suite;
let admin: Api;
const readers = [`radiologist.a.${Date.now() % 100000}`, `radiologist.b.${Date.now() % 100000}`];
let dicomPath: string;
let patientName: string;

beforeAll(async () => {
  orthanc = await startOrthanc();
  process.env['YIWANG_ORTHANC_URL'] = orthanc.url;
  process.env['YIWANG_ORTHANC_USERNAME'] = orthanc.username;
  process.env['YIWANG_ORTHANC_PASSWORD'] = orthanc.password;
  suite = await startSuite(200);
  admin = await Api.login(suite.base, 'admin');
  // The county imaging department (a centre under the hospital that also carries the role): two radiologists.
  await createCentreStaff(admin, 'imaging', [
    { username: readers[0]!, name: '影像医生甲' },
    { username: readers[1]!, name: '影像医生乙' },
  ]);
  // A resident of the township doctor's catchment, and a CT image made with their name, birth date and sex.
  const resident = await namedResident(await Api.login(suite.base, 'township.doctor'), (p) => p.birthDate && p.gender);
  const patient = resident.resource;
  patientName = resident.name;
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
  dicomPath = suite.file('head-ct.dcm', file);
}, 400_000);

afterAll(async () => {
  await suite?.stop();
  await orthanc?.stop();
});

describe('imaging centre in the browser', () => {
  let caseUrl = '';

  it('a township doctor requests a head CT and uploads the study', async () => {
    const page = await suite.pageAs('township.doctor');
    await page.goto(`${suite.base}/imaging/new`);
    await searchAndPick(page, '#imaging-patient', patientName);
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
    const page = await suite.pageAs(readers[0]!);
    await openCase(page, suite.base, '/imaging', caseUrl);
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

    const second = await suite.pageAs(readers[1]!);
    await second.goto(caseUrl);
    await second.getByTestId('report-sign').click();
    await expect.poll(() => second.getByTestId('case-state').textContent(), { timeout: 20_000 }).toContain('报告已签发');
    expect(await second.getByTestId('report-status').textContent()).toContain('已签发');
    await second.close();
  });

  it('the township doctor sees the signed report with its HR mark', async () => {
    const page = await suite.pageAs('township.doctor');
    await openCase(page, suite.base, '/imaging?view=requested&all=1', caseUrl);
    await page.getByTestId('imaging-report').waitFor();
    expect(await page.getByTestId('report-status').textContent()).toContain('已签发');
    expect(await page.getByTestId('report-impression').textContent()).toContain('颅脑CT平扫未见明显异常');
    expect(await page.getByTestId('report-hr').textContent()).toContain('HR');
    await page.getByTestId('imaging-frame').waitFor();
    await shot(page, 'imaging-township-report');
    await page.close();
  });
});
