// Acceptance 3 of issue 3: `llmops-twin` runs as its own process; an OPC UA client with
// Basic256Sha256 SignAndEncrypt and a username/password reads and writes its BMS points, the
// twin's ranges are enforced, and anonymous or untrusted clients are refused.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpcuaSession, type SessionOptions, type StateChange } from '../../core/opcua/session';
import { waitFor } from '../helpers/ports';
import { TwinProcess } from '../unit/opcua/twin-process';

const USER = 'operator';
const PASSWORD = 'c00lant!';

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Copies a certificate into a PKI folder's trusted store, as an administrator would. */
function trust(certFile: string, pkiDir: string): void {
  const dir = path.join(pkiDir, 'trusted', 'certs');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(certFile, path.join(dir, path.basename(certFile)));
}

/** Opens a session and resolves when it connected, or rejects with the first attempt's error. */
async function connect(opts: SessionOptions): Promise<OpcuaSession> {
  const s = new OpcuaSession({ backoff: { initialMs: 100, maxMs: 500 }, attemptTimeoutMs: 15000, ...opts });
  const outcome = new Promise<void>((resolve, reject) => {
    s.on('state', (c: StateChange) => c.state === 'connected' && resolve());
    s.once('attempt-failed', (e: string) => reject(new Error(e)));
  });
  s.open();
  try {
    await outcome;
  } catch (err) {
    await s.close(3000);
    throw err;
  }
  return s;
}

describe('llmops-twin over OPC UA (separate process, SignAndEncrypt, users)', function () {
  this.timeout(60000);
  let twin: TwinProcess;
  let clientPki: string;
  let session: OpcuaSession;
  const secure = (): SessionOptions => ({
    endpointUrl: twin.endpointUrl,
    securityMode: 'SignAndEncrypt',
    securityPolicy: 'Basic256Sha256',
    username: USER,
    password: PASSWORD,
    pkiDir: clientPki,
  });

  before(async () => {
    twin = new TwinProcess(['--security', 'sign-encrypt', '--user', `${USER}:${PASSWORD}`, '--no-anonymous', '--generator', 'constant', '--rate', '5']);
    clientPki = tmpDir('llmops-client-pki-');
    // Each side trusts the other's certificate explicitly; nothing is trusted automatically.
    const clientCert = await new OpcuaSession({ endpointUrl: 'opc.tcp://unused', pkiDir: clientPki }).ensureCertificate();
    trust(clientCert, twin.pkiDir);
    await twin.start();
    trust(path.join(twin.pkiDir, 'own', 'certs', 'llmops-twin.pem'), clientPki);
    session = await connect(secure());
  });

  after(async () => {
    await session?.close(5000);
    await twin?.dispose();
    fs.rmSync(clientPki, { recursive: true, force: true });
  });

  it('reads CDU1.SupplyTemperature as a Double in the supply range', async () => {
    const [v] = await session.read(['CDU1.SupplyTemperature']);
    assert.equal(v.status, 'Good');
    assert.equal(typeof v.value, 'number');
    assert.ok((v.value as number) >= 18 && (v.value as number) <= 45, `supply ${v.value} °C`);
  });

  it('reads the same point by its full node id ns=1;s=CDU1.SupplyTemperature', async () => {
    const [v] = await session.read(['ns=1;s=CDU1.SupplyTemperature']);
    assert.equal(v.status, 'Good');
  });

  it('writes CDU1.FlowSetpoint = 300 and reads 300 back', async () => {
    const r = await session.writeWithReadback('CDU1.FlowSetpoint', 300);
    assert.equal(r.status, 'Good');
    assert.equal(r.readBack.value, 300);
  });

  it('refuses CDU1.FlowSetpoint = 900 with BadOutOfRange and keeps the old value', async () => {
    assert.equal(await session.write('CDU1.FlowSetpoint', 320), 'Good');
    const r = await session.writeWithReadback('CDU1.FlowSetpoint', 900);
    assert.equal(r.status, 'BadOutOfRange');
    assert.equal(r.readBack.value, 320);
  });

  it('refuses a write to a read-only point with BadNotWritable', async () => {
    assert.equal(await session.write('CDU1.Flow', 100), 'BadNotWritable');
  });

  it('logs each write with its outcome', async () => {
    await session.write('CDU1.SupplyTemperatureSetpoint', 50);
    // The line comes over the twin process's stdout, a moment after the reply.
    await waitFor('the write in the twin log', () => /write CDU1\.SupplyTemperatureSetpoint = 50: BadOutOfRange/.test(twin.log), 5000, 20);
  });

  it('refuses an anonymous session when anonymous is off', async () => {
    await assert.rejects(connect({ ...secure(), username: undefined, password: undefined }), /anonymous/i);
  });

  it('refuses a wrong password', async () => {
    await assert.rejects(connect({ ...secure(), password: 'wrong' }), /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/);
  });

  it('offers no None endpoint when sign-encrypt is chosen', async () => {
    await assert.rejects(connect({ ...secure(), securityMode: 'None', securityPolicy: 'None' }), /End point must exist|BadSecurityPolicyRejected|BadSecurityModeRejected|None/);
  });

  it('does not trust an unknown server certificate unless told to', async () => {
    const fresh = tmpDir('llmops-client-pki-');
    try {
      await assert.rejects(connect({ ...secure(), pkiDir: fresh }));
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('refuses a client whose certificate the twin has not trusted, and keeps it in rejected/', async () => {
    const fresh = tmpDir('llmops-client-pki-');
    try {
      await assert.rejects(connect({ ...secure(), pkiDir: fresh, trustUnknownServerCertificate: true }));
      const rejected = path.join(twin.pkiDir, 'rejected');
      assert.ok(fs.existsSync(rejected) && fs.readdirSync(rejected).length > 0, 'a certificate in rejected/');
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });
});
