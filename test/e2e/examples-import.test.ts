// Issue 9, browser test 2: Import > Examples > node-red-contrib-llmops lists every flow in
// examples/, and each one, imported through that dialog and deployed with the Deploy button, runs
// without an error in the runtime log. Examples that reach for something outside the flow
// (InfluxDB at 127.0.0.1:8086, a file context store) are deployed all the
// same; only the documented lines listed in EXPECTED_LINES are accepted, nothing else at warn or
// error level.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACTS, Editor } from '../helpers/browser';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';

const root = path.resolve(__dirname, '../..');
const EXAMPLES = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

/**
 * Lines at warn or error level an example may log on a plain Node-RED install without the outside
 * system it is written for, and why. Each is the node's documented, clear line that says what is
 * missing; anything else at warn or error level fails the test.
 */
const EXPECTED_LINES: Record<string, RegExp[]> = {
  // No influxd on 127.0.0.1:8086: the writer keeps readings (spills to disk) and says so.
  'facility-telemetry': [/\[warn\].*InfluxDB.*(not reachable|unreachable|ECONNREFUSED)/i],
  // A plain settings.js has no contextStorage: the node warns that open reviews do not survive a
  // restart, and Node-RED itself that the example's "file" store falls back to memory.
  'human-review': [/\[warn\] \[llmops-human-review:[^\]]*\] no context store is configured/, /\[warn\] Unknown context store 'file' specified\. Using default store\./],
  // The demo tabs as examples: the same two reasons (npm start configures both, a plain install has neither).
  'demo-llm-ops': [/\[warn\] \[llmops-human-review:[^\]]*\] no context store is configured/, /\[warn\] Unknown context store 'file' specified\. Using default store\./],
  'demo-cooling': [/\[warn\].*InfluxDB.*(not reachable|unreachable|ECONNREFUSED)/i],
};

/** How long an example runs after its deploy before the log is read: long enough for a first poll or connection. */
const SETTLE_MS = 2_500;

const MODULE = 'node-red-contrib-llmops';

describe('editor: Import > Examples (Chromium)', function () {
  this.timeout(60_000);
  let nr: NodeRedProcess | undefined;
  let editor: Editor | undefined;

  before(async function () {
    if (!fs.existsSync(path.join(root, 'dist', 'nodes'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    nr = new NodeRedProcess({ modules: ['@flowfuse/node-red-dashboard'] });
    await nr.start();
    editor = await Editor.open(this, nr.url);
  });

  afterEach(async function () {
    await editor?.screenshotIfFailed(this.currentTest, 'examples');
    if (this.currentTest?.state === 'failed' && nr) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, 'examples-FAILED-node-red.log'), nr.log);
    }
  });

  after(async () => {
    await editor?.close();
    await nr?.dispose();
  });

  /** Opens Import > Examples and expands this module; returns the labels listed under it. */
  async function openExamples(): Promise<string[]> {
    const page = editor!.page;
    await page.evaluate(() => (window as any).RED.actions.invoke('core:show-examples-import-dialog'));
    const tab = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    const moduleRow = tab.locator('.red-ui-treeList-label', { hasText: new RegExp(`^${MODULE}$`) });
    await moduleRow.click();
    const files = moduleRow.locator('xpath=..').locator('.red-ui-editableList .red-ui-treeList-label-text');
    await files.first().waitFor({ state: 'visible' });
    return files.allInnerTexts();
  }

  it(`lists every flow in examples/ under ${MODULE}`, async () => {
    const listed = await openExamples();
    await editor!.screenshot('examples-menu', '.ui-dialog:has(#red-ui-clipboard-dialog-import-tab-examples)');
    await editor!.page.locator('#red-ui-clipboard-dialog-cancel').click();
    assert.deepEqual([...listed].sort(), EXAMPLES);
  });

  for (const example of EXAMPLES) {
    it(`imports and deploys ${example} without an error in the runtime log`, async () => {
      const e = editor!;
      // Each example starts from an empty runtime and a freshly loaded editor, so ids and fixed
      // ports (OPC UA) of one example never meet another's.
      await nr!.deploy([{ id: 'e2e0000000000001', type: 'tab', label: 'Flow 1' }]);
      await e.page.reload({ waitUntil: 'domcontentloaded' });
      await e.page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 30_000 });
      await e.page.waitForFunction(() => (window as any).RED?.workspaces?.active?.());
      const errorsBefore = e.errors.length;

      await openExamples();
      await e.page.locator('#red-ui-clipboard-dialog-import-tab-examples .red-ui-treeList-label', { hasText: new RegExp(`^${example}$`) }).click();
      await e.page.locator('#red-ui-clipboard-dialog-ok').click();
      await e.page.locator('#red-ui-clipboard-dialog-import-tab-examples').waitFor({ state: 'hidden' });
      // Nodes imported into the open flow follow the mouse until a click places them.
      await e.page.locator('#red-ui-workspace-chart').click({ position: { x: 40, y: 40 } });
      const imported = await e.page.evaluate(() => {
        let n = 0;
        (window as any).RED.nodes.eachNode(() => {
          n++;
        });
        return n;
      });
      assert.ok(imported > 0, 'the example put nodes on the workspace');
      // An example with its own flow tab is imported beside Flow 1: show it for the screenshot.
      await e.page.evaluate(() => {
        const RED = (window as any).RED;
        let last = '';
        RED.nodes.eachWorkspace((ws: { id: string }) => {
          last = ws.id;
        });
        RED.workspaces.show(last);
      });

      const logFrom = nr!.log.length;
      await e.deploy();
      await waitFor('the runtime to start the deployed flows', () => /Started flows/.test(nr!.log.slice(logFrom)), 20_000, 50);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await e.page.locator('.red-ui-notification').evaluateAll((els) => els.forEach((el) => el.remove()));
      await e.screenshot(`examples-${example}`);

      const problems = nr!.log
        .slice(logFrom)
        .split('\n')
        .filter((line) => /\[(error|warn)\]/.test(line))
        .filter((line) => !(EXPECTED_LINES[example] ?? []).some((re) => re.test(line)));
      if (process.env.E2E_SHOW_LOG) console.log(nr!.log.slice(logFrom));
      assert.deepEqual(problems, [], `runtime log of ${example}`);
      assert.deepEqual(e.errors.slice(errorsBefore), [], 'editor console');
    });
  }
});
