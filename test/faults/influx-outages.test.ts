// Issue 11, faults: a real influxd is killed (SIGKILL, no shutdown) and started again twice while
// 200,000 readings stream through a Sensor in a real Node-RED process. Every reading is stored
// exactly once: the writer buffers through each outage and retries; a batch whose answer was lost
// in the kill is written again, and InfluxDB keeps one point per (series, timestamp).
import assert from 'node:assert/strict';
import { Influxd } from '../helpers/influxd';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';
import { requireTool } from '../helpers/require-tool';
import { CRASH_IN_LOG, readings, telemetryFlow } from './flows';

const DB = 'llmops_faults';
const TOTAL = 200_000;
const CHUNK = 2_000;

describe('faults: InfluxDB killed and restarted twice during 200,000 readings', function () {
  this.timeout(180000);
  let influxd: Influxd;
  let nr: NodeRedProcess;
  let stored = 0;
  let outagesLogged = 0;

  before(async function () {
    const bin = requireTool(this, 'influxd', 'apt-get install -y influxdb');
    influxd = new Influxd(bin);
    await influxd.start();
    nr = new NodeRedProcess();
    await nr.start();
    await nr.deploy(telemetryFlow(influxd.port, DB));
    const post = async (from: number) => {
      const r = await nr.request('POST', '/readings', readings(from, CHUNK));
      assert.equal(r.status, 200, r.text);
    };
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const kills = [TOTAL * 0.3, TOTAL * 0.65];
    for (let sent = 0; sent < TOTAL; sent += CHUNK) {
      if (kills.includes(sent)) {
        await influxd.stop('SIGKILL');
        // Readings keep coming during the outage, and the writer meets the dead server.
        for (let k = 0; k < 5; k++, sent += CHUNK) {
          await post(sent);
          await pause(300);
        }
        await influxd.start();
      }
      await post(sent);
    }
    stored = await waitFor(
      `${TOTAL} points`,
      async () => {
        const n = await influxd.count(DB, 'gpu');
        return n >= TOTAL ? n : undefined;
      },
      90000,
      250,
    ).catch(async (e) => {
      throw new Error(`${e.message}; count is ${await influxd.count(DB, 'gpu')}\n${nr.log.slice(-3000)}`);
    });
    // Let any late retry land before the count is taken as final.
    await pause(1500);
    stored = await influxd.count(DB, 'gpu');
    outagesLogged = (nr.log.match(/InfluxDB unreachable, buffering and retrying/g) ?? []).length;
  });

  after(async () => {
    await nr?.dispose();
    await influxd?.dispose();
  });

  it('stores exactly 200,000 points: none lost, none doubled', () => {
    assert.equal(stored, TOTAL);
  });

  // The config node logs an outage once per distinct error: two outages with the same error
  // (connection refused) may give one line.
  it('noticed the outages (buffering and retrying)', () => {
    assert.ok(outagesLogged >= 1, `outage warnings in the log: ${outagesLogged}`);
  });

  it('kept Node-RED running throughout (no crash, no unhandled rejection)', async () => {
    assert.doesNotMatch(nr.log, CRASH_IN_LOG);
    assert.equal((await nr.request('GET', '/flows')).status, 200);
  });
});
