/** Debian's Chromium (never downloaded by a tool) driven by playwright-core, with a fresh profile. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildWebApp, DEMO_PASSWORD, startServer, type RunningServer } from './server.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'yiwang-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the login page and waits for the workbench. */
export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.locator('input#username').fill(username);
  await page.locator('input#password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('workbench').waitFor();
}

/** A new tab whose uncaught errors go to the test's log; `width`: as narrow as a phone (740 px high). */
export async function openPage(browser: Browser, width?: number): Promise<Page> {
  const page = await browser.context.newPage();
  if (width) await page.setViewportSize({ width, height: 740 });
  page.on('pageerror', (e) => console.error('[browser error]', e.message));
  return page;
}

/** A new tab (as `openPage`) signed in as `username`: a demo user, or one made with the demo password. */
export async function pageAs(browser: Browser, base: string, username: string, width?: number): Promise<Page> {
  const page = await openPage(browser, width);
  await signIn(page, base, username, DEMO_PASSWORD);
  return page;
}

/** Types into a searching select (e.g. the resident of a request form) and takes the first option offered. */
export async function searchAndPick(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).fill(text);
  await page.locator('.ant-select-item-option').first().click();
}

/** The task id at the end of a case page's address (…/cases/<task>). */
export function taskOf(caseUrl: string): string {
  return caseUrl.split('/').pop()!;
}

/** Opens a case from a list page (`listPath`, e.g. '/ecg?view=requested&all=1') through its `open-case-<task>` link. */
export async function openCase(page: Page, base: string, listPath: string, caseUrl: string): Promise<void> {
  await page.goto(`${base}${listPath}`);
  await page.getByTestId(`open-case-${taskOf(caseUrl)}`).click();
}

export interface Suite {
  server: RunningServer;
  browser: Browser;
  /** The server's address. */
  base: string;
  /** A new tab (see `openPage`). */
  page(width?: number): Promise<Page>;
  /** A new tab signed in as `username` (see `pageAs`). */
  pageAs(username: string, width?: number): Promise<Page>;
  /** Writes a file for the browser to upload into a temporary directory (removed by `stop`); answers its path. */
  file(name: string, data: string | Uint8Array): string;
  stop(): Promise<void>;
}

/** The current web app built, the real server with the demo county (`residents`), and Chromium. */
export async function startSuite(residents = 200): Promise<Suite> {
  buildWebApp();
  const server = await startServer(residents);
  const browser = await launch();
  let dir: string | undefined;
  return {
    server,
    browser,
    base: server.base,
    page: (width) => openPage(browser, width),
    pageAs: (username, width) => pageAs(browser, server.base, username, width),
    file(name, data) {
      dir ??= mkdtempSync(join(tmpdir(), 'yiwang-e2e-files-'));
      writeFileSync(join(dir, name), data);
      return join(dir, name);
    },
    async stop() {
      await browser.close();
      await server.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the page scrolls sideways (it must not, on a 360-px phone). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/**
 * With E2E_SCREENSHOTS=1: a screenshot into e2e/screenshots/tmp/ (for looking at the pages; the README shows copies
 * from docs/screenshots/). Full page unless `fullPage: false` (long pages: only the viewport). Waits for spinners to
 * go and for charts and table fades to finish first.
 */
export async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (process.env['E2E_SCREENSHOTS'] !== '1') return;
  const dir = join(import.meta.dirname, 'screenshots', 'tmp');
  mkdirSync(dir, { recursive: true });
  // Not 'networkidle': a signed-in page keeps its live stream (GET /api/inbox/stream) open.
  await page.waitForLoadState('load');
  await page
    .locator('.ant-spin-spinning, .ant-skeleton-active')
    .first()
    .waitFor({ state: 'detached', timeout: 15_000 })
    .catch(() => undefined);
  await page.waitForTimeout(1200);
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: options.fullPage ?? true });
}

/**
 * Follows a page's requests so a test can wait until they have settled: no request open for `quietMs`, the live stream
 * (GET /api/inbox/stream, open as long as the page is) left aside — Playwright's 'networkidle' never comes while it is
 * open, or comes before it opens, depending on timing. Attach before navigating.
 */
export function trackRequests(page: Page): { settled(quietMs?: number, timeoutMs?: number): Promise<void> } {
  const open = new Set<object>();
  let last = Date.now();
  const isStream = (url: string) => new URL(url).pathname.endsWith('/stream');
  page.on('request', (r) => {
    if (isStream(r.url())) return;
    open.add(r);
    last = Date.now();
  });
  const done = (r: object) => {
    if (open.delete(r)) last = Date.now();
  };
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return {
    async settled(quietMs = 500, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (open.size > 0 || Date.now() - last < quietMs) {
        if (Date.now() > deadline) throw new Error(`requests still open after ${timeoutMs} ms: ${open.size}`);
        await page.waitForTimeout(100);
      }
    },
  };
}
