// Runs a real Node-RED (bin red.js) in a child process for the Human Review integration and
// browser tests: a temporary user directory holding settings.js (file context store, optional
// adminAuth), the flow, and the node installed as a package under node_modules. The package's
// .js loads the TypeScript source through tsx, so these tests do not depend on the shared build.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

export interface AuthUser {
  username: string;
  password: string;
  permissions: string | string[];
}

export interface UserDirOptions {
  flows: object[];
  users?: AuthUser[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function installNode(userDir: string): void {
  const pkg = path.join(userDir, 'node_modules', 'node-red-contrib-llmops');
  fs.mkdirSync(path.join(pkg, 'locales', 'en-US'), { recursive: true });
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'node-red-contrib-llmops', version: '0.0.0-test', keywords: ['node-red'], 'node-red': { nodes: { 'llmops-human-review': 'human-review.js' } } }),
  );
  fs.writeFileSync(
    path.join(pkg, 'human-review.js'),
    [
      `require(${JSON.stringify(require.resolve('tsx/cjs', { paths: [ROOT] }))});`,
      `module.exports = require(${JSON.stringify(path.join(ROOT, 'nodes/human-review/human-review.ts'))}).default;`,
    ].join('\n'),
  );
  fs.copyFileSync(path.join(ROOT, 'nodes/human-review/human-review.html'), path.join(pkg, 'human-review.html'));
  for (const ext of ['.json', '.html']) {
    fs.copyFileSync(path.join(ROOT, 'locales/en-US/human-review' + ext), path.join(pkg, 'locales/en-US/human-review' + ext));
  }
  fs.cpSync(path.join(ROOT, 'icons'), path.join(pkg, 'icons'), { recursive: true });
}

export function makeUserDir(opts: UserDirOptions): string {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-review-'));
  installNode(userDir);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(opts.flows, null, 1));
  const bcrypt = require(require.resolve('bcryptjs', { paths: [ROOT] })) as { hashSync(p: string, rounds: number): string };
  const adminAuth = opts.users
    ? { type: 'credentials', users: opts.users.map((u) => ({ username: u.username, password: bcrypt.hashSync(u.password, 4), permissions: u.permissions })) }
    : undefined;
  const settings = {
    flowFile: 'flows.json',
    credentialSecret: false,
    uiHost: '127.0.0.1',
    logging: { console: { level: 'info' } },
    contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } },
    editorTheme: { tours: false },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    ...(adminAuth ? { adminAuth } : {}),
  };
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 1)};\n`);
  return userDir;
}

export class NodeRed {
  readonly logs: string[] = [];
  private proc?: ChildProcess;
  url = '';

  constructor(readonly userDir: string) {}

  /** Starts Node-RED and resolves once its flows are running. */
  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const red = require.resolve('node-red/red.js', { paths: [ROOT] });
    const proc = spawn(process.execPath, [red, '-u', this.userDir, '-s', path.join(this.userDir, 'settings.js'), '-p', String(port)], {
      cwd: this.userDir,
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Node-RED did not start in 60 s:\n' + this.logs.join(''))), 60_000);
      const onData = (b: Buffer) => {
        this.logs.push(b.toString());
        if (/Started flows|Error: /.test(b.toString())) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (b: Buffer) => this.logs.push(b.toString()));
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Node-RED exited with ${code}:\n` + this.logs.join('')));
      });
    });
  }

  /** Stops Node-RED the way a service manager does (SIGTERM), so stores flush on close. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
    this.proc = undefined;
  }

  async fetch(pathname: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('Authorization', `Bearer ${init.token}`);
    if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(this.url + pathname, { ...init, headers });
  }

  /** Logs in with the admin API's password grant (scope = the user's permissions); returns the token. */
  async login(username: string, password: string): Promise<string> {
    const res = await this.fetch('/auth/token', {
      method: 'POST',
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '', username, password }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: HTTP ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }
}

/**
 * The test flow: POST /llmops-test/review feeds a Human Review node; its three outputs are
 * appended as JSON lines to outputs.jsonl in the user directory, with the port and the time.
 */
export function reviewFlow(nodes: { id: string; config: Record<string, unknown> }[]): object[] {
  const flow: object[] = [{ id: 'tab', type: 'tab', label: 'review test' }];
  flow.push(
    { id: 'http-in', z: 'tab', type: 'http in', url: '/llmops-test/review', method: 'post', wires: [['route']] },
    {
      id: 'route',
      z: 'tab',
      type: 'function',
      outputs: 1 + nodes.length,
      func: [
        'const b = msg.payload || {};',
        `const targets = ${JSON.stringify(nodes.map((n) => n.id))};`,
        'const out = targets.map(() => null);',
        'const m = b.review ? { review: b.review } : { payload: b.payload, inputData: b.inputData, verification: b.verification, matchRules: b.matchRules, topic: b.topic };',
        'out[Math.max(0, targets.indexOf(b.node))] = m;',
        'msg.payload = { ok: true };',
        'return [msg, ...out];',
      ].join('\n'),
      wires: [['http-out'], ...nodes.map((n) => [n.id])],
    },
    { id: 'http-out', z: 'tab', type: 'http response', statusCode: '', headers: {}, wires: [] },
  );
  for (const n of nodes) {
    flow.push({
      id: n.id,
      z: 'tab',
      type: 'llmops-human-review',
      name: n.id,
      store: 'file',
      approvals: 1,
      checklist: [],
      timeout: 0,
      timeoutUnit: 's',
      timeoutOutcome: 'reject',
      requireReason: true,
      autoApprove: false,
      autoMaxChange: 5,
      autoFields: '',
      influx: '',
      ...n.config,
      wires: [1, 2, 3].map((p) => [`${n.id}-port${p}`]),
    });
    for (const p of [1, 2, 3]) {
      flow.push(
        {
          id: `${n.id}-port${p}`,
          z: 'tab',
          type: 'function',
          outputs: 1,
          func: `msg.payload = JSON.stringify({ node: ${JSON.stringify(n.id)}, port: ${p}, at: Date.now(), payload: msg.payload, review: msg.review }); return msg;`,
          wires: [['outputs-file']],
        },
      );
    }
  }
  flow.push({ id: 'outputs-file', z: 'tab', type: 'file', filename: 'outputs.jsonl', filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'utf8', wires: [] });
  // Node-RED takes an entry without a position for a config node.
  return flow.map((n, i) => ((n as { type: string }).type === 'tab' ? n : { x: 200 + 180 * (i % 4), y: 80 + 60 * Math.floor(i / 4), ...n }));
}

export interface OutputLine {
  node: string;
  port: 1 | 2 | 3;
  at: number;
  payload: unknown;
  review: { id: string; decision: string; reviewer: string; decidedAt: number; history: { event: string; at: number }[]; [k: string]: unknown };
}

export function readOutputs(userDir: string): OutputLine[] {
  const file = path.join(userDir, 'outputs.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OutputLine);
}

/** Polls until `probe` returns a value (not undefined), or fails after `ms`. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
