// A real Node-RED runtime as its own process, loading the suite from the working tree the way a
// user's installation does. Tests deploy flows through the admin API, talk to flows over HTTP,
// and can stop (even SIGKILL) and restart the process on the same user directory.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, waitFor } from './ports';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { linkSuite, writeSettings, root } = require('../../scripts/userdir.js');

export interface AdminUser {
  username: string;
  /** In plain text; hashed for settings.js. */
  password: string;
  permissions: string | string[];
}

export interface NodeRedOptions {
  /** Extra settings merged over the defaults. */
  settings?: Record<string, unknown>;
  /** Turns on adminAuth (type credentials) with these users. */
  users?: AdminUser[];
  /** Written to flows.json before the first start, so they run without a deploy. */
  flows?: unknown[];
  /** Modules from this project's node_modules to make available (e.g. the dashboard). */
  modules?: string[];
  userDir?: string;
  env?: Record<string, string>;
}

/** Node binary and Node-RED install used; overridable to run the suite on Node-RED 5 / Node 22. */
export function runtimePaths(): { node: string; redJs: string } {
  const node = process.env.LLMOPS_NODE_BIN || process.execPath;
  const nrDir = process.env.LLMOPS_NODE_RED_DIR || path.join(root, 'node_modules', 'node-red');
  return { node, redJs: path.join(nrDir, 'red.js') };
}

function adminAuth(users: AdminUser[]): Record<string, unknown> {
  const bcrypt = require(require.resolve('bcryptjs', { paths: [root] })) as { hashSync(p: string, rounds: number): string };
  return { type: 'credentials', users: users.map((u) => ({ ...u, password: bcrypt.hashSync(u.password, 4) })) };
}

export class NodeRedProcess {
  readonly userDir: string;
  port = 0;
  log = '';
  private proc?: ChildProcess;
  private ownsDir: boolean;
  token?: string;

  constructor(private readonly opts: NodeRedOptions = {}) {
    this.ownsDir = !opts.userDir;
    this.userDir = opts.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-nr-'));
    linkSuite(this.userDir, opts.modules ?? []);
    if (opts.flows) fs.writeFileSync(path.join(this.userDir, 'flows.json'), JSON.stringify(opts.flows, null, 1));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const settings = {
      uiHost: '127.0.0.1',
      uiPort: this.port,
      flowFile: 'flows.json',
      credentialSecret: 'llmops-test-secret',
      logging: { console: { level: 'info', metrics: false, audit: false } },
      editorTheme: { tours: false, projects: { enabled: false } },
      diagnostics: { enabled: false },
      telemetry: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      ...(this.opts.users ? { adminAuth: adminAuth(this.opts.users) } : {}),
      ...(this.opts.settings ?? {}),
    };
    const settingsFile = path.join(this.userDir, 'settings.js');
    writeSettings(settingsFile, settings);
    const { node, redJs } = runtimePaths();
    this.log = '';
    const startedAt = this.log.length;
    // cwd: a file node's relative path lands in the user directory, not in the checkout.
    this.proc = spawn(node, [redJs, '--userDir', this.userDir, '--settings', settingsFile], {
      cwd: this.userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_TOURS: 'false', ...(this.opts.env ?? {}) },
    });
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-200000);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    const proc = this.proc;
    await waitFor(
      'Node-RED to start flows',
      () => {
        if (proc.exitCode !== null) throw new Error(`Node-RED exited (${proc.exitCode}):\n${this.log}`);
        return /Started flows|Stopped flows|Flows file.*not found|Waiting for missing types/.test(this.log.slice(startedAt)) && /Server now running/.test(this.log);
      },
      30000,
      50,
    ).catch((err) => {
      throw new Error(`${err.message}\n--- Node-RED log ---\n${this.log}`);
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20000))]);
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    this.proc = undefined;
  }

  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  /** fetch against the runtime, with the admin token when one was obtained. */
  async request(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
    const res = await fetch(this.url + urlPath, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** A token from the admin API's password grant; scope '' grants the user's own permissions. */
  async login(username: string, password: string, scope = ''): Promise<string> {
    const saved = this.token;
    this.token = undefined;
    const r = await this.request('POST', '/auth/token', { client_id: 'node-red-admin', grant_type: 'password', scope, username, password }).finally(() => {
      this.token = saved;
    });
    if (r.status !== 200) throw new Error(`login ${username}: HTTP ${r.status} ${r.text}`);
    return r.json.access_token as string;
  }

  /** Deploys a full flow set and waits until the runtime reports it started. */
  async deploy(flows: unknown[]): Promise<void> {
    const before = this.log.length;
    const r = await this.request('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    if (r.status !== 204 && r.status !== 200) throw new Error(`deploy failed: ${r.status} ${r.text}`);
    await waitFor('flows to start', () => /Started flows/.test(this.log.slice(before)), 20000, 50);
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}
