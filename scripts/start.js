#!/usr/bin/env node
// `npm start`: the demo. Node-RED from this project's own dependencies, on a user directory
// inside the project (.node-red/, git-ignored, or LLMOPS_USER_DIR), with the suite linked from
// the working tree and Dashboard 2.0, the flows of flows/ deployed, an InfluxDB when `influxd`
// is installed, and the facility twin's BMS on a free OPC UA port.
//
// Environment:
//   PORT (1880), HOST (127.0.0.1)          where the editor and the dashboard listen
//   LLMOPS_USER_DIR                          another user directory (tests use a temporary one)
//   LLMOPS_LLM_URL, LLMOPS_LLM_MODEL,        an OpenAI-compatible endpoint (vLLM, Ollama /v1, ...)
//   LLMOPS_LLM_KEY, LLMOPS_LLM_KIND          for the LLM Ops tab; without a URL it runs offline
//   LLMOPS_INFLUX_URL                        an InfluxDB to use instead of starting influxd
//   LLMOPS_BMS_PORT                          the twin's OPC UA port (default: 4840 if free)
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn, spawnSync, execFileSync } = require('child_process');
const { root, linkSuite, writeSettings, DEMO_CONTEXT_STORAGE } = require('./userdir');

const startedAt = Date.now();
const userDir = path.resolve(process.env.LLMOPS_USER_DIR || path.join(root, '.node-red'));
const port = Number(process.env.PORT || 1880);
const host = process.env.HOST || '127.0.0.1';
const FLOW_FILE = 'flows.json';
// The tabs in the order the editor shows them; any other file in flows/ follows, sorted.
const FLOW_ORDER = ['llm-ops.json', 'energy.json', 'cooling.json', 'shared.json'];
// The demo's LLM provider config node (flows/llm-ops.json); the LLMOPS_LLM_* variables set it.
const PROVIDER_ID = 'llmops-demo-llm-provider';

function say(line) {
  process.stdout.write(`[llmops] ${line}\n`);
}

function ensureBuilt() {
  if (fs.existsSync(path.join(root, 'dist', 'nodes'))) return;
  say('dist/ is missing: building the suite once (npm run build)');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

function freePort(preferred) {
  const tryPort = (p) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(undefined));
      srv.listen(p, '127.0.0.1', () => {
        const got = srv.address().port;
        srv.close(() => resolve(got));
      });
    });
  return (preferred ? tryPort(preferred) : Promise.resolve(undefined)).then((p) => p || tryPort(0));
}

