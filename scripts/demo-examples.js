#!/usr/bin/env node
// The three demo tabs of `npm start` as self-contained examples (Import > Examples): each tab
// with the config nodes and Dashboard 2.0 page/group/base/theme nodes it refers to, and the
// ${ENV} settings `npm start` fills in replaced by plain defaults (InfluxDB at 127.0.0.1:8086,
// the twin's BMS on 127.0.0.1:4843). `node scripts/demo-examples.js` writes them;
// test/nodes/demo-examples.test.ts checks they match flows/.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const DEMOS = { 'llm-ops': 'demo-llm-ops', energy: 'demo-energy', cooling: 'demo-cooling' };
const DEFAULTS = {
  LLMOPS_BMS_PORT: '4843',
  LLMOPS_BMS_URL: 'opc.tcp://127.0.0.1:4843',
  LLMOPS_INFLUX_HOST: '127.0.0.1',
  LLMOPS_INFLUX_PORT: '8086',
};

function readFlow(name) {
  return JSON.parse(fs.readFileSync(path.join(root, 'flows', name + '.json'), 'utf8'));
}

function fillDefaults(node) {
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = typeof v === 'string' ? v.replace(/\$\{([A-Z_]+)\}/g, (m, name) => DEFAULTS[name] ?? m) : v;
  }
  return out;
}

/** The tab's nodes plus every shared node they refer to, directly or through another shared node. */
function demo(tabFile) {
  const shared = readFlow('shared');
  const byId = new Map(shared.map((n) => [n.id, n]));
  const nodes = readFlow(tabFile);
  const wanted = new Set();
  const visit = (n) => {
    for (const v of Object.values(n)) {
      if (typeof v === 'string' && byId.has(v) && !wanted.has(v)) {
        wanted.add(v);
        visit(byId.get(v));
      }
    }
  };
  nodes.forEach(visit);
  return [...nodes, ...shared.filter((n) => wanted.has(n.id))].map(fillDefaults);
}

function all() {
  return Object.entries(DEMOS).map(([tab, file]) => ({ file: path.join(root, 'examples', file + '.json'), flow: demo(tab) }));
}

if (require.main === module) {
  for (const { file, flow } of all()) fs.writeFileSync(file, JSON.stringify(flow, null, 2) + '\n');
}

module.exports = { all };
