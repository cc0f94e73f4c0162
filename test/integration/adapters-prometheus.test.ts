// The Prometheus scrape adapter against a local DCGM exporter STAND-IN speaking HTTP.
import assert from 'node:assert/strict';
import { AdapterError } from '../../core/adapters/errors';
import { Poller, type PollState } from '../../core/adapters/poller';
import { PrometheusScraper } from '../../core/adapters/prometheus';
import type { Reading } from '../../core/telemetry/catalogue';
import { FakeDcgmExporter } from '../helpers/fake-dcgm-exporter';
import { freePort } from '../helpers/ports';

function isCode(code: string) {
  return (e: unknown) => e instanceof AdapterError && e.code === code;
}

describe('Prometheus scrape of a DCGM exporter (stand-in exporter)', function () {
  this.timeout(15000);
  let exporter: FakeDcgmExporter;

  beforeEach(async () => {
    exporter = new FakeDcgmExporter();
    await exporter.start();
  });
  afterEach(() => exporter.stop());

  it('scrapes the endpoint into readings per GPU', async () => {
    const rs = await new PrometheusScraper({ url: exporter.url }).scrape();
    assert.equal(rs.find((r) => r.metric === 'gpu.power' && r.tags.gpu === '0')?.value, 612.474);
    assert.equal(rs.find((r) => r.metric === 'gpu.clock' && r.tags.gpu === '1')?.value, 345);
  });

  it('asks for the text format 0.0.4 and sends configured headers', async () => {
    await new PrometheusScraper({ url: exporter.url, headers: { authorization: 'Bearer s3cret' } }).scrape();
    const h = exporter.requests[0].headers;
    assert.match(String(h.accept), /^text\/plain;version=0\.0\.4/);
    assert.equal(h.authorization, 'Bearer s3cret');
  });

  it('sees new values on the next scrape', async () => {
    const s = new PrometheusScraper({ url: exporter.url });
    await s.scrape();
    exporter.gpus[0].gpuTemp = 86;
    const rs = await s.scrape();
    assert.equal(rs.find((r) => r.metric === 'gpu.temperature' && r.tags.gpu === '0')?.value, 86);
  });

  it('refuses an HTML page with a hint about the path', async () => {
    exporter.mode = 'html';
    await assert.rejects(new PrometheusScraper({ url: exporter.url }).scrape(), (e: unknown) => isCode('ERR_BAD_OUTPUT')(e) && /metrics path/.test((e as Error).message));
  });

  it('reports a 404 for a wrong path', async () => {
    await assert.rejects(new PrometheusScraper({ url: exporter.url.replace('/metrics', '/metric') }).scrape(), isCode('ERR_MISSING'));
  });

  it('reports a server error with the body the exporter sent', async () => {
    exporter.mode = 'error-500';
    await assert.rejects(new PrometheusScraper({ url: exporter.url }).scrape(), (e: unknown) => isCode('ERR_UNREACHABLE')(e) && /host engine not running/.test((e as Error).message));
  });

  it('reports a refused scrape as a permission problem', async () => {
    exporter.mode = 'forbidden';
    await assert.rejects(new PrometheusScraper({ url: exporter.url }).scrape(), isCode('ERR_PERMISSION'));
  });

  it('gives up on a scrape that hangs after its time limit', async () => {
    exporter.mode = 'hang';
    await assert.rejects(new PrometheusScraper({ url: exporter.url, timeoutMs: 300 }).scrape(), isCode('ERR_TIMEOUT'));
  });

  it('reports an endpoint nobody listens on as unreachable', async () => {
    const port = await freePort();
    await assert.rejects(new PrometheusScraper({ url: `http://127.0.0.1:${port}/metrics` }).scrape(), isCode('ERR_UNREACHABLE'));
  });

  it('refuses a URL that is not http(s)', () => {
    assert.throws(() => new PrometheusScraper({ url: 'gpu-node:9400/metrics' }), isCode('ERR_BAD_CONFIG'));
  });

  it('keeps polling through an exporter outage and says when it is back', async () => {
    const states: PollState[] = [];
    const got: Reading[][] = [];
    const scraper = new PrometheusScraper({ url: exporter.url });
    const poller = new Poller(() => scraper.scrape(), 0, { readings: (r) => got.push(r), state: (s) => states.push(s) });
    await poller.poll();
    exporter.mode = 'error-500';
    await poller.poll();
    exporter.mode = 'ok';
    await poller.poll();
    await poller.close();
    assert.deepEqual(states, ['ok', 'error', 'ok']);
    assert.equal(got.length, 2);
  });
});