function ping(url) {
  return new Promise((resolve) => {
    const req = http.get(`${url}/ping`, (res) => {
      res.resume();
      resolve(res.statusCode === 204);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

function which(name) {
  try {
    return execFileSync('sh', ['-c', `command -v "${name}"`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

// ---- InfluxDB ------------------------------------------------------------------------------

/**
 * The InfluxDB the flows write to: the one in LLMOPS_INFLUX_URL, else an influxd of our own on a
 * free port with its data in a temporary folder under the user directory, else none (the Cooling
 * tab then says that telemetry is not stored).
 */
async function startInflux() {
  if (process.env.LLMOPS_INFLUX_URL) {
    const u = new URL(process.env.LLMOPS_INFLUX_URL);
    return { status: 'configured', host: u.hostname, port: Number(u.port || 8086), url: u.origin };
  }
  const binary = which('influxd');
  if (!binary) return { status: 'missing', host: '127.0.0.1', port: 8086 };
  const httpPort = await freePort();
  const bindPort = await freePort();
  const dir = fs.mkdtempSync(path.join(userDir, 'influxd-'));
  const conf = path.join(dir, 'influxdb.conf');
  fs.writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${bindPort}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  // Its own process group: Ctrl-C reaches Node-RED, which flushes its telemetry, and only then
  // is influxd stopped (by us).
  const proc = spawn(binary, ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  proc.stderr.on('data', (d) => (log = (log + d).slice(-4000)));
  const influx = { status: 'running', host: '127.0.0.1', port: httpPort, url: `http://127.0.0.1:${httpPort}`, proc, dir };
  proc.on('exit', (code, signal) => {
    if (!influx.stopping) say(`influxd exited (${signal || code}); telemetry is buffered by the Sensor until it is back\n${log}`);
  });
  // Last resort when this process ends without the orderly stop (an uncaught error).
  process.on('exit', () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return influx;
}

function stopInflux(influx) {
  if (!influx || !influx.proc) return Promise.resolve();
  influx.stopping = true;
  const p = influx.proc;
  const done = () => fs.rmSync(influx.dir, { recursive: true, force: true });
  if (p.exitCode !== null || p.signalCode !== null) {
    done();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.once('exit', () => {
      clearTimeout(timer);
      done();
      resolve();
    });
    p.kill('SIGTERM');
  });
}

// ---- flows ---------------------------------------------------------------------------------

function readSourceFlows() {
  const dir = path.join(root, 'flows');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  files.sort((a, b) => {
    const ia = FLOW_ORDER.indexOf(a);
    const ib = FLOW_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  const nodes = [];
  for (const f of files) nodes.push(...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  return nodes;
}

/** The LLM endpoint from the environment, or undefined for the offline provider. */
function llmFromEnv() {
  const url = process.env.LLMOPS_LLM_URL;
  if (!url) return undefined;
  const kind = process.env.LLMOPS_LLM_KIND === 'ollama' ? 'ollama' : 'openai';
  return { kind, baseURL: url, model: process.env.LLMOPS_LLM_MODEL || '', apiKey: process.env.LLMOPS_LLM_KEY || '' };
}

function applyLlm(nodes, llm) {
  if (!llm) return;
  const provider = nodes.find((n) => n.id === PROVIDER_ID);
  if (!provider) return;
  provider.kind = llm.kind;
  provider.baseURL = llm.baseURL;
  provider.model = llm.model;
  provider.name = `${llm.model || llm.kind} at ${new URL(llm.baseURL).host}`;
}

/** Node-RED's credential file format: aes-256-ctr under sha256(credentialSecret). */
function encryptCredentials(secret, creds) {
  const key = crypto.createHash('sha256').update(secret).digest();
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-ctr', key, iv);
  return { $: iv.toString('hex') + cipher.update(JSON.stringify(creds), 'utf8', 'base64') + cipher.final('base64') };
}

const sha = (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * Copies the demo flows to the user directory on the first start and whenever flows/ (or the
 * LLM endpoint) changed since the last copy. Flows the user changed in the editor are kept in a
 * backup file, never overwritten silently; unchanged sources leave the user's flows alone.
 */
function deployFlows(secret) {
  const llm = llmFromEnv();
  const nodes = readSourceFlows();
  applyLlm(nodes, llm);
  const text = JSON.stringify(nodes, null, 2) + '\n';
  const credKey = llm && llm.apiKey ? sha(llm.apiKey) : '';
  const sourceHash = sha(text + credKey);
  const stateFile = path.join(userDir, '.llmops-flows.json');
  const flowFile = path.join(userDir, FLOW_FILE);
  const credFile = path.join(userDir, FLOW_FILE.replace(/\.json$/, '_cred.json'));
  let state = {};
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    /* first start */
  }
  const current = fs.existsSync(flowFile) ? fs.readFileSync(flowFile, 'utf8') : undefined;
  if (current !== undefined && state.sourceHash === sourceHash) return 'kept';
  let outcome = current === undefined ? 'deployed' : 'updated';
  if (current !== undefined && sha(current) !== state.writtenHash) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const backup = path.join(userDir, `flows.backup-${stamp}.json`);
    fs.copyFileSync(flowFile, backup);
    if (fs.existsSync(credFile)) fs.copyFileSync(credFile, backup.replace(/\.json$/, '_cred.json'));
    say(`flows/ changed since your last start and you had edited the flows: yours are kept in ${path.relative(process.cwd(), backup)} (Import > Clipboard to bring them back)`);
    outcome = 'updated (your edits backed up)';
  }
  fs.writeFileSync(flowFile, text);
  if (llm && llm.apiKey) fs.writeFileSync(credFile, JSON.stringify(encryptCredentials(secret, { [PROVIDER_ID]: { apiKey: llm.apiKey } })));
  else fs.rmSync(credFile, { force: true });
  fs.writeFileSync(stateFile, JSON.stringify({ sourceHash, writtenHash: sha(text) }, null, 2));
  return outcome;
}

function credentialSecret() {
  const file = path.join(userDir, '.llmops-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const s = crypto.randomBytes(24).toString('hex');
    fs.writeFileSync(file, s, { mode: 0o600 });
    return s;
  }
}

function writeDemoSettings(secret) {
  const file = path.join(userDir, 'settings.js');
  writeSettings(file, {
    uiHost: host,
    uiPort: port,
    flowFile: FLOW_FILE,
    flowFilePretty: true,
    credentialSecret: secret,
    // Human Review keeps open reviews in context: a write-through file store survives restarts and crashes.
    contextStorage: DEMO_CONTEXT_STORAGE,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false }, page: { title: 'LLM Ops demo' }, header: { title: 'LLM Ops demo' } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { autoInstall: false },
  });
  return file;
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  ensureBuilt();
  fs.mkdirSync(userDir, { recursive: true });
  linkSuite(userDir, ['@flowfuse/node-red-dashboard']);
  const secret = credentialSecret();
  const settingsFile = writeDemoSettings(secret);
  const flows = deployFlows(secret);
  const [influx, bmsPort] = await Promise.all([startInflux(), freePort(Number(process.env.LLMOPS_BMS_PORT || 4840))]);
  const base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const llm = llmFromEnv();

  const env = {
    ...process.env,
    NODE_RED_ENABLE_TOURS: 'false',
    LLMOPS_INFLUX_HOST: influx.host,
    LLMOPS_INFLUX_PORT: String(influx.port),
    LLMOPS_INFLUX_STATUS: influx.status,
    LLMOPS_BMS_PORT: String(bmsPort),
    LLMOPS_BMS_URL: `opc.tcp://127.0.0.1:${bmsPort}/`,
    LLMOPS_REVIEW_API: `http://127.0.0.1:${port}/llmops-review/pending`,
  };
  const redJs = path.join(root, 'node_modules', 'node-red', 'red.js');
  const red = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', settingsFile], { env, stdio: ['inherit', 'pipe', 'pipe'] });

  let announced = false;
  const announce = () => {
    announced = true;
    const s = ((Date.now() - startedAt) / 1000).toFixed(1);
    const influxLine =
      influx.status === 'running' ? `influxd on ${influx.url} (database llmops, data in ${path.relative(process.cwd(), influx.dir)}/, removed on stop)` :
      influx.status === 'configured' ? `InfluxDB at ${influx.url} (LLMOPS_INFLUX_URL)` :
      'not installed: telemetry is not stored (the Cooling tab says so); apt-get install influxdb';
    say('');
    say(`ready in ${s} s`);
    say(`  editor:     ${base}/`);
    say(`  dashboard:  ${base}/dashboard/`);
    say(`  LLM:        ${llm ? `${llm.kind} at ${llm.baseURL}${llm.model ? ` (model ${llm.model})` : ''}` : 'offline provider (set LLMOPS_LLM_URL, LLMOPS_LLM_MODEL, LLMOPS_LLM_KEY for a real model)'}`);
    say(`  InfluxDB:   ${influxLine}`);
    say(`  twin BMS:   opc.tcp://127.0.0.1:${bmsPort}/ (OPC UA, security None)`);
    say(`  flows:      ${flows} from flows/ into ${path.relative(process.cwd(), path.join(userDir, FLOW_FILE)) || FLOW_FILE}`);
    say('');
  };
  const watch = (stream, out) => {
    let buf = '';
    stream.on('data', (d) => {
      out.write(d);
      if (announced) return;
      buf = (buf + d).slice(-4000);
      if (/Started flows/.test(buf)) announce();
    });
  };
  watch(red.stdout, process.stdout);
  watch(red.stderr, process.stderr);

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    if (red.exitCode === null && red.signalCode === null) red.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  red.on('exit', async (code, signal) => {
    await stopInflux(influx);
    process.exit(code === null ? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1) : code);
  });
  if (influx.status === 'running') {
    // Node-RED and influxd start side by side; the Sensor buffers until the database answers.
    const deadline = Date.now() + 20000;
    while (!(await ping(influx.url)) && Date.now() < deadline && !stopping) await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err) => {
  process.stderr.write(`[llmops] npm start failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
