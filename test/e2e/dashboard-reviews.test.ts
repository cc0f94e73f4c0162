// Issue 9, browser test 3 and 4: with `npm start` (the real script), the Dashboard 2.0 page
// "Reviews" shows a pending review with its input/output diff, and Approve there releases the
// msg on the Human Review node's output 1 (its "Action" debug node logs it to the console).
// The Energy and Cooling pages draw their widgets. Screenshots of every page go to .artifacts/
// (and, with LLMOPS_DOCS_SCREENSHOTS=1, to docs/screenshots/ for the README).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireTool } from '../helpers/require-tool';
import { waitFor } from '../helpers/ports';
import { ROOT, StartScript } from '../integration/start-script';

const ARTIFACTS = path.join(ROOT, '.artifacts');
const DOCS = path.join(ROOT, 'docs', 'screenshots');
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Charts fill as the twin runs; the README screenshots wait longer (the predictors learn for ~2 min).
const SETTLE_S = Number(process.env.LLMOPS_SCREENSHOT_WAIT_S ?? 15);

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: opts.fullPage });
  if (process.env.LLMOPS_DOCS_SCREENSHOTS === '1') {
    fs.mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, `${name}.png`), fullPage: opts.fullPage });
  }
}

describe('Dashboard 2.0 pages of npm start (Chromium)', function () {
  this.timeout(180_000 + SETTLE_S * 1000);
  let app: StartScript;
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    const chromiumPath = requireTool(this, 'chromium', 'apt-get install chromium (or set CHROMIUM_PATH)', [process.env.CHROMIUM_PATH ?? '/usr/bin/chromium']);
    app = new StartScript();
    await app.start();
    browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-FAILED-${name}.png`) }).catch(() => undefined);
    }
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    app?.dispose();
  });

  const press = (id: string) =>
    waitFor(`inject ${id}`, async () => ((await app.fetch(`/inject/${id}`, { method: 'POST' })).status === 200 ? true : undefined), 15_000);

  it('shows a pending order review with its input/output diff', async () => {
    await press('ops-in-slip');
    await page.goto(`${app.url}/dashboard/reviews`, { waitUntil: 'domcontentloaded' });
    const card = page.locator('.llmops-review').first();
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    const changed = card.locator('tr[data-kind="changed"]');
    assert.deepEqual(await changed.locator('td:first-child').allInnerTexts(), ['quantity', 'shipping']);
    assert.match(await card.innerText(), /2 mismatches: quantity: expected 5, output says 15/);
  });

  it('releases the approved review on output 1 of Human Review', async () => {
    await press('ops-in-order');
    const card = page.locator('.llmops-review', { hasText: 'Match confirmed' });
    await card.waitFor({ state: 'visible', timeout: 30_000 });
    const id = await card.getAttribute('data-review-id');
    assert.ok(id);
    await screenshot(page, 'dashboard-reviews');
    await card.locator('.llmops-review-checklist input[type=checkbox]').check();
    await card.locator('button.llmops-review-approve').click();
    // The "Action: execute" debug node on output 1 logs msg.review to the console.
    const line = await waitFor(
      'the approved review on output 1',
      () => {
        const at = app.out.indexOf('[debug:Action: execute]');
        return at < 0 ? undefined : app.out.slice(at, at + 600);
      },
      15_000,
    );
    assert.match(line, new RegExp(id!));
    assert.match(line, /decision: 'approve'|"decision":"approve"/);
    assert.match(line, /dashboard operator/);
    await page.locator(`.llmops-review[data-review-id="${id}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('confirms the operator-guide step by its own rules (unit, action, flow, supply temperature)', async () => {
    await press('ops-in-guide');
    const card = page.locator('.llmops-review', { hasText: 'CDU-1: raise flow' });
    await card.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal((await card.locator('.llmops-review-verdict').innerText()).trim(), 'Match confirmed');
  });

  it('opens the Edit box tall enough for the whole output, closing brace included', async () => {
    const card = page.locator('.llmops-review', { hasText: 'Order: Laptop × 15' }).first();
    await card.locator('button.llmops-review-editbtn').click();
    const box = card.locator('textarea.llmops-review-edit');
    await box.waitFor({ state: 'visible' });
    const { lines, rows, overflow } = await box.evaluate((el: HTMLTextAreaElement) => ({ lines: el.value.split('\n').length, rows: el.rows, overflow: el.scrollHeight - el.clientHeight }));
    assert.ok(rows > lines, `${rows} rows for ${lines} lines`);
    assert.ok(overflow <= 0, `the box scrolls by ${overflow} px`);
  });

  it('draws cluster power, servers, clocks and SLO attainment on the Energy page', async () => {
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    await page.goto(`${app.url}/dashboard/energy`, { waitUntil: 'domcontentloaded' });
    await page.locator('canvas').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(3000);
    assert.equal(await page.locator('canvas').count() >= 4, true, 'four charts');
    assert.match(await page.innerText('body'), /SLO attainment/);
    await screenshot(page, 'dashboard-energy');
  });

  it('draws temperatures with forecasts, flow and supply setpoints and alarms on the Cooling page', async () => {
    // Tall enough for the whole page: a full-page screenshot resizes the window, and the
    // dashboard answers a resize by sliding its navigation drawer over the page.
    await page.setViewportSize({ width: 1280, height: 1080 });
    await page.goto(`${app.url}/dashboard/cooling`, { waitUntil: 'domcontentloaded' });
    await page.locator('canvas').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(3000);
    const text = await page.innerText('body');
    // The Telemetry store line is the storing Sensor's own status: readings counted, InfluxDB answering.
    assert.match(text, /Telemetry store\s+[\d.]+k? readings · InfluxDB\b(?! down)/);
    assert.match(text, /CDU remote timeout|cdu\.remoteTimeout/);
    await screenshot(page, 'dashboard-cooling');
  });
});

describe('Dashboard 2.0 Cooling page of npm start with InfluxDB down (Chromium)', function () {
  this.timeout(120_000);
  let app: StartScript;
  let browser: Browser | undefined;

  before(async function () {
    const chromiumPath = requireTool(this, 'chromium', 'apt-get install chromium (or set CHROMIUM_PATH)', [process.env.CHROMIUM_PATH ?? '/usr/bin/chromium']);
    // An InfluxDB that is configured but does not answer (port 9: discard, nothing listens).
    app = new StartScript(undefined, { LLMOPS_INFLUX_URL: 'http://127.0.0.1:9' });
    await app.start();
    browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS, headless: true });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    app?.dispose();
  });

  it('says on the Telemetry store line that readings are buffered, not stored', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${app.url}/dashboard/cooling`, { waitUntil: 'domcontentloaded' });
    const line = page.locator('text=/InfluxDB down, buffering/');
    await line.first().waitFor({ timeout: 60_000 });
    assert.doesNotMatch(await page.innerText('body'), /readings · InfluxDB(?! down)/);
  });
});
