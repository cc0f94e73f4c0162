// Issue 11, faults: 100 full redeploys of a flow set with every node of the suite (the twin's OPC UA
// server, an OPC UA session with subscriptions and a Coolant Valve writing through it, InfluxDB
// writers, LLM client, reviews, energy controllers), with traffic after each deploy. Nothing
// accumulates: active resources of each kind (sockets, servers, timers, watchers) are back to what
// they were after the first few deploys, and the heap after a full GC is within 10 % of it.
// The numbers come from a test-only admin endpoint (probe/) inside the Node-RED process.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeOpenAiServer } from '../helpers/fake-openai-server';
import { Influxd } from '../helpers/influxd';
import { NodeRedProcess } from '../helpers/nodered';
import { freePort } from '../helpers/ports';
import { requireTool } from '../helpers/require-tool';
import { allNodesFlow } from './all-nodes-flow';
import { CRASH_IN_LOG, installProbe } from './flows';

const DEPLOYS = Number(process.env.LLMOPS_REDEPLOYS) || 100;
// After the first twin restart (generation 10), so code loaded once is in the baseline.
const WARMUP = 15;

interface Probe {
  resources: Record<string, number>;
  handles: Record<string, number>;
  heapUsed: number;
  rss: number;
  gc: boolean;
}

describe(`faults: ${DEPLOYS} redeploys of a flow set with every node`, function () {
  this.timeout(600000);
  let influxd: Influxd;
  let llm: FakeOpenAiServer;
  let nr: NodeRedProcess;
  let pki: string;
  let first: Probe;
  let last: Probe;
  const goFailures: string[] = [];

  before(async function () {
    const bin = requireTool(this, 'influxd', 'apt-get install -y influxdb');
    influxd = new Influxd(bin);
    await influxd.start();
    llm = await FakeOpenAiServer.start();
    llm.responder = () => 'Product: Laptop\nQuantity: 5';
    pki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-redeploy-pki-'));
    const opcuaPort = await freePort();
    nr = new NodeRedProcess({ env: { NODE_OPTIONS: '--expose-gc' } });
    installProbe(nr.userDir);
    await nr.start();
    const probeOnce = async () => {
      const r = await nr.request('GET', '/llmops-probe');
      assert.equal(r.status, 200, `probe: ${r.status} ${r.text}`);
      return r.json as Probe;
    };
    // After a deploy, servers start, sessions connect and retries settle: read once the counts
    // have stopped changing (three equal reads half a second apart).
    const probe = async () => {
      const key = (p: Probe) => JSON.stringify(Object.entries(p.resources).sort());
      let prev = await probeOnce();
      let same = 0;
      for (let i = 0; i < 40 && same < 2; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const next = await probeOnce();
        same = key(next) === key(prev) ? same + 1 : 0;
        prev = next;
      }
      return prev;
    };
    for (let g = 1; g <= DEPLOYS; g++) {
      await nr.deploy(allNodesFlow({ influxPort: influxd.port, opcuaPort, llmBaseURL: llm.baseURL, pkiDir: pki, generation: g })).catch((err) => {
        throw new Error(`deploy ${g}: ${err.message}\n--- Node-RED log ---\n${nr.log.slice(-4000)}`);
      });
      const r = await nr.request('POST', '/go', {});
      if (r.status !== 200) goFailures.push(`deploy ${g}: ${r.status} ${r.text}`);
      if (g === WARMUP) first = await probe();
    }
    last = await probe();
    // eslint-disable-next-line no-console
    console.log(`      after deploy ${WARMUP}: heap ${(first.heapUsed / 1e6).toFixed(1)} MB, rss ${(first.rss / 1e6).toFixed(0)} MB, ${JSON.stringify(first.resources)}; after deploy ${DEPLOYS}: heap ${(last.heapUsed / 1e6).toFixed(1)} MB, rss ${(last.rss / 1e6).toFixed(0)} MB, ${JSON.stringify(last.resources)}`);
  });

  after(async () => {
    await nr?.dispose();
    await llm?.close();
    await influxd?.dispose();
    if (pki) fs.rmSync(pki, { recursive: true, force: true });
  });

  it('measured with a full GC (precondition)', () => {
    assert.equal(last.gc, true);
  });

  it('answered the traffic after every deploy', () => {
    assert.deepEqual(goFailures, []);
  });

  it('holds no more sockets, servers, timers or watchers than after the first deploys', () => {
    const grown: string[] = [];
    for (const kind of new Set([...Object.keys(first.resources), ...Object.keys(last.resources)])) {
      const a = first.resources[kind] ?? 0;
      const b = last.resources[kind] ?? 0;
      // One leaked per deploy would be +95; allow the few in flight at any moment.
      if (b - a > 3) grown.push(`${kind}: ${a} → ${b}`);
    }
    assert.deepEqual(grown, [], `after deploy ${WARMUP}: ${JSON.stringify(first.resources)}; after ${DEPLOYS}: ${JSON.stringify(last.resources)}`);
  });

  it('keeps the heap after GC within 10 % of where it was after the first deploys', () => {
    const ratio = last.heapUsed / first.heapUsed;
    assert.ok(ratio <= 1.1, `heap ${(first.heapUsed / 1e6).toFixed(1)} MB → ${(last.heapUsed / 1e6).toFixed(1)} MB (${((ratio - 1) * 100).toFixed(1)} %)`);
  });

  it('logged no uncaught exception or unhandled rejection', () => {
    assert.doesNotMatch(nr.log, CRASH_IN_LOG);
  });
});
