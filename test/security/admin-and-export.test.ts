// Issue 11, security, in a real Node-RED process with adminAuth and the whole suite loaded:
// - a flow export (`GET /flows`, both API versions) never contains a password, API key or token,
//   with credentials set in every config node that has them; nor does flows.json on disk, the
//   credentials endpoint, or the log;
// - every admin endpoint the suite registers refuses anonymous users, and refuses read-only users
//   where it changes state. The endpoints are found in the built node files, so one added later
//   is checked too.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeOpenAiServer } from '../helpers/fake-openai-server';
import { NodeRedProcess } from '../helpers/nodered';
import { freePort } from '../helpers/ports';
import { allNodesFlow, withCredentials } from '../faults/all-nodes-flow';

const ROOT = path.resolve(__dirname, '..', '..');
const SECRETS = {
  apiKey: 'sk-live-SECRET-api-key-0c9f2e',
  influxPassword: 'influx-SECRET-pass-71b3',
  opcuaPassword: 'opcua-SECRET-pass-5d2a',
  twinPassword: 'twin-SECRET-pass-9e44',
};

/** Every `RED.httpAdmin.<verb>('<path>'` in the built nodes. */
export function suiteAdminRoutes(): Array<{ verb: string; path: string }> {
  const routes: Array<{ verb: string; path: string }> = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/httpAdmin\.(get|post|put|delete|patch)\(\s*['"`]([^'"`]+)['"`]/g)) routes.push({ verb: m[1].toUpperCase(), path: m[2] });
      }
    }
  };
  walk(path.join(ROOT, 'dist', 'nodes'));
  return routes;
}

function bcryptHash(password: string): string {
  const bcrypt = require(require.resolve('bcryptjs', { paths: [require.resolve('node-red')] })) as { hashSync(p: string, rounds: number): string };
  return bcrypt.hashSync(password, 4);
}

describe('security: flow export and admin endpoints (real Node-RED, adminAuth, every node)', function () {
  this.timeout(120000);
  let nr: NodeRedProcess;
  let llm: FakeOpenAiServer;
  let pki: string;
  let adminToken = '';
  let viewerToken = '';

  const login = async (username: string, password: string, scope: string) => {
    const r = await nr.request('POST', '/auth/token', { client_id: 'node-red-admin', grant_type: 'password', scope, username, password });
    assert.equal(r.status, 200, `login ${username}: ${r.text}`);
    return r.json.access_token as string;
  };
  const as = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  const call = async (verb: string, urlPath: string, token?: string, body?: unknown) => {
    const saved = nr.token;
    nr.token = undefined;
    try {
      return await nr.request(verb, urlPath, body ?? (verb === 'GET' ? undefined : {}), as(token));
    } finally {
      nr.token = saved;
    }
  };

  before(async () => {
    llm = await FakeOpenAiServer.start();
    pki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-sec-pki-'));
    nr = new NodeRedProcess({
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: bcryptHash('admin-pass'), permissions: '*' },
            { username: 'viewer', password: bcryptHash('viewer-pass'), permissions: 'read' },
          ],
        },
      },
    });
    await nr.start();
    adminToken = await login('admin', 'admin-pass', '*');
    viewerToken = await login('viewer', 'viewer-pass', 'read');
    nr.token = adminToken;
    // InfluxDB on a closed port: the writer only buffers; what matters here is its configuration.
    const flow = allNodesFlow({ influxPort: await freePort(), opcuaPort: await freePort(), llmBaseURL: llm.baseURL, pkiDir: pki });
    await nr.deploy(withCredentials(flow, SECRETS));
  });

  after(async () => {
    await nr?.dispose();
    await llm?.close();
    fs.rmSync(pki, { recursive: true, force: true });
  });

  const leaks = (text: string) => Object.entries(SECRETS).filter(([, v]) => text.includes(v)).map(([k]) => k);

  it('GET /flows (v1) holds no secret', async () => {
    const r = await call('GET', '/flows', adminToken);
    assert.equal(r.status, 200);
    assert.deepEqual(leaks(r.text), []);
  });

  it('GET /flows (v2, with the credentials section) holds no secret, only has_ flags', async () => {
    const r = await nr.request('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
    assert.equal(r.status, 200);
    assert.deepEqual(leaks(r.text), []);
    const prov = (r.json.flows as any[]).find((n) => n.id === 'prov');
    assert.equal(prov.credentials, undefined, 'credentials inside the exported node');
  });

  it('the credentials endpoint says a password is set without giving it', async () => {
    for (const [type, id] of [['llmops-llm-provider', 'prov'], ['llmops-influxdb', 'db'], ['llmops-opcua-endpoint', 'ep'], ['llmops-facility', 'fac']]) {
      const r = await call('GET', `/credentials/${type}/${id}`, adminToken);
      assert.equal(r.status, 200, `${type}: ${r.text}`);
      assert.deepEqual(leaks(r.text), [], `${type}: ${r.text}`);
      assert.ok(Object.keys(r.json).some((k) => k.startsWith('has_') && r.json[k] === true), `${type}: ${r.text}`);
    }
  });

  it('flows.json on disk holds no secret, and the credentials file is encrypted', () => {
    assert.deepEqual(leaks(fs.readFileSync(path.join(nr.userDir, 'flows.json'), 'utf8')), []);
    assert.deepEqual(leaks(fs.readFileSync(path.join(nr.userDir, 'flows_cred.json'), 'utf8')), []);
  });

  it('the log holds no secret', () => {
    assert.deepEqual(leaks(nr.log), []);
  });

  it('finds the admin endpoints the suite registers (precondition)', () => {
    const routes = suiteAdminRoutes();
    assert.ok(routes.some((r) => r.verb !== 'GET'), JSON.stringify(routes));
  });

  it('refuses every suite admin endpoint to an anonymous user (401)', async () => {
    const open: string[] = [];
    for (const r of suiteAdminRoutes()) {
      const res = await call(r.verb, r.path.replace(/:(\w+)/g, 'x'));
      if (res.status !== 401) open.push(`${r.verb} ${r.path}: ${res.status}`);
    }
    assert.deepEqual(open, []);
  });

  it('refuses every state-changing suite admin endpoint to a read-only user (401/403)', async () => {
    const open: string[] = [];
    for (const r of suiteAdminRoutes().filter((x) => x.verb !== 'GET')) {
      const res = await call(r.verb, r.path.replace(/:(\w+)/g, 'x'), viewerToken, { decision: 'approve' });
      if (res.status !== 401 && res.status !== 403) open.push(`${r.verb} ${r.path}: ${res.status}`);
    }
    assert.deepEqual(open, []);
  });

  it("lets the read-only user read what the suite's GET endpoints show", async () => {
    for (const r of suiteAdminRoutes().filter((x) => x.verb === 'GET' && !x.path.includes(':'))) {
      const res = await call('GET', r.path, viewerToken);
      assert.equal(res.status, 200, `${r.path}: ${res.text}`);
    }
  });

  it('refuses a deploy (POST /flows) to anonymous and read-only users', async () => {
    assert.equal((await call('POST', '/flows', undefined, [])).status, 401);
    assert.ok([401, 403].includes((await call('POST', '/flows', viewerToken, [])).status));
  });
});
