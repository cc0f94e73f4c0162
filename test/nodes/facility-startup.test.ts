// Node-RED loads every node file of the suite at start-up, used or not. Loading node-opcua takes
// about a second, so the OPC UA and twin nodes must load it only when a flow uses them.
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

function modulesLoadedBy(files: string[]): string[] {
  const script = `
    const files = ${JSON.stringify(files.map((f) => path.join(ROOT, 'dist', 'nodes', f)))};
    const RED = { nodes: { registerType() {}, createNode() {}, getNode() {} }, settings: {}, _: (k) => k };
    for (const f of files) { const m = require(f); (m.default || m)(RED); }
    console.log(JSON.stringify(Object.keys(require.cache)));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('loading the twin and OPC UA nodes', () => {
  it('does not load node-opcua until a flow uses them', () => {
    const loaded = modulesLoadedBy(['facility/facility.js', 'opcua-endpoint/opcua-endpoint.js', 'sensor/sensor.js']);
    assert.ok(loaded.some((m) => m.includes(path.join('dist', 'nodes', 'facility'))), 'the facility node was loaded');
    assert.deepEqual(loaded.filter((m) => /node_modules[\\/]node-opcua/.test(m)), []);
  });
});
