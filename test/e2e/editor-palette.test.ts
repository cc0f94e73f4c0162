// Issue 9, browser test 1: what a user meets first in the Node-RED editor. The palette shows the
// suite's categories with every registered node and its own icon; each node can be dragged onto
// the workspace and its dialog opened without errors; a required field left empty is marked red;
// and a node configured in its dialog (with a config node made from the dialog) deploys.
// Runs a real Node-RED process (the suite loaded from the working tree, built into dist/) and
// headless Chromium. Screenshots go to .artifacts/editor-*.png.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Editor } from '../helpers/browser';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';

const root = path.resolve(__dirname, '../..');
/** The editor's global inside the page (only used in page.evaluate callbacks). */
declare const RED: any;
const SUITE_CATEGORIES = ['LLM Ops', 'Energy', 'Cooling'];

interface EditorDef {
  type: string;
  category: string;
  icon?: string;
}

/** The suite's node types as package.json registers them, with category and icon from each dialog. */
function registeredDefs(): EditorDef[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return Object.entries(pkg['node-red'].nodes as Record<string, string>).map(([type, js]) => {
    const html = fs.readFileSync(path.join(root, path.relative('dist', js).replace(/\.js$/, '.html')), 'utf8');
    return { type, category: /category:\s*'([^']+)'/.exec(html)![1], icon: /icon:\s*'([^']+)'/.exec(html)?.[1] };
  });
}

/**
 * For each palette node, a field its dialog must mark red: a required field left empty where the
 * node has one (a twin or OPC UA endpoint the chosen mode needs), otherwise a value out of range.
 * Fields with a working default may be left empty (the runtime uses the default), so those nodes
 * are checked with a bad value. NO_FIELD_CHECK lists nodes without either, so a new node forces
 * a decision here.
 */
const FIELD_CHECKS: Record<string, { kind: 'required' | 'bad value'; steps: (e: Editor) => Promise<void>; marked: string }> = {
  'llmops-sensor': { kind: 'required', steps: (e) => select(e, '#node-input-source', 'twin'), marked: '#node-input-facility' },
  'llmops-gpu-dvfs': { kind: 'required', steps: (e) => select(e, '#node-input-actuator', 'twin'), marked: '#node-input-facility' },
  'llmops-cluster-scaler': { kind: 'required', steps: (e) => select(e, '#node-input-actuator', 'twin'), marked: '#node-input-facility' },
  'llmops-coolant-valve': { kind: 'required', steps: (e) => select(e, '#node-input-mode', 'auto'), marked: '#node-input-endpoint' },
  'llmops-human-review': { kind: 'bad value', steps: (e) => fill(e, '#node-input-approvals', '0'), marked: '#node-input-approvals' },
  'llmops-io-matcher': { kind: 'bad value', steps: (e) => fillTyped(e, '#node-input-inputProperty', 'input..data'), marked: '#node-input-inputProperty + .red-ui-typedInput-container' },
  'llmops-llm-engine': { kind: 'bad value', steps: (e) => fill(e, '#node-input-temperature', '3'), marked: '#node-input-temperature' },
  'llmops-queue-batcher': { kind: 'bad value', steps: (e) => fill(e, '#node-input-inputBounds', '1024, 256'), marked: '#node-input-inputBounds' },
  'llmops-thermal-predictor': { kind: 'bad value', steps: (e) => fillTyped(e, '#node-input-horizonS', '5'), marked: '#node-input-horizonS + .red-ui-typedInput-container' },
};
const NO_FIELD_CHECK: string[] = [];

async function select(e: Editor, sel: string, value: string): Promise<void> {
  await e.page.locator(sel).selectOption(value);
}
async function fill(e: Editor, sel: string, value: string): Promise<void> {
  await e.page.locator(sel).fill(value);
  await e.page.locator(sel).dispatchEvent('change');
}
async function fillTyped(e: Editor, sel: string, value: string): Promise<void> {
  await e.page.evaluate(([s, v]) => (window as any).$(s).typedInput('value', v).trigger('change'), [sel, value]);
}

