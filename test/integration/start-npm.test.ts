// `npm start` (scripts/start.js, the real script) on a free port and a temporary user directory:
// it comes up, deploys the three demo tabs, runs them without errors, stops what it started,
// and never overwrites flows a user edited without keeping them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireTool } from '../helpers/require-tool';
import { waitFor } from '../helpers/ports';
import { StartScript } from './start-script';

describe('npm start (scripts/start.js)', function () {
  this.timeout(120_000);

  describe('a first start', () => {
    let app: StartScript;
    let seconds = 0;

    before(async function () {
      requireTool(this, 'influxd', 'apt-get install influxdb');
      app = new StartScript();
      seconds = await app.start();
      // eslint-disable-next-line no-console
      console.log(`      npm start ready in ${seconds} s (Node-RED, dashboard, influxd, twin BMS)`);
    });

    after(async () => {
      await app?.stop();
      app?.dispose();
    });

    it('prints the editor and dashboard URLs', () => {
      assert.match(app.out, new RegExp(`editor: +http://127\\.0\\.0\\.1:${app.port}/`));
      assert.match(app.out, new RegExp(`dashboard: +http://127\\.0\\.0\\.1:${app.port}/dashboard/`));
    });

    it('deploys the LLM Ops, Energy and Cooling tabs', async () => {
      const flows = (await (await app.fetch('/flows')).json()) as { type: string; label?: string }[];
      assert.deepEqual(flows.filter((n) => n.type === 'tab').map((n) => n.label), ['LLM Ops', 'Energy', 'Cooling']);
    });

    it('writes settings without the telemetry prompt and tour, with a file context store', () => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const settings = require(path.join(app.userDir, 'settings.js'));
      assert.equal(settings.telemetry.enabled, false);
      assert.equal(settings.diagnostics.enabled, false);
      assert.equal(settings.editorTheme.tours, false);
      assert.equal(settings.contextStorage.file.module, 'localfilesystem');
      assert.equal(settings.contextStorage.default, 'file');
    });

    it('runs the three tabs with the twin, the BMS session and InfluxDB without an error in the runtime log', async () => {
      const status = await waitFor(
        'telemetry in the demo InfluxDB',
        async () => {
          const m = /influxd on (http:\/\/127\.0\.0\.1:\d+)/.exec(app.out);
          if (!m) return undefined;
          const r = await fetch(`${m[1]}/query?db=llmops&q=${encodeURIComponent('SHOW MEASUREMENTS')}`);
          const body = (await r.json()) as { results: { series?: { values: string[][] }[] }[] };
          const names = body.results[0].series?.[0].values.map((v) => v[0]) ?? [];
          return names.length >= 5 ? names : undefined;
        },
        40_000,
        500,
      );
      assert.deepEqual([...status].sort(), ['gpu', 'rack', 'schedule', 'server', 'workload']);
      // The twin's sensors, the controllers, the predictors and the valve's OPC UA session act every
      // few seconds; an error from any of them lands in the log.
      await new Promise((r) => setTimeout(r, 10_000));
      assert.deepEqual(app.errors(), []);
    });

    it('stops influxd and removes its data folder when Node-RED stops', async () => {
      const dir = /data in (.*?)\/, removed on stop/.exec(app.out)?.[1];
      assert.ok(dir, 'start.js named the influxd data folder');
      const abs = path.resolve(path.dirname(require.resolve('../../scripts/start.js')), '..', dir);
      assert.ok(fs.existsSync(abs), `${abs} exists while running`);
      const code = await app.stop('SIGINT');
      assert.equal(code, 0);
      assert.equal(fs.existsSync(abs), false);
    });
  });

  describe('restarts', () => {
    let app: StartScript;

    beforeEach(() => {
      app = new StartScript(undefined, { LLMOPS_INFLUX_URL: 'http://127.0.0.1:9' });
    });

    afterEach(async () => {
      await app.stop();
      app.dispose();
    });

    const flowFile = () => path.join(app.userDir, 'flows.json');
    const editFlows = () => {
      const flows = JSON.parse(fs.readFileSync(flowFile(), 'utf8')) as { id: string; type: string; label?: string }[];
      flows.find((n) => n.id === 'llmops-tab-ops')!.label = 'My LLM Ops';
      fs.writeFileSync(flowFile(), JSON.stringify(flows));
    };
    const backups = () => fs.readdirSync(app.userDir).filter((f) => /^flows\.backup-.*\.json$/.test(f) && !/_cred/.test(f));

    it('keeps the flows a user edited when flows/ has not changed', async () => {
      await app.start();
      await app.stop();
      editFlows();
      await app.start();
      const flows = (await (await app.fetch('/flows')).json()) as { type: string; label?: string }[];
      assert.equal(flows.find((n) => n.type === 'tab')!.label, 'My LLM Ops');
      assert.deepEqual(backups(), []);
    });

    it('backs up the flows a user edited before deploying changed demo flows', async () => {
      await app.start();
      await app.stop();
      editFlows();
      // As if flows/ had changed since the last copy.
      const state = path.join(app.userDir, '.llmops-flows.json');
      fs.writeFileSync(state, JSON.stringify({ ...JSON.parse(fs.readFileSync(state, 'utf8')), sourceHash: 'older' }));
      await app.start();
      const flows = (await (await app.fetch('/flows')).json()) as { type: string; label?: string }[];
      assert.equal(flows.find((n) => n.type === 'tab')!.label, 'LLM Ops');
      const saved = backups();
      assert.equal(saved.length, 1);
      const kept = JSON.parse(fs.readFileSync(path.join(app.userDir, saved[0]), 'utf8')) as { label?: string }[];
      assert.ok(kept.some((n) => n.label === 'My LLM Ops'));
      assert.match(app.out, /yours are kept in/);
    });

    it('serves the twin BMS where the banner says, and keeps the twin and its BMS across a full redeploy', async () => {
      await app.start();
      const served = await waitFor('the facility to serve its BMS', () => /Twin BMS served over OPC UA at (opc\.tcp:\/\/\S+)/.exec(app.out)?.[1], 30_000);
      assert.equal(served, /twin BMS: +(opc\.tcp:\/\/\S+)/.exec(app.out)?.[1]);
      // Let the Cooling tab's valve open its session on the BMS before the deploy.
      await new Promise((r) => setTimeout(r, 5_000));
      const mark = app.out.length;
      const v2 = { 'Node-RED-API-Version': 'v2' };
      const current = (await (await app.fetch('/flows', { headers: v2 })).json()) as { flows: unknown[]; rev: string };
      const r = await app.fetch('/flows', { method: 'POST', headers: { ...v2, 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(current) });
      assert.equal(r.status, 200);
      await waitFor('the flows started again', () => /Started flows/.test(app.out.slice(mark)), 30_000);
      await new Promise((r) => setTimeout(r, 5_000));
      const after = app.out.slice(mark);
      assert.doesNotMatch(after, /Twin BMS served over OPC UA/, 'the twin was restarted by the deploy');
      assert.doesNotMatch(app.out, /Cannot find suitable endpoints/);
      assert.doesNotMatch(app.out, /OPC UA session is connected/);
    });

    it('configures the demo LLM provider from LLMOPS_LLM_URL, with the key as an encrypted credential', async () => {
      app = new StartScript(app.userDir, { LLMOPS_INFLUX_URL: 'http://127.0.0.1:9', LLMOPS_LLM_URL: 'http://127.0.0.1:9/v1', LLMOPS_LLM_MODEL: 'llama-3-8b', LLMOPS_LLM_KEY: 'sk-test-123' });
      await app.start();
      const flows = (await (await app.fetch('/flows')).json()) as { id: string; kind?: string; baseURL?: string; model?: string }[];
      const provider = flows.find((n) => n.id === 'llmops-demo-llm-provider')!;
      assert.deepEqual([provider.kind, provider.baseURL, provider.model], ['openai', 'http://127.0.0.1:9/v1', 'llama-3-8b']);
      assert.doesNotMatch(fs.readFileSync(flowFile(), 'utf8'), /sk-test-123/);
      const creds = (await (await app.fetch('/credentials/llmops-llm-provider/llmops-demo-llm-provider')).json()) as { has_apiKey?: boolean };
      assert.equal(creds.has_apiKey, true);
    });
  });
});
