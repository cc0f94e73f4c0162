// TwinHost: the twin's wall clock and its OPC UA server, as `llmops-twin` and the facility node run them.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { TwinHost } from '../../../core/opcua/twin-host';
import { waitFor } from '../../helpers/ports';

describe('TwinHost', function () {
  this.timeout(30000);
  let tmp: string;
  let host: TwinHost | undefined;
  let blocker: net.Server | undefined;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-twin-host-'));
  });
  afterEach(async () => {
    await host?.stop();
    host = undefined;
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
    blocker = undefined;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('keeps the twin advancing when its OPC UA port is taken, and says why the server did not start', async () => {
    blocker = net.createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    host = new TwinHost({
      workload: { kind: 'constant', ratePerS: 2, seed: 1 },
      servers: 2,
      speed: 20,
      tickMs: 50,
      opcua: { port, host: '127.0.0.1', security: 'none', pkiDir: path.join(tmp, 'pki') },
    });
    await assert.rejects(host.start(), /EADDRINUSE|address already in use/);
    assert.equal(host.running, true);
    await waitFor('simulated time to advance', () => host!.facility.timeS > 1);
    assert.equal(host.bmsInfo, undefined);
  });
});
