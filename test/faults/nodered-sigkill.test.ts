// Issue 11, faults: Node-RED is killed with SIGKILL (no close handlers, no flush) while reviews are
// open and telemetry is buffered for an InfluxDB that is down (spill on), then started again on the
// same user directory. Nothing is lost: every open review is still open with the same id and
// payload, and every buffered reading reaches InfluxDB once it is back.
//
// Reviews live in the context store the node names (`file`); the store is configured as in
// `npm start` (scripts/start.js, DEMO_CONTEXT_STORAGE in scripts/userdir.js: write-through).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Influxd } from '../helpers/influxd';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';
import { requireTool } from '../helpers/require-tool';
import { placed, readings } from './flows';

const DB = 'llmops_sigkill';
const REVIEWS = 20;
const READINGS = 20_000;

function flow(influxPort: number) {
  return placed([
    { id: 'tab', type: 'tab', label: 'sigkill' },
    { id: 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxPort, protocol: 'http', database: DB, precision: 'ms', batchSize: 5000, flushInterval: 200, maxBuffered: 1000000, spill: true, createDatabase: true },
    { id: 'rin', type: 'http in', z: 'tab', url: '/readings', method: 'post', wires: [['sensor', 'rok']] },
    { id: 'sensor', type: 'llmops-sensor', z: 'tab', influx: 'db', textLines: 3, wires: [[]] },
    { id: 'rok', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'accepted', tot: 'str' }], wires: [['rres']] },
    { id: 'rres', type: 'http response', z: 'tab', statusCode: '200' },
    { id: 'vin', type: 'http in', z: 'tab', url: '/review', method: 'post', wires: [['split']] },
    {
      id: 'split',
      type: 'function',
      z: 'tab',
      outputs: 2,
      func: 'const b = msg.payload; return [{ payload: b.payload, inputData: b.inputData, topic: b.topic }, { req: msg.req, res: msg.res, payload: "queued" }];',
      wires: [['gate'], ['vres']],
    },
    { id: 'vres', type: 'http response', z: 'tab', statusCode: '200' },
    { id: 'gate', type: 'llmops-human-review', z: 'tab', name: 'gate', store: 'file', approvals: 1, checklist: [], timeout: 0, timeoutUnit: 's', timeoutOutcome: 'reject', requireReason: false, autoApprove: false, autoMaxChange: 5, autoFields: '', influx: '', wires: [[], [], []] },
  ] as Array<Record<string, unknown>>);
}

/** Everything the file context store has written under <userDir>/context. */
function contextFilesText(userDir: string): string {
  const dir = path.join(userDir, 'context');
  if (!fs.existsSync(dir)) return '';
  let text = '';
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else text += fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return text;
}

interface Pending {
  total: number;
  items: Array<{ id: string; payload: { unit: string; flowLpm: number } }>;
}

function sigkillCase(title: string, fileStore: Record<string, unknown>) {
  describe(`faults: Node-RED SIGKILLed with open reviews and spilled telemetry (${title})`, function () {
    this.timeout(120000);
    let influxd: Influxd;
    let nr: NodeRedProcess;
    let beforeKill: Pending;
    let afterRestart: Pending;
    let stored = 0;

    const pending = async () => (await nr.request('GET', '/llmops-review/pending?limit=1000')).json as Pending;

    before(async function () {
      const bin = requireTool(this, 'influxd', 'apt-get install -y influxdb');
      influxd = new Influxd(bin);
      await influxd.start();
      const port = influxd.port;
      await influxd.stop();
      nr = new NodeRedProcess({ settings: { contextStorage: { default: { module: 'memory' }, file: fileStore } } });
      await nr.start();
      await nr.deploy(flow(port));
      for (let i = 0; i < REVIEWS; i++) {
        const r = await nr.request('POST', '/review', { payload: { unit: 'CDU-1', flowLpm: 300 + i }, inputData: { unit: 'CDU-1', flowLpm: 300 }, topic: `r${i}` });
        assert.equal(r.status, 200, r.text);
      }
      for (let i = 0; i < READINGS; i += 5000) assert.equal((await nr.request('POST', '/readings', readings(i, 5000))).status, 200);
      beforeKill = await waitFor('all reviews open', async () => {
        const p = await pending();
        return p?.total === REVIEWS ? p : undefined;
      });
      const spill = path.join(nr.userDir, 'llmops', 'influx-spill', 'db.jsonl');
      await waitFor('the readings spilled to disk', () => fs.existsSync(spill) && fs.readFileSync(spill, 'utf8').split('\n').length - 1 === READINGS, 20000);
      // A review is safe once the store has it on disk: give the store up to 10 s (a cached store
      // writes every 30 s by default, so it gets no further), then kill.
      await waitFor('the open reviews in the context store on disk', () => {
        const text = contextFilesText(nr.userDir);
        return beforeKill.items.every((i) => text.includes(i.id));
      }, 10000).catch(() => undefined);
      await nr.stop('SIGKILL');
      await influxd.start();
      await nr.start();
      // The desk reads its reviews back after the flows start: wait for all of them (or 10 s).
      afterRestart = await waitFor('all reviews back after the restart', async () => {
        const p = await pending();
        return p?.total === REVIEWS ? p : undefined;
      }, 10000).catch(async () => pending());
      stored = await waitFor(`${READINGS} points`, async () => {
        const n = await influxd.count(DB, 'gpu');
        return n >= READINGS ? n : undefined;
      }, 30000, 250).catch(async () => influxd.count(DB, 'gpu'));
    });

    after(async () => {
      await nr?.dispose();
      await influxd?.dispose();
    });

    it(`keeps all ${REVIEWS} open reviews, same ids and payloads`, () => {
      const view = (p: Pending) => p.items.map((i) => `${i.id} ${i.payload.flowLpm}`).sort();
      assert.deepEqual(view(afterRestart), view(beforeKill));
    });

    it(`writes all ${READINGS} buffered readings to InfluxDB after the restart`, () => {
      assert.equal(stored, READINGS);
    });
  });
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { DEMO_CONTEXT_STORAGE } = require('../../scripts/userdir.js');
sigkillCase('file store as npm start configures it', DEMO_CONTEXT_STORAGE.file);
