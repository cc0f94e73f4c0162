// A real Node-RED editor in headless Chromium (playwright-core), for the editor end-to-end tests.
// One browser and one page per spec file: start Chromium once in `before`, reuse the page.
// Screenshots go to .artifacts/ (git ignores it; CI keeps it as the test artefact).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { requireTool } from './require-tool';

export const ARTIFACTS = path.resolve(__dirname, '../../.artifacts');

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--headless'];

/** The parts of the editor's global `RED` the tests call inside the page. */
declare const RED: any;

export class Editor {
  /** Console errors and uncaught page errors, in order, since the page opened. */
  readonly errors: string[] = [];

  private constructor(
    readonly browser: Browser,
    readonly page: Page,
  ) {}

  /**
   * Launches Chromium (skips the suite locally when it is missing, fails under CI=true) and opens
   * the editor at `url`, returning once the palette shows the node `waitForType`.
   */
  static async open(ctx: Mocha.Context, url: string, waitForType = 'inject', locale = 'en-US'): Promise<Editor> {
    const executablePath = process.env.CHROMIUM_PATH || requireTool(ctx, 'chromium', 'apt-get install -y chromium', ['/usr/bin/chromium']);
    const browser = await chromium.launch({ executablePath, args: FLAGS, headless: true, timeout: 30_000 });
    const editor = await Editor.openPage(browser, url, waitForType, locale);
    return editor;
  }

  /**
   * Opens the editor in another page of the same browser, in the browser language `locale`
   * (the editor picks its catalogues from it). Close it with `closePage()`.
   */
  openPage(url: string, waitForType: string, locale: string): Promise<Editor> {
    return Editor.openPage(this.browser, url, waitForType, locale);
  }

  async closePage(): Promise<void> {
    await this.page.close();
  }

  private static async openPage(browser: Browser, url: string, waitForType: string, locale: string): Promise<Editor> {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale });
    page.setDefaultTimeout(15_000);
    const editor = new Editor(browser, page);
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') editor.errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e: Error) => editor.errors.push(`page: ${e.message}`));
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await editor.paletteNode(waitForType).waitFor({ state: 'visible', timeout: 60_000 });
    // The editor shows a spinner until the flows have loaded; dragging before that is lost.
    await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 30_000 });
    await page.waitForFunction(() => typeof RED !== 'undefined' && RED.workspaces && RED.workspaces.active && RED.workspaces.active(), null, { timeout: 30_000 });
    return editor;
  }

  paletteNode(type: string) {
    return this.page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  }

  /** Drags a palette node onto the workspace at (x, y) relative to the chart and returns its id. */
  async drop(type: string, x: number, y: number): Promise<string> {
    const before: string[] = await this.page.evaluate((t) => {
      const ids: string[] = [];
      RED.nodes.eachNode((n: any) => {
        if (n.type === t) ids.push(n.id);
      });
      return ids;
    }, type);
    const item = this.paletteNode(type);
    await item.scrollIntoViewIfNeeded();
    const from = (await item.boundingBox())!;
    const chart = (await this.page.locator('#red-ui-workspace-chart').boundingBox())!;
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(chart.x + x, chart.y + y, { steps: 8 });
    await this.page.mouse.up();
    return this.page.waitForFunction(
      ({ t, seen }) => {
        let found: string | undefined;
        RED.nodes.eachNode((n: any) => {
          if (n.type === t && !seen.includes(n.id)) found = n.id;
        });
        return found;
      },
      { t: type, seen: before },
      { timeout: 10_000 },
    ).then((h) => h.jsonValue() as Promise<string>);
  }

  /** Opens a workspace node's edit dialog by double-clicking it; resolves when the tray is ready. */
  async openDialog(id: string): Promise<void> {
    await this.page.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick();
    await this.page.locator('.red-ui-tray #dialog-form').waitFor({ state: 'visible' });
    await this.page.locator('#node-dialog-ok').waitFor({ state: 'visible' });
    await this.settled();
  }

  /** Waits until no jQuery animation (the tray sliding in or out) is running. */
  async settled(): Promise<void> {
    await this.page.waitForFunction(() => (window as any).$(':animated').length === 0);
  }

  async closeDialog(button: 'ok' | 'cancel' = 'cancel'): Promise<void> {
    await this.page.locator(`#node-dialog-${button}`).click();
    await this.page.locator('.red-ui-tray').waitFor({ state: 'detached' });
  }

  /**
   * Clicks Deploy and waits for "Successfully deployed". When the editor asks first (nodes not
   * properly configured, unknown types, unused config nodes) it throws with the editor's words.
   */
  /** Cancels every open edit dialog, config dialogs first (nothing happens when none is open). */
  async closeAllDialogs(): Promise<void> {
    for (let i = 0; i < 4 && (await this.page.locator('.red-ui-tray').count()) > 0; i++) {
      const cancel = this.page.locator('#node-config-dialog-cancel, #node-dialog-cancel').last();
      await cancel.click({ timeout: 2_000 }).catch(() => undefined);
      await this.settled().catch(() => undefined);
    }
  }

  async deploy(): Promise<void> {
    await this.page.locator('#red-ui-header-button-deploy').click();
    const done = this.page.locator('.red-ui-notification', { hasText: /Successfully deployed/i });
    const asked = this.page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    await done.or(asked).first().waitFor({ state: 'visible', timeout: 20_000 });
    if (await asked.isVisible()) {
      const text = await this.page.locator('.red-ui-notification', { has: asked }).innerText();
      throw new Error(`the editor asked before deploying: ${text.replace(/\s+/g, ' ').trim()}`);
    }
    // Let the notification go so the next deploy waits for its own.
    await done.first().click({ timeout: 2_000 }).catch(() => undefined);
  }

  /** Saves a screenshot under .artifacts/<name>.png, of the page or of one element. */
  async screenshot(name: string, selector?: string): Promise<string> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    if (selector) await this.page.locator(selector).first().screenshot({ path: file });
    else await this.page.screenshot({ path: file });
    return file;
  }

  /** Keeps a screenshot of a failed test, named after it. */
  async screenshotIfFailed(test: Mocha.Test | undefined, prefix: string): Promise<void> {
    if (test?.state !== 'failed') return;
    const name = test.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await this.screenshot(`${prefix}-FAILED-${name}`).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}