describe('editor: palette, dialogs and deploy (Chromium)', function () {
  this.timeout(120_000);
  const defs = registeredDefs();
  const paletteDefs = defs.filter((d) => d.category !== 'config');
  let nr: NodeRedProcess | undefined;
  let editor: Editor | undefined;

  before(async function () {
    const dist = path.join(root, 'dist', 'nodes');
    if (!fs.existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    nr = new NodeRedProcess();
    await nr.start();
    editor = await Editor.open(this, nr.url, paletteDefs[0].type);
  });

  afterEach(async function () {
    await editor?.screenshotIfFailed(this.currentTest, 'editor');
    // A failed test may leave a dialog open; the next one starts on a clear workspace.
    await editor?.closeAllDialogs();
  });

  after(async () => {
    await editor?.close();
    await nr?.dispose();
  });

  it('shows the LLM Ops, Energy and Cooling categories holding every registered palette node', async () => {
    const e = editor!;
    for (const category of SUITE_CATEGORIES) {
      assert.ok(paletteDefs.some((d) => d.category === category), `no registered node is in "${category}" yet`);
    }
    for (const d of paletteDefs) {
      assert.ok(SUITE_CATEGORIES.includes(d.category), `${d.type} is in "${d.category}"`);
      const container = `#red-ui-palette-container-${d.category.replace(/[^A-Za-z0-9-]/g, '_')}`;
      assert.equal(await e.page.locator(`${container} .red-ui-palette-header`).innerText().then((t) => t.trim()), d.category);
      assert.equal(await e.page.locator(`${container} .red-ui-palette-node[data-palette-type="${d.type}"]`).count(), 1, `${d.type} in ${d.category}`);
    }
    // Only the suite's nodes in one picture: the palette filter matches on the type name.
    const search = e.page.locator('#red-ui-palette-search input');
    await search.pressSequentially('llmops-');
    await e.paletteNode('inject').waitFor({ state: 'hidden' });
    await e.screenshot('editor-palette', '#red-ui-palette');
    // The filter stays: the next tests drag only the suite's nodes.
  });

  it("renders each palette node with the suite's own icon image, not Node-RED's default", async () => {
    const e = editor!;
    for (const d of paletteDefs) {
      assert.ok(d.icon, `${d.type} names an icon`);
      const url = await e.paletteNode(d.type).locator('.red-ui-palette-icon-container').getAttribute('data-palette-icon');
      assert.equal(url, `icons/node-red-contrib-llmops/${d.icon}`, d.type);
      const served = await e.page.evaluate(async (u) => {
        const img = new Image();
        img.src = u;
        await img.decode();
        return { width: img.naturalWidth, body: await (await fetch(u)).text() };
      }, url!);
      assert.ok(served.width > 0, `${d.icon} decodes as an image`);
      assert.equal(served.body, fs.readFileSync(path.join(root, 'icons', d.icon!), 'utf8'), `${d.icon} is served, not the default icon`);
    }
  });

  it('opens the edit dialog of every palette node dropped onto the workspace without console errors', async () => {
    const e = editor!;
    const errorsBefore = e.errors.length;
    for (const [i, d] of paletteDefs.entries()) {
      const id = await e.drop(d.type, 150 + (i % 3) * 300, 80 + Math.floor(i / 3) * 80);
      await e.openDialog(id);
      assert.ok((await e.page.locator('.red-ui-tray #dialog-form .form-row').count()) > 0, `${d.type} dialog has fields`);
      const untranslated = await e.page.locator('.red-ui-tray #dialog-form').innerText();
      assert.doesNotMatch(untranslated, /\b[a-z-]+\.(label|tip|placeholder)\.[A-Za-z.]+\b/, `${d.type} dialog shows a raw catalogue key`);
      await e.screenshot(`editor-dialog-${d.type.replace(/^llmops-/, '')}`, '.red-ui-tray');
      await e.closeDialog('cancel');
    }
    await e.screenshot('editor-workspace');
    assert.deepEqual(e.errors.slice(errorsBefore), []);
  });

  it('labels every input and output port of every palette node from its catalogue', async () => {
    // Plain loops only: the page cannot see the helpers tsx adds around named functions.
    const labels: { type: string; inputs: unknown[]; outputs: unknown[] }[] = await editor!.page.evaluate((types: string[]) => {
      const out = [];
      for (const t of types) {
        const def = RED.nodes.getType(t);
        // A fresh node as the editor makes it: the defaults' values and the catalogue lookup.
        const node: any = { _: def._, type: t };
        for (const k of Object.keys(def.defaults)) node[k] = def.defaults[k].value;
        const inputs = [];
        const outputs = [];
        for (let i = 0; i < (def.inputs || 0); i++) inputs.push(typeof def.inputLabels === 'function' ? def.inputLabels.call(node, i) : def.inputLabels);
        for (let i = 0; i < (def.outputs || 0); i++) outputs.push(typeof def.outputLabels === 'function' ? def.outputLabels.call(node, i) : Array.isArray(def.outputLabels) ? def.outputLabels[i] : def.outputLabels);
        out.push({ type: t, inputs, outputs });
      }
      return out;
    }, paletteDefs.map((d) => d.type));
    for (const l of labels) {
      for (const label of [...l.inputs, ...l.outputs]) {
        assert.equal(typeof label, 'string', `${l.type}: every port has a label`);
        assert.doesNotMatch(label as string, /^[a-z-]+\.[A-Za-z.-]+$/, `${l.type}: "${label}" is a catalogue key, not its text`);
      }
    }
    // Output labels tell the ports apart.
    for (const l of labels) assert.equal(new Set(l.outputs).size, l.outputs.length, `${l.type}: distinct output labels`);
  });

  it('has a field check for every palette node', () => {
    for (const d of paletteDefs) assert.ok(d.type in FIELD_CHECKS || NO_FIELD_CHECK.includes(d.type), `${d.type}: add it to FIELD_CHECKS or NO_FIELD_CHECK`);
  });

  it('marks a required field left empty, or a value out of range, in red', async () => {
    const e = editor!;
    for (const [i, d] of paletteDefs.filter((x) => x.type in FIELD_CHECKS).entries()) {
      const id = await e.drop(d.type, 150 + (i % 3) * 300, 420 + Math.floor(i / 3) * 80);
      await e.openDialog(id);
      const { kind, steps, marked } = FIELD_CHECKS[d.type];
      assert.equal(await e.page.locator(`${marked}.input-error`).count(), 0, `${d.type}: ${marked} is valid before`);
      await steps(e);
      await e.page
        .locator(`${marked}.input-error`)
        .waitFor({ state: 'attached', timeout: 5_000 })
        .catch(() => assert.fail(`${d.type}: ${marked} (${kind}) is not marked red`));
      await e.screenshot(`editor-required-${d.type.replace(/^llmops-/, '')}`, '.red-ui-tray');
      await e.closeDialog('cancel');
    }
  });

  for (const lang of ['de', 'ja', 'zh-CN']) {
    it(`shows dialogs and help in ${lang} when the browser asks for ${lang}`, async () => {
      const catalogue = JSON.parse(fs.readFileSync(path.join(root, 'locales', lang, 'io-matcher.json'), 'utf8'))['io-matcher'];
      const help = fs.readFileSync(path.join(root, 'locales', lang, 'io-matcher.html'), 'utf8');
      const firstHeading = /<h3>([^<]+)<\/h3>/.exec(help)![1];
      const e = await editor!.openPage(nr!.url, 'llmops-io-matcher', lang);
      try {
        const id = await e.drop('llmops-io-matcher', 300, 200);
        await e.openDialog(id);
        const label = (await e.page.locator('label[for="node-input-inputProperty"]').innerText()).trim();
        assert.equal(label, catalogue.label.inputProperty);
        assert.doesNotMatch(await e.page.locator('.red-ui-tray #dialog-form').innerText(), /io-matcher\./, 'no raw catalogue key');
        await e.screenshot(`editor-dialog-io-matcher-${lang}`, '.red-ui-tray');
        await e.closeDialog('cancel');
        const shownHelp = await e.page.evaluate((t) => (window as any).$(`script[data-help-name="${t}"]`).html() as string, 'llmops-io-matcher');
        assert.ok(shownHelp.includes(`<h3>${firstHeading}</h3>`), `help in ${lang}`);
        assert.deepEqual(e.errors, []);
      } finally {
        await e.closePage();
      }
    });
  }

  it('deploys an LLM Engine configured in its dialog with an offline provider made there too', async () => {
    const e = editor!;
    // Start from an empty workspace so only the configured node is deployed.
    await e.page.evaluate(() => {
      RED.actions.invoke('core:select-all-nodes');
      RED.actions.invoke('core:delete-selection');
    });
    const id = await e.drop('llmops-llm-engine', 300, 200);
    await e.openDialog(id);
    await e.page.locator('#node-input-name').fill('order check');
    await e.page.locator('#node-input-btn-provider-add').click();
    await e.page.locator('#node-config-input-kind').waitFor({ state: 'visible' });
    await e.settled();
    // The provider dialog marks a base URL that is not one, while the kind needs it.
    await e.page.locator('#node-config-input-kind').selectOption('openai');
    await fill(e, '#node-config-input-baseURL', 'gpu-node:8000/v1');
    await e.page.locator('#node-config-input-baseURL.input-error').waitFor({ state: 'attached', timeout: 5_000 });
    await e.screenshot('editor-dialog-llm-provider', '.red-ui-tray');
    await e.page.locator('#node-config-input-kind').selectOption('offline');
    await e.page.locator('#node-config-dialog-ok').click();
    await e.page.locator('#node-config-input-kind').waitFor({ state: 'detached' });
    await e.settled();
    await e.closeDialog('ok');
    await e.deploy();

    const flows = await waitFor('the deployed LLM Engine in GET /flows', async () => {
      const r = await nr!.request('GET', '/flows');
      const list = r.json as { id: string; type: string; [k: string]: unknown }[];
      return list.some((n) => n.id === id) ? list : undefined;
    }, 10_000);
    const engine = flows.find((n) => n.id === id)!;
    assert.equal(engine.type, 'llmops-llm-engine');
    assert.equal(engine.name, 'order check');
    const provider = flows.find((n) => n.id === engine.provider);
    assert.equal(provider?.type, 'llmops-llm-provider');
    assert.equal(provider?.kind, 'offline');
    assert.deepEqual(flows.filter((n) => !['tab', 'llmops-llm-engine', 'llmops-llm-provider'].includes(n.type)), []);
    assert.doesNotMatch(nr!.log, /\[error\]/);
  });
});
