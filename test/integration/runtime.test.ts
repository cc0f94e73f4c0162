// A real Node-RED process, with the suite installed the way a user installs it, lists every
// type, serves each icon, and carries each node's help.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { NodeRedProcess } from '../helpers/nodered';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const types = Object.keys(pkg['node-red'].nodes);

describe('Node-RED runtime with the suite installed', function () {
  this.timeout(60000);
  const nr = new NodeRedProcess();
  before(async () => {
    await nr.start();
  });
  after(async () => {
    await nr.dispose();
  });

  it('runs the Node-RED major version this run targets', async () => {
    const r = await nr.request('GET', '/settings', undefined, { accept: 'application/json' });
    assert.equal(r.status, 200);
    const major = process.env.LLMOPS_NODE_RED_MAJOR ?? '4';
    assert.equal(String(r.json.version).split('.')[0], major, `Node-RED ${r.json.version}`);
  });

  it('lists every registered type, enabled and without error (GET /nodes)', async () => {
    const r = await nr.request('GET', '/nodes', undefined, { accept: 'application/json' });
    assert.equal(r.status, 200);
    const sets = (r.json as any[]).filter((s) => s.module === 'node-red-contrib-llmops');
    const listed = sets.flatMap((s) => s.types);
    for (const t of types) assert.ok(listed.includes(t), `${t} listed`);
    for (const s of sets) {
      assert.equal(s.enabled, true, `${s.id} enabled`);
      assert.equal(s.err, undefined, `${s.id}: ${s.err}`);
    }
  });

  it('serves the editor HTML with each dialog and help text', async () => {
    const r = await nr.request('GET', '/nodes', undefined, { accept: 'text/html' });
    for (const t of types) {
      assert.ok(r.text.includes(`data-template-name="${t}"`), `${t} dialog`);
      assert.ok(r.text.includes(`data-help-name="${t}"`), `${t} help`);
    }
  });

  it('serves every icon the nodes use', async () => {
    const html = (await nr.request('GET', '/nodes', undefined, { accept: 'text/html' })).text;
    const icons = new Set([...html.matchAll(/icon:\s*'([a-z0-9-]+\.svg)'/g)].map((m) => m[1]));
    assert.ok(icons.size > 0);
    for (const icon of icons) {
      const r = await nr.request('GET', `/icons/node-red-contrib-llmops/${icon}`);
      assert.equal(r.status, 200, icon);
      assert.match(r.text, /<svg/);
    }
  });

  it('serves each node set’s message catalogue', async () => {
    const r = await nr.request('GET', '/nodes/messages?lng=en-US', undefined, { accept: 'application/json' });
    assert.equal(r.status, 200);
    assert.ok(r.json['node-red-contrib-llmops/llmops-sensor'] || Object.keys(r.json).some((k) => k.startsWith('node-red-contrib-llmops')), Object.keys(r.json).join(','));
  });
});
