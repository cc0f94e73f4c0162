// The Flow Library's scorecard (node-red-dev validate) must show no failure. The catalogue it
// fetches for name-uniqueness is unreachable here; ../shared/tools/nrdev-offline.js answers that
// one request with an empty catalogue, everything else (the npm registry) goes through.
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const preload = path.join(root, '..', 'shared', 'tools', 'nrdev-offline.js');

describe('node-red-dev validate (Flow Library scorecard)', function () {
  this.timeout(180000);
  it('reports no failure', function () {
    const env = { ...process.env };
    if (fs.existsSync(preload)) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --require ${preload}`.trim();
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'node-red-dev', 'bin', 'run'), 'validate'], { cwd: root, env, encoding: 'utf8', timeout: 170000 });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.match(out, /---Validating Package---/, out);
    assert.match(out, /---Validating Dependencies---/, out);
    // node-red-dev prints failed checks as warnings too; only these advisory ones are accepted:
    // P04 (a scoped name: the package name is given), D01 (dependency count: each one is a real
    // component, see the README), D03 (a dependency behind its latest major).
    const advisory = /Warning: (P04|D01|D03)\b/;
    const lines = out.split('\n');
    const problems: string[] = [];
    lines.forEach((l, i) => {
      if (/Warning:|Error:|❌/.test(l) && !advisory.test(l)) problems.push(l + (lines[i + 1]?.trim().startsWith('›') ? ' ' + lines[i + 1].trim() : ''));
    });
    assert.deepEqual(problems, [], out);
  });
});
