// Issue 11, faults (found by the redeploy test): a deploy that replaces an `llmops-facility` while
// its OPC UA server is still starting (the first start creates certificates, about a second) stops
// the twin host mid-start. The stop must win: no server left listening on the port, no clock left
// ticking, and the next twin on the same port starts.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { TwinHost } from '../../core/opcua/twin-host';
import { freePort } from '../helpers/ports';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('faults: twin host stopped while its OPC UA server is starting', function () {
  this.timeout(60000);
  let pki: string;
  let port: number;
  const hosts: TwinHost[] = [];
  const host = () => {
    const h = new TwinHost({ workload: { kind: 'constant', ratePerS: 2, seed: 1 }, servers: 2, opcua: { port, host: '127.0.0.1', security: 'none', pkiDir: pki, allowAnonymous: true } });
    hosts.push(h);
    return h;
  };

  before(async () => {
    pki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-twin-race-'));
    port = await freePort();
  });
  after(async () => {
    for (const h of hosts) await h.stop().catch(() => undefined);
    fs.rmSync(pki, { recursive: true, force: true });
  });

  it('leaves nothing listening on the port once stop() has resolved', async () => {
    const h = host();
    const started = h.start().catch(() => undefined);
    await h.stop();
    await started;
    // Whatever start() was doing has finished; the port must be free.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await listening(port), false, `a server is still listening on ${port} after stop()`);
  });

  it('lets the next twin serve on the same port', async () => {
    const next = host();
    const info = await next.start();
    assert.match(info?.endpointUrl ?? '', new RegExp(`:${port}`));
    await next.stop();
  });

  it('does not start the clock of a host stopped while starting', async () => {
    const h = host();
    let ticks = 0;
    h.on('tick', () => ticks++);
    const started = h.start().catch(() => undefined);
    await h.stop();
    await started;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(ticks, 0);
  });
});
