// The shared OPC UA session against a real node-opcua server in this process: its states, its
// recovery when the server goes away and a new one (a restarted process) takes the port, and its
// close. Backoffs are small so the suite stays quick.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BmsServer } from '../../../core/opcua/bms-server';
import { NotConnectedError, OpcuaSession, type ItemValue, type StateChange } from '../../../core/opcua/session';
import { Facility } from '../../../core/twin/facility';
import { twinParams } from '../../../core/twin/params';
import { constantRate } from '../../../core/twin/workload';
import { freePort, waitFor } from '../../helpers/ports';

function twin(): Facility {
  const f = new Facility(twinParams({ cluster: { servers: 2, initialActiveServers: 2 } }), constantRate(5, { durationS: 300, seed: 4 }), 4);
  f.advance(2);
  return f;
}

describe('OPC UA session manager', function () {
  this.timeout(40000);
  let tmp: string;
  let port: number;
  let server: BmsServer | undefined;
  let session: OpcuaSession | undefined;

  const startServer = async (facility = twin()) => {
    server = new BmsServer({ source: facility, port, host: '127.0.0.1', security: 'none', pkiDir: path.join(tmp, 'server') });
    await server.start();
    return facility;
  };
  const newSession = () =>
    new OpcuaSession({ endpointUrl: `opc.tcp://127.0.0.1:${port}/`, pkiDir: path.join(tmp, 'client'), backoff: { initialMs: 50, maxMs: 200 }, attemptTimeoutMs: 5000 });

  // Certificates are made once: generating keys is the slow part of starting.
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-session-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(async () => {
    await session?.close(5000);
    await server?.stop();
    session = undefined;
    server = undefined;
  });

  it('goes disconnected → connecting → connected', async () => {
    await startServer();
    session = newSession();
    const states: string[] = [session.state];
    session.on('state', (c: StateChange) => states.push(c.state));
    session.open();
    await waitFor('connected', () => session!.state === 'connected');
    assert.deepEqual(states, ['disconnected', 'connecting', 'connected']);
  });

  it('keeps trying while the server is not there yet, then connects', async () => {
    session = newSession();
    const failures: string[] = [];
    session.on('attempt-failed', (e: string) => failures.push(e));
    session.open();
    await waitFor('two failed attempts', () => failures.length >= 2);
    assert.equal(session.state, 'connecting');
    await startServer();
    await waitFor('connected', () => session!.state === 'connected');
  });

  it('refuses reads and writes while not connected', async () => {
    session = newSession();
    await assert.rejects(session.read(['CDU1.Flow']), NotConnectedError);
    await assert.rejects(session.write('CDU1.FlowSetpoint', 300), NotConnectedError);
  });

  it('says a read while connecting was skipped because the session is still connecting', async () => {
    session = newSession();
    session.open();
    await assert.rejects(session.read(['CDU1.Flow']), (e: NotConnectedError) => e instanceof NotConnectedError && e.state === 'connecting' && /still connecting/.test(e.message));
  });

  it('says a write during close was refused because the session is closing, not that it is connected', async () => {
    await startServer();
    session = newSession();
    session.open();
    await waitFor('connected', () => session!.state === 'connected');
    const closing = session.close(5000);
    await assert.rejects(session.write('CDU1.FlowSetpoint', 300), (e: Error) => /closing/.test(e.message) && !/is connected/.test(e.message));
    await closing;
  });

  it('reports a write interrupted by the close as interrupted by a close, not as a node-opcua channel error', async () => {
    await startServer();
    session = newSession();
    session.open();
    await waitFor('connected', () => session!.state === 'connected');
    // On its way (the data type is read first) when the close tears the session down.
    const writing = session.write('CDU1.FlowSetpoint', 300);
    const closing = session.close(5000);
    await assert.rejects(writing, (e: Error) => e.name === 'SessionClosedError' && /closed \(redeploy or shutdown\) during the write/.test(e.message));
    await closing;
  });

  it('writes with read-back', async () => {
    const f = await startServer();
    session = newSession();
    session.open();
    await waitFor('connected', () => session!.state === 'connected');
    const r = await session.writeWithReadback('CDU1.FlowSetpoint', 333);
    assert.equal(r.status, 'Good');
    assert.equal(r.readBack.value, 333);
    assert.equal(f.bmsRead()['CDU1.FlowSetpoint'], 333);
  });

  it('delivers subscribed values, also for a subscription made after connecting', async () => {
    await startServer();
    session = newSession();
    session.open();
    await waitFor('connected', () => session!.state === 'connected');
    const got: ItemValue[] = [];
    session.subscribe(['CDU1.FlowSetpoint'], { publishingIntervalMs: 100, samplingIntervalMs: 50 }, (v) => got.push(...v));
    await waitFor('the initial value', () => got.length > 0);
    await session.write('CDU1.FlowSetpoint', 222);
    await waitFor('the written value', () => got.some((v) => v.value === 222));
  });

  it('goes reconnecting when the server goes away and re-creates its subscriptions on a new server', async () => {
    await startServer();
    session = newSession();
    const got: ItemValue[] = [];
    session.subscribe(['CDU1.FlowSetpoint'], { publishingIntervalMs: 100, samplingIntervalMs: 50 }, (v) => got.push(...v));
    const states: string[] = [];
    session.on('state', (c: StateChange) => states.push(c.state));
    session.open();
    await waitFor('a first value', () => got.length > 0);
    await server!.stop();
    await waitFor('reconnecting', () => session!.state === 'reconnecting');
    // A new server on the same port knows nothing of the old session: like a restarted process.
    const f = twin();
    f.bmsWrite('CDU1.FlowSetpoint', 444);
    await startServer(f);
    await waitFor('a value from the new server', () => got.some((v) => v.value === 444), 20000);
    assert.deepEqual(states.slice(0, 4), ['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('closes while reconnecting to a server that is gone, ending disconnected', async () => {
    await startServer();
    session = newSession();
    session.open();
    await waitFor('connected', () => session!.state === 'connected');
    await server!.stop();
    server = undefined;
    await waitFor('reconnecting', () => session!.state === 'reconnecting');
    await session.close(3000);
    assert.equal(session.state, 'disconnected');
  });

  it('reports node ids the server does not have', async () => {
    await startServer();
    session = newSession();
    session.open();
    await waitFor('connected', () => session!.state === 'connected');
    let errors: Array<{ id: string; error: string }> = [];
    session.subscribe(['CDU1.Nope', 'nsu=urn:missing;s=X', 'CDU1.Flow'], {}, () => undefined, (e) => (errors = e));
    await waitFor('the errors', () => errors.length === 2);
    assert.deepEqual(errors.map((e) => e.id).sort(), ['CDU1.Nope', 'nsu=urn:missing;s=X']);
    assert.match(errors.find((e) => e.id === 'CDU1.Nope')!.error, /BadNodeIdUnknown/);
  });
});
