/**
 * The pathology centre in a real browser against the real server (demo county): a township doctor requests a biopsy
 * examination through the form with one specimen (type, site, removal and fixation times) and sends it (标本送检); a
 * pathologist of the county pathology department (created through the admin API) receives the specimen (its
 * cold-ischaemia time shown), claims the case, records grossing and a slide, uploads a photomicrograph (a PNG made
 * here) and writes the report from a template; a second pathologist signs; the township doctor sees the signed report
 * with its HR mark and the picture. Then a second case is rejected with a standard reason, which the township sees;
 * and the township's request form and case page fit a 375-px phone.
 */
import { crc32, deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflow, openCase, searchAndPick, shot, startSuite, type Suite } from './browser.js';
import { Api } from './server.js';
import { createCentreStaff, namedResident } from './staff.js';

let suite: Suite;
let township: Api;
let pngPath: string;
let patient: { id: string; name: string };
const suffix = Date.now() % 100000;
const readers = [`pathologist.a.${suffix}`, `pathologist.b.${suffix}`];

/** An 8×8 RGB PNG (a pink-and-purple check, like an H&E stain): signature, IHDR, IDAT, IEND. */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter method variants, no interlace
  const rows: number[] = [];
  for (let y = 0; y < 8; y++) {
    rows.push(0); // filter: none
    for (let x = 0; x < 8; x++) rows.push(...((x + y) % 2 ? [230, 130, 190] : [120, 60, 160]));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `minutes` ago as the value of an <input type="datetime-local"> (the browser runs in this process's zone). */
function localInput(minutesAgo: number): string {
  const d = new Date(Date.now() - minutesAgo * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Chooses an option of an Ant Design select (opened by clicking its input). */
async function choose(page: Page, selector: string, option: string): Promise<void> {
  await page.locator(selector).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: option }).first().click();
}

/** Whether the case page header (title, state, buttons) lies within the viewport, none of it cut off. */
const headerFits = (page: Page) =>
  page.getByTestId('pathology-case-header').evaluate((el) =>
    Array.from(el.querySelectorAll('.ant-card-head-title, .ant-card-extra, [data-testid=case-state], button')).every((e) => {
      const r = e.getBoundingClientRect();
      return r.left >= 0 && r.right <= window.innerWidth && (e as HTMLElement).scrollWidth <= Math.ceil(r.width) + 1;
    }),
  );

/** A request by the township doctor through the API, with one specimen A removed and fixed so many minutes ago. */
function requestThroughApi(r: {
  item: string;
  site: string;
  reason: string;
  specimen: { type: string; site: string; removed: number; fixed: number };
}): Promise<{ task: string }> {
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const { type, site, removed, fixed } = r.specimen;
  return township.json<{ task: string }>('/api/pathology/requests', {
    method: 'POST',
    body: {
      patient: `Patient/${patient.id}`,
      item: r.item,
      site: r.site,
      reason: r.reason,
      specimens: [{ type, site, label: 'A', collected: ago(removed), fixed: ago(fixed), fixative: 'nbf-10' }],
    },
  });
}

const stateOf = (page: Page) => page.getByTestId('case-state').textContent();

beforeAll(async () => {
  suite = await startSuite(200);
  const admin = await Api.login(suite.base, 'admin');
  pngPath = suite.file('he-x200.png', tinyPng());
  // The county pathology department (a centre under the hospital that also carries the role): two pathologists.
  await createCentreStaff(admin, 'pathology', [
    { username: readers[0]!, name: '病理医生甲' },
    { username: readers[1]!, name: '病理医生乙' },
  ]);
  township = await Api.login(suite.base, 'township.doctor');
  const { id, name } = await namedResident(township);
  patient = { id, name };
}, 400_000);

afterAll(async () => {
  await suite?.stop();
});

describe('pathology centre in the browser', () => {
  let caseUrl = '';

  it('a township doctor requests a biopsy examination with its specimen and sends it', async () => {
    const page = await suite.pageAs('township.doctor');
    await page.goto(`${suite.base}/pathology/new`);
    await searchAndPick(page, '#pathology-patient', patient.name);
    await choose(page, '#pathology-item', '活检小标本病理诊断');
    await page.getByTestId('pathology-site').fill('胃镜活检：胃窦');
    await page.getByTestId('pathology-reason').fill('上腹痛两月，胃镜见胃窦黏膜粗糙，取活检');
    await choose(page, '#specimen-0-type', '活检组织');
    await page.getByTestId('specimen-0-site').fill('胃窦');
    // Removed three hours ago, fixed 40 minutes later (within the 60-minute limit).
    await page.getByTestId('specimen-0-collected').fill(localInput(180));
    await page.getByTestId('specimen-0-fixed').fill(localInput(140));
    await choose(page, '#specimen-0-fixative', '10%中性缓冲福尔马林');
    await shot(page, 'pathology-request');
    await page.getByTestId('pathology-submit').click();
    await page.waitForURL(/\/pathology\/cases\//);
    caseUrl = page.url();
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toContain('待送检标本');
    await page.getByTestId('pathology-send').click();
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toContain('已送检');
    expect(await page.getByTestId('specimen-status-A').textContent()).toContain('已送检');
    await page.close();
  });

  it('a pathologist receives, claims, grosses, cuts a slide, photographs and reports; a second one signs', async () => {
    const page = await suite.pageAs(readers[0]!);
    await openCase(page, suite.base, '/pathology', caseUrl);
    await expect.poll(() => page.getByTestId('cold-A').textContent(), { timeout: 20_000 }).toContain('40 分钟');
    await page.getByTestId('select-specimen-A').check();
    await page.getByTestId('pathology-receive').click();
    await expect.poll(() => page.getByTestId('specimen-status-A').textContent(), { timeout: 20_000 }).toContain('已接收');
    await page.getByTestId('action-claim').click();
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toContain('诊断中');

    // Grossing of specimen A into block A1, then an HE slide of A1.
    await choose(page, '#grossing-specimen', 'A');
    await page.getByTestId('grossing-description').fill('灰白色碎组织2粒，直径0.1–0.2 cm，全部包埋');
    await page.getByTestId('grossing-blocks').fill('A1');
    await page.getByTestId('pathology-grossing').click();
    await expect.poll(() => page.getByTestId('pathology-specimens').textContent(), { timeout: 20_000 }).toContain('A1');
    await choose(page, '#slide-block', 'A1');
    await choose(page, '#slide-stain', 'HE染色');
    await page.getByTestId('slide-label').fill('A1-1');
    await page.getByTestId('pathology-slide').click();
    await expect.poll(() => page.getByTestId('pathology-specimens').textContent(), { timeout: 20_000 }).toContain('A1-1');

    // A photomicrograph: the picture comes back through the API and the browser decodes it.
    await page.locator('[data-testid=pathology-gallery] input[type=file]').setInputFiles(pngPath);
    const picture = page.locator('[data-testid=pathology-picture] img').first();
    await picture.waitFor();
    await expect.poll(() => picture.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 20_000 }).toBe(8);
    await shot(page, 'pathology-lab');

    await choose(page, '[data-testid=report-template]', '慢性炎症');
    await page.getByTestId('report-impression-input').fill('（胃窦）黏膜慢性炎。');
    await page.getByTestId('report-submit').click();
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toContain('初步报告');
    await shot(page, 'pathology-report');
    await page.close();

    const second = await suite.pageAs(readers[1]!);
    await second.goto(caseUrl);
    await second.getByTestId('report-sign').click();
    await expect.poll(() => stateOf(second), { timeout: 20_000 }).toContain('报告已签发');
    expect(await second.getByTestId('report-status').textContent()).toContain('已签发');
    await second.close();
  });

  it('the township doctor sees the signed report with its HR mark and the picture', async () => {
    const page = await suite.pageAs('township.doctor');
    await openCase(page, suite.base, '/pathology?view=requested&all=1', caseUrl);
    await page.getByTestId('pathology-report').waitFor();
    expect(await stateOf(page)).toContain('报告已签发');
    expect(await page.getByTestId('report-status').textContent()).toContain('已签发');
    expect(await page.getByTestId('report-findings').textContent()).toContain('淋巴细胞');
    expect(await page.getByTestId('report-impression').textContent()).toContain('（胃窦）黏膜慢性炎');
    expect(await page.getByTestId('report-hr').textContent()).toContain('HR');
    const picture = page.locator('[data-testid=report-picture] img').first();
    await picture.waitFor();
    await expect.poll(() => picture.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 20_000 }).toBe(8);
    await shot(page, 'pathology-township-report');
    await page.close();
  });

  it('the centre rejects a specimen with a standard reason and the township sees why', async () => {
    const created = await requestThroughApi({
      item: 'PATH-biopsy',
      site: '宫颈活检',
      reason: '接触性出血，阴道镜下取活检',
      specimen: { type: 'biopsy', site: '宫颈3点', removed: 300, fixed: 150 },
    });
    await township.json(`/api/pathology/cases/${created.task}/images`, { method: 'POST', body: {} });

    const page = await suite.pageAs(readers[0]!);
    await page.goto(`${suite.base}/pathology/cases/${created.task}`);
    await expect.poll(() => page.getByTestId('cold-A').textContent(), { timeout: 20_000 }).toContain('超时');
    await choose(page, '[data-testid=pathology-reject-reason]', '标本未及时固定');
    await page.getByTestId('pathology-reject').click();
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toContain('标本拒收');
    await page.close();

    const requester = await suite.pageAs('township.doctor');
    await requester.goto(`${suite.base}/pathology/cases/${created.task}`);
    await expect.poll(() => stateOf(requester), { timeout: 20_000 }).toContain('标本拒收，待重新送检');
    await expect.poll(() => requester.getByTestId('specimen-status-A').textContent(), { timeout: 20_000 }).toContain('标本未及时固定');
    expect(await requester.getByTestId('pathology-history').textContent()).toContain('标本拒收');

    // New specimens for the same request (重新送检): the form starts from the rejected specimen under a new label.
    await requester.getByTestId('pathology-resubmit').click();
    await requester.waitForURL(/resubmit=/);
    await expect.poll(() => requester.getByTestId('specimen-0-site').inputValue(), { timeout: 20_000 }).toBe('宫颈3点');
    expect(await requester.getByTestId('specimen-0-label').inputValue()).toBe('A2');
    await requester.getByTestId('specimen-0-collected').fill(localInput(50));
    await requester.getByTestId('specimen-0-fixed').fill(localInput(30));
    await requester.getByTestId('pathology-submit').click();
    await requester.waitForURL(new RegExp(`/pathology/cases/${created.task}$`));
    await expect.poll(() => stateOf(requester), { timeout: 20_000 }).toContain('已送检');
    await expect.poll(() => requester.getByTestId('cold-A2').textContent(), { timeout: 20_000 }).toContain('20 分钟');
    expect(await requester.getByTestId('specimen-status-A2').textContent()).toContain('已送检');
    await requester.close();
  });

  it('the township pages fit a 375-px phone', async () => {
    // A request not sent yet: its case page header carries the send and cancel buttons.
    const unsent = await requestThroughApi({
      item: 'PATH-surgical',
      site: '腹腔镜胆囊切除术：胆囊',
      reason: '胆囊结石伴慢性胆囊炎',
      specimen: { type: 'tissue', site: '胆囊', removed: 40, fixed: 20 },
    });
    const page = await suite.pageAs('township.doctor');
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${suite.base}/pathology/new`);
    await page.getByTestId('pathology-submit').waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.goto(`${suite.base}/pathology/cases/${unsent.task}`);
    await page.getByTestId('pathology-send').waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await headerFits(page)).toBe(true);
    await page.goto(caseUrl);
    await page.getByTestId('pathology-report').waitFor();
    await shot(page, 'pathology-phone-case');
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.close();
  });
});
