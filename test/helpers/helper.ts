// node-red-node-test-helper, initialised against the Node-RED this run targets (4.x by default;
// LLMOPS_NODE_RED_DIR points it at another install, e.g. Node-RED 5 for `npm run test:nr5`).
// The helper's own RED._ returns the key unchanged; ours translates from the real en-US
// catalogues and throws on a key that is missing, so a forgotten catalogue entry fails a test.
import * as fs from 'fs';
import * as path from 'path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const helper = require('node-red-node-test-helper');

const root = path.join(__dirname, '..', '..');
const nrDir = process.env.LLMOPS_NODE_RED_DIR;
helper.init(nrDir ? path.join(nrDir, 'lib', 'red.js') : require.resolve('node-red'));

const catalogue: Record<string, unknown> = {};
const localeDir = path.join(root, 'locales', 'en-US');
for (const f of fs.readdirSync(localeDir).filter((f) => f.endsWith('.json'))) {
  Object.assign(catalogue, JSON.parse(fs.readFileSync(path.join(localeDir, f), 'utf8')));
}

export function translate(key: string, subs?: Record<string, unknown>): string {
  let v: unknown = catalogue;
  for (const part of key.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  if (typeof v !== 'string') throw new Error(`message catalogue has no entry "${key}"`);
  return v.replace(/__([A-Za-z0-9_]+)__/g, (_m, name) => (subs && name in subs ? String(subs[name]) : `__${name}__`));
}

const wrapped = new Map<string, (RED: any) => unknown>();

/** The register function of a built node (the dist/ file Node-RED itself loads), with real messages. */
export function nodeModule(file: string): (RED: any) => unknown {
  const cached = wrapped.get(file);
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const m = require(path.join(root, 'dist', 'nodes', file));
  const register = m.default ?? m;
  const fn = (RED: any) => {
    RED._ = translate;
    return register(RED);
  };
  wrapped.set(file, fn);
  return fn;
}

export { helper };
