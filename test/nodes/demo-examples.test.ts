// The demo tabs in the examples menu are generated from flows/ (scripts/demo-examples.js): they
// must not drift from what `npm start` deploys, and must be self-contained.
import assert from 'node:assert/strict';
import * as fs from 'fs';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { all } = require('../../scripts/demo-examples.js');

describe('demo flows in the examples menu', () => {
  for (const { file, flow } of all() as Array<{ file: string; flow: Array<Record<string, unknown>> }>) {
    it(`${file.split('/').pop()} matches flows/ (run node scripts/demo-examples.js after editing flows/)`, () => {
      assert.ok(fs.existsSync(file), `${file} is missing`);
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), flow);
    });

    it(`${file.split('/').pop()} refers only to nodes it contains and needs no environment variable`, () => {
      const ids = new Set(flow.map((n) => n.id as string));
      const text = JSON.stringify(flow);
      assert.doesNotMatch(text, /\$\{LLMOPS_[A-Z_]+\}/);
      for (const n of flow) {
        for (const key of ['z', 'g', 'ui', 'page', 'group', 'theme', 'facility', 'influx', 'endpoint', 'provider']) {
          const ref = n[key];
          if (typeof ref === 'string' && ref) assert.ok(ids.has(ref), `${n.id}.${key} → ${ref} is not in the example`);
        }
      }
    });
  }
});
