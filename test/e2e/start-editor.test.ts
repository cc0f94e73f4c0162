// Issue 9, browser test 4: the editor of `npm start` (the real script) opens the three demo tabs
// with every node known and valid (no red triangles, no unknown types), and its screenshots are
// kept in .artifacts/ (and, with LLMOPS_DOCS_SCREENSHOTS=1, in docs/screenshots/).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireTool } from '../helpers/require-tool';
import { ROOT, StartScript } from '../integration/start-script';

const ARTIFACTS = path.join(ROOT, '.artifacts');
const DOCS = path.join(ROOT, 'docs', 'screenshots');
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TABS = [
  ['llmops-tab-ops', 'editor-llm-ops'],
  ['llmops-tab-energy', 'editor-energy'],
  ['llmops-tab-cooling', 'editor-cooling'],
] as const;
/**
 * Node types whose dialogs still refuse a missing value (the cooling nodes, being reworked by
 * their owner): take a type off this list once its validators accept one.
 */
const AWAITING_DEFAULTS: string[] = [];

declare const RED: {
  nodes: {
    workspace(id: string): unknown;
    eachNode(cb: (n: { id: string; type: string; z: string; valid?: boolean; validationErrors?: string[] }) => void): void;
    eachConfig(cb: (n: { id: string; type: string; valid?: boolean; validationErrors?: string[] }) => void): void;
  };
  workspaces: { show(id: string): void };
  menu: { setSelected(id: string, on: boolean): void };
};

describe('The editor of npm start (Chromium)', function () {
  this.timeout(120_000);
  let app: StartScript;
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    const chromiumPath = requireTool(this, 'chromium', 'apt-get install chromium (or set CHROMIUM_PATH)', [process.env.CHROMIUM_PATH ?? '/usr/bin/chromium']);
    app = new StartScript();
    await app.start();
    browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    await page.goto(app.url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => {
      try {
        return !!RED.nodes.workspace('llmops-tab-cooling');
      } catch {
        return false;
      }
    }, null, { timeout: 60_000 });
    // Let the status of the twin's nodes arrive before looking.
    await page.locator('.red-ui-flow-node-status-label', { hasText: 'OPC UA ok' }).first().waitFor({ state: 'attached', timeout: 30_000 }).catch(() => undefined);
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    app?.dispose();
  });

  it('loads every node of the demo flows as a known, valid node', async () => {
    const problems = await page.evaluate(() => {
      const out: string[] = [];
      RED.nodes.eachNode((n) => {
        if (n.valid === false || n.type === 'unknown') out.push(`${n.type} ${n.id}: ${(n.validationErrors ?? []).join(', ')}`);
      });
      RED.nodes.eachConfig((n) => {
        if (n.valid === false) out.push(`${n.type} ${n.id}: ${(n.validationErrors ?? []).join(', ')}`);
      });
      return out;
    });
    assert.deepEqual(problems, []);
  });

  it('shows the three demo tabs, each in a screenshot', async () => {
    await page.evaluate(() => {
      RED.menu.setSelected('menu-item-palette', false);
      RED.menu.setSelected('menu-item-sidebar', false);
    });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const [tab, name] of TABS) {
      await page.evaluate((id) => RED.workspaces.show(id), tab);
      await page.waitForTimeout(1000);
      assert.equal(await page.locator('#red-ui-workspace-tabs .red-ui-tab.active').innerText().then((t) => t.trim()), { 'llmops-tab-ops': 'LLM Ops', 'llmops-tab-energy': 'Energy', 'llmops-tab-cooling': 'Cooling' }[tab]);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
      if (process.env.LLMOPS_DOCS_SCREENSHOTS === '1') {
        fs.mkdirSync(DOCS, { recursive: true });
        await page.screenshot({ path: path.join(DOCS, `${name}.png`) });
      }
    }
  });

  it('imports every example and every flow of flows/ with no invalid node', async () => {
    const files = [
      ...fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).map((f) => path.join('examples', f)),
      ...fs.readdirSync(path.join(ROOT, 'flows')).filter((f) => f.endsWith('.json')).map((f) => path.join('flows', f)),
    ].sort();
    const problems: string[] = [];
    for (const file of files) {
      const flow = JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));
      const found = await page.evaluate((nodes) => {
        const before: string[] = [];
        RED.nodes.eachNode((n) => void before.push(n.id));
        RED.nodes.eachConfig((n) => void before.push(n.id));
        (RED.nodes as any).import(nodes, { generateIds: true, addFlow: false });
        const all: Array<{ id: string; type: string; valid?: boolean; validationErrors?: string[] }> = [];
        RED.nodes.eachNode((n) => void all.push(n));
        RED.nodes.eachConfig((n) => void all.push(n));
        return all
          .filter((n) => !before.includes(n.id) && (n.valid === false || n.type === 'unknown'))
          .map((n) => `${n.type}: ${(n.validationErrors ?? []).join(', ')}`);
      }, flow);
      problems.push(...found.map((p) => `${file}: ${p}`));
    }
    assert.deepEqual(problems, []);
  });

  it('accepts every property with a default when a flow lacks it (saved before the property existed)', async () => {
    const problems = await page.evaluate((skip) => {
      const out: string[] = [];
      const registry = RED.nodes as any;
      const types: string[] = registry.registry.getNodeTypes().filter((t: string) => t.startsWith('llmops-') && !skip.includes(t));
      for (const type of types) {
        const def = registry.getType(type);
        const base: Record<string, unknown> = { id: `probe-${type}`, type, _def: def };
        for (const [key, d] of Object.entries<any>(def.defaults)) base[key] = JSON.parse(JSON.stringify(d.value ?? ''));
        for (const [key, d] of Object.entries<any>(def.defaults)) {
          // Nothing to fall back on: no default, a config node, or a value the user must give.
          if (d.value === '' || d.value === undefined || (Array.isArray(d.value) && d.value.length === 0) || d.type || d.required) continue;
          const node: Record<string, unknown> = { ...base };
          delete node[key];
          (RED as any).editor.validateNode(node);
          if (node.valid === false) out.push(`${type}.${key}: ${((node.validationErrors as string[]) ?? []).join(', ')}`);
        }
      }
      return out;
    }, AWAITING_DEFAULTS);
    assert.deepEqual(problems, []);
  });
});
